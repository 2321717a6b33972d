// L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995, "A limited memory algorithm for bound constrained
// optimization", SIAM J. Sci. Comput. 16(5); with the subspace step of Morales & Nocedal 2011,
// "Remark on Algorithm 778", ACM TOMS 38(1)). The quasi-Newton matrix in compact form (eq. 3.2):
//   B = theta I - W M W',   W = [Y  theta S] (n x 2c),   M = [[-D, L'], [L, theta S'S]]^-1
// over the c stored pairs, oldest first: D = diag(s_k'y_k), L_kj = s_k'y_j for k > j. Kernels:
//   f64_lbfgsb_middle   the 2c x 2c matrix M^-1 ("the middle matrix") from S'S and S'Y
//   f64_gauss_solve     A X = B by Gaussian elimination with partial pivoting (small dense systems)
//   f64_lbfgsb_cauchy   the generalized Cauchy point: the first local minimizer of the quadratic
//                       model along the projected steepest-descent path P(x - t g) (Algorithm CP)
//   f64_lbfgsb_subspace the direction d = xbar - x, xbar minimizing the model over the variables
//                       free at the Cauchy point (direct primal method, Section 5.1), projected
//                       onto the box, or truncated when the projection is not a descent direction
// Memory contract: S and Y are ring buffers of m rows of n f64 (as for f64_lbfgs_direction); the
// c = count pairs are rows oldest, oldest + 1, ... (cyclically). SS and SY are m x m with
// SS[i m + j] = s_i's_j, SY[i m + j] = s_i'y_j by ring row. l, u, x, g, xcp and the scratch
// vectors hold n f64; `work` holds 8c f64, the Cauchy point's c vector (W'(xcp - x)) first.

import { F64 } from "../simd";
import { axpyAt, dotAt } from "./blas";

/** Ring row of pair k (0 = oldest). */
// @ts-ignore: decorator
@inline
function ringRow(k: i32, oldest: i32, m: i32): i32 {
  const row = oldest + k;
  return row >= m ? row - m : row;
}

// @ts-ignore: decorator
@inline
function at(base: usize, i: i32): usize {
  return base + <usize>i * F64;
}

/** The row of W' for column a: y of pair a for a < c, else s of pair a - c (times theta, see wScale). */
// @ts-ignore: decorator
@inline
function wRow(a: i32, S: usize, Y: usize, m: i32, count: i32, oldest: i32, n: i32): usize {
  const rowBytes = <usize>n * F64;
  return a < count ? Y + <usize>ringRow(a, oldest, m) * rowBytes : S + <usize>ringRow(a - count, oldest, m) * rowBytes;
}

// @ts-ignore: decorator
@inline
function wScale(a: i32, count: i32, theta: f64): f64 {
  return a < count ? 1 : theta;
}

/** A (2c x 2c, row-major) = [[-D, L'], [L, theta S'S]] for the `count` pairs from ring row `oldest`. */
export function f64_lbfgsb_middle(A: usize, SS: usize, SY: usize, m: i32, count: i32, oldest: i32, theta: f64): void {
  const size = 2 * count;
  for (let k = 0; k < count; k++) {
    const rk = ringRow(k, oldest, m);
    for (let j = 0; j < count; j++) {
      const rj = ringRow(j, oldest, m);
      // -D on the diagonal, zero above it; L below: s_k'y_j for k > j.
      const topLeft = k == j ? -load<f64>(at(SY, rk * m + rk)) : 0.0;
      const lower = k > j ? load<f64>(at(SY, rk * m + rj)) : 0.0; // L_kj
      const upper = j > k ? load<f64>(at(SY, rj * m + rk)) : 0.0; // (L')_kj = L_jk
      store<f64>(at(A, k * size + j), topLeft);
      store<f64>(at(A, k * size + count + j), upper);
      store<f64>(at(A, (count + k) * size + j), lower);
      store<f64>(at(A, (count + k) * size + count + j), theta * load<f64>(at(SS, rk * m + rj)));
    }
  }
}

/**
 * Solves A X = B in place by Gaussian elimination with partial pivoting (Golub & Van Loan 2013,
 * Alg. 3.4.1): A is n x n, B is n x k (row-major); X overwrites B, A is destroyed. Returns 0, or
 * j + 1 when column j has no nonzero finite pivot (A singular to working precision).
 */
