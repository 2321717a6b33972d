import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, type BufferCase, type KernelProperty } from "./harness";

/** Cases per property: a few hundred ms each at most. */
const RUNS = 300;

/** Unit roundoff of f32 (half an ulp of 1) and its smallest subnormal. */
const U = 2 ** -24;
const TINY = 2 ** -149;

/** f32 values with NaN and the infinities mixed in, for kernels defined on them. */
const withSpecials = fc.oneof({ weight: 12, arbitrary: floats("f32") }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });

/** rows x classes logits and a label per row, in [0, classes). */
function logitCases(values: fc.Arbitrary<number>) {
  return fc.tuple(lengths(40, 1), fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(33, 100))).chain(([rows, classes]) =>
    fc.record({
      z: buffer("f32", rows * classes, values),
      labels: buffer("i32", rows, fc.integer({ min: 0, max: classes - 1 })),
      rows: fc.constant(rows),
      classes: fc.constant(classes),
    }),
  );
}

/** Row i of a rows x classes buffer. */
const row = (b: BufferCase, i: number, classes: number) => b.values.slice(i * classes, (i + 1) * classes);

/**
 * The twins compute in f64 and round once; the kernels use f32 (softmax-CE, column sums), so
 * their outputs agree within bounds derived per operation. ReLU, its backward and the argmax
 * count are exact, so bit-identical.
 */
export const NN: KernelProperty[] = [
  kernelProperty({
    name: "f32 relu y = max(x, 0), NaN to +0, in place or not",
    kernels: ["f32_relu"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ x: buffer("f32", n, withSpecials), y: buffer("f32", n, withSpecials) }),
        scalars: fc.record({ n: fc.constant(n), inPlace: fc.boolean() }),
      }),
    ),
    call: (k, ptr, s) => k.f32_relu(s.inPlace ? ptr.x! : ptr.y!, ptr.x!, s.n),
  }),
  kernelProperty({
    name: "f32 relu backward dy <- dy [y > 0]",
    kernels: ["f32_relu_backward"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ dy: buffer("f32", n, withSpecials), y: buffer("f32", n, withSpecials) }),
        scalars: fc.record({ n: fc.constant(n) }),
      }),
    ),
    call: (k, ptr, s) => k.f32_relu_backward(ptr.dy!, ptr.y!, s.n),
  }),
  kernelProperty({
    name: "f32 softmax cross-entropy: loss and dz = s (p - onehot), dz aliasing z or not",
    kernels: ["f32_softmax_cross_entropy"],
    numRuns: RUNS,
    cases: logitCases(floats("f32")).chain(({ z, labels, rows, classes }) =>
      fc.record({
        buffers: fc.record({ z: fc.constant(z), labels: fc.constant(labels), dz: buffer("f32", rows * classes, floats("f32")) }),
        // gradScale is an f32 argument: 1 / rows for a mean, any positive value down to subnormals.
        scalars: fc.record({
          rows: fc.constant(rows),
          classes: fc.constant(classes),
          gradScale: floats("f32", { max: 1, nonNegative: true, zeros: false }),
          inPlace: fc.boolean(),
        }),
      }),
    ),
    call: (k, ptr, s) => k.f32_softmax_cross_entropy(ptr.z!, ptr.labels!, s.inPlace ? ptr.z! : ptr.dz!, s.rows, s.classes, s.gradScale),
    tolerance: ({ buffers, scalars: { rows, classes, gradScale, inPlace } }) => {
      // The kernel works in f32 (z - m rounded, f32 exp, sum, log): per row the loss is off by
      // u (2 classes + 8 + 3 |z_label - m|) at most (exp, log within 2u; the sum of `classes`
      // terms >= 1), and each p_j by gradScale u (2 classes + 8) (p |z - m| <= 1/e absorbs the
      // argument's rounding), plus subnormal rounding when gradScale is tiny.
      let loss = 0;
      for (let i = 0; i < rows; i++) {
        const logits = row(buffers.z!, i, classes);
        const m = Math.max(...logits);
        loss += U * (2 * classes + 8 + 3 * Math.abs(logits[buffers.labels!.values[i]!]! - m));
      }
      const dz = { atol: gradScale * U * (2 * classes + 8) + 4 * TINY, rtol: 0 };
      return { result: { atol: loss, rtol: 0 }, [inPlace ? "z" : "dz"]: dz };
    },
  }),
  kernelProperty({
    name: "f32 count of rows whose first largest logit is the label",
    kernels: ["f32_count_correct"],
    numRuns: RUNS,
    // Few distinct values, so ties (first maximum wins) and -0 == +0 are common.
    cases: logitCases(fc.oneof(floats("f32"), fc.constantFrom(0, -0, 1, -1, 1e30))).map(({ z, labels, rows, classes }) => ({
      buffers: { z, labels },
      scalars: { rows, classes },
    })),
    call: (k, ptr, s) => k.f32_count_correct(ptr.z!, ptr.labels!, s.rows, s.classes),
  }),
  kernelProperty({
    name: "f32 out_j += sum_i x_ij (column sums into a row)",
    kernels: ["f32_add_column_sums"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(70), lengths(40, 1)).chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({ out: buffer("f32", cols, floats("f32")), x: buffer("f32", rows * cols, floats("f32")) }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, ptr, s) => k.f32_add_column_sums(ptr.out!, ptr.x!, s.rows, s.cols),
    tolerance: ({ buffers: { out, x }, scalars: { rows, cols } }) => {
      // The kernel adds rows one by one in f32 (each partial sum rounds by u of at most
      // |out_j| + sum |x_ij|), the twin in f64 with one final rounding: (rows + 1) u per column.
      const bounds = out!.values.map((o, j) => {
        let magnitude = Math.abs(o);
        for (let i = 0; i < rows; i++) magnitude += Math.abs(x!.values[i * cols + j]!);
        return (rows + 1) * U * magnitude;
      });
      return { out: { bounds } };
    },
  }),
];
