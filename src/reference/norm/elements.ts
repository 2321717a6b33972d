import type { Heap } from "../../runtime/heap";

/**
 * Element access for the normalization twins, which are written once for both dtypes:
 * `data` is the heap viewed as the kernel's element type and `at(ptr)` turns a byte
 * address into an index of it. Statistics buffers are always f64 (`stats`).
 */
export interface Elements {
  data: Float32Array | Float64Array;
  at(ptr: number): number;
  stats: Float64Array;
}

export function f32Elements(h: Heap): Elements {
  return { data: h.f32, at: (ptr) => ptr >>> 2, stats: h.f64 };
}

export function f64Elements(h: Heap): Elements {
  return { data: h.f64, at: (ptr) => ptr >>> 3, stats: h.f64 };
}

/**
 * A kernel twin for one dtype: `fn` written once over Elements, bound to the f32 or f64
 * view of the heap at each call (views are rebuilt after the memory grows).
 */
export function twin<A extends number[]>(
  elements: (h: Heap) => Elements,
  fn: (e: Elements, ...args: A) => void,
): (h: Heap, ...args: A) => void {
  return (h, ...args) => fn(elements(h), ...args);
}

/**
 * Mean and biased variance of `values` in f64, two-pass, with the mean in two parts as the
 * kernels keep it: shift K (the first value) + offset sum (x - K) / n, and deviations taken as
 * (x - K) - offset. So a constant batch, even of 1e30, gives its value and variance 0 exactly
 * (sum x / n would round the mean off the data and report a variance of its rounding error),
 * and nearly constant data (spread 1e-11 of the offset) keep the variance's digits that a
 * mean rounded to one f64 would lose. Empty: mean 0, variance 0.
 */
export function shiftedMoments(values: ArrayLike<number>): { mean: number; variance: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, variance: 0 };
  const shift = values[0]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]! - shift;
  const offset = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - shift - offset) ** 2;
  return { mean: shift + offset, variance: squares / n };
}
