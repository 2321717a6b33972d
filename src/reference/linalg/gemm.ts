import type { Heap } from "../../runtime/heap";

/**
 * Reference twin of assembly/linalg/gemm.ts, on row-major matrices:
 * ```text
 * C <- relu?( alpha * op(A) op(B) + beta * C + bias )
 * ```
 * with op(X) = X or X^T (transX != 0), op(A) m x k, op(B) k x n, leading dimensions in
 * elements, bias = 0 for none. beta = 0 never reads C; alpha = 0 never reads A or B. Each
 * dot product is summed in double precision and rounded once on store (f32), so this
 * twin is the more accurate of the two and serves as the tests' oracle.
 */
function gemm(
  view: Float32Array | Float64Array, shift: number,
  transA: number, transB: number, m: number, n: number, k: number,
  alpha: number, a: number, lda: number, b: number, ldb: number,
  beta: number, c: number, ldc: number, bias: number, relu: number,
): void {
  const [A, B, C, BIAS] = [a >>> shift, b >>> shift, c >>> shift, bias >>> shift];
  const opA = (i: number, p: number) => view[transA ? A + p * lda + i : A + i * lda + p]!;
  const opB = (p: number, j: number) => view[transB ? B + j * ldb + p : B + p * ldb + j]!;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      if (alpha !== 0) for (let p = 0; p < k; p++) sum += opA(i, p) * opB(p, j);
      let x = alpha * sum;
      if (beta !== 0) x += beta * view[C + i * ldc + j]!;
      if (bias !== 0) x += view[BIAS + j]!;
      if (relu) x = Math.max(x, 0);
      view[C + i * ldc + j] = x;
    }
  }
}

/** f32 C <- relu?(alpha op(A) op(B) + beta C + bias); `work` is unused here. */
export function f32_gemm(
  h: Heap, transA: number, transB: number, m: number, n: number, k: number,
  alpha: number, a: number, lda: number, b: number, ldb: number,
  beta: number, c: number, ldc: number, bias: number, relu: number, _work: number,
): void {
  gemm(h.f32, 2, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
}

/** Scratch bytes f32_gemm needs: none (the wasm kernel needs packing buffers). */
export function f32_gemm_workspace(_h: Heap, _m: number, _n: number, _k: number): number {
  return 0;
}

/** f64 C <- relu?(alpha op(A) op(B) + beta C + bias); `work` is unused here. */
export function f64_gemm(
  h: Heap, transA: number, transB: number, m: number, n: number, k: number,
  alpha: number, a: number, lda: number, b: number, ldb: number,
  beta: number, c: number, ldc: number, bias: number, relu: number, _work: number,
): void {
  gemm(h.f64, 3, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
}

/** Scratch bytes f64_gemm needs: none. */
export function f64_gemm_workspace(_h: Heap, _m: number, _n: number, _k: number): number {
  return 0;
}
