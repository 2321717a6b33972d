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
