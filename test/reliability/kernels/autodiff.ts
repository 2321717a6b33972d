import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, type KernelProperty } from "./harness";
import { stream } from "./random";

/** Cases per property: a few hundred ms each at most. */
const RUNS = 200;

/** Unit roundoff of f32 (half an ulp of 1) and its smallest subnormal. */
const U = 2 ** -24;
const TINY = 2 ** -149;

const values = floats("f32");

/** Rows and columns of a broadcast case: odd column counts reach every v128 tail. */
const rowsAndCols = fc.tuple(lengths(12), lengths(70));

/** An error bound per element: k units of roundoff of sum_i |terms_i| (elementwise), plus a few subnormal steps. */
function bounds(k: number, ...terms: number[][]): { bounds: number[] } {
  return { bounds: terms[0]!.map((_, i) => k * U * terms.reduce((s, t) => s + Math.abs(t[i]!), 0) + 4 * TINY) };
}

/** n-element f32 buffers named `names`, and n. */
function elementwise(...names: string[]) {
  return lengths().chain((n) =>
    fc.record({
      buffers: fc.record(Object.fromEntries(names.map((name) => [name, buffer("f32", n, values)]))),
      scalars: fc.record({ n: fc.constant(n), c: values }),
    }),
  );
}

/** Output size of a window of `k` (dilated by d) at stride s over n inputs padded by p on each side. */
const outputSize = (n: number, k: number, s: number, p: number, d = 1) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/** Convolution geometries with odd sizes, strides, padding and dilation, each with at least one output. */
const convGeometry = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 11 }),
    kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }), pw: fc.integer({ min: 0, max: 2 }), dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
  })
  .map((g) => ({ ...g, OH: outputSize(g.H, g.kh, g.sh, g.ph, g.dh), OW: outputSize(g.W, g.kw, g.sw, g.pw, g.dw) }))
  .filter((g) => g.OH >= 1 && g.OW >= 1);

type ConvGeometry = typeof convGeometry extends fc.Arbitrary<infer G> ? G : never;
const convArgs = (g: ConvGeometry) => [g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW] as const;
const columns = (g: ConvGeometry) => g.C * g.kh * g.kw * g.N * g.OH * g.OW;

/** im2col and col2im (v128 runs at stride 1, gathers otherwise), the NCHW output moves and the bias sums. */
const CONVOLUTION: KernelProperty[] = [
  kernelProperty({
    name: "f32 im2col: columns of every window, zeros in the padding",
    kernels: ["f32_im2col"],
    numRuns: RUNS,
    cases: convGeometry.chain((g) =>
      fc.record({
        buffers: fc.record({ cols: buffer("f32", columns(g), values), x: buffer("f32", g.N * g.C * g.H * g.W, values) }),
        scalars: fc.constant(g),
      }),
    ),
    call: (k, p, g) => k.f32_im2col(p.cols!, p.x!, ...convArgs(g)),
  }),
  kernelProperty({
    name: "f32 col2im: dx += every column entry at the position it came from",
    kernels: ["f32_col2im"],
    numRuns: RUNS,
    cases: convGeometry.chain((g) =>
      fc.record({
        buffers: fc.record({ dx: buffer("f32", g.N * g.C * g.H * g.W, values), cols: buffer("f32", columns(g), values) }),
        scalars: fc.constant(g),
      }),
    ),
    call: (k, p, g) => k.f32_col2im(p.dx!, p.cols!, ...convArgs(g)),
  }),
  kernelProperty({
    name: "f32 conv output [F, N P] -> [N, F, P] + bias, and back with the bias sums",
    kernels: ["f32_conv_output", "f32_conv_output_backward"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(4, 1), lengths(5, 1), lengths(70)).chain(([N, F, P]) =>
      fc.record({
        buffers: fc.record({ y: buffer("f32", N * F * P, values), t: buffer("f32", N * F * P, values), bias: buffer("f32", F, values) }),
        scalars: fc.record({ N: fc.constant(N), F: fc.constant(F), P: fc.constant(P), backward: fc.boolean(), withBias: fc.boolean() }),
      }),
    ),
    call: (k, p, s) =>
      s.backward
        ? k.f32_conv_output_backward(p.t!, p.y!, s.withBias ? p.bias! : 0, s.N, s.F, s.P)
        : k.f32_conv_output(p.y!, p.t!, s.withBias ? p.bias! : 0, s.N, s.F, s.P),
  }),
];

