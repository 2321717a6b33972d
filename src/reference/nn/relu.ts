import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/nn/relu.ts: y = max(x, 0), NaN to 0. */
export function f32_relu(h: Heap, y: number, x: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) {
    const v = f32[(x >>> 2) + i]!;
    f32[(y >>> 2) + i] = v > 0 ? v : 0;
  }
}

/** Reference twin of assembly/nn/relu.ts: dy <- dy * [y > 0]. */
export function f32_relu_backward(h: Heap, dy: number, y: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) if (!(f32[(y >>> 2) + i]! > 0)) f32[(dy >>> 2) + i] = 0;
}
