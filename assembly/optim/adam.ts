// Adam, Goodfellow et al. (2016), Algorithm 8.7 (Kingma & Ba 2015), fused into one pass:
//   g <- gradScale * g
//   s <- rho1 s + (1 - rho1) g                 first moment
//   r <- rho2 r + (1 - rho2) g * g             second moment
//   theta <- theta - lr * (s / (1 - rho1^t)) / (sqrt(r / (1 - rho2^t)) + delta)
// The moments are updated in lerp form, s <- s + (1 - rho1)(g - s), with 1 - rho computed
// by the facade in f64: forming 1 - rho2 in f32 from a rounded 0.999 would cost 1e-5
// relative error. The bias corrections arrive folded into two scalars,
//   stepSize = lr / (1 - rho1^t),  invSqrtBc2 = 1 / sqrt(1 - rho2^t),
// so theta -= stepSize * s / (sqrt(r) * invSqrtBc2 + delta): delta outside the square
// root, as in the book and PyTorch.
// Memory contract: p, g, s, r hold n f32 each, 16-byte aligned, pairwise disjoint.

import { F32, blockedLength } from "../simd";

export function f32_adam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f32, oneMinusRho1: f32, oneMinusRho2: f32, delta: f32, invSqrtBc2: f32, gradScale: f32,
): void {
  const stepSizeV = f32x4.splat(stepSize);
  const oneMinusRho1V = f32x4.splat(oneMinusRho1);
  const oneMinusRho2V = f32x4.splat(oneMinusRho2);
  const deltaV = f32x4.splat(delta);
  const invSqrtBc2V = f32x4.splat(invSqrtBc2);
  const gradScaleV = f32x4.splat(gradScale);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const gi = f32x4.mul(gradScaleV, v128.load(g + at));
    let si = v128.load(s + at);
    let ri = v128.load(r + at);
    si = f32x4.add(si, f32x4.mul(oneMinusRho1V, f32x4.sub(gi, si)));
    ri = f32x4.add(ri, f32x4.mul(oneMinusRho2V, f32x4.sub(f32x4.mul(gi, gi), ri)));
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(ri), invSqrtBc2V), deltaV);
    v128.store(s + at, si);
    v128.store(r + at, ri);
    v128.store(p + at, f32x4.sub(v128.load(p + at), f32x4.div(f32x4.mul(stepSizeV, si), denom)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const gi = gradScale * load<f32>(g + at);
    let si = load<f32>(s + at);
    let ri = load<f32>(r + at);
    si = si + oneMinusRho1 * (gi - si);
    ri = ri + oneMinusRho2 * (gi * gi - ri);
    const denom = Mathf.sqrt(ri) * invSqrtBc2 + delta;
    store<f32>(s + at, si);
    store<f32>(r + at, ri);
    store<f32>(p + at, load<f32>(p + at) - (stepSize * si) / denom);
  }
}
