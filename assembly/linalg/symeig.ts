// Symmetric eigendecomposition by the cyclic Jacobi method (Golub & Van Loan 2013, Alg. 8.5.3),
// and the scaled eigenvectors that whitening and matrix square roots are built from.
//
//   f64_symeig(a, w, e, n, maxSweeps) -> sweeps, or -1 when maxSweeps did not suffice
//     a: n x n symmetric, row-major (destroyed: reduced to diagonal form)
//     w: the n eigenvalues, in decreasing order
//     e: n x n, row i = the unit eigenvector of w_i, so that A = e' diag(w) e
//   f64_eigvec_scale(out, e, w, m, n, shift, inverse)
//     out row i = e row i * sqrt(w_i + shift)     (inverse = 0)
//               = e row i / sqrt(w_i + shift)     (inverse = 1), for the first m rows
//
// Each rotation J(p, q) zeroes a_pq: tau = (a_qq - a_pp) / (2 a_pq), t = sign(tau) / (|tau| +
// sqrt(1 + tau^2)) (the smaller root of t^2 + 2 tau t - 1 = 0, so |angle| <= pi/4), c = 1 /
// sqrt(1 + t^2), s = t c; then rows p and q of A and of e turn by (c, s), A's columns p and q are
// copied from its rows (A stays symmetric), and a_pp -= t a_pq, a_qq += t a_pq, a_pq = 0. A pair is
// skipped (a_pq set to 0) when |a_pq| <= 2^-53 sqrt(|a_pp a_qq|), the threshold of Demmel & Veselic
// (1992) that keeps small eigenvalues to high relative accuracy; the sweeps end when one skips
// every pair. Convergence is quadratic: about 6-10 sweeps for n up to a few hundred.
// The row rotations run two f64 lanes per v128 with a scalar tail doing the same IEEE operations,
// so the result is bit-identical to the reference twin. O(n^3) per sweep; memory: a, w, e must not
// overlap; no alignment needed.

import { F64, blockedLength } from "../simd";

const NEGLIGIBLE: f64 = 1.1102230246251565e-16; // 2^-53

/** Cyclic Jacobi sweeps on the symmetric a (n x n); eigenvalues into w (decreasing), eigenvectors as rows of e. */
export function f64_symeig(a: usize, w: usize, e: usize, n: i32, maxSweeps: i32): i32 {
  setIdentity(e, n);
  let sweeps = -1;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    if (!sweepOnce(a, e, n)) {
      sweeps = sweep;
      break;
    }
  }
  sortDecreasing(a, w, e, n);
  return sweeps;
}

/** out_i = e_i (w_i + shift)^(1/2), or ^(-1/2) when inverse, for the first m rows of n values. */
export function f64_eigvec_scale(out: usize, e: usize, w: usize, m: i32, n: i32, shift: f64, inverse: i32): void {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < m; i++) {
    const root = Math.sqrt(load<f64>(w + <usize>i * F64) + shift);
    scaleRow(out + <usize>i * rowBytes, e + <usize>i * rowBytes, n, inverse ? 1.0 / root : root);
  }
}

/** One cyclic sweep over every pair p < q; false when every pair was negligible. */
function sweepOnce(a: usize, e: usize, n: i32): bool {
  const rowBytes = <usize>n * F64;
  let rotated = false;
  for (let p = 0; p < n - 1; p++) {
    for (let q = p + 1; q < n; q++) {
      const pq = a + <usize>p * rowBytes + <usize>q * F64;
      const qp = a + <usize>q * rowBytes + <usize>p * F64;
      const apq = load<f64>(pq);
      if (apq == 0) continue;
      const pp = a + <usize>p * rowBytes + <usize>p * F64;
      const qq = a + <usize>q * rowBytes + <usize>q * F64;
      const app = load<f64>(pp);
      const aqq = load<f64>(qq);
      if (Math.abs(apq) <= NEGLIGIBLE * Math.sqrt(Math.abs(app) * Math.abs(aqq))) {
        store<f64>(pq, 0);
        store<f64>(qp, 0);
        continue;
      }
      rotated = true;
      const t = tangent((aqq - app) / (2 * apq));
      const c = 1.0 / Math.sqrt(1 + t * t);
      const s = t * c;
      rotateRows(a + <usize>p * rowBytes, a + <usize>q * rowBytes, n, c, s);
      copyRowsToColumns(a, n, p, q);
      store<f64>(pp, app - t * apq);
      store<f64>(qq, aqq + t * apq);
      store<f64>(pq, 0);
      store<f64>(qp, 0);
      rotateRows(e + <usize>p * rowBytes, e + <usize>q * rowBytes, n, c, s);
    }
  }
  return rotated;
}

