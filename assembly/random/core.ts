// Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011) and the exact transformations of its words into numbers. Not exported from the
// module: the kernels in philox.ts use these, and src/reference/random/core.ts mirrors them
// operation for operation, so both backends produce the same bits.
//
// One block: a 128-bit counter (c0, c1, c2, c3) and a 64-bit key (k0, k1) give four 32-bit
// words after ten rounds of
//   (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2          (32 x 32 -> 64-bit products)
//   c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0),  then k += (W0, W1)  (Weyl key schedule)
// descend's counter layout: (c0, c1) = block index (64 bits), (c2, c3) = stream id; the key
// is the seed. Word w of a stream is word (w & 3) of block (w >> 2).

/** Philox multipliers and Weyl increments (Salmon et al. 2011, Table 2 / Random123). */
// @ts-ignore: decorator
@inline export const PHILOX_M0: u32 = 0xd2511f53;
// @ts-ignore: decorator
@inline export const PHILOX_M1: u32 = 0xcd9e8d57;
// @ts-ignore: decorator
@inline export const PHILOX_W0: u32 = 0x9e3779b9;
// @ts-ignore: decorator
@inline export const PHILOX_W1: u32 = 0xbb67ae85;

/** 16 words of output: one block in words 0..3, or four consecutive blocks in 0..15. */
export const WORDS: usize = memory.data(64, 16);

/** One block of counter (c0, c1, c2, c3) under key (k0, k1), written to WORDS[0..3]. */
// @ts-ignore: decorator
@inline
export function philoxBlock(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let round = 0; round < 10; round++) {
    const p0 = <u64>PHILOX_M0 * <u64>c0;
    const p1 = <u64>PHILOX_M1 * <u64>c2;
    const n0 = <u32>(p1 >> 32) ^ c1 ^ k0;
    const n2 = <u32>(p0 >> 32) ^ c3 ^ k1;
    c0 = n0;
    c1 = <u32>p1;
    c2 = n2;
    c3 = <u32>p0;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  store<u32>(WORDS, c0, 0);
  store<u32>(WORDS, c1, 4);
  store<u32>(WORDS, c2, 8);
  store<u32>(WORDS, c3, 12);
}

/**
 * Four consecutive blocks, block..block+3, computed side by side in v128 lanes (lane b holds
 * block + b) and transposed into stream order: WORDS[4b + j] = word j of block + b.
 */
