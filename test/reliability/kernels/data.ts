import fc from "fast-check";
import { buffer, kernelProperty, lengths, type KernelProperty } from "./harness";

/** Cases per property: a few hundred ms each at most. */
const RUNS = 300;

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/** The data kernels are exact: gathering copies bits and the range counts, so outputs are bit-identical. */
export const DATA: KernelProperty[] = [
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
];
