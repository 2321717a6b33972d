import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/optim/sgd.ts: theta <- theta - lr * gradScale * g (book Alg. 8.1). */
export function f32_sgd_step(h: Heap, p: number, g: number, n: number, lr: number, gradScale: number): void {
  const f32 = h.f32;
  const P = p >>> 2;
  const G = g >>> 2;
  for (let i = 0; i < n; i++) f32[P + i] = f32[P + i]! - lr * gradScale * f32[G + i]!;
}
