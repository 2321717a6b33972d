// Polyak averaging step, one fused pass (Polyak & Juditsky 1992; Goodfellow et al. 2016, 8.7.3):
//   avg <- avg + w (p - avg)
// Every average the facade keeps is this one lerp with a different weight w:
//   arithmetic mean of the iterates   theta_hat_t = (1/t) sum_i theta_i     w = 1/t
//   exponential moving average        theta_hat <- a theta_hat + (1 - a) p  w = 1 - a
//   debiased EMA (zero start / (1 - a^t))                                   w = (1 - a)/(1 - a^t)
// w arrives computed in f64 by the facade (the f32 kernel receives it rounded once). With
// w = 1 a zeroed avg becomes p (exactly, except that -0 becomes +0): how an average starts.
// SIMD body and scalar tail perform the same IEEE operations per lane (sub, mul, add; no
// fused multiply-add), so results are bit-identical to the reference twin.
// Memory contract: avg and p hold n elements, 16-byte aligned; they are disjoint or identical.

import { F32, F64, blockedLength } from "../simd";

export function f32_lerp_toward(avg: usize, p: usize, n: i32, w: f32): void {
  const wV = f32x4.splat(w);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const a = v128.load(avg + at);
    v128.store(avg + at, f32x4.add(a, f32x4.mul(wV, f32x4.sub(v128.load(p + at), a))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const a = load<f32>(avg + at);
    store<f32>(avg + at, a + w * (load<f32>(p + at) - a));
  }
}

export function f64_lerp_toward(avg: usize, p: usize, n: i32, w: f64): void {
  const wV = f64x2.splat(w);
  const blocked = blockedLength(n, 2);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    const a = v128.load(avg + at);
    v128.store(avg + at, f64x2.add(a, f64x2.mul(wV, f64x2.sub(v128.load(p + at), a))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    const a = load<f64>(avg + at);
    store<f64>(avg + at, a + w * (load<f64>(p + at) - a));
  }
}
