import type { Heap } from "../../runtime/heap";
import { normalFill } from "../random/core";

// Reference twins of assembly/random/perturb.ts: Gaussian perturbations regenerated from their
// Philox position, and the f32 scaled add (the f64 one is in ../minimize/blas.ts).

/** out[i] = fl32(theta[i] + sigma z_i). */
export function f32_philox_perturb(h: Heap, out: number, theta: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, sigma: number): void {
  normalFill(h.f32, out >>> 2, theta >>> 2, n, k0, k1, s0, s1, pos, 0, sigma);
}

/** out[i] = theta[i] + sigma z_i. */
export function f64_philox_perturb(h: Heap, out: number, theta: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, sigma: number): void {
  normalFill(h.f64, out >>> 3, theta >>> 3, n, k0, k1, s0, s1, pos, 0, sigma);
}

/** acc[i] = fl32(acc[i] + alpha z_i). */
export function f32_philox_normal_axpy(h: Heap, acc: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, alpha: number): void {
  normalFill(h.f32, acc >>> 2, acc >>> 2, n, k0, k1, s0, s1, pos, 0, alpha);
}

/** acc[i] = acc[i] + alpha z_i. */
export function f64_philox_normal_axpy(h: Heap, acc: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, alpha: number): void {
  normalFill(h.f64, acc >>> 3, acc >>> 3, n, k0, k1, s0, s1, pos, 0, alpha);
}

/** acc[i] = fl32(acc[i] + fl32(alpha x[i])). */
export function f32_scaled_add(h: Heap, acc: number, x: number, n: number, alpha: number): void {
  const f32 = h.f32;
  const a = Math.fround(alpha);
  for (let i = 0; i < n; i++) f32[(acc >>> 2) + i] = f32[(acc >>> 2) + i]! + Math.fround(a * f32[(x >>> 2) + i]!);
}
