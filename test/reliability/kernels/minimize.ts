import fc from "fast-check";
import { LS, LS_SLOTS } from "../../../src/reference/minimize/linesearch-layout";
import { buffer, floats, kernelProperty, lengths, withRuns, type BufferCase, type FloatRange, type KernelCase, type KernelProperty } from "./harness";
import {
  Bounded, U, abs, add, agreement, div, dot, exp, lit, lits, log1p, max0, mayOverflow, mul, neg, polynomial, sqrt, sub, sum,
} from "./rounding";

/**
 * The minimizers' f64 kernels (assembly/minimize/) against their twins. Elementwise kernels,
 * and those whose twin performs the same IEEE operations in the same order, must agree bit for
 * bit. The others sum in v128 lanes, group products differently or call another libm; their
 * tolerance is a running error bound of the operation (./rounding.ts) computed from each case's
 * inputs, element by element. Values are the harness's mix: -0, subnormals, tiny, up to 1e30.
 */

const f64 = (range?: FloatRange) => floats("f64", range);
const vec = (n: number, values = f64()) => buffer("f64", n, values);
/** Matrix sides: every v128 tail (blocks of 2 and 4) and a few whole blocks. */
const side = (min = 0) => lengths(20, min);

/** A case from arbitraries of its buffers and scalars. */
function draw<S extends object>(
  buffers: Record<string, fc.Arbitrary<BufferCase>>,
  scalars: { [K in keyof S]: fc.Arbitrary<S[K]> },
): fc.Arbitrary<KernelCase<S>> {
  return fc.record({ buffers: fc.record(buffers), scalars: fc.record(scalars) as unknown as fc.Arbitrary<S> });
}

/** The inputs of buffer `name` (its values before the call). */
const input = (c: KernelCase<object>, name: string): Bounded[] => lits(c.buffers[name]!.values);
/** The m x n row-major matrix in buffer `name`, by rows. */
const matrix = (c: KernelCase<object>, name: string, m: number, n: number): Bounded[][] => {
  const values = input(c, name);
  return Array.from({ length: m }, (_, i) => values.slice(i * n, i * n + n));
};

/** Makes a square matrix symmetric by mirroring its lower triangle. */
const symmetric = (n: number) => (b: BufferCase): BufferCase => ({
  ...b,
  values: b.values.map((v, k) => (Math.floor(k / n) >= k % n ? v : b.values[(k % n) * n + Math.floor(k / n)]!)),
});

/** A buffer whose entries above the diagonal are NaN: a kernel that reads them spreads NaN. */
const lowerOnly = (n: number) => (b: BufferCase): BufferCase => ({
  ...b,
  values: b.values.map((v, k) => (k % n > Math.floor(k / n) ? NaN : v)),
});

// ---------------------------------------------------------------------------------------------
// Shadows: each kernel's computation in running-error arithmetic, following the twin.

/** u = H y; H+ = H - rho (s u' + u s') + (rho^2 y'u + rho) s s' (bfgs.ts). */
function bfgsShadow(c: KernelCase<{ n: number; rho: number }>): { H: Bounded[]; u: Bounded[] } {
  const { n } = c.scalars;
  const [H, s, y, rho] = [matrix(c, "H", n, n), input(c, "s"), input(c, "y"), lit(c.scalars.rho)];
  const u = H.map((row) => dot(row, y));
  const coefficient = add(mul(mul(rho, rho), dot(y, u)), rho);
  // Per element: wasm forms H + ((-rho s_i) u_j + (c s_i - rho u_i) s_j), the twin
  // (H - rho (s_i u_j + u_i s_j)) + (c s_i) s_j: at most 5 roundings on any monomial's path.
  const updated = H.flatMap((row, i) =>
    row.map((h, j) => polynomial([[h], [neg(rho), s[i]!, u[j]!], [neg(rho), u[i]!, s[j]!], [coefficient, s[i]!, s[j]!]], 5)),
  );
  return { H: updated, u };
}

interface LbfgsScalars {
  m: number;
  count: number;
  newest: number;
  n: number;
  gamma: number;
}