/** Pooling geometries: padding at most half the window, as the facade requires. */
const poolGeometry = fc
  .record({
    NC: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 11 }),
    kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
  })
  .chain((g) => fc.record({ ph: fc.integer({ min: 0, max: g.kh >> 1 }), pw: fc.integer({ min: 0, max: g.kw >> 1 }) }).map((p) => ({ ...g, ...p })))
  .map((g) => ({ ...g, OH: outputSize(g.H, g.kh, g.sh, g.ph), OW: outputSize(g.W, g.kw, g.sw, g.pw) }))
  .filter((g) => g.OH >= 1 && g.OW >= 1);

type PoolGeometry = typeof poolGeometry extends fc.Arbitrary<infer G> ? G : never;
const poolArgs = (g: PoolGeometry) => [g.NC, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW] as const;

/** Max and average pooling forward and backward; values include NaN, ±0 and ties (a small value set). */
const POOLING: KernelProperty[] = [
  kernelProperty({
    name: "f32 max pooling forward: maxima and their first index",
    kernels: ["f32_maxpool_forward"],
    numRuns: RUNS,
    cases: poolGeometry.chain((g) =>
      fc.record({
        buffers: fc.record({
          y: buffer("f32", g.NC * g.OH * g.OW, values),
          argmax: buffer("i32", g.NC * g.OH * g.OW, fc.integer()),
          x: buffer("f32", g.NC * g.H * g.W, fc.oneof(values, fc.constantFrom(-1, 0, -0, 1, NaN, -Infinity))),
        }),
        scalars: fc.constant(g),
      }),
    ),
    call: (k, p, g) => k.f32_maxpool_forward(p.y!, p.argmax!, p.x!, ...poolArgs(g)),
  }),
  kernelProperty({
    name: "f32 max pooling backward: dx[argmax] += dy",
    kernels: ["f32_maxpool_backward"],
    numRuns: RUNS,
    cases: fc.tuple(fc.integer({ min: 1, max: 4 }), lengths(40, 1), lengths(20)).chain(([NC, HW, P]) =>
      fc.record({
        buffers: fc.record({
          dx: buffer("f32", NC * HW, values),
          dy: buffer("f32", NC * P, values),
          argmax: buffer("i32", NC * P, fc.integer({ min: 0, max: HW - 1 })),
        }),
        scalars: fc.record({ NC: fc.constant(NC), HW: fc.constant(HW), P: fc.constant(P) }),
      }),
    ),
    call: (k, p, s) => k.f32_maxpool_backward(p.dx!, p.dy!, p.argmax!, s.NC, s.HW, s.P),
  }),
  kernelProperty({
    name: "f32 average pooling forward and backward (divisor kh kw)",
    kernels: ["f32_avgpool_forward", "f32_avgpool_backward"],
    numRuns: RUNS,
    cases: poolGeometry.chain((g) =>
      fc.record({
        buffers: fc.record({ x: buffer("f32", g.NC * g.H * g.W, values), y: buffer("f32", g.NC * g.OH * g.OW, values) }),
        scalars: fc.record({ g: fc.constant(g), backward: fc.boolean() }),
      }),
    ),
    call: (k, p, s) => (s.backward ? k.f32_avgpool_backward(p.x!, p.y!, ...poolArgs(s.g)) : k.f32_avgpool_forward(p.y!, p.x!, ...poolArgs(s.g))),
  }),
];

/**
 * The tape's elementwise kernels and reductions. Every twin performs the kernel's f32
 * operations with the same roundings (the reductions: the same f64 sum in the same order), so
 * they agree bit for bit; only the scalar tanh and sigmoid forwards, which call libm-style f32
 * functions (the twins call Math.tanh and Math.exp in f64), agree within a few ulps.
 */
