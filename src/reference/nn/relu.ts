import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/nn/relu.ts: dy <- dy * [y > 0]. */
export function f32_relu_backward(h: Heap, dy: number, y: number, n: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) if (!(f32[(y >>> 2) + i]! > 0)) f32[(dy >>> 2) + i] = 0;
}
