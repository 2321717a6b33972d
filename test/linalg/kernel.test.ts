import { expect, it } from "vitest";
import { describeVariants } from "./variants";
import { uniformArray } from "../helpers/random";
import { expectProduct, UNIT_ROUNDOFF } from "./oracle";

/**
 * The kernels directly, with leading dimensions larger than the matrices (prime, so rows
 * start at every alignment): gemm() always passes the widths, but the thread pool hands
 * each worker a block of C whose ldc exceeds its width, and the kernel contract allows any
 * ld >= width. Elements outside the blocks must stay untouched.
 */
describeVariants("f32_gemm / f64_gemm kernels, strided", (rt, variant) => {
  const cases = [
    { m: 5, n: 9, k: 7, pad: [3, 5, 7] },
    { m: 33, n: 17, k: 65, pad: [2, 11, 13] },
    { m: 17, n: 131, k: 31, pad: [7, 3, 1] },
  ];
  for (const dtype of ["f32", "f64"] as const) {
    for (const { m, n, k, pad } of cases) {
      for (const [transA, transB] of [[0, 0], [1, 1], [0, 1], [1, 0]] as const) {
        it(`${dtype} m=${m} n=${n} k=${k} trans=${transA}${transB} lda/ldb/ldc padded by ${pad}`, () => {
          rt.scope(() => {
            const [rowsA, colsA] = transA ? [k, m] : [m, k];
            const [rowsB, colsB] = transB ? [n, k] : [k, n];
            const [lda, ldb, ldc] = [colsA + pad[0]!, colsB + pad[1]!, n + pad[2]!];
            const A = rt.fromArray(uniformArray(rowsA * lda, m), [rowsA * lda], { dtype });
            const B = rt.fromArray(uniformArray(rowsB * ldb, n), [rowsB * ldb], { dtype });
            const C = rt.fromArray(uniformArray(m * ldc, k), [m * ldc], { dtype });
            const bias = rt.fromArray(uniformArray(n, 3), [n], { dtype });
            const before = C.toArray();
            const dense = (x: number[], rows: number, cols: number, ld: number) =>
              Array.from({ length: rows * cols }, (_, i) => x[Math.floor(i / cols) * ld + (i % cols)]!);
            const bytes = dtype === "f32" ? rt.kernels.f32_gemm_workspace(m, n, k) : rt.kernels.f64_gemm_workspace(m, n, k);
            const work = rt.tensor([Math.max(1, Math.ceil(bytes / 4))]);
            const kernel = dtype === "f32" ? rt.kernels.f32_gemm : rt.kernels.f64_gemm;
            kernel(transA, transB, m, n, k, 1.25, A.ptr, lda, B.ptr, ldb, -0.5, C.ptr, ldc, bias.ptr, 1, work.ptr);
            const after = C.toArray();
            expectProduct(dense(after, m, n, ldc), {
              m, n, k, transA: transA === 1, transB: transB === 1, alpha: 1.25, beta: -0.5, relu: true,
              a: dense(A.toArray(), rowsA, colsA, lda), b: dense(B.toArray(), rowsB, colsB, ldb), c: dense(before, m, n, ldc),
              bias: bias.toArray(),
            }, UNIT_ROUNDOFF[dtype], `${variant} ${dtype} strided`);
            for (let i = 0; i < m; i++) {
              for (let j = n; j < ldc; j++) expect(after[i * ldc + j], `${variant}: C padding [${i}, ${j}] was written`).toBe(before[i * ldc + j]);
            }
          });
        });
      }
    }
  }
});
