// Objectives that live in linear memory, so a whole iteration of a minimizer stays in wasm:
// each kernel writes the gradient at g and returns the value at x.
//   f64_quadratic_fg:      f = 1/2 x'Ax - b'x,            g = Ax - b          (A n x n symmetric)
//   f64_diag_quadratic_fg: f = 1/2 sum a_i x_i^2 - b'x,   g = a * x - b
//   f64_least_squares_fg:  f = 1/2 |Ax - b|^2,            g = A'(Ax - b)       (A m x n; r: m scratch)
//   f64_logistic_fg:       f = sum_i softplus(z_i) - y_i z_i + lambda/2 |x|^2, z = A x,
//                          g = A'(sigmoid(z) - y) + lambda x     (labels y_i in {0, 1}; z: m scratch)
//   f64_rosenbrock_fg:     extended Rosenbrock (More, Garbow & Hillstrom 1981, problem 21), n even:
//                          f = sum_k 100 (x_2k+1 - x_2k^2)^2 + (1 - x_2k)^2 (0-based)
// and the pieces exact line searches and coordinate descent need:
//   f64_diag_dot(a, x, y, n) = sum a_i x_i y_i
//   f64_quadratic_coordinate_sweep: one cyclic pass of exact coordinate minimization of
//     1/2 x'Ax - b'x: x_i -= g_i / A_ii, then g += (step) A[:, i], keeping g = Ax - b current.
// Memory contract: row-major matrices; x, g and scratch pairwise disjoint.

import { F64, blockedLength } from "../simd";
import { axpyAt, dotAt } from "./blas";
import { expF64 } from "../math/exp";

/** 1/2 x'Ax - b'x with gradient Ax - b. */
export function f64_quadratic_fg(x: usize, g: usize, A: usize, b: usize, n: i32): f64 {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F64;
    store<f64>(g + at, dotAt(A + <usize>i * rowBytes, x, n) - load<f64>(b + at));
  }
  // x'Ax = x'(g + b), so f = 1/2 x'g - 1/2 b'x.
  return 0.5 * (dotAt(x, g, n) - dotAt(b, x, n));
}

/** 1/2 sum a_i x_i^2 - b'x with gradient a * x - b. */
export function f64_diag_quadratic_fg(x: usize, g: usize, a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  const blocked = blockedLength(n, 2);
  const half = f64x2.splat(0.5);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    const xi = v128.load(x + at);
    const bi = v128.load(b + at);
    const ax = f64x2.mul(v128.load(a + at), xi);
    v128.store(g + at, f64x2.sub(ax, bi));
    acc = f64x2.add(acc, f64x2.mul(xi, f64x2.sub(f64x2.mul(half, ax), bi)));
  }
  let f = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    const xi = load<f64>(x + at);
    const bi = load<f64>(b + at);
    const ax = load<f64>(a + at) * xi;
    store<f64>(g + at, ax - bi);
    f += xi * (0.5 * ax - bi);
  }
  return f;
}

/** 1/2 |Ax - b|^2 with gradient A'(Ax - b); r receives the residual Ax - b (m f64). */
export function f64_least_squares_fg(x: usize, g: usize, A: usize, b: usize, r: usize, m: i32, n: i32): f64 {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < m; i++) {
    const at = <usize>i * F64;
    store<f64>(r + at, dotAt(A + <usize>i * rowBytes, x, n) - load<f64>(b + at));
  }
  memory.fill(g, 0, rowBytes);
  for (let i = 0; i < m; i++) axpyAt(g, load<f64>(r + <usize>i * F64), A + <usize>i * rowBytes, n);
  return 0.5 * dotAt(r, r, m);
}

/** L2-regularized logistic loss of weights x on rows of A with 0/1 labels y; z: m f64 scratch. */
export function f64_logistic_fg(x: usize, g: usize, A: usize, y: usize, z: usize, m: i32, n: i32, lambda: f64): f64 {
  const rowBytes = <usize>n * F64;
  let f: f64 = 0;
  for (let i = 0; i < m; i++) {
    const at = <usize>i * F64;
    const zi = dotAt(A + <usize>i * rowBytes, x, n);
    const yi = load<f64>(y + at);
    // softplus(z) = max(z, 0) + log1p(exp(-|z|)) and sigmoid(z) without overflow for any z; exp is
    // ../math/exp's (within 2 ulp of Math.exp, whose lookup tables would add 2.6 KB to the module).
    const e = expF64(-Math.abs(zi));
    f += max<f64>(zi, 0) + Math.log1p(e) - yi * zi;
    const p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
    store<f64>(z + at, p - yi);
  }
  // g = lambda x, then g += (p_i - y_i) A_i per row.
  const lv = f64x2.splat(lambda);
  const blocked = blockedLength(n, 2);
  for (let j = 0; j < blocked; j += 2) {
    const at = <usize>j * F64;
    v128.store(g + at, f64x2.mul(lv, v128.load(x + at)));
  }
  for (let j = blocked; j < n; j++) store<f64>(g + <usize>j * F64, lambda * load<f64>(x + <usize>j * F64));
  for (let i = 0; i < m; i++) axpyAt(g, load<f64>(z + <usize>i * F64), A + <usize>i * rowBytes, n);
  return f + 0.5 * lambda * dotAt(x, x, n);
}

