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
];
