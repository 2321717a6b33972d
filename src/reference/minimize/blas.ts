import type { Heap } from "../../runtime/heap";
import { f64_sumsq } from "../optim/clip";

// Reference twins of assembly/minimize/blas.ts: plain loops over f64 views of the heap.

/** sum_i x_i y_i. */
export function f64_dot(h: Heap, x: number, y: number, n: number): number {
  const f64 = h.f64;
  const [X, Y] = [x >>> 3, y >>> 3];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f64[X + i]! * f64[Y + i]!;
  return sum;
}

/** out_i = a x_i + b y_i; out may alias x or y. */
export function f64_axpby(h: Heap, out: number, a: number, x: number, b: number, y: number, n: number): void {
  const f64 = h.f64;
  const [O, X, Y] = [out >>> 3, x >>> 3, y >>> 3];
  for (let i = 0; i < n; i++) f64[O + i] = a * f64[X + i]! + b * f64[Y + i]!;
}

/** acc_i = acc_i + alpha x_i. */
export function f64_scaled_add(h: Heap, acc: number, x: number, n: number, alpha: number): void {
  const f64 = h.f64;
  const [A, X] = [acc >>> 3, x >>> 3];
  for (let i = 0; i < n; i++) f64[A + i] = f64[A + i]! + alpha * f64[X + i]!;
}

/** max_i |x_i|; NaN if any element is NaN. */
export function f64_norm_inf(h: Heap, x: number, n: number): number {
  const f64 = h.f64;
  const X = x >>> 3;
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, Math.abs(f64[X + i]!));
  return best;
}

/** 2^-600: f64 values up to the largest (2^1024) scaled by it square to at most 2^848. */
const DOWN = 2 ** -600;

/** Euclidean norm; read again scaled by 2^-600 when the squares of finite values overflow. */
export function f64_nrm2(h: Heap, x: number, n: number): number {
  const squares = f64_dot(h, x, x, n);
  if (squares < Number.POSITIVE_INFINITY) return Math.sqrt(squares);
  const scaled = f64_sumsq(h, x, n, DOWN); // NaN when an element is not finite
  return Number.isNaN(scaled) ? Math.sqrt(squares) : Math.sqrt(scaled) / DOWN;
}

/** y = alpha A x, A row-major m x n. */
export function f64_gemv(h: Heap, y: number, A: number, x: number, m: number, n: number, alpha: number): void {
  const f64 = h.f64;
  const [Yp, Ap, X] = [y >>> 3, A >>> 3, x >>> 3];
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += f64[Ap + i * n + j]! * f64[X + j]!;
    f64[Yp + i] = alpha * sum;
  }
}
