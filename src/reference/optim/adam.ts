import type { Heap } from "../../runtime/heap";

/**
 * Reference twin of assembly/optim/adam.ts (book Alg. 8.7), moments in lerp form:
 *   s <- s + (1 - rho1)(g - s);  r <- r + (1 - rho2)(g^2 - r)
 *   theta <- theta - stepSize * s / (sqrt(r) * invSqrtBc2 + delta)
 * with stepSize = lr / (1 - rho1^t) and invSqrtBc2 = 1 / sqrt(1 - rho2^t).
 */
export function f32_adam_step(
  h: Heap, p: number, g: number, s: number, r: number, n: number,
  stepSize: number, oneMinusRho1: number, oneMinusRho2: number, delta: number, invSqrtBc2: number, gradScale: number,
): void {
  const f32 = h.f32;
  const [P, G, S, R] = [p >>> 2, g >>> 2, s >>> 2, r >>> 2];
  for (let i = 0; i < n; i++) {
    const grad = gradScale * f32[G + i]!;
    const first = f32[S + i]! + oneMinusRho1 * (grad - f32[S + i]!);
    const second = f32[R + i]! + oneMinusRho2 * (grad * grad - f32[R + i]!);
    f32[S + i] = first;
    f32[R + i] = second;
    f32[P + i] = f32[P + i]! - (stepSize * first) / (Math.sqrt(second) * invSqrtBc2 + delta);
  }
}
