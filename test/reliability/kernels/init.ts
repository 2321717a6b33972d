import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, type KernelProperty } from "./harness";

/** Cases per property: a few hundred ms each at most. */
const RUNS = 300;

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/**
 * The init kernels are exact: the orthogonal and sparse twins repeat the kernels' f64 operations in the same order (the orthogonal dot
 * products keep the kernel's four partial sums; sparse draws the same Philox words). So every
 * output, scratch included, must be bit-identical.
 */
export const INIT: KernelProperty[] = [
  ...(["f32", "f64"] as const).flatMap((type): KernelProperty[] => [
    kernelProperty({
      name: `${type} orthogonal: sign-fixed Householder Q of any m x n (m >= n) matrix, times gain`,
      kernels: [`${type}_orthogonal`],
      numRuns: RUNS,
      cases: fc
        .tuple(lengths(24, 1), fc.integer({ min: 1, max: 24 }))
        .map(([m, n]) => [Math.max(m, n), Math.min(m, n)] as const)
        .chain(([m, n]) =>
          fc.record({
            buffers: fc.record({
              // Gaussian in use; any f64 here, down to subnormals (zero columns, beta = 0).
              a: buffer("f64", m * n, floats("f64")),
              work: buffer("f64", m * n + 2 * n, floats("f64")),
              out: buffer(type, m * n, floats(type)),
            }),
            scalars: fc.record({
              m: fc.constant(m),
              n: fc.constant(n),
              transposed: fc.constantFrom(0, 1),
              gain: floats("f64", { nonNegative: true, zeros: false }),
            }),
          }),
        ),
      call: (k, ptr, s) => k[`${type}_orthogonal`](ptr.out!, ptr.a!, ptr.work!, s.m, s.n, s.transposed, s.gain),
    }),
    kernelProperty({
      name: `${type} sparse: k N(0, std^2) non-zeros per column at Philox-chosen rows`,
      kernels: [`${type}_sparse`],
      numRuns: RUNS,
      cases: fc.tuple(lengths(40, 1), lengths(12, 1)).chain(([rows, cols]) =>
        fc.record({
          buffers: fc.record({ out: buffer(type, rows * cols, floats(type)), rowsScratch: buffer("u32", rows, u32) }),
          scalars: fc.record({
            rows: fc.constant(rows),
            cols: fc.constant(cols),
            k: fc.integer({ min: 1, max: rows }),
            key: fc.tuple(u32, u32, u32, u32),
            // Stream positions are multiples of 4 (one Philox block per non-zero), up to 2^52;
            // some just below 2^34, so the block counter carries into its high word.
            pos: fc.oneof(fc.integer({ min: 0, max: 2 ** 50 }), fc.integer({ min: 2 ** 32 - 64, max: 2 ** 32 })).map((b) => 4 * b),
            std: floats("f64", { nonNegative: true, zeros: false }),
          }),
        }),
      ),
      call: (k, ptr, s) => k[`${type}_sparse`](ptr.out!, s.rows, s.cols, s.k, ptr.rowsScratch!, ...s.key, s.pos, s.std),
    }),
  ]),
];
