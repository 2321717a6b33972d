import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, type KernelProperty } from "./harness";

/** Cases per property: a few hundred ms each at most. */
const RUNS = 200;

/** Unit roundoff of f32 (half an ulp of 1) and its smallest subnormal. */
const U = 2 ** -24;
const TINY = 2 ** -149;

const values = floats("f32");

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
    name: "f32 y = a b",
    kernels: ["f32_mul"],
    numRuns: RUNS,
    cases: elementwise("y", "a", "b"),
    call: (k, p, s) => k.f32_mul(p.y!, p.a!, p.b!, s.n),
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
  ...CONVOLUTION,
  ...POOLING,
];
