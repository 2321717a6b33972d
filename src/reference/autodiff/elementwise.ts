import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/autodiff/elementwise.ts: y_ij = a_ij + b_j. */
export function f32_add_rows(h: Heap, y: number, a: number, b: number, rows: number, cols: number): void {
  const f32 = h.f32;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) f32[(y >>> 2) + i * cols + j] = f32[(a >>> 2) + i * cols + j]! + f32[(b >>> 2) + j]!;
  }
}

/** Reference twin: y += a * b (the product rounded to f32 before the sum, as in the kernel). */
export function f32_add_product(h: Heap, y: number, a: number, b: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) f32[(y >>> 2) + i] = f32[(y >>> 2) + i]! + Math.fround(f32[(a >>> 2) + i]! * f32[(b >>> 2) + i]!);
}

/** Reference twin: y = c x. */
export function f32_scale(h: Heap, y: number, x: number, c: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) f32[(y >>> 2) + i] = Math.fround(c) * f32[(x >>> 2) + i]!;
}

/** Reference twin: y += c. */
export function f32_add_constant(h: Heap, y: number, c: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) f32[(y >>> 2) + i] = f32[(y >>> 2) + i]! + Math.fround(c);
}
