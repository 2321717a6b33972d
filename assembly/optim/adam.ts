// Adam, Goodfellow et al. (2016) Algorithm 8.7 (Kingma & Ba 2015), AMSGrad (Reddi et al.
// 2018) and NAdam (Dozat 2016), each fused into one pass over theta, g and the moments:
//   x = prologue(g, theta)                      (see prologue.ts; theta0 = pScale * theta)
//   s <- s + (1 - rho1)(x - s)                  first moment (lerp form, = rho1 s + (1 - rho1) x)
//   r <- r + (1 - rho2)(x * x - r)              second moment
//   Adam:    theta <- theta0 - stepSize * s / (sqrt(r) * invSqrtBc2 + delta)
//   AMSGrad: rmax <- max(maxScale * r, rmax);  (pmax: a NaN in r comes through)
//             the denominator uses rmax in place of r
//   NAdam:   theta <- theta0 - (stepSize * s + gCoef * x) / (sqrt(r) * invSqrtBc2 + delta)
// The facade folds the bias corrections into the scalars (stepSize = lr / (1 - rho1^t),
// invSqrtBc2 = 1 / sqrt(1 - rho2^t); AMSGrad over raw r: maxScale = 1, over the corrected
// r_hat: maxScale = 1 / (1 - rho2^t) and invSqrtBc2 = 1; NAdam: the momentum-schedule
// coefficients) and computes 1 - rho in f64: 1 - rho2 formed in f32 from a rounded 0.999
// would carry 1e-5 relative error. delta sits outside the square root (book, PyTorch, tfjs).
// Memory contract: every buffer holds n elements of T, 16-byte aligned, pairwise disjoint.

import { pmaxS } from "./prologue";
import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state s, r, rmax; coefficients stepSize, gCoef,
// oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, maxScale; switches AMSGRAD, NESTEROV.
@unmanaged
class Adam<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, s: usize, r: usize, rmax: usize,
    stepSize: T, gCoef: T, oneMinusRho1: T, oneMinusRho2: T, delta: T, invSqrtBc2: T, maxScale: T, _c7: T,
    AMSGRAD: bool, NESTEROV: bool,
  ): v128 {
    let si = v128.load(s + at);
    let ri = v128.load(r + at);
    si = v128.add<T>(si, v128.mul<T>(v128.splat<T>(oneMinusRho1), v128.sub<T>(x, si)));
    ri = v128.add<T>(ri, v128.mul<T>(v128.splat<T>(oneMinusRho2), v128.sub<T>(v128.mul<T>(x, x), ri)));
    v128.store(s + at, si);
    v128.store(r + at, ri);
    let rd = ri;
    if (AMSGRAD) {
      rd = v128.pmax<T>(v128.mul<T>(v128.splat<T>(maxScale), ri), v128.load(rmax + at));
      v128.store(rmax + at, rd);
    }
    const denom = v128.add<T>(v128.mul<T>(v128.sqrt<T>(rd), v128.splat<T>(invSqrtBc2)), v128.splat<T>(delta));
    let num = v128.mul<T>(v128.splat<T>(stepSize), si);
    if (NESTEROV) num = v128.add<T>(num, v128.mul<T>(v128.splat<T>(gCoef), x));
    return v128.sub<T>(theta0, v128.div<T>(num, denom));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, s: usize, r: usize, rmax: usize,
    stepSize: T, gCoef: T, oneMinusRho1: T, oneMinusRho2: T, delta: T, invSqrtBc2: T, maxScale: T, _c7: T,
    AMSGRAD: bool, NESTEROV: bool,
  ): T {
    let si = load<T>(s + at);
    let ri = load<T>(r + at);
    si = si + oneMinusRho1 * (x - si);
    ri = ri + oneMinusRho2 * (x * x - ri);
    store<T>(s + at, si);
    store<T>(r + at, ri);
    let rd = ri;
    if (AMSGRAD) {
      rd = pmaxS<T>(maxScale * ri, load<T>(rmax + at));
      store<T>(rmax + at, rd);
    }
    const denom: T = sqrt<T>(rd) * invSqrtBc2 + delta;
    let num: T = stepSize * si;
    if (NESTEROV) num = num + gCoef * x;
    return theta0 - num / denom;
  }
}

export function f32_adam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f32, oneMinusRho1: f32, oneMinusRho2: f32, delta: f32, invSqrtBc2: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Adam<f32>>(p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, 1, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_adam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f64, oneMinusRho1: f64, oneMinusRho2: f64, delta: f64, invSqrtBc2: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Adam<f64>>(p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, 1, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f32_adam_step_amsgrad(
  p: usize, g: usize, s: usize, r: usize, rmax: usize, n: i32,
  stepSize: f32, oneMinusRho1: f32, oneMinusRho2: f32, delta: f32, invSqrtBc2: f32, maxScale: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Adam<f32>>(p, g, s, r, rmax, n, stepSize, 0, oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, maxScale, 0,
    gradScale, clip, l2, l1, pScale, true, false);
}

export function f64_adam_step_amsgrad(
  p: usize, g: usize, s: usize, r: usize, rmax: usize, n: i32,
  stepSize: f64, oneMinusRho1: f64, oneMinusRho2: f64, delta: f64, invSqrtBc2: f64, maxScale: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Adam<f64>>(p, g, s, r, rmax, n, stepSize, 0, oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, maxScale, 0,
    gradScale, clip, l2, l1, pScale, true, false);
}

export function f32_nadam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f32, gCoef: f32, oneMinusRho1: f32, oneMinusRho2: f32, delta: f32, invSqrtBc2: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Adam<f32>>(p, g, s, r, 0, n, stepSize, gCoef, oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, 1, 0,
    gradScale, clip, l2, l1, pScale, false, true);
}

export function f64_nadam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f64, gCoef: f64, oneMinusRho1: f64, oneMinusRho2: f64, delta: f64, invSqrtBc2: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Adam<f64>>(p, g, s, r, 0, n, stepSize, gCoef, oneMinusRho1, oneMinusRho2, delta, invSqrtBc2, 1, 0,
    gradScale, clip, l2, l1, pScale, false, true);
}