// @ts-ignore: decorator
@inline
export function philoxBlocks4(block: u64, s0: u32, s1: u32, k0: u32, k1: u32): void {
  // Lane b counts block + b, carrying into the high word.
  const b1 = block + 1;
  const b2 = block + 2;
  const b3 = block + 3;
  let c0 = i32x4.splat(<i32>block);
  c0 = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(c0, 1, <i32>b1), 2, <i32>b2), 3, <i32>b3);
  let c1 = i32x4.splat(<i32>(block >> 32));
  c1 = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(c1, 1, <i32>(b1 >> 32)), 2, <i32>(b2 >> 32)), 3, <i32>(b3 >> 32));
  let c2 = i32x4.splat(<i32>s0);
  let c3 = i32x4.splat(<i32>s1);
  let kv0 = i32x4.splat(<i32>k0);
  let kv1 = i32x4.splat(<i32>k1);
  const m0 = i32x4.splat(<i32>PHILOX_M0);
  const m1 = i32x4.splat(<i32>PHILOX_M1);
  const w0 = i32x4.splat(<i32>PHILOX_W0);
  const w1 = i32x4.splat(<i32>PHILOX_W1);
  for (let round = 0; round < 10; round++) {
    // 64-bit products of lanes (0, 1) and (2, 3); low words are the even i32 lanes.
    const p0a = i64x2.extmul_low_i32x4_u(c0, m0);
    const p0b = i64x2.extmul_high_i32x4_u(c0, m0);
    const p1a = i64x2.extmul_low_i32x4_u(c2, m1);
    const p1b = i64x2.extmul_high_i32x4_u(c2, m1);
    const lo0 = i32x4.shuffle(p0a, p0b, 0, 2, 4, 6);
    const hi0 = i32x4.shuffle(p0a, p0b, 1, 3, 5, 7);
    const lo1 = i32x4.shuffle(p1a, p1b, 0, 2, 4, 6);
    const hi1 = i32x4.shuffle(p1a, p1b, 1, 3, 5, 7);
    c0 = v128.xor(v128.xor(hi1, c1), kv0);
    c1 = lo1;
    c2 = v128.xor(v128.xor(hi0, c3), kv1);
    c3 = lo0;
    kv0 = i32x4.add(kv0, w0);
    kv1 = i32x4.add(kv1, w1);
  }
  // 4 x 4 transpose: from one vector per word index to one vector per block.
  const t0 = i32x4.shuffle(c0, c1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(c0, c1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c2, c3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(c2, c3, 2, 6, 3, 7);
  v128.store(WORDS, i32x4.shuffle(t0, t2, 0, 1, 4, 5), 0);
  v128.store(WORDS, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
  v128.store(WORDS, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
  v128.store(WORDS, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
}

/**
 * Computes the blocks holding stream word `w` onward into WORDS: four blocks (16 words) when
 * `w` starts a block and at least 16 words are wanted, else one. Returns the words available
 * from WORDS[w & 3].
 */
// @ts-ignore: decorator
@inline
export function refill(w: u64, wanted: i32, k0: u32, k1: u32, s0: u32, s1: u32): i32 {
  const block = w >> 2;
  const lane = <i32>(w & 3);
  if (lane == 0 && wanted >= 16) {
    philoxBlocks4(block, s0, s1, k0, k1);
    return 16;
  }
  philoxBlock(<u32>block, <u32>(block >> 32), s0, s1, k0, k1);
  return 4 - lane;
}

/**
 * out[i] = <T>((withBase ? base[i] : 0) + mean + std z_i), z_i = Phi^-1 of the open uniform
 * of words pos + 2i, pos + 2i + 1 (`pos` even); computed in f64, rounded once. `withBase` is
 * a compile-time constant at every call site, so the branch folds away.
 */
// @ts-ignore: decorator
@inline
export function normalFill<T>(
  out: usize, base: usize, withBase: bool, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, mean: f64, std: f64,
): void {
  let w = <u64>pos;
  for (let i = 0; i < n; ) {
    const first = <i32>(w & 3);
    const count = min(refill(w, (n - i) << 1, k0, k1, s0, s1) >> 1, n - i);
    for (let j = 0; j < count; j++) {
      const at = <usize>(i + j) * sizeof<T>();
      const z = normalQuantile(openUniform52(word(first + 2 * j), word(first + 2 * j + 1)));
      const shift = withBase ? <f64>load<T>(base + at) + mean : mean;
      store<T>(out + at, <T>(shift + std * z));
    }
    i += count;
    w += <u64>count << 1;
  }
}

/** Word `index` (0..15) of WORDS. */
// @ts-ignore: decorator
@inline
export function word(index: i32): u32 {
  return load<u32>(WORDS + (<usize>index << 2));
}

/**
 * floor(x * m / 2^64) for the 64-bit x = a * 2^32 + b and 1 <= m <= 2^32: an integer in
 * [0, m) by Lemire's multiply-shift, with bias below m / 2^64 (no rejection, so every value
 * costs exactly two words and positions stay counter-based).
 */
// @ts-ignore: decorator
@inline
export function bounded(a: u32, b: u32, m: u64): u64 {
  return (<u64>a * m + ((<u64>b * m) >> 32)) >> 32;
}

/** Uniform on the 2^52-point grid (k + 1/2) 2^-52 inside (0, 1), from words a, b. Exact. */
// @ts-ignore: decorator
@inline
export function openUniform52(a: u32, b: u32): f64 {
  return <f64>(a >>> 12) * 9.5367431640625e-7 + (<f64>b + 0.5) * 2.220446049250313e-16;
}

/** Uniform on the 2^53-point grid k 2^-53 in [0, 1), from words a, b. Exact. */
// @ts-ignore: decorator
@inline
export function uniform53(a: u32, b: u32): f64 {
  return <f64>(a >>> 11) * 4.76837158203125e-7 + <f64>b * 1.1102230246251565e-16;
}

/**
 * Natural logarithm of a positive normal f64 (a NaN comes through), |error| below 2 ulp. Written
 * out (instead of Math.log) so that the reference twin, which performs the same IEEE operations
 * in the same order, returns the same bits, and so that the module carries no lookup table
 * (the standard library's Math.log brings 4 KB). x = 2^e m with m in [sqrt(1/2), sqrt(2)); with
 * s = (m - 1) / (m + 1), ln m = 2 atanh s = 2 (s + s^3/3 + ... + s^21/21), |s| < 0.1716.
 */
export function ln(x: f64): f64 {
  if (x != x) return x;
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    e = e + 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const z = s * s;
  const z2 = z * z;
  const z4 = z2 * z2;
  // 1/3 + z/5 + ... + z^9/21 by Estrin's scheme (pairs, then pairs of pairs): a shorter
  // chain of dependent operations than Horner's, for the callers that wait on one log.
  const p01 = (1.0 / 3.0 + z * (1.0 / 5.0)) + z2 * (1.0 / 7.0 + z * (1.0 / 9.0));
  const p23 = (1.0 / 11.0 + z * (1.0 / 13.0)) + z2 * (1.0 / 15.0 + z * (1.0 / 17.0));
  const p = p01 + z4 * (p23 + z4 * (1.0 / 19.0 + z * (1.0 / 21.0)));
  const lnm = 2.0 * s + 2.0 * s * (z * p);
  return <f64>e * 0.6931471805599453 + lnm;
}

/**
 * The standard normal quantile Phi^-1(u) for u in (0, 1): Wichura's AS 241 (PPND16, Applied
 * Statistics 37(3), 1988), relative accuracy about 1e-16, with ln above.
 */
export function normalQuantile(u: f64): f64 {
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
  let value: f64;
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
