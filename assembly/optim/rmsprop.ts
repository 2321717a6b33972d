// RMSProp (Goodfellow et al. 2016, Algorithm 8.5; Hinton 2012), centered RMSProp (Graves
// 2013) and RMSProp with (Nesterov) momentum (Algorithm 8.6), fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   r  <- rho * r + (1 - rho) * x * x
//   centered: ga <- rho * ga + (1 - rho) * x;  v = max(r - ga * ga, 0);   otherwise v = r
//   (r - ga^2 is an EMA variance, >= 0 in exact arithmetic; rounding can take it below 0 when
//   the gradient barely varies, and sqrt would turn the step into NaN: the max restores v >= 0.)
//   d = sqrt(v + epsIn) + epsOut                  (one of epsIn, epsOut is 0)
//   u = x / d, and u = 0 where d = 0
//   momentum: b <- mu * b + k * u;  theta <- theta0 + a * b + c * u
//   none:     theta <- theta0 + c * u             (c = -lr)
// (k, a, c) choose the convention as in sgd.ts: lr inside the buffer (book, tfjs: k = -lr,
// a = 1, c = 0), outside it (PyTorch: k = 1, a = -lr, c = 0), Nesterov look-ahead (book:
// k = -lr, a = mu, c = -lr). eps inside the root: book and tfjs; outside: PyTorch.
// d = 0 only with eps = 0 (Algorithm 8.6 as the book writes it, no delta) and r = 0 after
// this step's update. In exact arithmetic r >= (1 - rho) x^2, so r = 0 means x = 0 and the
// step 0/0 is taken as 0 (the coordinate has seen no gradient, or only ones that decayed
// away). In floating point r = 0 with x != 0 needs (1 - rho) x^2 to underflow (|x| below
// about 2^-75 / sqrt(1 - rho) in f32, 2^-538 / sqrt(1 - rho) in f64): that step is 0 too, not
// x/0 = Infinity. With eps > 0, d > 0 and the mask changes nothing.
// Four exports share one signature; the variants without ga or b ignore those pointers.
// Memory contract: every buffer used holds n elements of T, 16-byte aligned, pairwise disjoint.

import { momentumS, momentumV, pmaxS } from "./prologue";
import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state r, ga, b; coefficients rho, oneMinusRho,
// epsIn, epsOut, mu, k, a, c; switches CENTERED, MOMENTUM.
@unmanaged
class RMSProp<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta: v128, x: v128, r: usize, ga: usize, b: usize,
    rho: T, oneMinusRho: T, epsIn: T, epsOut: T, mu: T, k: T, a: T, c: T, CENTERED: bool, MOMENTUM: bool,
  ): v128 {
    const ri = v128.add<T>(v128.mul<T>(v128.splat<T>(rho), v128.load(r + at)), v128.mul<T>(v128.splat<T>(oneMinusRho), v128.mul<T>(x, x)));
    v128.store(r + at, ri);
    let vi = ri;
    if (CENTERED) {
      const gai = v128.add<T>(v128.mul<T>(v128.splat<T>(rho), v128.load(ga + at)), v128.mul<T>(v128.splat<T>(oneMinusRho), x));
      v128.store(ga + at, gai);
      vi = v128.pmax<T>(v128.sub<T>(ri, v128.mul<T>(gai, gai)), v128.splat<T>(0));
    }
    const di = v128.add<T>(v128.sqrt<T>(v128.add<T>(vi, v128.splat<T>(epsIn))), v128.splat<T>(epsOut));
    const ui = v128.and(v128.div<T>(x, di), v128.ne<T>(di, v128.splat<T>(0))); // 0 where di = 0
    if (MOMENTUM) theta = momentumV<T>(b + at, theta, ui, mu, k, a);
    return v128.add<T>(theta, v128.mul<T>(v128.splat<T>(c), ui));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta: T, x: T, r: usize, ga: usize, b: usize,
    rho: T, oneMinusRho: T, epsIn: T, epsOut: T, mu: T, k: T, a: T, c: T, CENTERED: bool, MOMENTUM: bool,
  ): T {
    const ri: T = rho * load<T>(r + at) + oneMinusRho * (x * x);
    store<T>(r + at, ri);
    let vi = ri;
    if (CENTERED) {
      const gai: T = rho * load<T>(ga + at) + oneMinusRho * x;
      store<T>(ga + at, gai);
      vi = pmaxS<T>(ri - gai * gai, 0);
    }
    const di: T = sqrt<T>(vi + epsIn) + epsOut;
    const ui: T = di != 0 ? x / di : 0;
    if (MOMENTUM) theta = momentumS<T>(b + at, theta, ui, mu, k, a);
    return theta + c * ui;
  }
}

export function f32_rmsprop_step(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, RMSProp<f32>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_rmsprop_step(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, RMSProp<f64>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f32_rmsprop_step_centered(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, RMSProp<f32>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, true, false);
}

export function f64_rmsprop_step_centered(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, RMSProp<f64>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, true, false);
}

export function f32_rmsprop_step_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, RMSProp<f32>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, false, true);
}

export function f64_rmsprop_step_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, RMSProp<f64>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, false, true);
}

export function f32_rmsprop_step_centered_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, RMSProp<f32>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, true, true);
}

export function f64_rmsprop_step_centered_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, RMSProp<f64>>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
    gradScale, clip, l2, l1, pScale, true, true);
}
