// L-BFGS two-loop recursion (Nocedal & Wright 2006, Algorithm 7.4): d = -H g, where H is the
// inverse-Hessian approximation built from the `count` newest pairs s_j = x_{j+1} - x_j,
// y_j = g_{j+1} - g_j, applied to H0 = gamma I (gamma = s'y / y'y of the newest pair, eq. 7.20):
//   q = -g;  for j newest..oldest:  a_j = rho_j s_j'q;  q -= a_j y_j
//   r = gamma q;  for j oldest..newest:  b = rho_j y_j'r;  r += (a_j - b) s_j;  d = r
// with rho_j = 1 / y_j's_j. Each update of q (or r) is fused with the dot product the next
// step needs, so the recursion makes 2 count + 1 passes over d instead of 4 count + 1.
// Memory contract: S and Y are ring buffers of m rows of n f64 (row j at S + 8 j n), the newest
// pair in row `newest`, the older ones in the rows before it (cyclically); rho holds m f64;
// alpha is m f64 of scratch; d (n f64) must not overlap the others; g is only read.

import { F64, blockedLength } from "../simd";

/** d = -H g by the two-loop recursion over `count` pairs of the ring buffers S, Y. */
export function f64_lbfgs_direction(
  d: usize, g: usize, S: usize, Y: usize, rho: usize, alpha: usize,
  m: i32, count: i32, newest: i32, n: i32, gamma: f64,
): void {
  const rowBytes = <usize>n * F64;
  if (count == 0) {
    scaleDot(d, -gamma, g, g, n);
    return;
  }
  // First loop, newest to oldest; sDotQ carries s_j'q for the row about to be used.
  let row = newest;
  let sDotQ = scaleDot(d, -1, g, S + <usize>row * rowBytes, n);
  for (let k = 0; k < count; k++) {
    const a = load<f64>(rho + <usize>row * F64) * sDotQ;
    store<f64>(alpha + <usize>row * F64, a);
    const nextRow = row == 0 ? m - 1 : row - 1;
    // On the last pass the fused dot (with the row before the oldest) is unused.
    sDotQ = axpyDot(d, -a, Y + <usize>row * rowBytes, S + <usize>nextRow * rowBytes, n);
    row = nextRow;
  }
  // row is now the slot before the oldest pair; step forward to the oldest.
  row = row == m - 1 ? 0 : row + 1;
  let yDotR = scaleDot(d, gamma, d, Y + <usize>row * rowBytes, n);
  for (let k = 0; k < count; k++) {
    const b = load<f64>(rho + <usize>row * F64) * yDotR;
    const nextRow = row == m - 1 ? 0 : row + 1;
    const c = load<f64>(alpha + <usize>row * F64) - b;
    yDotR = axpyDot(d, c, S + <usize>row * rowBytes, Y + <usize>nextRow * rowBytes, n);
    row = nextRow;
  }
}

/** q = a x (x may be q), returning w'q. */
// @ts-ignore: decorator
@inline
function scaleDot(q: usize, a: f64, x: usize, w: usize, n: i32): f64 {
  return updateDot(q, a, x, w, n, false);
}

/** q += a x, returning w'q of the updated q. */
// @ts-ignore: decorator
@inline
function axpyDot(q: usize, a: f64, x: usize, w: usize, n: i32): f64 {
  return updateDot(q, a, x, w, n, true);
}

/**
 * q = a x (+ q when `accumulate`), returning w'q of the new q: one pass for an update and the dot
 * product that follows it. `accumulate` is a constant at each inlined call, so its branch folds.
 */
// @ts-ignore: decorator
@inline
function updateDot(q: usize, a: f64, x: usize, w: usize, n: i32, accumulate: bool): f64 {
  const av = f64x2.splat(a);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F64;
    let q0 = f64x2.mul(av, v128.load(x + at));
    let q1 = f64x2.mul(av, v128.load(x + at, 16));
    if (accumulate) {
      q0 = f64x2.add(v128.load(q + at), q0);
      q1 = f64x2.add(v128.load(q + at, 16), q1);
    }
    v128.store(q + at, q0);
    v128.store(q + at, q1, 16);
    acc0 = f64x2.add(acc0, f64x2.mul(q0, v128.load(w + at)));
    acc1 = f64x2.add(acc1, f64x2.mul(q1, v128.load(w + at, 16)));
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    let qi = a * load<f64>(x + at);
    if (accumulate) qi = load<f64>(q + at) + qi;
    store<f64>(q + at, qi);
    sum += qi * load<f64>(w + at);
  }
  return sum;
}
