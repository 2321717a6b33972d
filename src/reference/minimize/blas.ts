import type { Heap } from "../../runtime/heap";

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

/** max_i |x_i|; NaN if any element is NaN. */
export function f64_norm_inf(h: Heap, x: number, n: number): number {
  const f64 = h.f64;
  const X = x >>> 3;
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, Math.abs(f64[X + i]!));
  return best;
}

/** Euclidean norm. */
export function f64_nrm2(h: Heap, x: number, n: number): number {
  return Math.sqrt(f64_dot(h, x, x, n));
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
