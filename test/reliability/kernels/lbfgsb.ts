import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, withRuns, type BufferCase, type KernelCase, type KernelProperty } from "./harness";
import { makeProblem, products } from "../../helpers/lbfgsb";

// The box-constraint and L-BFGS-B kernels (assembly/minimize/box.ts, lbfgsb.ts). The box kernels
// and the middle matrix perform the twins' IEEE operations exactly; the elimination and the
// Cauchy/subspace pipeline differ in summation order and reciprocals, so they run on
// well-conditioned inputs (diagonally dominant systems; pairs with s'y >= 0.1 s's, as
// test/helpers/lbfgsb.ts draws them) and agree normwise.

const f64 = floats("f64");
const vec = (n: number) => buffer("f64", n, f64);
const offset = fc.integer({ min: 0, max: 3 });
const fixed = (values: ArrayLike<number>) => offset.map((o): BufferCase => ({ type: "f64", values: Array.from(values), offset: o }));

/** A box l <= u (sides drawn, then ordered per element; some infinite) and n more vectors. */
function boxCase(names: string[]): fc.Arbitrary<KernelCase<{ n: number; s: number }>> {
  return lengths(40).chain((n) =>
    fc.record({
      buffers: fc.record({
        ...Object.fromEntries(names.map((name) => [name, vec(n)])),
        a: buffer("f64", n, fc.oneof({ weight: 4, arbitrary: f64 }, { weight: 1, arbitrary: fc.constant(-Infinity) })),
        b: buffer("f64", n, fc.oneof({ weight: 4, arbitrary: f64 }, { weight: 1, arbitrary: fc.constant(Infinity) })),
      }).map(({ a, b, ...rest }) => ({
        ...rest,
        l: { ...a, values: a.values.map((v, i) => Math.min(v, b.values[i]!)) },
        u: { ...b, values: b.values.map((v, i) => Math.max(v, a.values[i]!)) },
      })),
      scalars: fc.record({ n: fc.constant(n), s: f64 }),
    }),
  );
}

/** An L-BFGS-B iteration's inputs from a seed, with the kernels' scratch. */
function pipelineCase(): fc.Arbitrary<KernelCase<{ n: number; m: number; count: number; oldest: number; theta: number }>> {
  return fc.record({ n: lengths(40, 1), count: fc.integer({ min: 0, max: 5 }), seed: fc.integer({ min: 0, max: 1e6 }) }).chain(({ n, count, seed }) => {
    const p = makeProblem(n, count, seed);
    const { SS, SY } = products(p);
    const zeros = (length: number) => new Float64Array(length);
    return fc.record({
      buffers: fc.record({
        x: fixed(p.x), g: fixed(p.g), l: fixed(p.l), u: fixed(p.u), S: fixed(p.S), Y: fixed(p.Y), SS: fixed(SS), SY: fixed(SY),
        A: fixed(zeros(4 * p.m * p.m)), M: fixed(zeros(4 * p.m * p.m)), work: fixed(zeros(8 * p.m)),
        xcp: fixed(zeros(n)), d: fixed(zeros(n)), t: fixed(zeros(n)), heap: fixed(zeros(n)), dir: fixed(zeros(n)),
      }),
      scalars: fc.constant({ n, m: p.m, count, oldest: p.oldest, theta: p.theta }),
    });
  });
}

/** n x n diagonally dominant A (|A_ii| > sum_j |A_ij|) and k right-hand sides. */
function systemCase(): fc.Arbitrary<KernelCase<{ n: number; k: number }>> {
  return fc.record({ n: lengths(12, 1), k: fc.integer({ min: 1, max: 4 }) }).chain(({ n, k }) =>
    fc.record({
      buffers: fc.record({
        A: buffer("f64", n * n, floats("f64", { max: 1 })).map((b) => ({
          ...b,
          values: b.values.map((v, i) => (i % (n + 1) === 0 ? (v < 0 ? -1 : 1) * (n + 1) : v)),
        })),
        B: buffer("f64", n * k, floats("f64", { max: 1 })),
      }),
      scalars: fc.constant({ n, k }),
    }),
  );
}

export const LBFGSB: KernelProperty[] = withRuns([
  kernelProperty({
    name: "f64 box_project: min(max(x, l), u)",
    kernels: ["f64_box_project"],
    cases: boxCase(["x"]),
    call: (k, p, s) => k.f64_box_project(p.x!, p.l!, p.u!, s.n),
    ignore: ["l", "u"],
  }),
  kernelProperty({
    name: "f64 projected_gradient_inf: max |P(x - s g) - x|",
    kernels: ["f64_projected_gradient_inf"],
    cases: boxCase(["x", "g"]),
    call: (k, p, s) => k.f64_projected_gradient_inf(p.x!, p.g!, p.l!, p.u!, s.n, s.s),
    ignore: ["x", "g", "l", "u"],
  }),
  kernelProperty({
    name: "f64 box_max_step: the longest step inside the box",
    kernels: ["f64_box_max_step"],
    cases: boxCase(["x", "d"]),
    call: (k, p, s) => k.f64_box_max_step(p.x!, p.d!, p.l!, p.u!, s.n),
    ignore: ["x", "d", "l", "u"],
  }),
  kernelProperty({
    name: "f64 gauss_solve: A X = B with partial pivoting (diagonally dominant A)",
    kernels: ["f64_gauss_solve"],
    cases: systemCase(),
    call: (k, p, s) => k.f64_gauss_solve(p.A!, p.B!, s.n, s.k),
    tolerance: { A: { normwise: 1e-13 }, B: { normwise: 1e-12 } },
  }),
  kernelProperty({
    name: "f64 lbfgsb middle, Cauchy point and subspace step: one L-BFGS-B direction",
    kernels: ["f64_lbfgsb_middle", "f64_lbfgsb_cauchy", "f64_lbfgsb_subspace"],
    cases: pipelineCase(),
    call: (k, p, s) => {
      const size = 2 * s.count;
      k.f64_lbfgsb_middle(p.A!, p.SS!, p.SY!, s.m, s.count, s.oldest, s.theta);
      k.f64_scaled_identity(p.M!, size, 1);
      if (k.f64_gauss_solve(p.A!, p.M!, size, size) !== 0) return -1;
      k.f64_lbfgsb_cauchy(p.xcp!, p.x!, p.g!, p.l!, p.u!, p.S!, p.Y!, p.M!, p.work!, p.t!, p.heap!, p.dir!, s.m, s.count, s.oldest, s.n, s.theta);
      return k.f64_lbfgsb_subspace(
        p.d!, p.x!, p.g!, p.xcp!, p.l!, p.u!, p.S!, p.Y!, p.M!, p.SS!, p.SY!, p.A!, p.work!, p.t!, p.heap!, s.m, s.count, s.oldest, s.n, s.theta,
      );
    },
    tolerance: { M: { normwise: 1e-10 }, xcp: { normwise: 1e-12 }, d: { normwise: 1e-9 } },
    // Factors, heap order and intermediate vectors are the kernels' own.
    ignore: ["x", "g", "l", "u", "S", "Y", "SS", "SY", "A", "work", "t", "heap", "dir"],
  }),
], 60);