/** The two-loop recursion as the twin writes it; the wasm fuses each update with the next dot. */
function lbfgsShadow(c: KernelCase<LbfgsScalars>): { d: Bounded[]; alpha: Bounded[] } {
  const { m, count, newest, n } = c.scalars;
  const [S, Y, rho, gamma] = [matrix(c, "S", m, n), matrix(c, "Y", m, n), input(c, "rho"), lit(c.scalars.gamma)];
  const alpha = input(c, "alpha");
  let d = input(c, "g").map(neg);
  const rows = Array.from({ length: count }, (_, k) => (newest - k + m) % m);
  for (const j of rows) {
    const a = mul(rho[j]!, dot(S[j]!, d));
    alpha[j] = a;
    d = d.map((di, i) => sub(di, mul(a, Y[j]![i]!)));
  }
  d = d.map((di) => mul(gamma, di));
  for (const j of rows.reverse()) {
    const step = sub(alpha[j]!, mul(rho[j]!, dot(Y[j]!, d)));
    d = d.map((di, i) => add(di, mul(step, S[j]![i]!)));
  }
  return { d, alpha };
}

interface CholeskyScalars {
  n: number;
  alpha: number;
  inPlace: boolean;
}

/**
 * L L' = H + alpha I by rows, as both implementations order it (the inner sums differ in order).
 * `ambiguous` when a pivot's sign is within its error bound: the two may then fail at
 * different pivots, a legitimate difference; such cases are not drawn.
 */
function choleskyShadow(c: KernelCase<CholeskyScalars>): { L: Bounded[]; ambiguous: boolean } {
  const { n } = c.scalars;
  const H = matrix(c, "H", n, n);
  const L = c.scalars.inPlace ? input(c, "H") : input(c, "L");
  const at = (i: number, j: number) => L[i * n + j]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const terms = [H[i]![j]!, ...Array.from({ length: j }, (_, k) => neg(mul(at(i, k), at(j, k))))];
      L[i * n + j] = div(sum(terms), at(j, j));
    }
    const pivot = sum([add(H[i]![i]!, lit(c.scalars.alpha)), ...Array.from({ length: i }, (_, k) => neg(mul(at(i, k), at(i, k))))]);
    if (!(Math.abs(pivot.v) > 2 * pivot.e) || mayOverflow([pivot])) return { L, ambiguous: true };
    if (!(pivot.v > 0)) return { L, ambiguous: false }; // both fail here: code i + 1
    L[i * n + i] = sqrt(pivot);
  }
  return { L, ambiguous: mayOverflow(L.filter((_, k) => k % n <= Math.floor(k / n))) };
}

interface SolveScalars {
  n: number;
  inPlace: boolean;
}

/** x = (L L')^-1 b: forward substitution by rows, then back substitution (columns of L'). */
function choleskySolveShadow(c: KernelCase<SolveScalars>): Bounded[] {
  const { n } = c.scalars;
  const L = matrix(c, "L", n, n);
  const b = input(c, "b");
  const x: Bounded[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = div(sum([b[i]!, ...x.map((xk, k) => neg(mul(L[i]![k]!, xk)))]), L[i]![i]!);
  }
  // The wasm subtracts L_ki x_k from x_i as each x_k is found (k descending), the twin sums
  // them when it reaches x_i (k ascending): the same terms in another order.
  for (let i = n - 1; i >= 0; i--) {
    const later = Array.from({ length: n - 1 - i }, (_, t) => neg(mul(L[i + 1 + t]![i]!, x[i + 1 + t]!)));
    x[i] = div(sum([x[i]!, ...later]), L[i]![i]!);
  }
  return x;
}

/** The logistic function 1 / (1 + e^-z) for a computed z, by either formula of the kernels. */
function sigmoid(z: Bounded): Bounded {
  const p = (t: number) => 1 / (1 + Math.exp(-t));
  // |sigma'| <= 1/4. The twin's 1 / (1 + exp(-z)) and the wasm's 1 / (1 + e) or e / (1 + e),
  // e = exp(-|z|), are within 8u relative of sigma(z') (one-ulp exp, three roundings), or
  // within 2^-1020 absolute where exp(-z) overflows or exp(-|z|) underflows.
  return new Bounded(p(z.v), 0.25 * z.e + 8 * U * p(z.v + 2 * z.e) + 2 ** -1020);
}