export function f64_gauss_solve(A: usize, B: usize, n: i32, k: i32): i32 {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(load<f64>(at(A, r * n + col))) > Math.abs(load<f64>(at(A, pivot * n + col)))) pivot = r;
    }
    const p = load<f64>(at(A, pivot * n + col));
    if (p == 0 || !isFinite(p)) return col + 1;
    if (pivot != col) {
      swapRows(A, n, pivot, col);
      swapRows(B, k, pivot, col);
    }
    for (let r = col + 1; r < n; r++) {
      const factor = load<f64>(at(A, r * n + col)) / p;
      if (factor == 0) continue;
      axpyAt(at(A, r * n + col), -factor, at(A, col * n + col), n - col);
      axpyAt(at(B, r * k), -factor, at(B, col * k), k);
    }
  }
  for (let col = n - 1; col >= 0; col--) {
    for (let j = col + 1; j < n; j++) axpyAt(at(B, col * k), -load<f64>(at(A, col * n + j)), at(B, j * k), k);
    const inv = 1 / load<f64>(at(A, col * n + col));
    for (let j = 0; j < k; j++) store<f64>(at(B, col * k + j), inv * load<f64>(at(B, col * k + j)));
  }
  return 0;
}

function swapRows(A: usize, width: i32, r: i32, s: i32): void {
  for (let j = 0; j < width; j++) {
    const a = load<f64>(at(A, r * width + j));
    store<f64>(at(A, r * width + j), load<f64>(at(A, s * width + j)));
    store<f64>(at(A, s * width + j), a);
  }
}

/** out = M v for the 2c x 2c matrix M (row-major) and the 2c-vector v. */
function matVec(out: usize, M: usize, v: usize, size: i32): void {
  for (let a = 0; a < size; a++) store<f64>(at(out, a), dotAt(at(M, a * size), v, size));
}

/**
 * The generalized Cauchy point xcp (Byrd et al. 1995, Algorithm CP). Each variable moves along
 * -g until its bound, at breakpoint t_i; the breakpoints are visited in increasing order through
 * a binary heap, and on each segment the model's slope f' and curvature f'' are updated in O(c^2):
 * ```text
 * f'  <- f' + dt f'' + g_b^2 + theta g_b z_b - g_b w_b'M c
 * f'' <- f'' - theta g_b^2 - 2 g_b w_b'M p - g_b^2 w_b'M w_b,   p <- p + g_b w_b
 * ```
 * until the segment's minimizer -f'/f'' comes before its end. f'' is kept at least eps times its
 * first value (rounding can make it vanish). Scratch: `t` and `heap` (n f64 each: breakpoints and
 * the heap of indices), `dir` (n f64, the path's direction). Writes xcp and, at the start of
 * `work`, c = W'(xcp - x); returns the path parameter of xcp.
 */
