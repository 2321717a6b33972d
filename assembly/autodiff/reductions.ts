// Reductions to a scalar (sum and mean, MSE) and the MSE backward. The reductions widen each
// f32 input to f64 (exactly) and add in order in one f64 accumulator: a long sum does not drift,
// and the result is the same on every build and in the twin. The backward is v128.
// Memory contract: arrays hold n f32 each.

import { F32, blockedLength } from "../simd";

/** sum_i x_i in f64. */
export function f32_sum(x: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) sum += <f64>load<f32>(x + <usize>i * F32);
  return sum;
}

/** sum_i (a_i - b_i)^2 in f64 (the MSE numerator). */
export function f32_squared_distance(a: usize, b: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(a + <usize>i * F32) - <f64>load<f32>(b + <usize>i * F32);
    sum += d * d;
  }
  return sum;
}

/** y += c (a - b): the MSE backward, c = 2 g / n for a, -2 g / n for b. */
export function f32_add_scaled_difference(y: usize, a: usize, b: usize, c: f32, n: i32): void {
  const cv = f32x4.splat(c);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const d = f32x4.sub(v128.load(a + at), v128.load(b + at));
    v128.store(y + at, f32x4.add(v128.load(y + at), f32x4.mul(cv, d)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(y + at, load<f32>(y + at) + c * (load<f32>(a + at) - load<f32>(b + at)));
  }
}