/** f = sum_i softplus(z_i) - y_i z_i + lambda/2 |x|^2, z = A x; g = A'(sigma(z) - y) + lambda x. */
function logisticShadow(c: KernelCase<{ m: number; n: number; lambda: number }>): { f: Bounded; g: Bounded[]; z: Bounded[] } {
  const { m, n } = c.scalars;
  const [A, x, y, lambda] = [matrix(c, "A", m, n), input(c, "x"), input(c, "y"), lit(c.scalars.lambda)];
  let f = lit(0);
  const residual: Bounded[] = [];
  A.forEach((row, i) => {
    const z = dot(row, x);
    f = add(f, sub(add(max0(z), log1p(exp(neg(abs(z))))), mul(y[i]!, z)));
    residual.push(sub(sigmoid(z), y[i]!));
  });
  const g = x.map((xj, j) => residual.reduce((acc, r, i) => add(acc, mul(r, A[i]![j]!)), mul(lambda, xj)));
  return { f: add(f, mul(mul(lit(0.5), lambda), dot(x, x))), g, z: residual };
}

/** w_i = sigma(z_i) (1 - sigma(z_i)), z = A x: wasm e / (1 + e)^2, twin p (1 - p). */
function logisticWeightsShadow(c: KernelCase<{ m: number; n: number }>): Bounded[] {
  const { m, n } = c.scalars;
  const x = input(c, "x");
  const sigma = (t: number) => 1 / (1 + Math.exp(-t));
  return matrix(c, "A", m, n).map((row) => {
    const z = dot(row, x);
    const w = sigma(z.v) * sigma(-z.v);
    // |w'(z)| <= 1 / (6 sqrt 3) < 0.0963. wasm: six roundings, 6u w. Twin: p within 4u p, then
    // 1 - p within 4u p + u (1 - p) (cancellation as p -> 1), so p (1 - p) within 6u w + 4u p^2.
    const high = Math.min(0.25, w + 0.2 * z.e);
    return new Bounded(w, 0.0963 * z.e + 8 * U * high + 4 * U * sigma(z.v + 2 * z.e) ** 2 + 2 ** -1018);
  });
}

// ---------------------------------------------------------------------------------------------
// The line search: a sequence of steps, the trial's values written between them.

/** Values a user's function may return, non-finite ones included (the search then retreats). */
const trialValue = fc.oneof({ weight: 12, arbitrary: f64() }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });

/** The block's inputs (every other slot 0, TASK = 0: a new search). */
const linesearchState = fc
  .record({
    stp: f64({ nonNegative: true, zeros: false }),
    f: f64(),
    g: fc.oneof({ weight: 6, arbitrary: f64({ zeros: false }).map((v) => -Math.abs(v)) }, { weight: 1, arbitrary: f64() }),
    ftol: fc.double({ min: 1e-6, max: 0.4, noNaN: true }),
    gtolOver: fc.double({ min: 0, max: 1, noNaN: true }),
    xtol: fc.constantFrom(0, 1e-14, 1e-10, 1e-3),
    stpmin: fc.constantFrom(0, 1e-20, 1e-3),
    stpmax: fc.constantFrom(1e20, 10, 1e3),
    mode: fc.constantFrom(0, 1),
  })
  .map((s) => {
    const slots = new Array<number>(LS_SLOTS).fill(0);
    slots[LS.STP] = s.stp;
    slots[LS.F] = s.f;
    slots[LS.G] = s.g;
    slots[LS.FTOL] = s.ftol;
    slots[LS.GTOL] = s.ftol + s.gtolOver * (1 - s.ftol);
    slots[LS.XTOL] = s.xtol;
    slots[LS.STPMIN] = s.stpmin;
    slots[LS.STPMAX] = s.stpmax;
    slots[LS.MODE] = s.mode;
    return slots;
  });

/**
 * phi(t) = a (t - c)^2 + e sin(w t) and phi'(t), undefined (NaN) beyond `wall`: a smooth
 * function along the line with a minimizer near c, and a region where f cannot be evaluated.
 */