export function f64_lbfgsb_cauchy(
  xcp: usize, x: usize, g: usize, l: usize, u: usize, S: usize, Y: usize, M: usize,
  work: usize, t: usize, heap: usize, dir: usize,
  m: i32, count: i32, oldest: i32, n: i32, theta: f64,
): f64 {
  const size = 2 * count;
  const c = work;
  const p = at(work, size);
  const wb = at(work, 2 * size);
  const Mw = at(work, 3 * size);
  let breaks = 0;
  let slope: f64 = 0; // f' = -d'd
  for (let i = 0; i < n; i++) {
    const gi = load<f64>(at(g, i));
    const xi = load<f64>(at(x, i));
    let ti: f64 = Infinity;
    if (gi < 0) ti = (xi - load<f64>(at(u, i))) / gi;
    else if (gi > 0) ti = (xi - load<f64>(at(l, i))) / gi;
    store<f64>(at(t, i), ti);
    store<f64>(at(xcp, i), xi);
    const di = ti == 0 ? 0.0 : -gi;
    store<f64>(at(dir, i), di);
    slope -= di * di;
    if (ti > 0 && ti < Infinity) store<f64>(at(heap, breaks++), <f64>i);
  }
  for (let a = 0; a < size; a++) {
    store<f64>(at(c, a), 0);
    store<f64>(at(p, a), wScale(a, count, theta) * dotAt(wRow(a, S, Y, m, count, oldest, n), dir, n));
  }
  if (slope == 0) return 0; // every variable is held by a bound (or g = 0): xcp = x
  matVec(Mw, M, p, size);
  let curvature = -theta * slope - dotAt(p, Mw, size);
  const curvatureFloor = 2.220446049250313e-16 * curvature;
  let dtMin = -slope / curvature;
  for (let k = breaks >> 1; k > 0; k--) siftDown(heap, t, k - 1, breaks);
  let tOld: f64 = 0;
  while (breaks > 0) {
    const b = <i32>load<f64>(heap);
    const tb = load<f64>(at(t, b));
    const dt = tb - tOld;
    if (dtMin < dt) break;
    // Variable b reaches its bound and stays there.
    breaks--;
    store<f64>(heap, load<f64>(at(heap, breaks)));
    siftDown(heap, t, 0, breaks);
    const db = load<f64>(at(dir, b));
    const bound = db > 0 ? load<f64>(at(u, b)) : load<f64>(at(l, b));
    const gb = load<f64>(at(g, b));
    const zb = bound - load<f64>(at(x, b));
    store<f64>(at(xcp, b), bound);
    store<f64>(at(dir, b), 0);
    axpyAt(c, dt, p, size);
    for (let a = 0; a < size; a++) {
      store<f64>(at(wb, a), wScale(a, count, theta) * load<f64>(at(wRow(a, S, Y, m, count, oldest, n), b)));
    }
    matVec(Mw, M, wb, size);
    slope += dt * curvature + gb * gb + theta * gb * zb - gb * dotAt(Mw, c, size);
    curvature -= theta * gb * gb + 2 * gb * dotAt(Mw, p, size) + gb * gb * dotAt(Mw, wb, size);
    curvature = max<f64>(curvatureFloor, curvature);
    axpyAt(p, gb, wb, size);
    dtMin = -slope / curvature;
    tOld = tb;
  }
  dtMin = max<f64>(dtMin, 0);
  const tEnd = tOld + dtMin;
  for (let i = 0; i < n; i++) {
    const di = load<f64>(at(dir, i));
    if (di != 0) {
      // Rounding must not carry x + tEnd d past a bound it has not reached.
      const xi = load<f64>(at(x, i)) + tEnd * di;
      store<f64>(at(xcp, i), min<f64>(max<f64>(xi, load<f64>(at(l, i))), load<f64>(at(u, i))));
    }
  }
  axpyAt(c, dtMin, p, size);
  return tEnd;
}

/** Restores the min-heap order below position k of the `count` indices at `heap`, keyed by t. */
function siftDown(heap: usize, t: usize, k: i32, count: i32): void {
  const item = load<f64>(at(heap, k));
  const key = load<f64>(at(t, <i32>item));
  for (;;) {
    let child = 2 * k + 1;
    if (child >= count) break;
    let childKey = load<f64>(at(t, <i32>load<f64>(at(heap, child))));
    if (child + 1 < count) {
      const rightKey = load<f64>(at(t, <i32>load<f64>(at(heap, child + 1))));
      if (rightKey < childKey) {
        child++;
        childKey = rightKey;
      }
    }
    if (!(childKey < key)) break;
    store<f64>(at(heap, k), load<f64>(at(heap, child)));
    k = child;
  }
  store<f64>(at(heap, k), item);
}

/**
 * The search direction d = xbar - x from the Cauchy point (f64_lbfgsb_cauchy's xcp and c in
 * `work`). With Z the variables strictly inside their bounds at xcp, the model restricted to
 * them has the reduced gradient r = Z'(g + theta (xcp - x) - W M c) and the minimizer
 * xcp + Z du (Byrd et al. 1995, eqs. 5.6-5.11, by Sherman-Morrison-Woodbury):
 * ```text
 * du = -r / theta - Z'W K^-1 W'Z r / theta^2,   K = M^-1 - W'Z Z'W / theta
 * ```
 * xbar is xcp + Z du projected onto the box when that is a descent direction (g'(xbar - x) < 0),
 * else xcp + alpha Z du with the largest alpha <= 1 that stays feasible (Morales & Nocedal
 * 2011). Returns 0 (projected), 1 (truncated) or 2 (K singular: xbar = xcp). Scratch: `A`
 * (4c^2 f64), `r` and `free` (n f64 each: the reduced gradient and the 0/1 mask of Z).
 */
