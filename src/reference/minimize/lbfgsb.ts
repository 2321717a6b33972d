import type { Heap } from "../../runtime/heap";

// Reference twins of assembly/minimize/lbfgsb.ts (L-BFGS-B: Byrd, Lu, Nocedal & Zhu 1995; the
// subspace step of Morales & Nocedal 2011), written from the formulas with plain loops. Pair k
// (0 = oldest) is ring row (oldest + k) mod m of S and Y; W = [Y  theta S], column a of W is
// y of pair a for a < c and theta s of pair a - c.

/** A (2c x 2c) = [[-D, L'], [L, theta S'S]] from SS, SY (m x m by ring row). */
export function f64_lbfgsb_middle(h: Heap, A: number, SS: number, SY: number, m: number, count: number, oldest: number, theta: number): void {
  const f64 = h.f64;
  const [Ap, SSp, SYp] = [A >>> 3, SS >>> 3, SY >>> 3];
  const size = 2 * count;
  const row = (k: number) => (oldest + k) % m;
  for (let k = 0; k < count; k++) {
    for (let j = 0; j < count; j++) {
      const [rk, rj] = [row(k), row(j)];
      f64[Ap + k * size + j] = k === j ? -f64[SYp + rk * m + rk]! : 0;
      f64[Ap + k * size + count + j] = j > k ? f64[SYp + rj * m + rk]! : 0;
      f64[Ap + (count + k) * size + j] = k > j ? f64[SYp + rk * m + rj]! : 0;
      f64[Ap + (count + k) * size + count + j] = theta * f64[SSp + rk * m + rj]!;
    }
  }
}

/** A X = B in place by Gaussian elimination with partial pivoting; 0, or j + 1 for a failed pivot in column j. */
export function f64_gauss_solve(h: Heap, A: number, B: number, n: number, k: number): number {
  const f64 = h.f64;
  const [Ap, Bp] = [A >>> 3, B >>> 3];
  const a = (i: number, j: number) => Ap + i * n + j;
  const b = (i: number, j: number) => Bp + i * k + j;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(f64[a(r, col)]!) > Math.abs(f64[a(pivot, col)]!)) pivot = r;
    const p = f64[a(pivot, col)]!;
    if (p === 0 || !Number.isFinite(p)) return col + 1;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) [f64[a(pivot, j)], f64[a(col, j)]] = [f64[a(col, j)]!, f64[a(pivot, j)]!];
      for (let j = 0; j < k; j++) [f64[b(pivot, j)], f64[b(col, j)]] = [f64[b(col, j)]!, f64[b(pivot, j)]!];
    }
    for (let r = col + 1; r < n; r++) {
      const factor = f64[a(r, col)]! / p;
      if (factor === 0) continue;
      for (let j = col; j < n; j++) f64[a(r, j)] = f64[a(r, j)]! - factor * f64[a(col, j)]!;
      for (let j = 0; j < k; j++) f64[b(r, j)] = f64[b(r, j)]! - factor * f64[b(col, j)]!;
    }
  }
  for (let col = n - 1; col >= 0; col--) {
    for (let j = 0; j < k; j++) {
      let sum = f64[b(col, j)]!;
      for (let i = col + 1; i < n; i++) sum -= f64[a(col, i)]! * f64[b(i, j)]!;
      f64[b(col, j)] = sum / f64[a(col, col)]!;
    }
  }
  return 0;
}

/** Column a of W as a function of the variable index. */
function wColumn(f64: Float64Array, S: number, Y: number, m: number, count: number, oldest: number, n: number, theta: number) {
  return (a: number, i: number) =>
    a < count ? f64[(Y >>> 3) + ((oldest + a) % m) * n + i]! : theta * f64[(S >>> 3) + ((oldest + a - count) % m) * n + i]!;
}

/** M v for the square M (row-major) of v's length. */
const matVec = (M: Float64Array, v: Float64Array) => Float64Array.from(v, (_, a) => dot(M.subarray(a * v.length, (a + 1) * v.length), v));
const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
};

/**
 * The generalized Cauchy point (Byrd et al. 1995, Algorithm CP): xcp, c = W'(xcp - x) at the
 * start of `work`, and the path parameter of xcp returned. The breakpoints are visited in
 * increasing order (ties by index; the kernel's heap may take tied ones in another order). The
 * scratch t, heap and dir are not part of the contract.
 */