const smoothLine = fc.record({
  a: fc.double({ min: 0.01, max: 100, noNaN: true }),
  c: fc.double({ min: 1e-3, max: 50, noNaN: true }),
  e: fc.double({ min: 0, max: 2, noNaN: true }),
  w: fc.double({ min: 0.1, max: 5, noNaN: true }),
  wall: fc.oneof(fc.constant(Infinity), fc.double({ min: 0.5, max: 100, noNaN: true })),
});
type Line = typeof smoothLine extends fc.Arbitrary<infer T> ? T : never;
const phi = (l: Line, t: number): [number, number] =>
  t > l.wall ? [NaN, NaN] : [l.a * (t - l.c) ** 2 + l.e * Math.sin(l.w * t), 2 * l.a * (t - l.c) + l.e * l.w * Math.cos(l.w * t)];

// ---------------------------------------------------------------------------------------------

export const MINIMIZE: KernelProperty[] = withRuns([
  kernelProperty({
    name: "f64 dot: x'y, the same products summed in another order",
    kernels: ["f64_dot"],
    cases: lengths().chain((n) => draw({ x: vec(n), y: vec(n) }, { n: fc.constant(n) })),
    call: (k, p, s) => k.f64_dot(p.x!, p.y!, s.n),
    tolerance: (c) => ({ result: agreement([dot(input(c, "x"), input(c, "y"))]) }),
  }),
  kernelProperty({
    // Below 1e150 (n <= 1100 squares cannot overflow) sqrt(x'x); a vector with an entry beyond
    // 1e155 overflows x'x and is read again scaled by 2^-600: sqrt(sum (x_i 2^-600)^2) / 2^-600.
    name: "f64 nrm2: sqrt(x'x), rescaled by 2^-600 where x'x overflows",
    kernels: ["f64_nrm2"],
    cases: fc
      .tuple(lengths(), fc.boolean())
      .chain(([n, beyond]) =>
        draw({ x: vec(n, beyond ? fc.oneof(f64({ max: 1e150 }), f64({ min: 1e155, max: 1e200 })) : f64({ max: 1e150 })) }, { n: fc.constant(n) }),
      ),
    call: (k, p, s) => k.f64_nrm2(p.x!, s.n),
    tolerance: (c) => {
      const x = input(c, "x");
      const plain = sqrt(dot(x, x));
      if (plain.v < Infinity) return { result: agreement([plain]) };
      const down = lit(2 ** -600);
      const scaled = x.map((xi) => mul(xi, down));
      return { result: agreement([div(sqrt(dot(scaled, scaled)), down)]) };
    },
  }),
  kernelProperty({
    name: "f64 norm_inf: max |x_i|, NaN if any is NaN",
    kernels: ["f64_norm_inf"],
    cases: lengths().chain((n) =>
      draw({ x: vec(n, fc.oneof({ weight: 40, arbitrary: f64() }, { weight: 1, arbitrary: fc.constant(NaN) })) }, { n: fc.constant(n) }),
    ),
    call: (k, p, s) => k.f64_norm_inf(p.x!, s.n),
  }),
  kernelProperty({
    name: "f64 axpby: out = a x + b y, out separate or aliasing x or y",
    kernels: ["f64_axpby"],
    cases: lengths().chain((n) =>
      draw({ out: vec(n), x: vec(n), y: vec(n) }, { n: fc.constant(n), a: f64(), b: f64(), alias: fc.constantFrom("out", "x", "y") }),
    ),
    call: (k, p, s) => k.f64_axpby(p[s.alias]!, s.a, p.x!, s.b, p.y!, s.n),
  }),
  kernelProperty({
    name: "f64 scaled_add: acc + alpha x, elementwise, acc separate or x itself",
    kernels: ["f64_scaled_add"],
    cases: lengths().chain((n) => draw({ acc: vec(n), x: vec(n) }, { n: fc.constant(n), alpha: f64(), inPlace: fc.boolean() })),
    call: (k, p, s) => k.f64_scaled_add(p.acc!, s.inPlace ? p.acc! : p.x!, s.n, s.alpha),
  }),
  kernelProperty({
    name: "f64 gemv: y = alpha A x, each row's products summed in another order",
    kernels: ["f64_gemv"],
    cases: fc.tuple(side(), side()).chain(([m, n]) =>
      draw({ y: vec(m), A: vec(m * n), x: vec(n) }, { m: fc.constant(m), n: fc.constant(n), alpha: f64() }),
    ),
    call: (k, p, s) => k.f64_gemv(p.y!, p.A!, p.x!, s.m, s.n, s.alpha),
    tolerance: (c) => ({
      y: agreement(matrix(c, "A", c.scalars.m, c.scalars.n).map((row) => mul(lit(c.scalars.alpha), dot(row, input(c, "x"))))),
    }),
  }),
  kernelProperty({
    name: "f64 scaled_identity: A = gamma I",
    kernels: ["f64_scaled_identity"],
    cases: side().chain((n) => draw({ A: vec(n * n) }, { n: fc.constant(n), gamma: f64() })),
    call: (k, p, s) => k.f64_scaled_identity(p.A!, s.n, s.gamma),
  }),
  kernelProperty({
    // Up to 1e30 nothing overflows: the largest monomial, rho^2 (y'Hy) s_i s_j, is below 1e300.
    name: "f64 bfgs_update: H+ = (I - rho s y') H (I - rho y s') + rho s s'",
    kernels: ["f64_bfgs_update"],
    cases: side().chain((n) =>
      draw({ H: vec(n * n).map(symmetric(n)), s: vec(n), y: vec(n), u: vec(n) }, { n: fc.constant(n), rho: f64() }),
    ),
    call: (k, p, s) => k.f64_bfgs_update(p.H!, p.s!, p.y!, p.u!, s.n, s.rho),
    tolerance: (c) => {
      const { H, u } = bfgsShadow(c);
      return { H: agreement(H), u: agreement(u) };
    },
  }),
  kernelProperty({
    // A run of products can overflow (each pair multiplies d by up to |rho s y|): such cases,
    // where one side may overflow and not the other, are not drawn.
    name: "f64 lbfgs_direction: d = -H g by the two-loop recursion over a ring of pairs",
    kernels: ["f64_lbfgs_direction"],
    cases: fc
      .record({ n: lengths(40), m: fc.integer({ min: 1, max: 5 }) })
      .chain(({ n, m }) =>
        fc.record({ n: fc.constant(n), m: fc.constant(m), count: fc.integer({ min: 0, max: m }), newest: fc.integer({ min: 0, max: m - 1 }) }),
      )
      .chain(({ n, m, count, newest }) =>
        draw(
          { d: vec(n), g: vec(n), S: vec(m * n), Y: vec(m * n), rho: vec(m), alpha: vec(m) },
          { m: fc.constant(m), count: fc.constant(count), newest: fc.constant(newest), n: fc.constant(n), gamma: f64() },
        ),
      )
      .filter((c) => {
        const { d, alpha } = lbfgsShadow(c);
        return !mayOverflow([...d, ...alpha]);
      }),
    call: (k, p, s) => k.f64_lbfgs_direction(p.d!, p.g!, p.S!, p.Y!, p.rho!, p.alpha!, s.m, s.count, s.newest, s.n, s.gamma),
    tolerance: (c) => {
      const { d, alpha } = lbfgsShadow(c);
      return { d: agreement(d), alpha: agreement(alpha) };
    },
  }),
  kernelProperty({
    // H's upper triangle is NaN: only the lower one may be read. Matrices are Gram matrices plus
    // a shift (positive definite: deep factorizations) or arbitrary (an early failing pivot).
    name: "f64 cholesky_damped: L L' = H + alpha I or the failing pivot, L separate or H itself",
    kernels: ["f64_cholesky_damped"],
    cases: side()
      .chain((n) =>
        draw(
          {
            L: vec(n * n),
            H: fc.oneof(vec(n * n), gram(n)).map(lowerOnly(n)),
          },
          { n: fc.constant(n), alpha: f64(), inPlace: fc.boolean() },
        ),
      )
      .filter((c) => !choleskyShadow(c).ambiguous),
    call: (k, p, s) => k.f64_cholesky_damped(s.inPlace ? p.H! : p.L!, p.H!, s.n, s.alpha),
    tolerance: (c) => {
      // The return code (compared exactly) is unambiguous in every drawn case.
      return { [c.scalars.inPlace ? "H" : "L"]: agreement(choleskyShadow(c).L) };
    },
  }),
  kernelProperty({
    // L's upper triangle is NaN: only the lower one may be read. Cases whose solution may
    // overflow on one side only are not drawn.
    name: "f64 cholesky_solve: x = (L L')^-1 b, x separate or b itself",
    kernels: ["f64_cholesky_solve"],
    cases: side()
      .chain((n) => draw({ x: vec(n), L: factor(n), b: vec(n) }, { n: fc.constant(n), inPlace: fc.boolean() }))
      .filter((c) => !mayOverflow(choleskySolveShadow(c))),
    call: (k, p, s) => k.f64_cholesky_solve(s.inPlace ? p.b! : p.x!, p.L!, p.b!, s.n),
    tolerance: (c) => ({ [c.scalars.inPlace ? "b" : "x"]: agreement(choleskySolveShadow(c)) }),
  }),
  kernelProperty({
    name: "f64 quadratic_fg: f = x'Ax/2 - b'x (wasm: x'(g + b)/2 - b'x), g = Ax - b",
    kernels: ["f64_quadratic_fg"],
    cases: side().chain((n) => draw({ x: vec(n), g: vec(n), A: vec(n * n), b: vec(n) }, { n: fc.constant(n) })),
    call: (k, p, s) => k.f64_quadratic_fg(p.x!, p.g!, p.A!, p.b!, s.n),
    tolerance: (c) => {
      const n = c.scalars.n;
      const [A, x, b] = [matrix(c, "A", n, n), input(c, "x"), input(c, "b")];
      const g = A.map((row, i) => sum([...row.map((a, j) => mul(a, x[j]!)), neg(b[i]!)]));
      // f's monomials x_i A_ij x_j / 2 and -x_i b_i; at most 2n + 4 roundings on a path (two
      // sums of up to n + 1 terms, the products, the halving).
      const monomials = [...A.flatMap((row, i) => row.map((a, j) => [lit(0.5), x[i]!, a, x[j]!])), ...x.map((xi, i) => [lit(-1), xi, b[i]!])];
      return { g: agreement(g), result: agreement([polynomial(monomials, 2 * n + 4)]) };
    },
  }),
  kernelProperty({
    name: "f64 diag_quadratic_fg: f = sum a_i x_i^2 / 2 - b'x, g = a x - b",
    kernels: ["f64_diag_quadratic_fg"],
    cases: lengths().chain((n) => draw({ x: vec(n), g: vec(n), a: vec(n), b: vec(n) }, { n: fc.constant(n) })),
    call: (k, p, s) => k.f64_diag_quadratic_fg(p.x!, p.g!, p.a!, p.b!, s.n),
    // g and each term x_i (a_i x_i / 2 - b_i) are the same operations on both sides: only the
    // order of the sum differs.
    tolerance: (c) => {
      const [x, a, b] = [input(c, "x"), input(c, "a"), input(c, "b")];
      const terms = x.map((xi, i) => mul(xi, sub(mul(lit(0.5), mul(a[i]!, xi)), b[i]!)));
      return { result: agreement([sum(terms)]) };
    },
  }),
  kernelProperty({
    name: "f64 least_squares_fg: f = |Ax - b|^2 / 2, g = A'(Ax - b), r = Ax - b",
    kernels: ["f64_least_squares_fg"],
    cases: fc.tuple(side(), side()).chain(([m, n]) =>
      draw({ x: vec(n), g: vec(n), A: vec(m * n), b: vec(m), r: vec(m) }, { m: fc.constant(m), n: fc.constant(n) }),
    ),
    call: (k, p, s) => k.f64_least_squares_fg(p.x!, p.g!, p.A!, p.b!, p.r!, s.m, s.n),
    tolerance: (c) => {
      const { m, n } = c.scalars;
      const [A, x, b] = [matrix(c, "A", m, n), input(c, "x"), input(c, "b")];
      const r = A.map((row, i) => sum([...row.map((a, j) => mul(a, x[j]!)), neg(b[i]!)]));
      // g_j accumulates r_i A_ij over i in the same order on both sides.
      const g = x.map((_, j) => r.reduce((acc, ri, i) => add(acc, mul(ri, A[i]![j]!)), lit(0)));
      // f: wasm 0.5 (r'r), twin sum (0.5 r_i) r_i: at most m + 2 roundings on a path.
      const f = polynomial(r.map((ri) => [lit(0.5), ri, ri]), m + 2);
      return { r: agreement(r), g: agreement(g), result: agreement([f]) };
    },
  }),
  kernelProperty({
    name: "f64 logistic_fg: f = sum softplus(Ax) - y'Ax + lambda |x|^2 / 2, its gradient, z = sigma(Ax) - y",
    kernels: ["f64_logistic_fg"],
    cases: fc.tuple(side(), side()).chain(([m, n]) =>
      draw(
        { x: vec(n), g: vec(n), A: vec(m * n), y: vec(m, fc.constantFrom(0, 1)), z: vec(m) },
        { m: fc.constant(m), n: fc.constant(n), lambda: f64() },
      ),
    ),
    call: (k, p, s) => k.f64_logistic_fg(p.x!, p.g!, p.A!, p.y!, p.z!, s.m, s.n, s.lambda),
    tolerance: (c) => {
      const { f, g, z } = logisticShadow(c);
      return { result: agreement([f]), g: agreement(g), z: agreement(z) };
    },
  }),
  kernelProperty({
    // Up to 1e30: t = x_2k+1 - x_2k^2 <= 1e60 and 100 t^2 <= 1e122, far from overflow.
    name: "f64 rosenbrock_fg: extended Rosenbrock and its gradient, even and odd n",
    kernels: ["f64_rosenbrock_fg"],
    cases: lengths(400).chain((n) => draw({ x: vec(n), g: vec(n) }, { n: fc.constant(n) })),
    call: (k, p, s) => k.f64_rosenbrock_fg(p.x!, p.g!, s.n),
    tolerance: (c) => {
      const x = input(c, "x");
      const g = input(c, "g"); // an odd n's last element is left alone
      const terms: Bounded[][] = [];
      for (let i = 0; i + 1 < x.length; i += 2) {
        const [a, t, u] = [x[i]!, sub(x[i + 1]!, mul(x[i]!, x[i]!)), sub(lit(1), x[i]!)];
        // wasm -400 (t a) + -2 u, twin (-400 t) a - 2 u; wasm 100 (t t) + u u, twin (100 t) t + u u.
        g[i] = polynomial([[lit(-400), t, a], [lit(-2), u]], 3);
        g[i + 1] = mul(lit(200), t);
        terms.push([lit(100), t, t], [u, u]);
      }
      return { g: agreement(g), result: agreement([polynomial(terms, 3 + terms.length / 2)]) };
    },
  }),
  kernelProperty({
    name: "f64 diag_dot: sum a_i x_i y_i (wasm a (x y), twin (a x) y)",
    kernels: ["f64_diag_dot"],
    cases: lengths().chain((n) => draw({ a: vec(n), x: vec(n), y: vec(n) }, { n: fc.constant(n) })),
    call: (k, p, s) => k.f64_diag_dot(p.a!, p.x!, p.y!, s.n),
    tolerance: (c) => {
      const [a, x, y] = [input(c, "a"), input(c, "x"), input(c, "y")];
      return { result: agreement([polynomial(a.map((ai, i) => [ai, x[i]!, y[i]!]), a.length + 2)]) };
    },
  }),
  kernelProperty({
    // Same operations in the same order on both sides (axpy rows, one division per
    // coordinate), zero diagonals included: bit-identical.
    name: "f64 quadratic_coordinate_sweep: one Gauss-Seidel pass keeping g = Ax - b",
    kernels: ["f64_quadratic_coordinate_sweep"],
    cases: side().chain((n) => draw({ x: vec(n), g: vec(n), A: vec(n * n).map(symmetric(n)) }, { n: fc.constant(n) })),
    call: (k, p, s) => k.f64_quadratic_coordinate_sweep(p.x!, p.g!, p.A!, s.n),
  }),
  kernelProperty({
    // Both add (w_i A_ir) A_ic over i in the same order: the same bits, except that the wasm
    // skips rows with w_i = 0 where the twin adds their +-0 products, which turns a zero
    // diagonal of lambda = -0 into +0. Hence rtol 0: only the sign of a zero may differ.
    name: "f64 weighted_gram: H = sum_i w_i A_i A_i' + lambda I",
    kernels: ["f64_weighted_gram"],
    cases: fc.tuple(side(), side()).chain(([m, n]) =>
      draw({ H: vec(n * n), A: vec(m * n), w: vec(m) }, { m: fc.constant(m), n: fc.constant(n), lambda: f64() }),
    ),
    call: (k, p, s) => k.f64_weighted_gram(p.H!, p.A!, p.w!, s.m, s.n, s.lambda),
    tolerance: { H: { rtol: 0 } },
  }),
  kernelProperty({
    name: "f64 logistic_weights: w = sigma(Ax) (1 - sigma(Ax))",
    kernels: ["f64_logistic_weights"],
    cases: fc.tuple(side(), side()).chain(([m, n]) => draw({ w: vec(m), A: vec(m * n), x: vec(n) }, { m: fc.constant(m), n: fc.constant(n) })),
    call: (k, p, s) => k.f64_logistic_weights(p.w!, p.A!, p.x!, s.m, s.n),
    tolerance: (c) => ({ w: agreement(logisticWeightsShadow(c)) }),
  }),
  kernelProperty({
    // The twin mirrors the wasm operation for operation: every state and code bit-identical.
    // Between steps the driver reads the trial step (dot with a buffer holding 1 returns it
    // exactly), writes f and f' into the block (scaled_identity with n = 1 stores one f64
    // exactly) and records each code. Trial values come from a smooth function of the step or
    // are arbitrary (non-finite ones included).
    name: "f64 linesearch_step: whole searches (strong Wolfe, Armijo), state and codes bit-identical",
    kernels: ["f64_linesearch_step"],
    cases: fc.integer({ min: 0, max: 20 }).chain((steps) =>
      fc.record({
        buffers: fc.record({
          state: linesearchState.chain((slots) => buffer("f64", LS_SLOTS, fc.constant(0)).map((b) => ({ ...b, values: slots }))),
          codes: buffer("f64", steps + 1, fc.constant(0)),
          one: buffer("f64", 1, fc.constant(1)),
        }),
        scalars: fc.record({
          line: fc.option(smoothLine, { freq: 3 }),
          evals: fc.array(fc.tuple(trialValue, trialValue), { minLength: steps, maxLength: steps }),
        }),
      }),
    ),
    call: (k, p, s) => {
      const write = (slot: number, value: number) => k.f64_scaled_identity(p.state! + 8 * slot, 1, value);
      const trial = (i: number) => (s.line ? phi(s.line, k.f64_dot(p.state! + 8 * LS.STP, p.one!, 1)) : s.evals[i]!);
      if (s.line) [LS.F, LS.G].forEach((slot, i) => write(slot, phi(s.line!, 0)[i]!));
      k.f64_scaled_identity(p.codes!, 1, k.f64_linesearch_step(p.state!));
      s.evals.forEach((_, i) => {
        const [f, g] = trial(i);
        write(LS.F, f);
        write(LS.G, g);
        k.f64_scaled_identity(p.codes! + 8 * (i + 1), 1, k.f64_linesearch_step(p.state!));
      });
    },
  }),
], 100);

