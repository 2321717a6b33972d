// The one extra read of the gradients that global-norm clipping and the non-finite check
// need: sum of (scale x_i)^2 over n elements, accumulated in f64 (a square of an f32 is exact
// in f64, and no finite f32 input can overflow the sum). scale is 1, or a power of two that
// brings f64 values whose squares overflow back into range (src/optim/clip.ts).
// Summation order, which the reference twin reproduces: element i of the first
// blocked = n & ~15 goes to accumulator i & 15; the sixteen accumulators combine as
//   lane(j) = ((a[j] + a[j+2]) + (a[j+4] + a[j+6])) + ((a[j+8] + a[j+10]) + (a[j+12] + a[j+14])),
//   total = lane(0) + lane(1);
// the tail elements are then added one by one.
// Returns NaN when an element is NaN or infinite; +Infinity only when finite f64 inputs
// overflow the sum (|scale x| above about 1e154); otherwise the sum. The scan that tells these
// apart runs only when the sum is not finite.
// Memory contract: x holds n elements of T, 16-byte aligned.

import { bytes } from "./prologue";

/** The sum of (scale x_i)^2 described above; also the rescaled pass of f64_nrm2. */
// @ts-ignore: decorator
@inline
export function sumsq<T>(x: usize, n: i32, scale: f64): f64 {
  // Eight f64x2 accumulators: accumulator k holds elements 2k and 2k + 1 of each block of
  // 16, enough independent additions to hide the latency of f64x2.add.
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let a4 = f64x2.splat(0);
  let a5 = f64x2.splat(0);
  let a6 = f64x2.splat(0);
  let a7 = f64x2.splat(0);
  const s = f64x2.splat(scale);
  const blocked = n & ~15;
  for (let i = 0; i < blocked; i += 16) {
    const at = x + <usize>i * bytes<T>();
    a0 = f64x2.add(a0, pairSquared<T>(at, 0, s));
    a1 = f64x2.add(a1, pairSquared<T>(at, 1, s));
    a2 = f64x2.add(a2, pairSquared<T>(at, 2, s));
    a3 = f64x2.add(a3, pairSquared<T>(at, 3, s));
    a4 = f64x2.add(a4, pairSquared<T>(at, 4, s));
    a5 = f64x2.add(a5, pairSquared<T>(at, 5, s));
    a6 = f64x2.add(a6, pairSquared<T>(at, 6, s));
    a7 = f64x2.add(a7, pairSquared<T>(at, 7, s));
  }
  const pair = f64x2.add(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)), f64x2.add(f64x2.add(a4, a5), f64x2.add(a6, a7)));
  let total = f64x2.extract_lane(pair, 0) + f64x2.extract_lane(pair, 1);
  for (let i = blocked; i < n; i++) {
    const xi = <f64>load<T>(x + <usize>i * bytes<T>()) * scale;
    total += xi * xi;
  }
  if (isFinite<f64>(total)) return total;
  for (let i = 0; i < n; i++) {
    if (!isFinite<T>(load<T>(x + <usize>i * bytes<T>()))) return NaN;
  }
  return Infinity;
}

/** Elements 2k and 2k + 1 after `at`, widened to f64, scaled by s and squared. */
// @ts-ignore: decorator
@inline
function pairSquared<T>(at: usize, k: usize, s: v128): v128 {
  // f32: two elements per 64-bit load, widened without shuffles.
  const pair = sizeof<T>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(at + k * 8)) : v128.load(at + k * 16);
  const scaled = f64x2.mul(pair, s);
  return f64x2.mul(scaled, scaled);
}

export function f32_sumsq(x: usize, n: i32, scale: f64): f64 {
  return sumsq<f32>(x, n, scale);
}

export function f64_sumsq(x: usize, n: i32, scale: f64): f64 {
  return sumsq<f64>(x, n, scale);
}
