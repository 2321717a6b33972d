// Reference twin of assembly/random/core.ts: Philox4x32-10 and the exact transformations of
// its words into numbers, in plain TypeScript. Every floating-point step below is one IEEE
// operation in the same order as in the wasm source (no fused multiply-add exists in either),
// and integer steps are exact, so both backends produce the same bits. Not exported from the
// area index: these are helpers, not kernels.

export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

/** The high 32 bits of the 64-bit product a * b of two u32, exactly (16-bit split). */
export function mulhi32(a: number, b: number): number {
  const low = a * (b & 0xffff); // < 2^48: exact
  const high = a * (b >>> 16); // < 2^48: exact
  return Math.floor((high + Math.floor(low / 65536)) / 65536) >>> 0;
}

/** One Philox4x32-10 block: four u32 words of counter (c0..c3) under key (k0, k1). */
export function philoxBlock(
  c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, into: Uint32Array,
): void {
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  into[0] = c0;
  into[1] = c1;
  into[2] = c2;
  into[3] = c3;
}

/**
 * Sequential access to the words of one stream: `at(w)` returns word w (< 2^55), computing
 * a block only when w leaves the cached one.
 */
export class WordStream {
  private block = -1;
  private readonly words = new Uint32Array(4);

  constructor(
    private readonly k0: number,
    private readonly k1: number,
    private readonly s0: number,
    private readonly s1: number,
  ) {}

  at(w: number): number {
    const block = Math.floor(w / 4);
    if (block !== this.block) {
      this.block = block;
      philoxBlock(block >>> 0, Math.floor(block / 4294967296) >>> 0, this.s0, this.s1, this.k0, this.k1, this.words);
    }
    return this.words[w - block * 4]!;
  }
}

/** floor((a 2^32 + b) m / 2^64) for 1 <= m <= 2^32, exactly: a value in [0, m). */
export function bounded(a: number, b: number, m: number): number {
  // (a m) 2^32 + b m = (ah 2^32 + al) 2^32 + (bh 2^32 + bl); the result is ah + carry(al + bh).
  const am = splitProduct(a, m);
  const bh = splitProduct(b, m).hi;
  return am.hi + (am.lo + bh >= 4294967296 ? 1 : 0);
}

/** a * m as (hi, lo) 32-bit halves, exactly, for a < 2^32 and m <= 2^32. */
function splitProduct(a: number, m: number): { hi: number; lo: number } {
  const low = a * (m % 65536);
  const high = a * Math.floor(m / 65536); // m = 2^32 makes this a 2^16 < 2^49: still exact
  const lowHi = Math.floor(low / 65536);
  const mid = high + lowHi; // the product divided by 2^16, floored
  const hi = Math.floor(mid / 65536);
  const lo = (mid % 65536) * 65536 + (low % 65536);
  return { hi, lo };
}

/** Uniform (k + 1/2) 2^-52 in (0, 1) from words a, b, as in the wasm core. */
export function openUniform52(a: number, b: number): number {
  return (a >>> 12) * 9.5367431640625e-7 + (b + 0.5) * 2.220446049250313e-16;
}

/** Uniform k 2^-53 in [0, 1) from words a, b, as in the wasm core. */
export function uniform53(a: number, b: number): number {
  return (a >>> 11) * 4.76837158203125e-7 + b * 1.1102230246251565e-16;
}

const reinterpret = new DataView(new ArrayBuffer(8));

/** Natural logarithm, the same operations as `ln` in assembly/random/core.ts. */
export function ln(x: number): number {
  if (x !== x) return x;
  reinterpret.setFloat64(0, x);
  const high = reinterpret.getUint32(0);
  let e = ((high >>> 20) & 0x7ff) - 1023;
  reinterpret.setUint32(0, (high & 0x000fffff) | 0x3ff00000);
  let m = reinterpret.getFloat64(0);
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    e = e + 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const z = s * s;
  const z2 = z * z;
  const z4 = z2 * z2;
  const p01 = (1.0 / 3.0 + z * (1.0 / 5.0)) + z2 * (1.0 / 7.0 + z * (1.0 / 9.0));
  const p23 = (1.0 / 11.0 + z * (1.0 / 13.0)) + z2 * (1.0 / 15.0 + z * (1.0 / 17.0));
  const p = p01 + z4 * (p23 + z4 * (1.0 / 19.0 + z * (1.0 / 21.0)));
  const lnm = 2.0 * s + 2.0 * s * (z * p);
  return e * 0.6931471805599453 + lnm;
}

/** Phi^-1(u) by Wichura's AS 241, the same operations as `normalQuantile` in the wasm core. */
export function normalQuantile(u: number): number {
  const q = u - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    const num = (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r + 6.7265770927008700853e4) * r +
      4.5921953931549871457e4) * r + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r +
      1.3314166789178437745e2) * r + 3.387132872796366608) * q;
    const den = (((((((5.226495278852854561e3 * r + 2.8729085735721942674e4) * r + 3.930789580009271061e4) * r +
      2.1213794301586595867e4) * r + 5.3941960214247511077e3) * r + 6.871870074920579083e2) * r +
      4.2313330701600911252e1) * r + 1.0);
    return num / den;
  }
  let r = Math.sqrt(-ln(q < 0 ? u : 1.0 - u));
  let value: number;
  if (r <= 5.0) {
    r = r - 1.6;
    value = (((((((7.7454501427834140764e-4 * r + 2.27238449892691845833e-2) * r + 2.4178072517745061177e-1) * r +
      1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
      4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 1.51986665636164571966e-2) * r +
        1.4810397642748007459e-1) * r + 6.8976733498510000455e-1) * r + 1.6763848301838038494) * r +
        2.05319162663775882187) * r + 1.0);
  } else {
    r = r - 5.0;
    value = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.2426609473880784386e-3) * r +
      2.6532189526576123093e-2) * r + 2.9656057182850489123e-1) * r + 1.7848265399172913358) * r +
      5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
        7.868691311456132591e-4) * r + 1.48753612908506148525e-2) * r + 1.3692988092273580531e-1) * r +
        5.9983220655588793769e-1) * r + 1.0);
  }
  return q < 0 ? -value : value;
}

/**
 * view[o + i] = ((base >= 0 ? view[base + i] : 0) + mean) + std z_i, z_i = Phi^-1 of the open
 * uniform of words pos + 2i, pos + 2i + 1: the wasm core's normalFill, rounded by the view.
 */
export function normalFill(
  view: Float32Array | Float64Array, o: number, base: number, n: number,
  k0: number, k1: number, s0: number, s1: number, pos: number, mean: number, std: number,
): void {
  const words = new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0);
  for (let i = 0; i < n; i++) {
    const z = normalQuantile(openUniform52(words.at(pos + 2 * i), words.at(pos + 2 * i + 1)));
    const shift = base >= 0 ? view[base + i]! + mean : mean;
    view[o + i] = shift + std * z;
  }
}
