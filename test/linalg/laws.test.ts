import fc from "fast-check";
import { expect, it } from "vitest";
import { describeVariants } from "./variants";
import { gemm, matmul } from "../../src/linalg/index";
import { uniformArray } from "../helpers/random";

/**
 * Laws that hold exactly, bit for bit, because every element of C is one dot product summed
 * in order p = 0, 1, ..., k-1 whatever its position in the tiles, and a * b = b * a:
 *   (A B)^T = B^T A^T, with the transposes done by the kernel's trans flags;
 *   splitting a product by columns of B gives the columns of the whole product.
 */
describeVariants("gemm laws", (rt, variant) => {
  const dims = fc.record({ m: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 0, max: 70 }), seed: fc.nat() });

  it("(A B)^T equals B^T A^T exactly", () => {
    fc.assert(
      fc.property(dims, ({ m, n, k, seed }) =>
        rt.scope(() => {
          const A = rt.fromArray(uniformArray(m * k, seed), [m, k]);
          const B = rt.fromArray(uniformArray(k * n, seed + 1), [k, n]);
          const AB = matmul(A, B).toArray();
          const BtAt = matmul(B, A, { transA: true, transB: true }).toArray(); // n x m
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              if (!Object.is(AB[i * n + j], BtAt[j * m + i])) {
                throw new Error(`${variant} m=${m} n=${n} k=${k}: (AB)[${i},${j}] = ${AB[i * n + j]} but (B^T A^T)[${j},${i}] = ${BtAt[j * m + i]}`);
              }
            }
          }
        }),
      ),
      { numRuns: 40 },
    );
  });

  it("a product computed in two column blocks equals the whole product exactly", () => {
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 39 }), ({ m, n, k, seed }, cut) =>
        rt.scope(() => {
          const split = Math.min(cut, n - 1);
          if (split < 1) return;
          const a = uniformArray(m * k, seed);
          const b = uniformArray(k * n, seed + 1);
          const A = rt.fromArray(a, [m, k]);
          const whole = matmul(A, rt.fromArray(b, [k, n]), { alpha: 0.75 }).toArray();
          // B^T's rows are B's columns, so column blocks of B are contiguous row blocks of B^T.
          const bt = Array.from({ length: n * k }, (_, idx) => b[(idx % k) * n + Math.floor(idx / k)]!);
          const left = rt.tensor([m, split]);
          const right = rt.tensor([m, n - split]);
          gemm(A, rt.fromArray(bt.slice(0, split * k), [split, k]), left, { transB: true, alpha: 0.75 });
          gemm(A, rt.fromArray(bt.slice(split * k), [n - split, k]), right, { transB: true, alpha: 0.75 });
          const [l, r] = [left.toArray(), right.toArray()];
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const got = j < split ? l[i * split + j] : r[i * (n - split) + j - split];
              expect(got, `${variant} m=${m} n=${n} k=${k} cut=${split}: C[${i}, ${j}]`).toBe(whole[i * n + j]);
            }
          }
        }),
      ),
      { numRuns: 40 },
    );
  });
});