/** Extended Rosenbrock function (n even) and its gradient, two pairs per loop trip. */
export function f64_rosenbrock_fg(x: usize, g: usize, n: i32): f64 {
  const hundred = f64x2.splat(100);
  const one = f64x2.splat(1);
  const m400 = f64x2.splat(-400);
  const two = f64x2.splat(2);
  const m2 = f64x2.splat(-2);
  let acc = f64x2.splat(0);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F64;
    const v0 = v128.load(x + at); // [a0, b0]
    const v1 = v128.load(x + at, 16); // [a1, b1]
    const a = v128.shuffle<f64>(v0, v1, 0, 2);
    const b = v128.shuffle<f64>(v0, v1, 1, 3);
    const t = f64x2.sub(b, f64x2.mul(a, a));
    const u = f64x2.sub(one, a);
    acc = f64x2.add(acc, f64x2.add(f64x2.mul(hundred, f64x2.mul(t, t)), f64x2.mul(u, u)));
    const ga = f64x2.add(f64x2.mul(m400, f64x2.mul(t, a)), f64x2.mul(m2, u));
    const gb = f64x2.mul(f64x2.mul(two, hundred), t);
    v128.store(g + at, v128.shuffle<f64>(ga, gb, 0, 2));
    v128.store(g + at, v128.shuffle<f64>(ga, gb, 1, 3), 16);
  }
  let f = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let i = blocked; i + 1 < n; i += 2) {
    const at = <usize>i * F64;
    const a = load<f64>(x + at);
    const b = load<f64>(x + at, 8);
    const t = b - a * a;
    const u = 1 - a;
    f += 100 * (t * t) + u * u;
    store<f64>(g + at, -400 * (t * a) + -2 * u);
    store<f64>(g + at, 200 * t, 8);
  }
  return f;
}

/** sum_i a_i x_i y_i: the curvature d'Dd of a diagonal quadratic along d. */
export function f64_diag_dot(a: usize, x: usize, y: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  const blocked = blockedLength(n, 2);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + at), f64x2.mul(v128.load(x + at), v128.load(y + at))));
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    sum += load<f64>(a + at) * (load<f64>(x + at) * load<f64>(y + at));
  }
  return sum;
}

/**
 * One Gauss-Seidel sweep of exact coordinate minimization of 1/2 x'Ax - b'x with g = Ax - b on
 * entry and exit: for i = 0..n-1, t = -g_i / A_ii; x_i += t; g += t A[i, :] (A symmetric).
 * Returns max_i |t|, the largest coordinate step.
 */
export function f64_quadratic_coordinate_sweep(x: usize, g: usize, A: usize, n: i32): f64 {
  const rowBytes = <usize>n * F64;
  let largest: f64 = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F64;
    const row = A + <usize>i * rowBytes;
    const t = -load<f64>(g + at) / load<f64>(row + at);
    store<f64>(x + at, load<f64>(x + at) + t);
    axpyAt(g, t, row, n);
    largest = max<f64>(largest, Math.abs(t));
  }
  return largest;
}

/**
 * H = sum_i w_i A_i A_i' + lambda I for row-major A (m x n): the Hessian of least squares (w = 1)
 * and of logistic regression (w_i = p_i (1 - p_i)), built from rank-one row updates. A row
 * with w_i = 0 is skipped: zero weight excludes it, so even Inf or NaN in it (0 * Inf = NaN)
 * leaves H alone. Memory contract: H is n x n and disjoint from A and w.
 */
export function f64_weighted_gram(H: usize, A: usize, w: usize, m: i32, n: i32, lambda: f64): void {
  const rowBytes = <usize>n * F64;
  memory.fill(H, 0, <usize>n * rowBytes);
  for (let j = 0; j < n; j++) store<f64>(H + <usize>j * (rowBytes + F64), lambda);
  for (let i = 0; i < m; i++) {
    const Ai = A + <usize>i * rowBytes;
    const wi = load<f64>(w + <usize>i * F64);
    if (wi == 0) continue;
    for (let r = 0; r < n; r++) axpyAt(H + <usize>r * rowBytes, wi * load<f64>(Ai + <usize>r * F64), Ai, n);
  }
}

/** w_i = p_i (1 - p_i) with p_i = sigmoid(A_i'x): the logistic loss's curvature weights. */
export function f64_logistic_weights(w: usize, A: usize, x: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n * F64;
  for (let i = 0; i < m; i++) {
    const e = expF64(-Math.abs(dotAt(A + <usize>i * rowBytes, x, n)));
    // p (1 - p) = e / (1 + e)^2 for either sign of z.
    store<f64>(w + <usize>i * F64, e / ((1 + e) * (1 + e)));
  }
}
