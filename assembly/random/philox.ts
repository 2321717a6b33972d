// Counter-based random fills: Philox4x32-10 words turned into numbers by exact
// transformations (core.ts). A stream is (key k0:k1 = seed, stream id s0:s1); `pos` is the
// position in 32-bit words where the fill starts (an integer below 2^53, a multiple of the
// words per value). Value i of a fill depends only on (seed, stream, pos + i * wordsPerValue),
// never on how a long fill is split into calls.
//   f32 uniform:  one word w:  u = (w >>> 8) 2^-24 in [0, 1);  out = fl32(fl32(u scale) + shift)
//   f64 uniform:  two words:   u = k 2^-53 in [0, 1), k = 53 bits;  out = u scale + shift
//   normal:       two words:   u = (k + 1/2) 2^-52 in (0, 1);  z = Phi^-1(u) (AS 241, f64);
//                 out = mean + std z, rounded once to the output type
//   integer:      two words:   x = 64 bits;  out = low + floor(x range / 2^64), range <= 2^32
// Four blocks at a time run in v128 lanes (philoxBlocks4); heads and tails one block at a time.
// Memory contract: `out` holds n elements of the output type; nothing else is written.

import { F32, F64 } from "../simd";
import { bounded, normalFill, philoxBlock, philoxBlocks4, refill, uniform53, word, WORDS } from "./core";

/** n raw words from the block with counter (c0, c1, c2, c3) onward; (c0, c1) counts blocks. */
export function u32_philox_bits(out: usize, n: i32, k0: u32, k1: u32, c0: u32, c1: u32, c2: u32, c3: u32): void {
  let block = (<u64>c1 << 32) | c0; // wraps at 2^64 like the counter itself
  let i = 0;
  for (; i + 16 <= n; i += 16, block += 4) {
    philoxBlocks4(block, c2, c3, k0, k1);
    memory.copy(out + (<usize>i << 2), WORDS, 64);
  }
  for (; i < n; i += 4, block++) {
    philoxBlock(<u32>block, <u32>(block >> 32), c2, c3, k0, k1);
    memory.copy(out + (<usize>i << 2), WORDS, <usize>min(4, n - i) << 2);
  }
}

/** out[i] = fl32(fl32(u_i * scale) + shift), u_i = (word >>> 8) 2^-24: U[shift, shift + scale). */
export function f32_philox_uniform(
  out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, scale: f32, shift: f32,
): void {
  const scaleV = f32x4.splat(scale);
  const shiftV = f32x4.splat(shift);
  const unit = f32x4.splat(5.9604644775390625e-8); // 2^-24
  let w = <u64>pos;
  for (let i = 0; i < n; ) {
    const first = <i32>(w & 3);
    const count = min(refill(w, n - i, k0, k1, s0, s1), n - i);
    const at = out + <usize>i * F32;
    if (count == 16) {
      for (let v = 0; v < 64; v += 16) {
        const u = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(v128.load(WORDS + v), 8)), unit);
        v128.store(at + v, f32x4.add(f32x4.mul(u, scaleV), shiftV));
      }
    } else {
      for (let j = 0; j < count; j++) {
        const u = <f32>(word(first + j) >>> 8) * 5.9604644775390625e-8;
        store<f32>(at + <usize>j * F32, u * scale + shift);
      }
    }
    i += count;
    w += count;
  }
}

