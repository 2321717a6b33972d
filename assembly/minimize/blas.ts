// f64 vector kernels of the minimizers: the dot products, scaled sums and norms every
// method spends its time in, two f64 lanes per v128 and four elements per loop trip
// (two independent accumulators hide the add latency), then a scalar tail.
//   f64_dot(x, y, n)              = sum_i x_i y_i
//   f64_axpby(out, a, x, b, y, n) : out_i = a x_i + b y_i     (out may alias x or y)
//   f64_scaled_add(acc, x, n, a)  : acc_i += a x_i            (the axpy of the two-loop, Cholesky,
//                                   Gram matrices, and continuation's gradient estimates)
//   f64_norm_inf(x, n)            = max_i |x_i|               (NaN if any x_i is NaN)
//   f64_nrm2(x, n)                = sqrt(sum_i x_i^2)          (rescaled where the squares overflow)
//   f64_gemv(y, A, x, m, n, alpha): y = alpha A x, A row-major m x n (y must not alias x)
// Memory contract: pointers are byte addresses of f64 arrays; v128 loads and stores need no
// alignment (rows of A start wherever n puts them), only speed favours 16-byte alignment.

import { sumsq } from "../optim/clip";
import { F64, blockedLength } from "../simd";

/** 2^-600: f64 values up to the largest (2^1024) scaled by it square to at most 2^848. */
const DOWN: f64 = reinterpret<f64>(0x1a70000000000000);

/** sum_i x_i y_i over n f64. */
export function f64_dot(x: usize, y: usize, n: i32): f64 {
  return dotAt(x, y, n);
}

/** out_i = a x_i + b y_i over n f64; out may alias x or y. */
export function f64_axpby(out: usize, a: f64, x: usize, b: f64, y: usize, n: i32): void {
  const av = f64x2.splat(a);
  const bv = f64x2.splat(b);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F64;
    const r0 = f64x2.add(f64x2.mul(av, v128.load(x + at)), f64x2.mul(bv, v128.load(y + at)));
    const r1 = f64x2.add(f64x2.mul(av, v128.load(x + at, 16)), f64x2.mul(bv, v128.load(y + at, 16)));
    v128.store(out + at, r0);
    v128.store(out + at, r1, 16);
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    store<f64>(out + at, a * load<f64>(x + at) + b * load<f64>(y + at));
  }
}

/** acc_i = acc_i + alpha x_i over n f64 (axpy); acc may be x itself. */
export function f64_scaled_add(acc: usize, x: usize, n: i32, alpha: f64): void {
  axpyAt(acc, alpha, x, n);
}

/** max_i |x_i| over n f64 (0 for n = 0); NaN when any element is NaN. */
export function f64_norm_inf(x: usize, n: i32): f64 {
  let m0 = f64x2.splat(0);
  let m1 = f64x2.splat(0);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F64;
    m0 = f64x2.max(m0, f64x2.abs(v128.load(x + at)));
    m1 = f64x2.max(m1, f64x2.abs(v128.load(x + at, 16)));
  }
  const m = f64x2.max(m0, m1);
  let best = max<f64>(f64x2.extract_lane(m, 0), f64x2.extract_lane(m, 1));
  for (let i = blocked; i < n; i++) best = max<f64>(best, Math.abs(load<f64>(x + <usize>i * F64)));
  return best;
}

/**
 * Euclidean norm of n f64. When the squares of finite values overflow (elements above ~1e154)
 * the vector is read again scaled by 2^-600, so every finite vector has its finite norm (up to
 * the f64 range); NaN when an element is NaN, otherwise Infinity when one is infinite.
 */
export function f64_nrm2(x: usize, n: i32): f64 {
  const squares = dotAt(x, x, n);
  if (squares < Infinity) return Math.sqrt(squares);
  const scaled = sumsq<f64>(x, n, DOWN); // NaN when an element is not finite
  return isNaN(scaled) ? Math.sqrt(squares) : Math.sqrt(scaled) / DOWN;
}

/** y = alpha A x for row-major A (m x n); y and x must not overlap. */
export function f64_gemv(y: usize, A: usize, x: usize, m: i32, n: i32, alpha: f64): void {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < m; i++) {
    store<f64>(y + <usize>i * F64, alpha * dotAt(A + <usize>i * rowBytes, x, n));
  }
}

/** The dot product loop shared by every kernel of this area. */
// @ts-ignore: decorator
@inline
export function dotAt(x: usize, y: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F64;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(x + at), v128.load(y + at)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(x + at, 16), v128.load(y + at, 16)));
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    sum += load<f64>(x + at) * load<f64>(y + at);
  }
  return sum;
}

/** y_i += a x_i over n f64: the loop of f64_scaled_add, inlined into the kernels built on it. */
// @ts-ignore: decorator
@inline
export function axpyAt(y: usize, a: f64, x: usize, n: i32): void {
  const av = f64x2.splat(a);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F64;
    v128.store(y + at, f64x2.add(v128.load(y + at), f64x2.mul(av, v128.load(x + at))));
    v128.store(y + at, f64x2.add(v128.load(y + at, 16), f64x2.mul(av, v128.load(x + at, 16))), 16);
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    store<f64>(y + at, load<f64>(y + at) + a * load<f64>(x + at));
  }
}
