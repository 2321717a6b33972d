// Orthogonal initialization (Saxe, McClelland & Ganguli, ICLR 2014): the Q factor of a
// Gaussian matrix, with signs fixed so that R has a positive diagonal, which makes Q
// Haar-distributed (Mezzadri 2007), scaled by a gain.
//
// Householder QR in f64 of A (m x n, m >= n), stored column-major: column j is contiguous at
// a + 8 j m. For k = 0..n-1, with x = A[k:, k]:
//   alpha_k = -sign(x_0) ||x||,  v = x - alpha_k e_1,  beta_k = 2 / v'v (0 when v = 0)
//   A[k:, j] -= beta_k (v'A[k:, j]) v   for j > k          (R_kk = alpha_k)
// then the thin Q by back-accumulation, Q = H_0 ... H_{n-1} [I_n; 0], and Q[:, j] *= sign(alpha_j).
// Output: with transposed = 0, out is m x n row-major (out[i n + j] = gain Q_ij); with
// transposed = 1 it is n x m row-major (rows orthonormal). Dot products sum even and odd
// elements in four partial sums (two f64x2 accumulators), combined in a fixed order that the
// twin repeats.
// Memory contract: a holds m n f64 (overwritten); work holds m n + 2 n f64; out is disjoint.

import { F64 } from "../simd";

/**
 * x'y with four partial sums in two f64x2 accumulators (elements 4i, 4i+1 and 4i+2, 4i+3),
 * a last pair into the first, then ((s0 + s2) + (s1 + s3)) plus an odd last element. Four
 * independent add chains hide the add latency; the twin sums in exactly this order.
 */
// @ts-ignore: decorator
@inline
function dot(x: usize, y: usize, len: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let t = 0;
  for (; t + 4 <= len; t += 4) {
    const at = <usize>t * F64;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(x + at), v128.load(y + at)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(x + at, 16), v128.load(y + at, 16)));
  }
  if (t + 2 <= len) {
    const at = <usize>t * F64;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(x + at), v128.load(y + at)));
    t += 2;
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (t < len) sum += load<f64>(x + <usize>t * F64) * load<f64>(y + <usize>t * F64);
  return sum;
}

/** y += alpha x over len elements. */
// @ts-ignore: decorator
@inline
function axpy(y: usize, x: usize, len: i32, alpha: f64): void {
  const alphaV = f64x2.splat(alpha);
  let t = 0;
  for (; t + 2 <= len; t += 2) {
    const at = <usize>t * F64;
    v128.store(y + at, f64x2.add(v128.load(y + at), f64x2.mul(alphaV, v128.load(x + at))));
  }
  if (t < len) {
    const at = <usize>t * F64;
    store<f64>(y + at, load<f64>(y + at) + alpha * load<f64>(x + at));
  }
}

/** QR of `a` in place and the sign-fixed thin Q into work[0 .. m n); returns nothing. */
function householderQ(a: usize, work: usize, m: i32, n: i32): void {
  const column = <usize>m * F64;
  const betas = work + <usize>m * <usize>n * F64;
  const alphas = betas + <usize>n * F64;
  for (let k = 0; k < n; k++) {
    const x = a + <usize>k * column + <usize>k * F64;
    const len = m - k;
    const norm = Math.sqrt(dot(x, x, len));
    const x0 = load<f64>(x);
    const alpha = x0 >= 0 ? -norm : norm;
    store<f64>(x, x0 - alpha);
    const vv = dot(x, x, len);
    const beta = vv > 0 ? 2.0 / vv : 0.0;
    store<f64>(alphas + <usize>k * F64, alpha);
    store<f64>(betas + <usize>k * F64, beta);
    for (let j = k + 1; j < n; j++) {
      const y = a + <usize>j * column + <usize>k * F64;
      axpy(y, x, len, -(beta * dot(x, y, len)));
    }
  }
  memory.fill(work, 0, <usize>m * <usize>n * F64);
  for (let j = 0; j < n; j++) store<f64>(work + <usize>j * column + <usize>j * F64, 1.0);
  for (let k = n - 1; k >= 0; k--) {
    const v = a + <usize>k * column + <usize>k * F64;
    const beta = load<f64>(betas + <usize>k * F64);
    const len = m - k;
    for (let j = k; j < n; j++) {
      const y = work + <usize>j * column + <usize>k * F64;
      axpy(y, v, len, -(beta * dot(v, y, len)));
    }
  }
}

/** out = gain Q (or gain Q'), Q the sign-fixed thin Q of the Gaussian `a`, rounded to T. */
// @ts-ignore: decorator
@inline
function orthogonal<T>(out: usize, a: usize, work: usize, m: i32, n: i32, transposed: i32, gain: f64): void {
  householderQ(a, work, m, n);
  const alphas = work + <usize>m * <usize>n * F64 + <usize>n * F64;
  for (let j = 0; j < n; j++) {
    const scale = load<f64>(alphas + <usize>j * F64) < 0 ? -gain : gain;
    const q = work + <usize>j * <usize>m * F64;
    for (let i = 0; i < m; i++) {
      const at = transposed ? <usize>j * <usize>m + <usize>i : <usize>i * <usize>n + <usize>j;
      store<T>(out + at * sizeof<T>(), <T>(scale * load<f64>(q + <usize>i * F64)));
    }
  }
}

/** Orthogonal f32 weights from the Gaussian `a` (m x n column-major f64, m >= n). */
export function f32_orthogonal(out: usize, a: usize, work: usize, m: i32, n: i32, transposed: i32, gain: f64): void {
  orthogonal<f32>(out, a, work, m, n, transposed, gain);
}

/** Orthogonal f64 weights: f32_orthogonal without the final rounding. */
export function f64_orthogonal(out: usize, a: usize, work: usize, m: i32, n: i32, transposed: i32, gain: f64): void {
  orthogonal<f64>(out, a, work, m, n, transposed, gain);
}
