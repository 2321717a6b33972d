// Adam, Goodfellow et al. (2016) Algorithm 8.7 (Kingma & Ba 2015), AMSGrad (Reddi et al.
// 2018) and NAdam (Dozat 2016), each fused into one pass over theta, g and the moments:
//   x = prologue(g, theta)                      (see prologue.ts; theta0 = pScale * theta)
//   s <- s + (1 - rho1)(x - s)                  first moment (lerp form, = rho1 s + (1 - rho1) x)
//   r <- r + (1 - rho2)(x * x - r)              second moment
//   Adam:    theta <- theta0 - stepSize * s / (sqrt(r + epsIn) * invSqrtBc2 + epsOut)
//   AMSGrad: rmax <- max(maxScale * r, rmax);  (pmax: a NaN in r comes through)
//             the denominator uses rmax in place of r
//   AMSGrad fed back (one buffer): r <- max(rho2 r + (1 - rho2) x * x, r), computed as
//             r <- r + (1 - rho2) max(x * x - r, 0): when x * x >= r both round the same
//             r + (1 - rho2)(x * x - r), which is >= r; otherwise both give r exactly.
//   NAdam:   theta <- theta0 - (stepSize * s + gCoef * x) / (sqrt(r) * invSqrtBc2 + epsOut)
// The facade folds the bias corrections into the scalars (stepSize = lr / (1 - rho1^t),
// invSqrtBc2 = 1 / sqrt(1 - rho2^t); AMSGrad over raw r: maxScale = 1, over the corrected
// r_hat: maxScale = 1 / (1 - rho2^t) and invSqrtBc2 = 1; NAdam: the momentum-schedule
// coefficients) and computes 1 - rho in f64: 1 - rho2 formed in f32 from a rounded 0.999
// would carry 1e-5 relative error. One of epsIn, epsOut is 0: delta outside the square root
// (book, PyTorch, tfjs) is epsOut; inside, sqrt(r_hat + delta) = sqrt(r + delta (1 - rho2^t))
// * invSqrtBc2, so epsIn = delta (1 - rho2^t).
// Memory contract: every buffer holds n elements of T, 16-byte aligned, pairwise disjoint.

import { pmaxS } from "./prologue";
import { update } from "./stream";

/** One Adam-family element update on a v128; AMSGRAD, NESTEROV and FED_BACK are compile-time. */
// @ts-ignore: decorator
@inline
function adamV<T>(
  at: usize, theta0: v128, x: v128, s: usize, r: usize, rmax: usize,
  stepSize: T, gCoef: T, oneMinusRho1: T, oneMinusRho2: T, epsOut: T, invSqrtBc2: T, maxScale: T, epsIn: T,
  AMSGRAD: bool, NESTEROV: bool, FED_BACK: bool,
): v128 {
  let si = v128.load(s + at);
  let ri = v128.load(r + at);
  si = v128.add<T>(si, v128.mul<T>(v128.splat<T>(oneMinusRho1), v128.sub<T>(x, si)));
  let innovation = v128.sub<T>(v128.mul<T>(x, x), ri);
  if (FED_BACK) innovation = v128.pmax<T>(innovation, v128.splat<T>(0));
  ri = v128.add<T>(ri, v128.mul<T>(v128.splat<T>(oneMinusRho2), innovation));
  v128.store(s + at, si);
  v128.store(r + at, ri);
  let rd = ri;
  if (AMSGRAD) {
    rd = v128.pmax<T>(v128.mul<T>(v128.splat<T>(maxScale), ri), v128.load(rmax + at));
    v128.store(rmax + at, rd);
  }
  const root = v128.sqrt<T>(v128.add<T>(rd, v128.splat<T>(epsIn)));
  const denom = v128.add<T>(v128.mul<T>(root, v128.splat<T>(invSqrtBc2)), v128.splat<T>(epsOut));
  let num = v128.mul<T>(v128.splat<T>(stepSize), si);
  if (NESTEROV) num = v128.add<T>(num, v128.mul<T>(v128.splat<T>(gCoef), x));
  return v128.sub<T>(theta0, v128.div<T>(num, denom));
}

