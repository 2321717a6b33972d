// RMSProp (Goodfellow et al. 2016, Algorithm 8.5; Hinton 2012), centered RMSProp (Graves
// 2013) and RMSProp with (Nesterov) momentum (Algorithm 8.6), fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   r  <- rho * r + (1 - rho) * x * x
//   centered: ga <- rho * ga + (1 - rho) * x;  v = max(r - ga * ga, 0);   otherwise v = r
//   (r - ga^2 is an EMA variance, >= 0 in exact arithmetic; rounding can take it below 0 when
//   the gradient barely varies, and sqrt would turn the step into NaN: the max restores v >= 0.)
//   u = x / (sqrt(v + epsIn) + epsOut)            (one of epsIn, epsOut is 0)
//   momentum: b <- mu * b + k * u;  theta <- theta0 + a * b + c * u
//   none:     theta <- theta0 + c * u             (c = -lr)
// (k, a, c) choose the convention as in sgd.ts: lr inside the buffer (book, tfjs: k = -lr,
// a = 1, c = 0), outside it (PyTorch: k = 1, a = -lr, c = 0), Nesterov look-ahead (book:
// k = -lr, a = mu, c = -lr). eps inside the root: book and tfjs; outside: PyTorch.
// Four exports share one signature; the variants without ga or b ignore those pointers.
// Memory contract: every buffer used holds n elements of T, 16-byte aligned, pairwise disjoint.

import { bytes, gradS, gradV, isPlain, lanes, momentumS, momentumV, pmaxS } from "./prologue";

// @ts-ignore: decorator
@inline
function rmspropV<T>(
  p: usize, g: usize, r: usize, ga: usize, b: usize, at: usize,
  rho: T, oneMinusRho: T, epsIn: T, epsOut: T, mu: T, k: T, a: T, c: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, CENTERED: bool, MOMENTUM: bool, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  const ri = v128.add<T>(v128.mul<T>(v128.splat<T>(rho), v128.load(r + at)), v128.mul<T>(v128.splat<T>(oneMinusRho), v128.mul<T>(xi, xi)));
  v128.store(r + at, ri);
  let vi = ri;
  if (CENTERED) {
    const gai = v128.add<T>(v128.mul<T>(v128.splat<T>(rho), v128.load(ga + at)), v128.mul<T>(v128.splat<T>(oneMinusRho), xi));
    v128.store(ga + at, gai);
    vi = v128.pmax<T>(v128.sub<T>(ri, v128.mul<T>(gai, gai)), v128.splat<T>(0));
  }
  const ui = v128.div<T>(xi, v128.add<T>(v128.sqrt<T>(v128.add<T>(vi, v128.splat<T>(epsIn))), v128.splat<T>(epsOut)));
  if (MOMENTUM) pi = momentumV<T>(b + at, pi, ui, mu, k, a);
  v128.store(p + at, v128.add<T>(pi, v128.mul<T>(v128.splat<T>(c), ui)));
}

// @ts-ignore: decorator
@inline
function rmspropLoop<T>(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: T, oneMinusRho: T, epsIn: T, epsOut: T, mu: T, k: T, a: T, c: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, CENTERED: bool, MOMENTUM: bool, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    rmspropV<T>(
      p, g, r, ga, b, <usize>i * bytes<T>(), rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1,
      pScale, CENTERED, MOMENTUM, FULL,
    );
    rmspropV<T>(
      p, g, r, ga, b, <usize>(i + L) * bytes<T>(), rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2,
      l1, pScale, CENTERED, MOMENTUM, FULL,
    );
  }
  if (i < blocked) {
    rmspropV<T>(
      p, g, r, ga, b, <usize>i * bytes<T>(), rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1,
      pScale, CENTERED, MOMENTUM, FULL,
    );
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    const ri: T = rho * load<T>(r + at) + oneMinusRho * (xi * xi);
    store<T>(r + at, ri);
    let vi = ri;
    if (CENTERED) {
      const gai: T = rho * load<T>(ga + at) + oneMinusRho * xi;
      store<T>(ga + at, gai);
      vi = pmaxS<T>(ri - gai * gai, 0);
    }
    const ui: T = xi / (sqrt<T>(vi + epsIn) + epsOut);
    if (MOMENTUM) pi = momentumS<T>(b + at, pi, ui, mu, k, a);
    store<T>(p + at, pi + c * ui);
  }
}

// @ts-ignore: decorator
@inline
function rmsprop<T>(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: T, oneMinusRho: T, epsIn: T, epsOut: T, mu: T, k: T, a: T, c: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, CENTERED: bool, MOMENTUM: bool,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) {
    rmspropLoop<T>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
      gradScale, clip, l2, l1, pScale, CENTERED, MOMENTUM, false);
  } else {
    rmspropLoop<T>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c,
      gradScale, clip, l2, l1, pScale, CENTERED, MOMENTUM, true);
  }
}

export function f32_rmsprop_step(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  rmsprop<f32>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_rmsprop_step(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  rmsprop<f64>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, false, false);
}

export function f32_rmsprop_step_centered(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  rmsprop<f32>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, true, false);
}

export function f64_rmsprop_step_centered(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  rmsprop<f64>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, true, false);
}

export function f32_rmsprop_step_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  rmsprop<f32>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, false, true);
}

export function f64_rmsprop_step_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  rmsprop<f64>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, false, true);
}

export function f32_rmsprop_step_centered_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f32, oneMinusRho: f32, epsIn: f32, epsOut: f32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  rmsprop<f32>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, true, true);
}

export function f64_rmsprop_step_centered_momentum(
  p: usize, g: usize, r: usize, ga: usize, b: usize, n: i32,
  rho: f64, oneMinusRho: f64, epsIn: f64, epsOut: f64, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  rmsprop<f64>(p, g, r, ga, b, n, rho, oneMinusRho, epsIn, epsOut, mu, k, a, c, gradScale, clip, l2, l1, pScale, true, true);
}