export const AUTODIFF: KernelProperty[] = [
  kernelProperty({
    name: "f32 y_ij = a_ij + b_j (b broadcast over rows)",
    kernels: ["f32_add_rows"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(40), lengths(70)).chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({ y: buffer("f32", rows * cols, values), a: buffer("f32", rows * cols, values), b: buffer("f32", cols, values) }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, p, s) => k.f32_add_rows(p.y!, p.a!, p.b!, s.rows, s.cols),
  }),
  kernelProperty({
    name: "f32 y += a b",
    kernels: ["f32_add_product"],
    numRuns: RUNS,
    cases: elementwise("y", "a", "b"),
    call: (k, p, s) => k.f32_add_product(p.y!, p.a!, p.b!, s.n),
  }),
  kernelProperty({
    name: "f32 y = c x",
    kernels: ["f32_scale"],
    numRuns: RUNS,
    cases: elementwise("y", "x"),
    call: (k, p, s) => k.f32_scale(p.y!, p.x!, s.c, s.n),
  }),
  kernelProperty({
    name: "f32 y += c",
    kernels: ["f32_add_constant"],
    numRuns: RUNS,
    cases: elementwise("y"),
    call: (k, p, s) => k.f32_add_constant(p.y!, s.c, s.n),
  }),
  kernelProperty({
    name: "f32 y += c (a - b)",
    kernels: ["f32_add_scaled_difference"],
    numRuns: RUNS,
    cases: elementwise("y", "a", "b"),
    call: (k, p, s) => k.f32_add_scaled_difference(p.y!, p.a!, p.b!, s.c, s.n),
  }),
  kernelProperty({
    name: "f32 sum in f64",
    kernels: ["f32_sum"],
    numRuns: RUNS,
    cases: elementwise("x"),
    call: (k, p, s) => k.f32_sum(p.x!, s.n),
  }),
  kernelProperty({
    name: "f32 sum of (a - b)^2 in f64",
    kernels: ["f32_squared_distance"],
    numRuns: RUNS,
    cases: elementwise("a", "b"),
    call: (k, p, s) => k.f32_squared_distance(p.a!, p.b!, s.n),
  }),
  kernelProperty({
    name: "f32 tanh backward dx += dy (1 - y^2)",
    kernels: ["f32_tanh_backward"],
    numRuns: RUNS,
    cases: elementwise("dx", "dy", "y"),
    call: (k, p, s) => k.f32_tanh_backward(p.dx!, p.dy!, p.y!, s.n),
  }),
  kernelProperty({
    name: "f32 sigmoid backward dx += dy y (1 - y)",
    kernels: ["f32_sigmoid_backward"],
    numRuns: RUNS,
    cases: elementwise("dx", "dy", "y"),
    call: (k, p, s) => k.f32_sigmoid_backward(p.dx!, p.dy!, p.y!, s.n),
  }),
  kernelProperty({
    name: "f32 tanh and sigmoid forwards, in place or not",
    kernels: ["f32_tanh", "f32_sigmoid"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ x: buffer("f32", n, values), y: buffer("f32", n, values) }),
        scalars: fc.record({ n: fc.constant(n), sigmoid: fc.boolean(), inPlace: fc.boolean() }),
      }),
    ),
    call: (k, p, s) => (s.sigmoid ? k.f32_sigmoid : k.f32_tanh)(s.inPlace ? p.x! : p.y!, p.x!, s.n),
    // f32 tanh and exp are within 2 ulps (4u relative); the sigmoid adds two roundings (1 + e,
    // the division). Subnormal results are off by a few of the smallest steps at most.
    tolerance: ({ scalars: { inPlace } }) => ({ [inPlace ? "x" : "y"]: { rtol: 8 * U, atol: 4 * TINY } }),
  }),
  kernelProperty({
    name: "f32 y_ij = a_ij (sub, mul, div) b_j, in place or not",
    kernels: ["f32_binary_rows"],
    numRuns: RUNS,
    cases: rowsAndCols.chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({ y: buffer("f32", rows * cols, values), a: buffer("f32", rows * cols, values), b: buffer("f32", cols, values) }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), op: fc.integer({ min: 0, max: 2 }), inPlace: fc.boolean() }),
      }),
    ),
    call: (k, p, s) => k.f32_binary_rows(s.inPlace ? p.a! : p.y!, p.a!, p.b!, s.rows, s.cols, s.op),
  }),
  kernelProperty({
    name: "f32 broadcast backward into a: da_ij += g_ij, g_ij b_j, g_ij / b_j",
    kernels: ["f32_binary_rows_grad_a"],
    numRuns: RUNS,
    cases: rowsAndCols.chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({ da: buffer("f32", rows * cols, values), g: buffer("f32", rows * cols, values), b: buffer("f32", cols, values) }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), op: fc.integer({ min: 0, max: 2 }) }),
      }),
    ),
    call: (k, p, s) => k.f32_binary_rows_grad_a(p.da!, p.g!, p.b!, s.rows, s.cols, s.op),
  }),
  kernelProperty({
    name: "f32 broadcast backward into b: db_j -= sum g, += sum g a, -= sum (g y) / b",
    kernels: ["f32_binary_rows_grad_b"],
    numRuns: RUNS,
    cases: rowsAndCols.chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({
          db: buffer("f32", cols, values),
          g: buffer("f32", rows * cols, values),
          a: buffer("f32", rows * cols, values),
          y: buffer("f32", rows * cols, values),
          b: buffer("f32", cols, values),
        }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), op: fc.integer({ min: 0, max: 2 }) }),
      }),
    ),
    call: (k, p, s) => k.f32_binary_rows_grad_b(p.db!, p.g!, p.a!, p.y!, p.b!, s.rows, s.cols, s.op),
  }),
  kernelProperty({
    name: "f32 gelu forward, exact and tanh, in place or not",
    kernels: ["f32_gelu"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ x: buffer("f32", n, values), y: buffer("f32", n, values) }),
        scalars: fc.record({ n: fc.constant(n), approximate: fc.integer({ min: 0, max: 1 }), inPlace: fc.boolean() }),
      }),
    ),
    call: (k, p, s) => k.f32_gelu(s.inPlace ? p.x! : p.y!, p.x!, s.n, s.approximate),
    // One f64 exp that may differ in its last bit, then one rounding to f32: an ulp at most.
    tolerance: ({ scalars: { inPlace } }) => ({ [inPlace ? "x" : "y"]: { rtol: 4 * U, atol: 4 * TINY } }),
  }),
  kernelProperty({
    name: "f32 gelu backward dx += dy gelu'(x), exact and tanh",
    kernels: ["f32_gelu_backward"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ dx: buffer("f32", n, values), dy: buffer("f32", n, values), x: buffer("f32", n, values) }),
        scalars: fc.record({ n: fc.constant(n), approximate: fc.integer({ min: 0, max: 1 }) }),
      }),
    ),
    call: (k, p, s) => k.f32_gelu_backward(p.dx!, p.dy!, p.x!, s.n, s.approximate),
    // The slope (|gelu'| < 1.2) may differ by an ulp; the product and the sum add a rounding each.
    tolerance: ({ buffers: { dx, dy } }) => ({ dx: bounds(8, dx!.values, dy!.values, dy!.values) }),
  }),
  kernelProperty({
    name: "f32 softmax and log-softmax of rows, in place or not",
    kernels: ["f32_softmax"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(12), lengths(40)).chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({ x: buffer("f32", rows * cols, values), y: buffer("f32", rows * cols, values) }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols), log: fc.integer({ min: 0, max: 1 }), inPlace: fc.boolean() }),
      }),
    ),
    call: (k, p, s) => k.f32_softmax(s.inPlace ? p.x! : p.y!, p.x!, s.rows, s.cols, s.log),
    // f64 exp and log may differ in their last bit: an f32 ulp of softmax; log-softmax's
    // (x - m) - log s may cancel, leaving an f64 ulp of log s (<= log 40) absolute.
    tolerance: ({ scalars: { inPlace, log } }) => ({ [inPlace ? "x" : "y"]: { rtol: 4 * U, atol: log ? 1e-14 : 4 * TINY } }),
  }),
  kernelProperty({
    name: "f32 softmax backward dx += y (g - sum g y)",
    kernels: ["f32_softmax_backward"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(12), lengths(40)).chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({ dx: buffer("f32", rows * cols, values), g: buffer("f32", rows * cols, values), y: buffer("f32", rows * cols, values) }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, p, s) => k.f32_softmax_backward(p.dx!, p.g!, p.y!, s.rows, s.cols, 0),
  }),
  kernelProperty({
    name: "f32 log-softmax backward dx += g - exp(y) sum g",
    kernels: ["f32_softmax_backward"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(12), lengths(40)).chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({
          dx: buffer("f32", rows * cols, values),
          g: buffer("f32", rows * cols, values),
          y: buffer("f32", rows * cols, floats("f32", { max: 50 })),
        }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, p, s) => k.f32_softmax_backward(p.dx!, p.g!, p.y!, s.rows, s.cols, 1),
    // exp(y) may differ by an ulp; sum g is the same f64 sum on both.
    tolerance: ({ buffers: { dx, g, y }, scalars: { cols } }) => {
      const rowSums = g!.values.map((_, i) => {
        const start = i - (i % cols);
        return g!.values.slice(start, start + cols).reduce((s, v) => s + v, 0);
      });
      return { dx: bounds(8, dx!.values, g!.values, y!.values.map((v, i) => Math.exp(v) * rowSums[i]!)) };
    },
  }),
  kernelProperty({
    name: "f32 dropout: Philox mask u >= p scaled by 1 / (1 - p), in place or not",
    kernels: ["f32_dropout"],
    numRuns: RUNS,
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ x: buffer("f32", n, values), y: buffer("f32", n, values), mask: buffer("f32", n, values) }),
        scalars: fc.record({ n: fc.constant(n), ...stream, p: fc.oneof(fc.constantFrom(0, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })), inPlace: fc.boolean() }),
      }),
    ),
    call: (k, p, s) => k.f32_dropout(s.inPlace ? p.x! : p.y!, p.mask!, p.x!, s.n, s.k0, s.k1, s.s0, s.s1, s.p, s.p < 1 ? 1 / (1 - s.p) : 0),
  }),
  kernelProperty({
    name: "f32 embedding backward: dtable[idx_r] += g_r, repeated rows summed in order",
    kernels: ["f32_scatter_add_rows"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(9, 1), lengths(30), lengths(37)).chain(([vocab, count, cols]) =>
      fc.record({
        buffers: fc.record({
          dtable: buffer("f32", vocab * cols, values),
          g: buffer("f32", count * cols, values),
          idx: buffer("i32", count, fc.integer({ min: 0, max: vocab - 1 })),
        }),
        scalars: fc.record({ count: fc.constant(count), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, p, s) => k.f32_scatter_add_rows(p.dtable!, p.g!, p.idx!, s.count, s.cols),
  }),
  kernelProperty({
    name: "f32 strided block copy or accumulation (slice and concat), forward and backward",
    kernels: ["f32_copy_blocks"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(9), lengths(37), lengths(20), lengths(20), fc.integer({ min: 0, max: 1 })).chain(([outer, block, yPad, xPad, accumulate]) =>
      fc.record({
        buffers: fc.record({ y: buffer("f32", outer * (block + yPad), values), x: buffer("f32", outer * (block + xPad), values) }),
        scalars: fc.record({
          outer: fc.constant(outer), block: fc.constant(block), yStride: fc.constant(block + yPad), xStride: fc.constant(block + xPad), accumulate: fc.constant(accumulate),
        }),
      }),
    ),
    call: (k, p, s) => k.f32_copy_blocks(p.y!, p.x!, s.outer, s.block, s.yStride, s.xStride, s.accumulate),
  }),
  kernelProperty({
    name: "f32 transpose of the last two axes, written or accumulated",
    kernels: ["f32_transpose"],
    numRuns: RUNS,
    cases: fc.tuple(lengths(4), lengths(23), lengths(23), fc.integer({ min: 0, max: 1 })).chain(([batch, rows, cols, accumulate]) =>
      fc.record({
        buffers: fc.record({ y: buffer("f32", batch * rows * cols, values), x: buffer("f32", batch * rows * cols, values) }),
        scalars: fc.record({ batch: fc.constant(batch), rows: fc.constant(rows), cols: fc.constant(cols), accumulate: fc.constant(accumulate) }),
      }),
    ),
    call: (k, p, s) => k.f32_transpose(p.y!, p.x!, s.batch, s.rows, s.cols, s.accumulate),
  }),
  ...CONVOLUTION,
  ...POOLING,
];