/** The smaller root of t^2 + 2 tau t - 1 = 0; 1 / (2 tau) where tau^2 would overflow. */
// @ts-ignore: decorator
@inline
function tangent(tau: f64): f64 {
  const size = Math.abs(tau);
  if (size > 1e150) return 0.5 / tau;
  const t = 1.0 / (size + Math.sqrt(1 + tau * tau));
  return tau < 0 ? -t : t;
}

/** x <- c x - s y and y <- s x + c y over n f64. */
// @ts-ignore: decorator
@inline
function rotateRows(x: usize, y: usize, n: i32, c: f64, s: f64): void {
  const cv = f64x2.splat(c);
  const sv = f64x2.splat(s);
  const blocked = blockedLength(n, 2);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    const xv = v128.load(x + at);
    const yv = v128.load(y + at);
    v128.store(x + at, f64x2.sub(f64x2.mul(cv, xv), f64x2.mul(sv, yv)));
    v128.store(y + at, f64x2.add(f64x2.mul(sv, xv), f64x2.mul(cv, yv)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    const xi = load<f64>(x + at);
    const yi = load<f64>(y + at);
    store<f64>(x + at, c * xi - s * yi);
    store<f64>(y + at, s * xi + c * yi);
  }
}

/** a_kp = a_pk and a_kq = a_qk for every k: the column half of the two-sided rotation. */
function copyRowsToColumns(a: usize, n: i32, p: i32, q: i32): void {
  const rowBytes = <usize>n * F64;
  const rowP = a + <usize>p * rowBytes;
  const rowQ = a + <usize>q * rowBytes;
  for (let k = 0; k < n; k++) {
    const rowK = a + <usize>k * rowBytes;
    store<f64>(rowK + <usize>p * F64, load<f64>(rowP + <usize>k * F64));
    store<f64>(rowK + <usize>q * F64, load<f64>(rowQ + <usize>k * F64));
  }
}

/** out <- scale * x over n f64. */
// @ts-ignore: decorator
@inline
function scaleRow(out: usize, x: usize, n: i32, scale: f64): void {
  const sv = f64x2.splat(scale);
  const blocked = blockedLength(n, 2);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    v128.store(out + at, f64x2.mul(sv, v128.load(x + at)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    store<f64>(out + at, scale * load<f64>(x + at));
  }
}

function setIdentity(e: usize, n: i32): void {
  memory.fill(e, 0, <usize>n * <usize>n * F64);
  for (let i = 0; i < n; i++) store<f64>(e + (<usize>i * <usize>n + <usize>i) * F64, 1);
}

/** w = diag(a) in decreasing order (selection sort), with the rows of e swapped alike. */
function sortDecreasing(a: usize, w: usize, e: usize, n: i32): void {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < n; i++) store<f64>(w + <usize>i * F64, load<f64>(a + <usize>i * rowBytes + <usize>i * F64));
  for (let i = 0; i < n - 1; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) if (load<f64>(w + <usize>j * F64) > load<f64>(w + <usize>best * F64)) best = j;
    if (best == i) continue;
    const wi = load<f64>(w + <usize>i * F64);
    store<f64>(w + <usize>i * F64, load<f64>(w + <usize>best * F64));
    store<f64>(w + <usize>best * F64, wi);
    swapRows(e + <usize>i * rowBytes, e + <usize>best * rowBytes, n);
  }
}

function swapRows(x: usize, y: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const at = <usize>k * F64;
    const xk = load<f64>(x + at);
    store<f64>(x + at, load<f64>(y + at));
    store<f64>(y + at, xk);
  }
}
