// Delta-bar-delta (Jacobs 1988; Goodfellow et al. 2016, section 8.5): a learning rate per
// parameter that grows additively while the gradient keeps the sign of its running average
// and shrinks multiplicatively when the sign flips. One fused pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   eta <- eta + kappa           if bar * x > 0
//   eta <- (1 - phi) * eta       if bar * x < 0   (unchanged when the product is 0)
//   theta <- theta0 - eta * x
//   bar <- (1 - theta_avg) * x + theta_avg * bar
// Memory contract: p, g, eta, bar hold n elements of T, 16-byte aligned, pairwise disjoint.

import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state eta, bar; coefficients kappa, oneMinusPhi,
// avg, oneMinusAvg.
@unmanaged
class DeltaBarDelta<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, eta: usize, bar: usize, _s2: usize,
    kappa: T, oneMinusPhi: T, avg: T, oneMinusAvg: T, _c4: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): v128 {
    const bari = v128.load(bar + at);
    const etai = v128.load(eta + at);
    const agree = v128.mul<T>(bari, x);
    const shrunk = v128.bitselect(v128.mul<T>(v128.splat<T>(oneMinusPhi), etai), etai, v128.lt<T>(agree, v128.splat<T>(<T>0)));
    const etaNew = v128.bitselect(v128.add<T>(etai, v128.splat<T>(kappa)), shrunk, v128.gt<T>(agree, v128.splat<T>(<T>0)));
    v128.store(eta + at, etaNew);
    v128.store(bar + at, v128.add<T>(v128.mul<T>(v128.splat<T>(oneMinusAvg), x), v128.mul<T>(v128.splat<T>(avg), bari)));
    return v128.sub<T>(theta0, v128.mul<T>(etaNew, x));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, eta: usize, bar: usize, _s2: usize,
    kappa: T, oneMinusPhi: T, avg: T, oneMinusAvg: T, _c4: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): T {
    const bari = load<T>(bar + at);
    let etai = load<T>(eta + at);
    const agree: T = bari * x;
    if (agree > 0) etai = etai + kappa;
    else if (agree < 0) etai = oneMinusPhi * etai;
    store<T>(eta + at, etai);
    store<T>(bar + at, oneMinusAvg * x + avg * bari);
    return theta0 - etai * x;
  }
}

export function f32_delta_bar_delta_step(
  p: usize, g: usize, eta: usize, bar: usize, n: i32, kappa: f32, oneMinusPhi: f32, avg: f32, oneMinusAvg: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, DeltaBarDelta<f32>>(p, g, eta, bar, 0, n, kappa, oneMinusPhi, avg, oneMinusAvg, 0, 0, 0, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_delta_bar_delta_step(
  p: usize, g: usize, eta: usize, bar: usize, n: i32, kappa: f64, oneMinusPhi: f64, avg: f64, oneMinusAvg: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, DeltaBarDelta<f64>>(p, g, eta, bar, 0, n, kappa, oneMinusPhi, avg, oneMinusAvg, 0, 0, 0, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}
