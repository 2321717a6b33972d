import type { Heap } from "../../runtime/heap";

/**
 * Reference twin of assembly/minimize/bfgs.ts: H+ = (I - rho s y') H (I - rho y s') + rho s s'
 * (Nocedal & Wright eq. 6.17), computed as written with u = H y as scratch.
 */
export function f64_bfgs_update(h: Heap, H: number, s: number, y: number, u: number, n: number, rho: number): void {
  const f64 = h.f64;
  const [Hp, Sp, Yp, U] = [H >>> 3, s >>> 3, y >>> 3, u >>> 3];
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += f64[Hp + i * n + j]! * f64[Yp + j]!;
    f64[U + i] = sum;
  }
  let yu = 0;
  for (let i = 0; i < n; i++) yu += f64[Yp + i]! * f64[U + i]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const si = f64[Sp + i]!;
      const sj = f64[Sp + j]!;
      f64[Hp + i * n + j] = f64[Hp + i * n + j]! - rho * (si * f64[U + j]! + f64[U + i]! * sj) + (rho * rho * yu + rho) * si * sj;
    }
  }
}

/** Reference twin: A = gamma I (n x n). */
export function f64_scaled_identity(h: Heap, A: number, n: number, gamma: number): void {
  const f64 = h.f64;
  const Ap = A >>> 3;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) f64[Ap + i * n + j] = i === j ? gamma : 0;
}
