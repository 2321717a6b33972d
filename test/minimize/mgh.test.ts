import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import {
  MGH_PROBLEMS,
  extendedRosenbrockFG,
  extendedRosenbrockStart,
  mghFG,
  mghHess,
  reachesMinimum,
  type MGHProblem,
} from "../helpers/mgh";
import { minimize, type Method, type MinimizeResult } from "../../src/minimize/index";

/**
 * The Moré-Garbow-Hillstrom problems from their standard starts: every method reaches the
 * paper's minimum value (1e-8 absolute or relative) or a local minimum documented for the problem,
 * reports f = f(x) exactly, and when it claims convergence the gradient at x is below gtol.
 */

/** gtol per problem: 1e-8, except where f at the minimum is ~49 and rounding caps |g| near 1e-7. */
const gtolFor = (p: MGHProblem) => (p.id === 2 ? 1e-5 : 1e-8);

function checkResult(p: Pick<MGHProblem, "fStar" | "local" | "n">, fg: (x: Float64Array, g: Float64Array) => number, r: MinimizeResult, gtol: number): void {
  expect(reachesMinimum(p, r.f), `f = ${r.f} (${r.status}, ${r.nit} iterations)`).toBe(true);
  const g = new Float64Array(p.n);
  const f = fg(Float64Array.from(r.x), g);
  expect(r.f, "reported f is f(x)").toBe(f);
  const gnorm = Math.max(...g.map(Math.abs));
  expect(r.gradNorm).toBe(gnorm);
  expect(r.nfev).toBe(r.ngev);
  if (r.converged) {
    expect(["gtol", "ftol", "xtol"]).toContain(r.status);
    if (r.status === "gtol") expect(gnorm).toBeLessThanOrEqual(gtol);
  } else {
    // CG on Powell's badly scaled problem ends with a line search stopped by rounding, at f < 1e-8.
    expect(r.status).toBe("line-search-failed");
  }
}

describeBackends("MGH problems", (rt) => {
  for (const method of ["lbfgs", "bfgs", "cg"] as Method[]) {
    for (const p of MGH_PROBLEMS) {
      it(`${method}: ${p.id} ${p.name}`, () => {
        const r = minimize(mghFG(p), p.x0, { method, gtol: gtolFor(p), runtime: rt });
        checkResult(p, mghFG(p), r, gtolFor(p));
        if (method !== "cg") expect(r.converged).toBe(true);
      });
    }
  }

  for (const p of MGH_PROBLEMS.filter((q) => q.addHess)) {
    it(`newton: ${p.id} ${p.name}`, () => {
      const r = minimize(mghFG(p), p.x0, { method: "newton", hess: mghHess(p), gtol: gtolFor(p), runtime: rt });
      checkResult(p, mghFG(p), r, gtolFor(p));
      expect(r.nhev).toBe(r.nit); // one Hessian per iteration, none at the final point
    });
  }

  for (const method of ["lbfgs", "bfgs", "cg"] as Method[]) {
    it(`${method}: 21 Extended Rosenbrock n=1000`, () => {
      const n = 1000;
      const r = minimize(extendedRosenbrockFG, extendedRosenbrockStart(n), { method, gtol: 1e-6, runtime: rt });
      checkResult({ fStar: 0, n }, extendedRosenbrockFG, r, 1e-6);
      expect(r.converged).toBe(true);
      for (const xi of r.x) expect(Math.abs(xi - 1)).toBeLessThan(1e-4);
    });
  }

  it("newton lands on Freudenstein-Roth's local minimum 48.9842 at (11.41, -0.8968), as the paper notes", () => {
    const p = MGH_PROBLEMS.find((q) => q.id === 2)!;
    const r = minimize(mghFG(p), p.x0, { method: "newton", hess: mghHess(p), runtime: rt });
    expect(r.f).toBeCloseTo(48.9842, 3);
    expect(r.x[0]).toBeCloseTo(11.41, 2);
    expect(r.x[1]).toBeCloseTo(-0.8968, 3);
  });
});

describeBackends("newton with Hessian-vector products", (rt) => {
  it("assembles H from n products and matches the run with the dense Hessian", () => {
    for (const p of MGH_PROBLEMS.filter((q) => q.addHess && q.id !== 2)) {
      const hess = mghHess(p);
      const H = new Float64Array(p.n * p.n);
      const hessp = (x: Float64Array, v: Float64Array, out: Float64Array) => {
        hess(x, H);
        for (let i = 0; i < p.n; i++) out[i] = H.subarray(i * p.n, (i + 1) * p.n).reduce((s, h, j) => s + h * v[j]!, 0);
      };
      const a = minimize(mghFG(p), p.x0, { method: "newton", hessp, gtol: 1e-8, runtime: rt });
      const b = minimize(mghFG(p), p.x0, { method: "newton", hess, gtol: 1e-8, runtime: rt });
      expect(a.status, p.name).toBe("gtol");
      expect([a.nit, a.nfev, a.nhev]).toEqual([b.nit, b.nfev, b.nhev]);
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
    }
  });
});
