// Damped Cholesky factorization and solve for the Levenberg-Marquardt Newton method:
//   f64_cholesky_damped: L L' = H + alpha I (Cholesky-Crout by rows, Golub & Van Loan 2013,
//   Alg. 4.2.1 reordered so every inner product runs over two contiguous rows); returns 0, or
//   k + 1 when pivot k is not positive (or not finite): H + alpha I is not positive definite.
//   f64_cholesky_solve: x = (L L')^-1 b by forward substitution on rows of L, then back
//   substitution by columns of L' (= rows of L), each an axpy over a contiguous row.
// Memory contract: H and L are n x n row-major (only the lower triangle of L is written and read;
// L may be H itself); x and b hold n f64 and may be the same array.

import { F64 } from "../simd";
import { axpyAt, dotAt } from "./blas";

/** Lower-triangular L with L L' = H + alpha I; 0 on success, k + 1 if pivot k fails. */
export function f64_cholesky_damped(L: usize, H: usize, n: i32, alpha: f64): i32 {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < n; i++) {
    const Li = L + <usize>i * rowBytes;
    const Hi = H + <usize>i * rowBytes;
    for (let j = 0; j < i; j++) {
      const Lj = L + <usize>j * rowBytes;
      const v = (load<f64>(Hi + <usize>j * F64) - dotAt(Li, Lj, j)) / load<f64>(Lj + <usize>j * F64);
      store<f64>(Li + <usize>j * F64, v);
    }
    const pivot = load<f64>(Hi + <usize>i * F64) + alpha - dotAt(Li, Li, i);
    if (!(pivot > 0) || !isFinite(pivot)) return i + 1;
    store<f64>(Li + <usize>i * F64, Math.sqrt(pivot));
  }
  return 0;
}

/** x = (L L')^-1 b for the factor of f64_cholesky_damped; x may alias b. */
export function f64_cholesky_solve(x: usize, L: usize, b: usize, n: i32): void {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < n; i++) {
    const Li = L + <usize>i * rowBytes;
    const v = (load<f64>(b + <usize>i * F64) - dotAt(Li, x, i)) / load<f64>(Li + <usize>i * F64);
    store<f64>(x + <usize>i * F64, v);
  }
  for (let i = n - 1; i >= 0; i--) {
    const Li = L + <usize>i * rowBytes;
    const xi = load<f64>(x + <usize>i * F64) / load<f64>(Li + <usize>i * F64);
    store<f64>(x + <usize>i * F64, xi);
    axpyAt(x, -xi, Li, i);
  }
}