/**
 * A lower-triangular factor like those of cholesky_damped: a diagonal within [1/2, 2] of a
 * power of two drawn per case (2^-500 to 2^100), entries below it from the edge-value mix
 * times that power, NaN above it.
 */
function factor(n: number): fc.Arbitrary<BufferCase> {
  const diagonal = fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: n, maxLength: n });
  return fc.tuple(vec(n * n, f64({ max: 1 })), diagonal, fc.integer({ min: -500, max: 100 })).map(([b, d, e]) => ({
    ...b,
    values: b.values.map((v, k) => {
      const [i, j] = [Math.floor(k / n), k % n];
      return j > i ? NaN : (i === j ? d[i]! : v) * 2 ** e;
    }),
  }));
}

/** A Gram matrix M M' (n x n, from entries below 1e15 so it stays below 1e30) plus a shift. */
function gram(n: number): fc.Arbitrary<BufferCase> {
  return fc.tuple(vec(n * n, f64({ max: 1e15 })), f64({ nonNegative: true })).map(([m, shift]) => {
    const values = m.values.map((_, k) => {
      const [i, j] = [Math.floor(k / n), k % n];
      let s = i === j ? shift : 0;
      for (let q = 0; q < n; q++) s += m.values[i * n + q]! * m.values[j * n + q]!;
      return s;
    });
    return { ...m, values };
  });
}