export function f64_lbfgsb_cauchy(
  h: Heap, xcp: number, x: number, g: number, l: number, u: number, S: number, Y: number, M: number,
  work: number, t: number, heap: number, dir: number,
  m: number, count: number, oldest: number, n: number, theta: number,
): number {
  const f64 = h.f64;
  const [XC, X, G, L, U, T, D] = [xcp >>> 3, x >>> 3, g >>> 3, l >>> 3, u >>> 3, t >>> 3, dir >>> 3];
  const size = 2 * count;
  const w = wColumn(f64, S, Y, m, count, oldest, n, theta);
  const Mat = f64.slice(M >>> 3, (M >>> 3) + size * size);
  const order: number[] = [];
  let slope = 0;
  for (let i = 0; i < n; i++) {
    const [gi, xi] = [f64[G + i]!, f64[X + i]!];
    const ti = gi < 0 ? (xi - f64[U + i]!) / gi : gi > 0 ? (xi - f64[L + i]!) / gi : Infinity;
    f64[T + i] = ti;
    f64[XC + i] = xi;
    const di = ti === 0 ? 0 : -gi;
    f64[D + i] = di;
    slope -= di * di;
    if (ti > 0 && ti < Infinity) order.push(i);
  }
  const c = new Float64Array(size);
  const p = new Float64Array(size);
  for (let a = 0; a < size; a++) for (let i = 0; i < n; i++) p[a]! += w(a, i) * f64[D + i]!;
  const finish = (tEnd: number, dtMin: number) => {
    for (let a = 0; a < size; a++) c[a]! += dtMin * p[a]!;
    f64.set(c, work >>> 3);
    return tEnd;
  };
  if (slope === 0) return finish(0, 0);
  let curvature = -theta * slope - dot(p, matVec(Mat, p));
  const floor = Number.EPSILON * curvature;
  let dtMin = -slope / curvature;
  order.sort((i, j) => f64[T + i]! - f64[T + j]! || i - j);
  let tOld = 0;
  for (const b of order) {
    const dt = f64[T + b]! - tOld;
    if (dtMin < dt) break;
    const bound = f64[D + b]! > 0 ? f64[U + b]! : f64[L + b]!;
    const gb = f64[G + b]!;
    const zb = bound - f64[X + b]!;
    f64[XC + b] = bound;
    f64[D + b] = 0;
    for (let a = 0; a < size; a++) c[a]! += dt * p[a]!;
    const wb = Float64Array.from({ length: size }, (_, a) => w(a, b));
    const Mw = matVec(Mat, wb);
    slope += dt * curvature + gb * gb + theta * gb * zb - gb * dot(Mw, c);
    curvature -= theta * gb * gb + 2 * gb * dot(Mw, p) + gb * gb * dot(Mw, wb);
    curvature = Math.max(floor, curvature);
    for (let a = 0; a < size; a++) p[a]! += gb * wb[a]!;
    dtMin = -slope / curvature;
    tOld = f64[T + b]!;
  }
  dtMin = Math.max(dtMin, 0);
  const tEnd = tOld + dtMin;
  for (let i = 0; i < n; i++) {
    const di = f64[D + i]!;
    if (di !== 0) f64[XC + i] = Math.min(Math.max(f64[X + i]! + tEnd * di, f64[L + i]!), f64[U + i]!);
  }
  return finish(tEnd, dtMin);
}

/**
 * The direction d = xbar - x from the Cauchy point (Byrd et al. 1995, Sec. 5.1; Morales & Nocedal
 * 2011): 0 projected subspace minimizer, 1 truncated, 2 K singular (xbar = xcp).
 */
export function f64_lbfgsb_subspace(
  h: Heap, d: number, x: number, g: number, xcp: number, l: number, u: number, S: number, Y: number,
  M: number, SS: number, SY: number, A: number, work: number, r: number, free: number,
  m: number, count: number, oldest: number, n: number, theta: number,
): number {
  const f64 = h.f64;
  const [Dp, X, G, XC, L, U, R, F] = [d >>> 3, x >>> 3, g >>> 3, xcp >>> 3, l >>> 3, u >>> 3, r >>> 3, free >>> 3];
  const size = 2 * count;
  const w = wColumn(f64, S, Y, m, count, oldest, n, theta);
  const Mat = f64.slice(M >>> 3, (M >>> 3) + size * size);
  const c = f64.slice(work >>> 3, (work >>> 3) + size);
  const Mc = matVec(Mat, c);
  const isFree = (i: number) => f64[L + i]! < f64[XC + i]! && f64[XC + i]! < f64[U + i]!;
  for (let i = 0; i < n; i++) {
    f64[F + i] = isFree(i) ? 1 : 0;
    let ri = 0;
    if (isFree(i)) {
      ri = f64[G + i]! + theta * (f64[XC + i]! - f64[X + i]!);
      for (let a = 0; a < size; a++) ri -= w(a, i) * Mc[a]!;
    }
    f64[R + i] = ri;
  }
  f64_lbfgsb_middle(h, A, SS, SY, m, count, oldest, theta);
  const Ap = A >>> 3;
  const v = new Float64Array(size);
  for (let a = 0; a < size; a++) {
    for (let i = 0; i < n; i++) v[a]! += w(a, i) * f64[R + i]!;
    for (let b = 0; b < size; b++) {
      let gram = 0;
      for (let i = 0; i < n; i++) if (f64[F + i] === 1) gram += w(a, i) * w(b, i);
      f64[Ap + a * size + b] = f64[Ap + a * size + b]! - gram / theta;
    }
  }
  const V = (work >>> 3) + 2 * size;
  f64.set(v, V);
  if (f64_gauss_solve(h, A, V << 3, size, 1) !== 0) {
    for (let i = 0; i < n; i++) f64[Dp + i] = f64[XC + i]! - f64[X + i]!;
    return 2;
  }
  for (let i = 0; i < n; i++) {
    let du = 0;
    if (f64[F + i] === 1) {
      du = -f64[R + i]! / theta;
      for (let a = 0; a < size; a++) du -= (w(a, i) * f64[V + a]!) / (theta * theta);
    }
    f64[R + i] = du;
  }
  let descent = 0;
  for (let i = 0; i < n; i++) {
    const target = Math.min(Math.max(f64[XC + i]! + f64[R + i]!, f64[L + i]!), f64[U + i]!);
    f64[Dp + i] = target - f64[X + i]!;
    descent += f64[Dp + i]! * f64[G + i]!;
  }
  if (descent < 0) return 0;
  let alpha = 1;
  for (let i = 0; i < n; i++) {
    const du = f64[R + i]!;
    if (du < 0) alpha = Math.min(alpha, (f64[L + i]! - f64[XC + i]!) / du);
    else if (du > 0) alpha = Math.min(alpha, (f64[U + i]! - f64[XC + i]!) / du);
  }
  for (let i = 0; i < n; i++) f64[Dp + i] = f64[XC + i]! + alpha * f64[R + i]! - f64[X + i]!;
  return 1;
}
