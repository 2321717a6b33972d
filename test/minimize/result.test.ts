import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, mghFG } from "../helpers/mgh";
import { minimize, quadratic, type MinimizeResult } from "../../src/minimize/index";

const rosen = MGH_PROBLEMS[0]!;

/** scipy's OptimizeResult names carry exactly descend's values. */
function expectScipyNames(r: MinimizeResult): void {
  expect(Object.is(r.fun, r.f)).toBe(true);
  expect(r.jac).toBe(r.grad);
  expect(r.success).toBe(r.converged);
  expect(r.njev).toBe(r.ngev);
}

describeBackends("minimize() result", (rt) => {
  it("names its fields as scipy.optimize.minimize does too (fun, jac, success, njev)", () => {
    for (const method of ["lbfgs", "bfgs", "cg"] as const) {
      const r = minimize(mghFG(rosen), rosen.x0, { method, runtime: rt });
      expect(r.success).toBe(true);
      expect(r.fun).toBeLessThan(1e-10);
      expectScipyNames(r);
    }
  });

  it("keeps scipy's names on a run that stopped early and on one that never started", () => {
    const q = quadratic(rt, [4, 1, 1, 3], [1, 2]);
    const stopped = minimize(q, [0, 0], { maxIter: 1, gtol: 0 });
    expect([stopped.success, stopped.status]).toEqual([false, "max-iter"]);
    expectScipyNames(stopped);
    const aborted = minimize(q, [0, 0], { signal: AbortSignal.abort() });
    expect([aborted.success, aborted.nfev, aborted.njev]).toEqual([false, 0, 0]);
    expectScipyNames(aborted);
    q.dispose();
  });
});
