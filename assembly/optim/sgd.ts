// Stochastic gradient descent, Goodfellow et al. (2016), Algorithm 8.1:
//   theta <- theta - lr * (gradScale * g)
// gradScale folds clipping and maximization into the same pass (1 for a plain step).
// Memory contract: p and g hold n f32 each, 16-byte aligned, and must not overlap.

import { F32, blockedLength } from "../simd";

export function f32_sgd_step(p: usize, g: usize, n: i32, lr: f32, gradScale: f32): void {
  const step = -lr * gradScale;
  const stepV = f32x4.splat(step);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    v128.store(p + at, f32x4.add(v128.load(p + at), f32x4.mul(stepV, v128.load(g + at))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(p + at, load<f32>(p + at) + step * load<f32>(g + at));
  }
}
