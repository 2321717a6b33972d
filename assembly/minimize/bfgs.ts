// BFGS update of the dense inverse-Hessian approximation (Nocedal & Wright 2006, eq. 6.17):
//   H+ = (I - rho s y') H (I - rho y s') + rho s s',   rho = 1 / y's,
// expanded for symmetric H with u = H y:
//   H+ = H - rho (s u' + u s') + (rho^2 y'u + rho) s s'
// so row i gains a_i u + b_i s with a_i = -rho s_i and b_i = -rho u_i + c s_i, c = rho^2 y'u + rho.
// The facade checks the curvature condition y's > 0 before calling.
// Memory contract: H is n x n row-major and symmetric; s, y, u hold n f64; u is scratch; none overlap.

import { F64, blockedLength } from "../simd";
import { dotAt } from "./blas";

/** In-place BFGS update of the inverse Hessian H with the pair (s, y); u is n f64 of scratch. */
export function f64_bfgs_update(H: usize, s: usize, y: usize, u: usize, n: i32, rho: f64): void {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < n; i++) store<f64>(u + <usize>i * F64, dotAt(H + <usize>i * rowBytes, y, n));
  const c = rho * rho * dotAt(y, u, n) + rho;
  for (let i = 0; i < n; i++) {
    const si = load<f64>(s + <usize>i * F64);
    const ui = load<f64>(u + <usize>i * F64);
    rank2Row(H + <usize>i * rowBytes, -rho * si, u, c * si - rho * ui, s, n);
  }
}

/** row += a u + b s in one pass over the row (H is read and written once per update). */
// @ts-ignore: decorator
@inline
function rank2Row(row: usize, a: f64, u: usize, b: f64, s: usize, n: i32): void {
  const av = f64x2.splat(a);
  const bv = f64x2.splat(b);
  const blocked = blockedLength(n, 2);
  for (let j = 0; j < blocked; j += 2) {
    const at = <usize>j * F64;
    const update = f64x2.add(f64x2.mul(av, v128.load(u + at)), f64x2.mul(bv, v128.load(s + at)));
    v128.store(row + at, f64x2.add(v128.load(row + at), update));
  }
  for (let j = blocked; j < n; j++) {
    const at = <usize>j * F64;
    store<f64>(row + at, load<f64>(row + at) + (a * load<f64>(u + at) + b * load<f64>(s + at)));
  }
}

/** A = gamma I for row-major n x n A: the initial inverse Hessian (Nocedal & Wright eq. 6.20 scaling). */
export function f64_scaled_identity(A: usize, n: i32, gamma: f64): void {
  memory.fill(A, 0, <usize>n * <usize>n * F64);
  const stride = (<usize>n + 1) * F64;
  for (let i = 0; i < n; i++) store<f64>(A + <usize>i * stride, gamma);
}