export function f64_lbfgsb_subspace(
  d: usize, x: usize, g: usize, xcp: usize, l: usize, u: usize, S: usize, Y: usize,
  M: usize, SS: usize, SY: usize, A: usize, work: usize, r: usize, free: usize,
  m: i32, count: i32, oldest: i32, n: i32, theta: f64,
): i32 {
  const size = 2 * count;
  const c = work;
  const Mc = at(work, size);
  const v = at(work, 2 * size);
  for (let i = 0; i < n; i++) {
    const xi = load<f64>(at(xcp, i));
    const isFree = load<f64>(at(l, i)) < xi && xi < load<f64>(at(u, i));
    store<f64>(at(free, i), isFree ? 1.0 : 0.0);
    store<f64>(at(r, i), isFree ? load<f64>(at(g, i)) + theta * (xi - load<f64>(at(x, i))) : 0.0);
  }
  matVec(Mc, M, c, size);
  for (let a = 0; a < size; a++) {
    axpyMasked(r, -wScale(a, count, theta) * load<f64>(at(Mc, a)), wRow(a, S, Y, m, count, oldest, n), free, n);
  }
  // K = M^-1 - W'Z Z'W / theta, and v = W'Z r.
  f64_lbfgsb_middle(A, SS, SY, m, count, oldest, theta);
  for (let a = 0; a < size; a++) {
    const rowA = wRow(a, S, Y, m, count, oldest, n);
    const scaleA = wScale(a, count, theta);
    store<f64>(at(v, a), scaleA * dotAt(rowA, r, n));
    for (let b = 0; b <= a; b++) {
      const gram = (scaleA * wScale(b, count, theta) * maskedDot(rowA, wRow(b, S, Y, m, count, oldest, n), free, n)) / theta;
      store<f64>(at(A, a * size + b), load<f64>(at(A, a * size + b)) - gram);
      if (b != a) store<f64>(at(A, b * size + a), load<f64>(at(A, b * size + a)) - gram);
    }
  }
  if (f64_gauss_solve(A, v, size, 1) != 0) {
    for (let i = 0; i < n; i++) store<f64>(at(d, i), load<f64>(at(xcp, i)) - load<f64>(at(x, i)));
    return 2;
  }
  // du (in r, on the free variables) = -r / theta - W v / theta^2.
  const invTheta = 1 / theta;
  for (let i = 0; i < n; i++) store<f64>(at(r, i), -invTheta * load<f64>(at(r, i)));
  for (let a = 0; a < size; a++) {
    axpyMasked(r, -invTheta * invTheta * wScale(a, count, theta) * load<f64>(at(v, a)), wRow(a, S, Y, m, count, oldest, n), free, n);
  }
  let descent: f64 = 0;
  for (let i = 0; i < n; i++) {
    const target = min<f64>(max<f64>(load<f64>(at(xcp, i)) + load<f64>(at(r, i)), load<f64>(at(l, i))), load<f64>(at(u, i)));
    const di = target - load<f64>(at(x, i));
    store<f64>(at(d, i), di);
    descent += di * load<f64>(at(g, i));
  }
  if (descent < 0) return 0;
  let alpha: f64 = 1;
  for (let i = 0; i < n; i++) {
    const du = load<f64>(at(r, i));
    const xi = load<f64>(at(xcp, i));
    if (du < 0) alpha = min<f64>(alpha, (load<f64>(at(l, i)) - xi) / du);
    else if (du > 0) alpha = min<f64>(alpha, (load<f64>(at(u, i)) - xi) / du);
  }
  for (let i = 0; i < n; i++) {
    store<f64>(at(d, i), load<f64>(at(xcp, i)) + alpha * load<f64>(at(r, i)) - load<f64>(at(x, i)));
  }
  return 1;
}

/** y_i += a x_i where mask_i = 1 (mask holds 0 or 1). */
function axpyMasked(y: usize, a: f64, x: usize, mask: usize, n: i32): void {
  const av = f64x2.splat(a);
  const blocked = n & ~1;
  for (let i = 0; i < blocked; i += 2) {
    const o = <usize>i * F64;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(v128.load(mask + o), f64x2.mul(av, v128.load(x + o)))));
  }
  for (let i = blocked; i < n; i++) {
    const o = <usize>i * F64;
    store<f64>(y + o, load<f64>(y + o) + load<f64>(mask + o) * (a * load<f64>(x + o)));
  }
}

/** sum_i mask_i x_i y_i. */
function maskedDot(x: usize, y: usize, mask: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  const blocked = n & ~1;
  for (let i = 0; i < blocked; i += 2) {
    const o = <usize>i * F64;
    acc = f64x2.add(acc, f64x2.mul(v128.load(mask + o), f64x2.mul(v128.load(x + o), v128.load(y + o))));
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let i = blocked; i < n; i++) {
    const o = <usize>i * F64;
    sum += load<f64>(mask + o) * (load<f64>(x + o) * load<f64>(y + o));
  }
  return sum;
}
