// Adamax (Kingma & Ba 2015, Algorithm 2), fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   m <- m + (1 - rho1)(x - m)
//   u <- max(|x| + epsIn, rho2 * u)              (pmax: a NaN gradient comes through)
//   theta <- theta0 - stepSize * m / (u + epsOut),   stepSize = lr / (1 - rho1^t)
// PyTorch adds eps to |x| inside the max (epsOut = 0); tfjs adds it to u in the
// denominator (epsIn = 0).
// Memory contract: p, g, m, u hold n elements of T, 16-byte aligned, pairwise disjoint.

import { bytes, gradS, gradV, isPlain, lanes, pmaxS } from "./prologue";

// @ts-ignore: decorator
@inline
function adamaxV<T>(
  p: usize, g: usize, m: usize, u: usize, at: usize, stepSize: T, oneMinusRho1: T, rho2: T, epsIn: T, epsOut: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  let mi = v128.load(m + at);
  mi = v128.add<T>(mi, v128.mul<T>(v128.splat<T>(oneMinusRho1), v128.sub<T>(xi, mi)));
  const ui = v128.pmax<T>(v128.add<T>(v128.abs<T>(xi), v128.splat<T>(epsIn)), v128.mul<T>(v128.splat<T>(rho2), v128.load(u + at)));
  v128.store(m + at, mi);
  v128.store(u + at, ui);
  v128.store(p + at, v128.sub<T>(pi, v128.div<T>(v128.mul<T>(v128.splat<T>(stepSize), mi), v128.add<T>(ui, v128.splat<T>(epsOut)))));
}

// @ts-ignore: decorator
@inline
function adamaxLoop<T>(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: T, oneMinusRho1: T, rho2: T, epsIn: T, epsOut: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    adamaxV<T>(
      p, g, m, u, <usize>i * bytes<T>(), stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1,
      pScale, FULL,
    );
    adamaxV<T>(
      p, g, m, u, <usize>(i + L) * bytes<T>(), stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1,
      pScale, FULL,
    );
  }
  if (i < blocked) {
    adamaxV<T>(
      p, g, m, u, <usize>i * bytes<T>(), stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1,
      pScale, FULL,
    );
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    let mi = load<T>(m + at);
    mi = mi + oneMinusRho1 * (xi - mi);
    const ui = pmaxS<T>(abs<T>(xi) + epsIn, rho2 * load<T>(u + at));
    store<T>(m + at, mi);
    store<T>(u + at, ui);
    store<T>(p + at, pi - (stepSize * mi) / (ui + epsOut));
  }
}

// @ts-ignore: decorator
@inline
function adamax<T>(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: T, oneMinusRho1: T, rho2: T, epsIn: T, epsOut: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) {
    adamaxLoop<T>(p, g, m, u, n, stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1, pScale, false);
  } else {
    adamaxLoop<T>(p, g, m, u, n, stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1, pScale, true);
  }
}

export function f32_adamax_step(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: f32, oneMinusRho1: f32, rho2: f32, epsIn: f32, epsOut: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  adamax<f32>(p, g, m, u, n, stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1, pScale);
}

export function f64_adamax_step(
  p: usize, g: usize, m: usize, u: usize, n: i32, stepSize: f64, oneMinusRho1: f64, rho2: f64, epsIn: f64, epsOut: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  adamax<f64>(p, g, m, u, n, stepSize, oneMinusRho1, rho2, epsIn, epsOut, gradScale, clip, l2, l1, pScale);
}
