// Delta-bar-delta (Jacobs 1988; Goodfellow et al. 2016, section 8.5): a learning rate per
// parameter that grows additively while the gradient keeps the sign of its running average
// and shrinks multiplicatively when the sign flips. One fused pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   eta <- eta + kappa           if bar * x > 0
//   eta <- (1 - phi) * eta       if bar * x < 0   (unchanged when the product is 0)
//   theta <- theta0 - eta * x
//   bar <- (1 - theta_avg) * x + theta_avg * bar
// Memory contract: p, g, eta, bar hold n elements of T, 16-byte aligned, pairwise disjoint.

import { bytes, gradS, gradV, isPlain, lanes } from "./prologue";

// @ts-ignore: decorator
@inline
function dbdV<T>(
  p: usize, g: usize, eta: usize, bar: usize, at: usize, kappa: T, oneMinusPhi: T, avg: T, oneMinusAvg: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  const bari = v128.load(bar + at);
  const etai = v128.load(eta + at);
  const agree = v128.mul<T>(bari, xi);
  const shrunk = v128.bitselect(v128.mul<T>(v128.splat<T>(oneMinusPhi), etai), etai, v128.lt<T>(agree, v128.splat<T>(<T>0)));
  const etaNew = v128.bitselect(v128.add<T>(etai, v128.splat<T>(kappa)), shrunk, v128.gt<T>(agree, v128.splat<T>(<T>0)));
  v128.store(eta + at, etaNew);
  v128.store(p + at, v128.sub<T>(pi, v128.mul<T>(etaNew, xi)));
  v128.store(bar + at, v128.add<T>(v128.mul<T>(v128.splat<T>(oneMinusAvg), xi), v128.mul<T>(v128.splat<T>(avg), bari)));
}

// @ts-ignore: decorator
@inline
function dbdLoop<T>(
  p: usize, g: usize, eta: usize, bar: usize, n: i32, kappa: T, oneMinusPhi: T, avg: T, oneMinusAvg: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    dbdV<T>(
      p, g, eta, bar, <usize>i * bytes<T>(), kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1, pScale,
      FULL,
    );
    dbdV<T>(
      p, g, eta, bar, <usize>(i + L) * bytes<T>(), kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1,
      pScale, FULL,
    );
  }
  if (i < blocked) {
    dbdV<T>(
      p, g, eta, bar, <usize>i * bytes<T>(), kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1, pScale,
      FULL,
    );
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    const bari = load<T>(bar + at);
    let etai = load<T>(eta + at);
    const agree: T = bari * xi;
    if (agree > 0) etai = etai + kappa;
    else if (agree < 0) etai = oneMinusPhi * etai;
    store<T>(eta + at, etai);
    store<T>(p + at, pi - etai * xi);
    store<T>(bar + at, oneMinusAvg * xi + avg * bari);
  }
}

// @ts-ignore: decorator
@inline
function dbd<T>(
  p: usize, g: usize, eta: usize, bar: usize, n: i32, kappa: T, oneMinusPhi: T, avg: T, oneMinusAvg: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) {
    dbdLoop<T>(p, g, eta, bar, n, kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1, pScale, false);
  } else {
    dbdLoop<T>(p, g, eta, bar, n, kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1, pScale, true);
  }
}

export function f32_delta_bar_delta_step(
  p: usize, g: usize, eta: usize, bar: usize, n: i32, kappa: f32, oneMinusPhi: f32, avg: f32, oneMinusAvg: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  dbd<f32>(p, g, eta, bar, n, kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1, pScale);
}

export function f64_delta_bar_delta_step(
  p: usize, g: usize, eta: usize, bar: usize, n: i32, kappa: f64, oneMinusPhi: f64, avg: f64, oneMinusAvg: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  dbd<f64>(p, g, eta, bar, n, kappa, oneMinusPhi, avg, oneMinusAvg, gradScale, clip, l2, l1, pScale);
}
