import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, withRuns, type BufferCase, type KernelProperty } from "./harness";

/**
 * The Jacobi eigensolver and the eigenvector scaling (assembly/linalg/symeig.ts) against their
 * twins. Both apply the same rotations with the same IEEE operations (no fused multiply-adds in
 * f64), so every output is bit-identical, the sweep count included.
 */

/** A symmetric n x n matrix (the upper triangle mirrored), at a random offset. */
function symmetric(n: number): fc.Arbitrary<BufferCase> {
  return buffer("f64", n * n, floats("f64")).map((b) => {
    const values = b.values.slice();
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) values[i * n + j] = values[j * n + i]!;
    return { ...b, values };
  });
}

export const SYMEIG: KernelProperty[] = withRuns([
  kernelProperty({
    name: "f64 symeig: cyclic Jacobi on symmetric matrices of odd and even orders, edge magnitudes",
    kernels: ["f64_symeig"],
    cases: fc.record({ n: lengths(40), maxSweeps: fc.constantFrom(1, 2, 60) }).chain(({ n, maxSweeps }) =>
      fc.record({
        buffers: fc.record({ a: symmetric(n), w: buffer("f64", n, fc.constant(7)), e: buffer("f64", n * n, fc.constant(7)) }),
        scalars: fc.constant({ n, maxSweeps }),
      }),
    ),
    call: (k, p, s) => k.f64_symeig(p.a!, p.w!, p.e!, s.n, s.maxSweeps),
  }),
  kernelProperty({
    name: "f64 eigvec_scale: rows times sqrt(w + shift) or its inverse",
    kernels: ["f64_eigvec_scale"],
    cases: fc.record({ n: lengths(40), rows: fc.nat(40), shift: floats("f64", { max: 1e10, nonNegative: true }), inverse: fc.constantFrom(0, 1) }).chain(
      ({ n, rows, shift, inverse }) => {
        const m = Math.min(rows, n);
        return fc.record({
          buffers: fc.record({
            out: buffer("f64", m * n, fc.constant(7)),
            e: buffer("f64", n * n, floats("f64")),
            w: buffer("f64", n, floats("f64", { nonNegative: true })),
          }),
          scalars: fc.constant({ m, n, shift, inverse }),
        });
      },
    ),
    call: (k, p, s) => k.f64_eigvec_scale(p.out!, p.e!, p.w!, s.m, s.n, s.shift, s.inverse),
  }),
], 60);
