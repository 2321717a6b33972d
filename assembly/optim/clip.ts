// The one extra read of the gradients that global-norm clipping and the non-finite check
// need: sum of x_i^2 over n elements, accumulated in f64 (a square of an f32 is exact in
// f64, and no finite f32 input can overflow the sum).
// Summation order, which the reference twin reproduces: element i of the first
// blocked = n & ~7 goes to accumulator i & 7; the eight accumulators combine as
//   ((a0 + a2) + (a4 + a6)) + ((a1 + a3) + (a5 + a7));
// the tail elements are then added one by one.
// Returns NaN when an element is NaN or infinite; +Infinity only when finite f64 inputs
// overflow the sum (|x| above about 1e154); otherwise the sum. The scan that tells these
// apart runs only when the sum is not finite.
// Memory contract: x holds n elements of T, 16-byte aligned.

import { bytes } from "./prologue";

// @ts-ignore: decorator
@inline
function square(x: v128): v128 {
  return f64x2.mul(x, x);
}

// @ts-ignore: decorator
@inline
function sumsq<T>(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  const blocked = n & ~7;
  for (let i = 0; i < blocked; i += 8) {
    const at = x + <usize>i * bytes<T>();
    if (sizeof<T>() == 4) {
      const lo = v128.load(at);
      const hi = v128.load(at, 16);
      a0 = f64x2.add(a0, square(f64x2.promote_low_f32x4(lo)));
      a1 = f64x2.add(a1, square(f64x2.promote_low_f32x4(v128.shuffle<f32>(lo, lo, 2, 3, 2, 3))));
      a2 = f64x2.add(a2, square(f64x2.promote_low_f32x4(hi)));
      a3 = f64x2.add(a3, square(f64x2.promote_low_f32x4(v128.shuffle<f32>(hi, hi, 2, 3, 2, 3))));
    } else {
      a0 = f64x2.add(a0, square(v128.load(at)));
      a1 = f64x2.add(a1, square(v128.load(at, 16)));
      a2 = f64x2.add(a2, square(v128.load(at, 32)));
      a3 = f64x2.add(a3, square(v128.load(at, 48)));
    }
  }
  const pair = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let total = f64x2.extract_lane(pair, 0) + f64x2.extract_lane(pair, 1);
  for (let i = blocked; i < n; i++) {
    const xi = <f64>load<T>(x + <usize>i * bytes<T>());
    total += xi * xi;
  }
  if (isFinite<f64>(total)) return total;
  for (let i = 0; i < n; i++) {
    if (!isFinite<T>(load<T>(x + <usize>i * bytes<T>()))) return NaN;
  }
  return Infinity;
}

export function f32_sumsq(x: usize, n: i32): f64 {
  return sumsq<f32>(x, n);
}

export function f64_sumsq(x: usize, n: i32): f64 {
  return sumsq<f64>(x, n);
}
