import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/autodiff/reductions.ts: sum_i x_i in f64, in order. */
export function f32_sum(h: Heap, x: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += h.f32[(x >>> 2) + i]!;
  return sum;
}

/** Reference twin: sum_i (a_i - b_i)^2 in f64, in order. */
export function f32_squared_distance(h: Heap, a: number, b: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = h.f32[(a >>> 2) + i]! - h.f32[(b >>> 2) + i]!;
    sum += d * d;
  }
  return sum;
}

/** Reference twin: y += c (a - b), each operation rounded to f32 as in the kernel. */
export function f32_add_scaled_difference(h: Heap, y: number, a: number, b: number, c: number, n: number): void {
  const f32 = h.f32;
  const cf = Math.fround(c);
  for (let i = 0; i < n; i++) {
    const d = Math.fround(f32[(a >>> 2) + i]! - f32[(b >>> 2) + i]!);
    f32[(y >>> 2) + i] = f32[(y >>> 2) + i]! + Math.fround(cf * d);
  }
}
