import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, type KernelProperty } from "./harness";

/** Cases per property: a few hundred ms each at most. */
const RUNS = 300;

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/**
 * The init kernels are exact: gathering copies bits, the range counts, and the orthogonal
 * and sparse twins repeat the kernels' f64 operations in the same order (the orthogonal dot
 * products keep the kernel's four partial sums; sparse draws the same Philox words). So every
 * output, scratch included, must be bit-identical.
 */
export const INIT: KernelProperty[] = [
  kernelProperty({
    name: "f32 gather_rows copies the bits of 4-byte rows (f32 data, i32 labels, NaN payloads)",
    kernels: ["f32_gather_rows"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(20, 1), lengths(30), lengths(40)).chain(([srcRows, count, cols]) =>
      fc.record({
        buffers: fc.record({
          src: buffer("i32", srcRows * cols, i32),
          idx: buffer("u32", count, fc.integer({ min: 0, max: srcRows - 1 })),
          out: buffer("i32", count * cols, i32),
        }),
        scalars: fc.record({ count: fc.constant(count), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, ptr, s) => k.f32_gather_rows(ptr.out!, ptr.src!, ptr.idx!, s.count, s.cols),
  }),
  kernelProperty({
    name: "f64 gather_rows copies the bits of 8-byte rows (NaN payloads too)",
    kernels: ["f64_gather_rows"],
    numRuns: RUNS,
    // f64 elements as pairs of u32 words, so any bit pattern is drawn and compared; an even
    // word offset keeps the f64 alignment the allocator guarantees.
    cases: fc.tuple(lengths(20, 1), lengths(30), lengths(40)).chain(([srcRows, count, cols]) => {
      const words = (n: number) => buffer("u32", 2 * n, u32).map((b) => ({ ...b, offset: b.offset & ~1 }));
      return fc.record({
        buffers: fc.record({ src: words(srcRows * cols), idx: buffer("u32", count, fc.integer({ min: 0, max: srcRows - 1 })), out: words(count * cols) }),
        scalars: fc.record({ count: fc.constant(count), cols: fc.constant(cols) }),
      });
    }),
    call: (k, ptr, s) => k.f64_gather_rows(ptr.out!, ptr.src!, ptr.idx!, s.count, s.cols),
  }),
  kernelProperty({
    name: "u32 range out_i = start + i (wrapping past 2^32)",
    kernels: ["u32_range"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ out: buffer("u32", n, u32) }),
        scalars: fc.record({ n: fc.constant(n), start: fc.oneof(u32, fc.integer({ min: 2 ** 32 - 40, max: 2 ** 32 - 1 })) }),
      }),
    ),
    call: (k, ptr, s) => k.u32_range(ptr.out!, s.n, s.start),
  }),
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