/** adamV on one element: the same IEEE operations as one lane. */
// @ts-ignore: decorator
@inline
function adamS<T>(
  at: usize, theta0: T, x: T, s: usize, r: usize, rmax: usize,
  stepSize: T, gCoef: T, oneMinusRho1: T, oneMinusRho2: T, epsOut: T, invSqrtBc2: T, maxScale: T, epsIn: T,
  AMSGRAD: bool, NESTEROV: bool, FED_BACK: bool,
): T {
  let si = load<T>(s + at);
  let ri = load<T>(r + at);
  si = si + oneMinusRho1 * (x - si);
  let innovation: T = x * x - ri;
  if (FED_BACK) innovation = pmaxS<T>(innovation, 0);
  ri = ri + oneMinusRho2 * innovation;
  store<T>(s + at, si);
  store<T>(r + at, ri);
  let rd = ri;
  if (AMSGRAD) {
    rd = pmaxS<T>(maxScale * ri, load<T>(rmax + at));
    store<T>(rmax + at, rd);
  }
  const denom: T = sqrt<T>(rd + epsIn) * invSqrtBc2 + epsOut;
  let num: T = stepSize * si;
  if (NESTEROV) num = num + gCoef * x;
  return theta0 - num / denom;
}

// The rules for update<T, R> (stream.ts): state s, r, rmax; coefficients stepSize, gCoef,
// oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, maxScale, epsIn; switches AMSGRAD, NESTEROV.
@unmanaged
class Adam<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, s: usize, r: usize, rmax: usize,
    stepSize: T, gCoef: T, oneMinusRho1: T, oneMinusRho2: T, epsOut: T, invSqrtBc2: T, maxScale: T, epsIn: T,
    AMSGRAD: bool, NESTEROV: bool,
  ): v128 {
    return adamV<T>(at, theta0, x, s, r, rmax, stepSize, gCoef, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, maxScale, epsIn,
      AMSGRAD, NESTEROV, false);
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, s: usize, r: usize, rmax: usize,
    stepSize: T, gCoef: T, oneMinusRho1: T, oneMinusRho2: T, epsOut: T, invSqrtBc2: T, maxScale: T, epsIn: T,
    AMSGRAD: bool, NESTEROV: bool,
  ): T {
    return adamS<T>(at, theta0, x, s, r, rmax, stepSize, gCoef, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, maxScale, epsIn,
      AMSGRAD, NESTEROV, false);
  }
}

// AMSGrad with the maximum fed back into r (no rmax buffer); the switches are unused.
@unmanaged
class AdamFedBack<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, s: usize, r: usize, _rmax: usize,
    stepSize: T, _gCoef: T, oneMinusRho1: T, oneMinusRho2: T, epsOut: T, invSqrtBc2: T, _maxScale: T, epsIn: T,
    _A: bool, _B: bool,
  ): v128 {
    return adamV<T>(at, theta0, x, s, r, 0, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, 1, epsIn,
      false, false, true);
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, s: usize, r: usize, _rmax: usize,
    stepSize: T, _gCoef: T, oneMinusRho1: T, oneMinusRho2: T, epsOut: T, invSqrtBc2: T, _maxScale: T, epsIn: T,
    _A: bool, _B: bool,
  ): T {
    return adamS<T>(at, theta0, x, s, r, 0, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, 1, epsIn,
      false, false, true);
  }
}

export function f32_adam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f32, oneMinusRho1: f32, oneMinusRho2: f32, epsIn: f32, epsOut: f32, invSqrtBc2: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Adam<f32>>(p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, 1, epsIn,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_adam_step(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f64, oneMinusRho1: f64, oneMinusRho2: f64, epsIn: f64, epsOut: f64, invSqrtBc2: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Adam<f64>>(p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, 1, epsIn,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f32_adam_step_amsgrad(
  p: usize, g: usize, s: usize, r: usize, rmax: usize, n: i32,
  stepSize: f32, oneMinusRho1: f32, oneMinusRho2: f32, epsIn: f32, epsOut: f32, invSqrtBc2: f32, maxScale: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Adam<f32>>(p, g, s, r, rmax, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, maxScale, epsIn,
    gradScale, clip, l2, l1, pScale, true, false);
}

export function f64_adam_step_amsgrad(
  p: usize, g: usize, s: usize, r: usize, rmax: usize, n: i32,
  stepSize: f64, oneMinusRho1: f64, oneMinusRho2: f64, epsIn: f64, epsOut: f64, invSqrtBc2: f64, maxScale: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Adam<f64>>(p, g, s, r, rmax, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, maxScale, epsIn,
    gradScale, clip, l2, l1, pScale, true, false);
}

export function f32_adam_step_amsgrad_fed_back(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f32, oneMinusRho1: f32, oneMinusRho2: f32, epsIn: f32, epsOut: f32, invSqrtBc2: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, AdamFedBack<f32>>(p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, 1, epsIn,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_adam_step_amsgrad_fed_back(
  p: usize, g: usize, s: usize, r: usize, n: i32,
  stepSize: f64, oneMinusRho1: f64, oneMinusRho2: f64, epsIn: f64, epsOut: f64, invSqrtBc2: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, AdamFedBack<f64>>(p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsOut, invSqrtBc2, 1, epsIn,
    gradScale, clip, l2, l1, pScale, false, false);
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
