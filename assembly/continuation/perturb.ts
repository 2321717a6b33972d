// Gaussian perturbations for continuation methods (Goodfellow et al. 2016, sec. 8.7): the
// noise e of J_sigma(theta) = E[J(theta + sigma e)], e ~ N(0, I), regenerated from its Philox
// position instead of stored, so the perturbation and the gradient estimate that reuses it
// cost no memory. z_i is the standard normal of the normal fills (words pos + 2i, pos + 2i + 1).
//   perturb:       out[i] = theta[i] + sigma z_i    (computed in f64, rounded once)
//   normal_axpy:   acc[i] = acc[i] + alpha z_i      (computed in f64, rounded once)
//   f32_scaled_add: acc[i] = acc[i] + alpha x[i]    (v128; the f64 one is assembly/minimize/blas.ts's)
// Memory contract: n elements each; out may alias theta; pos is even.

import { F32, blockedLength } from "../simd";
import { normalFill } from "../random/core";

/** out[i] = fl32(theta[i] + sigma z_i). */
export function f32_philox_perturb(out: usize, theta: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, sigma: f64): void {
  normalFill<f32>(out, theta, true, n, k0, k1, s0, s1, pos, 0, sigma);
}

/** out[i] = theta[i] + sigma z_i. */
export function f64_philox_perturb(out: usize, theta: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, sigma: f64): void {
  normalFill<f64>(out, theta, true, n, k0, k1, s0, s1, pos, 0, sigma);
}

/** acc[i] = fl32(acc[i] + alpha z_i). */
export function f32_philox_normal_axpy(acc: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, alpha: f64): void {
  normalFill<f32>(acc, acc, true, n, k0, k1, s0, s1, pos, 0, alpha);
}

/** acc[i] = acc[i] + alpha z_i. */
export function f64_philox_normal_axpy(acc: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, alpha: f64): void {
  normalFill<f64>(acc, acc, true, n, k0, k1, s0, s1, pos, 0, alpha);
}

/** acc[i] = acc[i] + alpha x[i] in f32. */
export function f32_scaled_add(acc: usize, x: usize, n: i32, alpha: f32): void {
  const alphaV = f32x4.splat(alpha);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    v128.store(acc + at, f32x4.add(v128.load(acc + at), f32x4.mul(alphaV, v128.load(x + at))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(acc + at, load<f32>(acc + at) + alpha * load<f32>(x + at));
  }
}
