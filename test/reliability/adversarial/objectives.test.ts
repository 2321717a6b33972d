// Ownership of the objectives: they keep their tensors out of scopes (a scope used to free them,
// and minimize then "converged" at x0), check liveness before every use (after dispose() minimize
// used to run the kernels on freed memory, overwriting other tensors) and free everything once.
// One describe block per objective factory; add new factories to OBJECTIVES.
import { describe, expect, it } from "vitest";
import { describeBackends } from "../../helpers/backends";
import { expectThrowsUnchanged } from "../../helpers/snapshot";
import type { Runtime } from "../../../src/runtime/runtime";
import { DisposedError } from "../../../src/runtime/errors";
import {
  diagonalQuadratic, extendedRosenbrock, leastSquares, logisticRegression, minimize, quadratic, type Objective,
} from "../../../src/minimize/index";

const n = 4;
// A SPD, b = A * ones: quadratic and least squares are minimized at ones.
const A = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 4 : 1));
const b = Float64Array.from({ length: n }, (_, i) => A.subarray(i * n, i * n + n).reduce((s, v) => s + v, 0));

interface Case {
  make: (rt: Runtime) => Objective;
  /** The minimizer, when it is known in closed form. */
  solution?: number[];
}

const OBJECTIVES: Record<string, Case> = {
  quadratic: { make: (rt) => quadratic(rt, A, b), solution: [1, 1, 1, 1] },
  diagonalQuadratic: { make: (rt) => diagonalQuadratic(rt, [1, 2, 3, 4], [2, 4, 6, 8]), solution: [2, 2, 2, 2] },
  leastSquares: { make: (rt) => leastSquares(rt, A, b, n), solution: [1, 1, 1, 1] },
  logisticRegression: { make: (rt) => logisticRegression(rt, A, [1, 0, 1, 0], n, 0.5) },
  extendedRosenbrock: { make: (rt) => extendedRosenbrock(rt, n), solution: [1, 1, 1, 1] },
};

/** Calls every method the objective has, with addresses of a scratch tensor. */
function callEveryMethod(rt: Runtime, objective: Objective, scratch: { ptr: number }): Array<() => unknown> {
  const { ptr } = scratch;
  return [
    () => objective.evaluate(ptr, ptr + 8 * n),
    objective.curvature && (() => objective.curvature!(ptr)),
    objective.hessian && (() => objective.hessian!(ptr, ptr + 8 * n)),
    objective.coordinateSweep && (() => objective.coordinateSweep!(ptr, ptr + 8 * n)),
    () => minimize(objective, new Float64Array(n)),
    () => minimize(objective, new Float64Array(n), { runtime: rt, method: "cg" }),
  ].filter((call): call is () => unknown => call !== undefined);
}

describeBackends("objectives: ownership", (rt) => {
  for (const [name, { make, solution }] of Object.entries(OBJECTIVES)) {
    describe(name, () => {
      it("made inside rt.scope, it outlives the scope and still minimizes", () => {
        const before = rt.memoryStats();
        const outside = make(rt);
        const reference = minimize(outside, new Float64Array(n), { gtol: 1e-10 });
        outside.dispose();
        const objective = rt.scope(() => make(rt));
        expect(rt.memoryStats().liveTensors).toBeGreaterThanOrEqual(before.liveTensors);
        const r = minimize(objective, new Float64Array(n), { gtol: 1e-10 });
        expect(r.status).toBe(reference.status);
        expect(r.x).toEqual(reference.x);
        if (solution) r.x.forEach((v, i) => expect(v).toBeCloseTo(solution[i]!, 6));
        expect(r.nit).toBeGreaterThan(0); // not "converged" at x0
        objective.dispose();
        expect(rt.memoryStats().liveTensors).toBe(before.liveTensors);
      });

      it("after dispose() every method and minimize() throw DisposedError, changing nothing", () => {
        const objective = make(rt);
        expect(objective.disposed).toBe(false);
        objective.dispose();
        expect(objective.disposed).toBe(true);
        // The freed memory now belongs to another tensor, which must stay as it is.
        const other = rt.tensor([64], { dtype: "f64" }).fill(7);
        for (const call of callEveryMethod(rt, objective, other)) {
          expectThrowsUnchanged(rt, call, DisposedError, /objective was used after dispose\(\)/);
        }
        expect(other.data.every((v) => v === 7)).toBe(true);
        objective.dispose(); // idempotent
        other.dispose();
      });
    });
  }
});

describeBackends("f64_weighted_gram: zero-weight rows", (rt) => {
  it("a row with weight 0 is left out, even when it holds Inf and NaN (both backends agree)", () => {
    const m = 3;
    const cols = 2;
    rt.scope(() => {
      const a = rt.fromArray([1, 2, Infinity, NaN, 3, -1], [m * cols], { dtype: "f64" });
      const w = rt.fromArray([2, 0, 0.5], [m], { dtype: "f64" });
      const H = rt.tensor([cols * cols], { dtype: "f64" });
      rt.kernels.f64_weighted_gram(H.ptr, a.ptr, w.ptr, m, cols, 0.25);
      // 2 [1 2]'[1 2] + 0.5 [3 -1]'[3 -1] + 0.25 I
      expect(Array.from(H.data)).toEqual([2 + 4.5 + 0.25, 4 - 1.5, 4 - 1.5, 8 + 0.5 + 0.25]);
    });
  });

  it("a NaN weight still poisons H (only an exact zero excludes a row)", () => {
    rt.scope(() => {
      const a = rt.fromArray([1, 2], [2], { dtype: "f64" });
      const w = rt.fromArray([NaN], [1], { dtype: "f64" });
      const H = rt.tensor([4], { dtype: "f64" });
      rt.kernels.f64_weighted_gram(H.ptr, a.ptr, w.ptr, 1, 2, 0);
      expect(H.data.every(Number.isNaN)).toBe(true);
    });
  });
});
