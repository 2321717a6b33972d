import { describe, expect, it } from "vitest";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { relativeError } from "../helpers/close";
import { seededRandom } from "../helpers/random";
import { dot, makeProblem, products, type Problem } from "../helpers/lbfgsb";
import type { Runtime } from "../../src/runtime/runtime";

/**
 * The L-BFGS-B kernels (assembly/minimize/lbfgsb.ts, box.ts): wasm against the reference twins on
 * the outputs of their contract, and against the formulas they implement, with a dense B built
 * by BFGS updates from theta I (an independent route to the compact form's matrix).
 */

interface Outputs {
  M: Float64Array;
  xcp: Float64Array;
  c: Float64Array;
  tEnd: number;
  d: Float64Array;
  code: number;
}

/** M = middle^-1, the Cauchy point and the subspace direction, in one runtime. */
function runKernels(rt: Runtime, p: Problem): Outputs {
  return rt.scope(() => {
    const { n, m, count, oldest, theta } = p;
    const k = rt.kernels;
    const t = (v: ArrayLike<number> | number) => (typeof v === "number" ? rt.tensor([Math.max(v, 1)], { dtype: "f64" }) : rt.fromArray(v, [v.length], { dtype: "f64" }));
    const { SS, SY } = products(p);
    const [x, g, l, u, S, Y, ss, sy] = [p.x, p.g, p.l, p.u, p.S, p.Y, SS, SY].map(t);
    const size = 2 * count;
    const [A, M, work, xcp, d, scratch] = [t(4 * m * m), t(4 * m * m), t(8 * m), t(n), t(n), t(3 * n)];
    k.f64_lbfgsb_middle(A!.ptr, ss!.ptr, sy!.ptr, m, count, oldest, theta);
    k.f64_scaled_identity(M!.ptr, size, 1);
    expect(k.f64_gauss_solve(A!.ptr, M!.ptr, size, size)).toBe(0);
    const [t0, heap, dir] = [0, 1, 2].map((j) => scratch!.ptr + j * n * 8) as [number, number, number];
    const tEnd = k.f64_lbfgsb_cauchy(xcp!.ptr, x!.ptr, g!.ptr, l!.ptr, u!.ptr, S!.ptr, Y!.ptr, M!.ptr, work!.ptr, t0, heap, dir, m, count, oldest, n, theta);
    const c = work!.data.slice(0, size);
    const xcpOut = xcp!.data.slice();
    const code = k.f64_lbfgsb_subspace(
      d!.ptr, x!.ptr, g!.ptr, xcp!.ptr, l!.ptr, u!.ptr, S!.ptr, Y!.ptr, M!.ptr, ss!.ptr, sy!.ptr, A!.ptr, work!.ptr, t0, heap, m, count, oldest, n, theta,
    );
    return { M: M!.data.slice(0, size * size), xcp: xcpOut, c, tEnd, d: d!.data.slice(), code };
  });
}

/** B from theta I by the BFGS updates of the pairs, oldest first (Nocedal & Wright eq. 6.19). */
function denseB(p: Problem): Float64Array[] {
  const { n } = p;
  const B = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? p.theta : 0)));
  for (const { s, y } of p.pairs) {
    const Bs = B.map((row) => dot(row, s));
    const sBs = dot(s, Bs);
    const sy = dot(s, y);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) B[i]![j] = B[i]![j]! - (Bs[i]! * Bs[j]!) / sBs + (y[i]! * y[j]!) / sy;
  }
  return B;
}

const matVec = (B: Float64Array[], v: ArrayLike<number>) => Float64Array.from(B, (row) => dot(row, v));
const model = (p: Problem, B: Float64Array[], z: Float64Array) => {
  const step = z.map((v, i) => v - p.x[i]!);
  return dot(p.g, step) + 0.5 * dot(step, matVec(B, step));
};
const pathPoint = (p: Problem, t: number) => p.x.map((v, i) => Math.min(Math.max(v - t * p.g[i]!, p.l[i]!), p.u[i]!));

/** Dense solve by Gaussian elimination with partial pivoting (test-side, for the reduced system). */
function solve(A: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  const a = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    const p = a.slice(c).reduce((best, row, k) => (Math.abs(row[c]!) > Math.abs(a[best]![c]!) ? c + k : best), c);
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let j = c; j <= n; j++) a[r]![j] = a[r]![j]! - f * a[c]![j]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let j = r + 1; j < n; j++) s -= a[r]![j]! * x[j]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

