import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/autodiff/activations.ts: y = tanh(x). */
export function f32_tanh(h: Heap, y: number, x: number, n: number): void {
  for (let i = 0; i < n; i++) h.f32[(y >>> 2) + i] = Math.tanh(h.f32[(x >>> 2) + i]!);
}

/** Reference twin: dx += dy (1 - y^2), each operation rounded to f32 as in the kernel. */
export function f32_tanh_backward(h: Heap, dx: number, dy: number, y: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) {
    const v = f32[(y >>> 2) + i]!;
    const slope = Math.fround(1 - Math.fround(v * v));
    f32[(dx >>> 2) + i] = f32[(dx >>> 2) + i]! + Math.fround(f32[(dy >>> 2) + i]! * slope);
  }
}

/** Reference twin: y = 1 / (1 + exp(-x)) in f64, rounded once. */
export function f32_sigmoid(h: Heap, y: number, x: number, n: number): void {
  for (let i = 0; i < n; i++) h.f32[(y >>> 2) + i] = 1 / (1 + Math.exp(-h.f32[(x >>> 2) + i]!));
}

/** Reference twin: dx += dy y (1 - y), each operation rounded to f32 as in the kernel. */
export function f32_sigmoid_backward(h: Heap, dx: number, dy: number, y: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) {
    const v = f32[(y >>> 2) + i]!;
    const slope = Math.fround(v * Math.fround(1 - v));
    f32[(dx >>> 2) + i] = f32[(dx >>> 2) + i]! + Math.fround(f32[(dy >>> 2) + i]! * slope);
  }
}