/** out[i] = u_i * scale + shift in f64, u_i on the 2^-53 grid of [0, 1). `pos` must be even. */
export function f64_philox_uniform(
  out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, scale: f64, shift: f64,
): void {
  const scaleV = f64x2.splat(scale);
  const shiftV = f64x2.splat(shift);
  const hiUnit = f64x2.splat(4.76837158203125e-7); // 2^-21
  const loUnit = f64x2.splat(1.1102230246251565e-16); // 2^-53
  let w = <u64>pos;
  for (let i = 0; i < n; ) {
    const first = <i32>(w & 3);
    const count = min(refill(w, (n - i) << 1, k0, k1, s0, s1) >> 1, n - i);
    const at = out + <usize>i * F64;
    if (count == 8) {
      for (let v = 0; v < 64; v += 16) {
        // Words (a0, b0, a1, b1) make two values: u = (a >>> 11) 2^-21 + b 2^-53, exact.
        const ab = v128.load(WORDS + v);
        const a = f64x2.convert_low_i32x4_u(i32x4.shr_u(i32x4.shuffle(ab, ab, 0, 2, 0, 2), 11));
        const b = f64x2.convert_low_i32x4_u(i32x4.shuffle(ab, ab, 1, 3, 1, 3));
        const u = f64x2.add(f64x2.mul(a, hiUnit), f64x2.mul(b, loUnit));
        v128.store(at + v, f64x2.add(f64x2.mul(u, scaleV), shiftV));
      }
    } else {
      for (let j = 0; j < count; j++) {
        const u = uniform53(word(first + 2 * j), word(first + 2 * j + 1));
        store<f64>(at + <usize>j * F64, u * scale + shift);
      }
    }
    i += count;
    w += <u64>count << 1;
  }
}

/** out[i] = <T>(low + floor(x_i range / 2^64)), x_i the 64 bits of two words; `pos` even. */
// @ts-ignore: decorator
@inline
function integerFill<T>(out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, low: f64, range: f64): void {
  const m = <u64>range;
  let w = <u64>pos;
  for (let i = 0; i < n; ) {
    const first = <i32>(w & 3);
    const count = min(refill(w, (n - i) << 1, k0, k1, s0, s1) >> 1, n - i);
    const at = out + <usize>i * sizeof<T>();
    for (let j = 0; j < count; j++) {
      const k = bounded(word(first + 2 * j), word(first + 2 * j + 1), m);
      store<T>(at + <usize>j * sizeof<T>(), <T>(low + <f64>k));
    }
    i += count;
    w += <u64>count << 1;
  }
}

/** out[i] = fl32(mean + std * Phi^-1(u_i)): the f64 normals of the same stream, rounded. */
export function f32_philox_normal(out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, mean: f64, std: f64): void {
  normalFill<f32>(out, 0, false, n, k0, k1, s0, s1, pos, mean, std);
}

/** out[i] = mean + std * Phi^-1(u_i) in f64. */
export function f64_philox_normal(out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, mean: f64, std: f64): void {
  normalFill<f64>(out, 0, false, n, k0, k1, s0, s1, pos, mean, std);
}

/** Integers in [low, low + range), range <= 2^32, as f32 (exact for |values| <= 2^24). */
export function f32_philox_integer(out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, low: f64, range: f64): void {
  integerFill<f32>(out, n, k0, k1, s0, s1, pos, low, range);
}

/** Integers in [low, low + range), range <= 2^32, as f64 (exact for |values| <= 2^53). */
export function f64_philox_integer(out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, low: f64, range: f64): void {
  integerFill<f64>(out, n, k0, k1, s0, s1, pos, low, range);
}

/**
 * A uniformly random permutation of 0..n-1 into u32 `out` (Durstenfeld's Fisher-Yates):
 * for i = n-1 down to 1, swap out[i] with out[j], j = floor(x_t (i + 1) / 2^64), where x_t is
 * the t-th 64-bit value (t = n-1-i) of the stream from `pos` (even). Uses 2(n-1) words.
 */
export function u32_permutation(out: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64): void {
  for (let i = 0; i < n; i++) store<u32>(out + (<usize>i << 2), <u32>i);
  let w = <u64>pos;
  let i = n - 1;
  while (i > 0) {
    const first = <i32>(w & 3);
    const count = min(refill(w, i << 1, k0, k1, s0, s1) >> 1, i);
    for (let j = 0; j < count; j++) {
      const target = bounded(word(first + 2 * j), word(first + 2 * j + 1), <u64>(i + 1));
      const a = out + (<usize>i << 2);
      const b = out + (<usize>target << 2);
      const t = load<u32>(a);
      store<u32>(a, load<u32>(b));
      store<u32>(b, t);
      i--;
    }
    w += <u64>count << 1;
  }
}
