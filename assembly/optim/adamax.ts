// Adamax (Kingma & Ba 2015, Algorithm 2), fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   m <- m + (1 - rho1)(x - m)
//   u <- max(|x| + epsIn, rho2 * u)              (pmax: a NaN gradient comes through)
//   theta <- theta0 - stepSize * m / (u + epsOut),   stepSize = lr / (1 - rho1^t)
// PyTorch adds eps to |x| inside the max (epsOut = 0); tfjs adds it to u in the
// denominator (epsIn = 0).
// Memory contract: p, g, m, u hold n elements of T, 16-byte aligned, pairwise disjoint.

import { pmaxS } from "./prologue";
import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state m, u; coefficients stepSize, oneMinusRho1,
// rho2, epsIn, epsOut.
@unmanaged
class Adamax<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, m: usize, u: usize, _s2: usize,
    stepSize: T, oneMinusRho1: T, rho2: T, epsIn: T, epsOut: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): v128 {
    let mi = v128.load(m + at);
    mi = v128.add<T>(mi, v128.mul<T>(v128.splat<T>(oneMinusRho1), v128.sub<T>(x, mi)));
    const ui = v128.pmax<T>(v128.add<T>(v128.abs<T>(x), v128.splat<T>(epsIn)), v128.mul<T>(v128.splat<T>(rho2), v128.load(u + at)));
    v128.store(m + at, mi);
    v128.store(u + at, ui);
    return v128.sub<T>(theta0, v128.div<T>(v128.mul<T>(v128.splat<T>(stepSize), mi), v128.add<T>(ui, v128.splat<T>(epsOut))));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, m: usize, u: usize, _s2: usize,
    stepSize: T, oneMinusRho1: T, rho2: T, epsIn: T, epsOut: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): T {
    let mi = load<T>(m + at);
    mi = mi + oneMinusRho1 * (x - mi);
    const ui = pmaxS<T>(abs<T>(x) + epsIn, rho2 * load<T>(u + at));
    store<T>(m + at, mi);
    store<T>(u + at, ui);
    return theta0 - (stepSize * mi) / (ui + epsOut);
  }
}

export function f32_adamax_step(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: f32, oneMinusRho1: f32, rho2: f32, epsIn: f32, epsOut: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Adamax<f32>>(p, g, m, u, 0, n, stepSize, oneMinusRho1, rho2, epsIn, epsOut, 0, 0, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_adamax_step(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: f64, oneMinusRho1: f64, rho2: f64, epsIn: f64, epsOut: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Adamax<f64>>(p, g, m, u, 0, n, stepSize, oneMinusRho1, rho2, epsIn, epsOut, 0, 0, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}