const SIZES = [1, 3, 5, 7, 15, 17, 33, 1000];
const COUNTS = [0, 1, 3, 5];

describe("L-BFGS-B kernels: wasm vs reference", () => {
  const { wasm, js } = twinRuntimes();
  const cases = SIZES.flatMap((n) => COUNTS.map((count) => ({ n, count })));
  it.each(cases)("n = $n, $count pairs", ({ n, count }) => {
    const p = makeProblem(n, count, 7 * n + count);
    const got = runKernels(wasm, p);
    const want = runKernels(js, p);
    expect(relativeError(got.M, want.M), "M").toBeLessThanOrEqual(1e-10);
    expect(relativeError(got.xcp, want.xcp), "xcp").toBeLessThanOrEqual(1e-12);
    expect(relativeError(got.c, want.c), "c").toBeLessThanOrEqual(1e-10);
    expect(relativeError([got.tEnd], [want.tEnd]), "Cauchy step").toBeLessThanOrEqual(1e-12);
    expect(got.code, "subspace outcome").toBe(want.code);
    expect(relativeError(got.d, want.d), "d").toBeLessThanOrEqual(1e-10);
  });
});

describeBackends("L-BFGS-B kernels against their formulas", (rt) => {
  it.each([1, 3, 5])("the compact form: theta I - W M W' is the BFGS matrix (%i pairs)", (count) => {
    const p = makeProblem(7, count, 11 + count);
    const { M } = runKernels(rt, p);
    const B = denseB(p);
    const size = 2 * count;
    const w = (i: number, a: number) => (a < count ? p.pairs[a]!.y[i]! : p.theta * p.pairs[a - count]!.s[i]!);
    for (let i = 0; i < p.n; i++) for (let j = 0; j < p.n; j++) {
      let wmw = 0;
      for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) wmw += w(i, a) * M[a * size + b]! * w(j, b);
      expect(Math.abs((i === j ? p.theta : 0) - wmw - B[i]![j]!)).toBeLessThanOrEqual(1e-10 * p.theta);
    }
  });

  it.each(COUNTS)("the Cauchy point is the first local minimizer of the model along P(x - t g) (%i pairs)", (count) => {
    const p = makeProblem(17, count, 23 + count);
    const { xcp, tEnd, c } = runKernels(rt, p);
    const B = denseB(p);
    expect(relativeError(xcp, pathPoint(p, tEnd))).toBeLessThanOrEqual(1e-12);
    const qStar = model(p, B, xcp);
    for (let k = 0; k <= 400; k++) {
      const q = model(p, B, pathPoint(p, (tEnd * k) / 400));
      expect(q, `t = ${(tEnd * k) / 400}`).toBeGreaterThanOrEqual(qStar - 1e-12);
    }
    expect(model(p, B, pathPoint(p, tEnd * 1.001 + 1e-9))).toBeGreaterThanOrEqual(qStar - 1e-12);
    // c = W'(xcp - x)
    const z = xcp.map((v, i) => v - p.x[i]!);
    const w = (i: number, a: number) => (a < count ? p.pairs[a]!.y[i]! : p.theta * p.pairs[a - count]!.s[i]!);
    c.forEach((ca, a) => expect(Math.abs(ca - z.reduce((s, zi, i) => s + w(i, a) * zi, 0))).toBeLessThanOrEqual(1e-10));
  });

  it.each(COUNTS)("the subspace step minimizes the model over the free variables (%i pairs)", (count) => {
    const p = makeProblem(17, count, 41 + count);
    const { xcp, d, code } = runKernels(rt, p);
    const B = denseB(p);
    const free = [...xcp.keys()].filter((i) => p.l[i]! < xcp[i]! && xcp[i]! < p.u[i]!);
    const r = Float64Array.from(free, (i) => p.g[i]! + dot(B[i]!, xcp.map((v, j) => v - p.x[j]!)));
    const du = solve(free.map((i) => Float64Array.from(free, (j) => B[i]![j]!)), r.map((v) => -v));
    const xbar = Float64Array.from(xcp);
    free.forEach((i, k) => (xbar[i] = xbar[i]! + du[k]!));
    const projected = xbar.map((v, i) => Math.min(Math.max(v, p.l[i]!), p.u[i]!));
    let want: Float64Array;
    if (dot(p.g, projected.map((v, i) => v - p.x[i]!)) < 0) {
      expect(code).toBe(0);
      want = projected;
    } else {
      expect(code).toBe(1);
      const alpha = Math.min(1, ...free.map((i, k) => (du[k]! < 0 ? (p.l[i]! - xcp[i]!) / du[k]! : du[k]! > 0 ? (p.u[i]! - xcp[i]!) / du[k]! : 1)));
      want = Float64Array.from(xcp);
      free.forEach((i, k) => (want[i] = want[i]! + alpha * du[k]!));
    }
    expect(relativeError(d, want.map((v, i) => v - p.x[i]!))).toBeLessThanOrEqual(1e-9);
    expect(dot(p.g, d)).toBeLessThan(0);
  });

  it.each([1, 3, 5])("with no bounds the direction is L-BFGS's two-loop -H g (%i pairs)", (count) => {
    const p = makeProblem(33, count, 5 + count, "none");
    const { d } = runKernels(rt, p);
    const twoLoop = rt.scope(() => {
      const t = (v: ArrayLike<number>) => rt.fromArray(v, [v.length], { dtype: "f64" });
      const rho = new Float64Array(p.m);
      p.pairs.forEach(({ s, y }, k) => (rho[(p.oldest + k) % p.m] = 1 / dot(s, y)));
      const [out, g, S, Y, r, alpha] = [t(new Float64Array(p.n)), t(p.g), t(p.S), t(p.Y), t(rho), t(new Float64Array(p.m))];
      const newest = (p.oldest + count - 1) % p.m;
      rt.kernels.f64_lbfgs_direction(out.ptr, g.ptr, S.ptr, Y.ptr, r.ptr, alpha.ptr, p.m, count, newest, p.n, 1 / p.theta);
      return out.data.slice();
    });
    expect(relativeError(d, twoLoop)).toBeLessThanOrEqual(1e-10);
  });

  it("gauss_solve: A X = B for several right-hand sides, and a singular A names its column", () => {
    rt.scope(() => {
      const n = 6;
      const rand = seededRandom(3);
      const a = Float64Array.from({ length: n * n }, () => rand() - 0.5);
      const b = Float64Array.from({ length: n * 2 }, () => rand() - 0.5);
      const A = rt.fromArray(a, [n * n], { dtype: "f64" });
      const B = rt.fromArray(b, [n * 2], { dtype: "f64" });
      expect(rt.kernels.f64_gauss_solve(A.ptr, B.ptr, n, 2)).toBe(0);
      const X = B.data;
      for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * X[k * 2 + j]!;
        expect(Math.abs(s - b[i * 2 + j]!)).toBeLessThanOrEqual(1e-12);
      }
      const singular = rt.fromArray([1, 2, 2, 4], [4], { dtype: "f64" });
      const rhs = rt.fromArray([1, 1], [2], { dtype: "f64" });
      expect(rt.kernels.f64_gauss_solve(singular.ptr, rhs.ptr, 2, 1)).toBe(2);
    });
  });

  it("box kernels: projection, projected gradient, longest feasible step", () => {
    rt.scope(() => {
      const t = (v: number[]) => rt.fromArray(v, [v.length], { dtype: "f64" });
      const [l, u] = [t([-1, 0, -Infinity, 2, -5]), t([1, 0, 3, Infinity, 5])];
      const x = t([-3, 0.5, 7, 1, 4]);
      rt.kernels.f64_box_project(x.ptr, l.ptr, u.ptr, 5);
      expect(Array.from(x.data)).toEqual([-1, 0, 3, 2, 4]);
      const g = t([1, -2, -1, 0.5, -3]);
      // P(x - g) - x: [-1 clipped: 0, fixed: 0, 3 + 1 -> 3: 0, 2 - 0.5 -> 2: 0, 4 + 3 -> 5: 1]
      expect(rt.kernels.f64_projected_gradient_inf(x.ptr, g.ptr, l.ptr, u.ptr, 5, 1)).toBe(1);
      expect(rt.kernels.f64_projected_gradient_inf(x.ptr, g.ptr, l.ptr, u.ptr, 5, 0.25)).toBe(0.75);
      const d = t([1, 0, -1, 2, 0.5]);
      // x + t d: 2 / 1 for x0, 4 / 1 for x2 (down to -inf: none), none up for x3, 1 / 0.5 = 2 for x4
      expect(rt.kernels.f64_box_max_step(x.ptr, d.ptr, l.ptr, u.ptr, 5)).toBe(2);
      expect(rt.kernels.f64_box_max_step(x.ptr, t([0, 0, -1, 1, 0]).ptr, l.ptr, u.ptr, 5)).toBe(Infinity);
    });
  });
});
