import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, mghFG } from "../helpers/mgh";
import { minimize, quadratic } from "../../src/minimize/index";
import { ValueError } from "../../src/runtime/errors";

const rosen = MGH_PROBLEMS[0]!;
/** Rosenbrock's f alone. */
const rosenF = (x: Float64Array) => mghFG(rosen)(x, new Float64Array(2));

/** The steps the docs give, with the sign of x_i (+ for 0). */
const forwardStep = (xi: number) => Math.sqrt(Number.EPSILON) * (xi < 0 ? -1 : 1) * Math.max(1, Math.abs(xi));
const centralStep = (xi: number) => Math.cbrt(Number.EPSILON) * (xi < 0 ? -1 : 1) * Math.max(1, Math.abs(xi));

describeBackends("minimize() with finite-difference gradients", (rt) => {
  it("computes the forward difference with h = sqrt(eps) max(1, |x_i|), n + 1 calls of f", () => {
    const x0 = [-1.2, 0];
    const r = minimize(rosenF, x0, { gradient: "forward", maxIter: 0, runtime: rt });
    const f0 = rosenF(Float64Array.from(x0));
    const expected = x0.map((xi, i) => {
      const x = Float64Array.from(x0);
      x[i] = xi + forwardStep(xi);
      return (rosenF(x) - f0) / (x[i]! - xi);
    });
    expect(Array.from(r.grad)).toEqual(expected);
    expect([r.status, r.nfev, r.ngev]).toEqual(["max-iter", 3, 1]);
  });

  it("computes the central difference with h = cbrt(eps) max(1, |x_i|), 2n + 1 calls of f", () => {
    const x0 = [-1.2, 3.5];
    const r = minimize(rosenF, x0, { gradient: "central", maxIter: 0, runtime: rt });
    const expected = x0.map((xi, i) => {
      const [up, down] = [Float64Array.from(x0), Float64Array.from(x0)];
      up[i] = xi + centralStep(xi);
      down[i] = xi - centralStep(xi);
      return (rosenF(up) - rosenF(down)) / (up[i]! - down[i]!);
    });
    expect(Array.from(r.grad)).toEqual(expected);
    expect([r.nfev, r.ngev]).toEqual([5, 1]);
    const exact = new Float64Array(2);
    mghFG(rosen)(Float64Array.from(x0), exact);
    for (let i = 0; i < 2; i++) expect(Math.abs(r.grad[i]! - exact[i]!)).toBeLessThan(1e-7 * Math.abs(exact[i]!));
  });

  it("minimizes Rosenbrock from f alone with every line-search method, counting every call of f", () => {
    for (const method of ["lbfgs", "bfgs", "cg"] as const) {
      for (const gradient of ["forward", "central"] as const) {
        const r = minimize(rosenF, rosen.x0, { method, gradient, gtol: 1e-4, runtime: rt });
        expect([method, gradient, r.status]).toEqual([method, gradient, "gtol"]);
        expect(Math.abs(r.x[0]! - 1) + Math.abs(r.x[1]! - 1)).toBeLessThan(1e-3);
        expect(r.nfev).toBe(r.ngev * (gradient === "forward" ? 3 : 5));
      }
    }
  });

  it("stops within maxEval's gradient: the budget is checked before each gradient", () => {
    const r = minimize(rosenF, rosen.x0, { gradient: "central", maxEval: 12, gtol: 0, runtime: rt });
    expect(r.status).toBe("max-eval");
    expect(r.nfev).toBe(15);
  });

  it("detects a gradient the callback never wrote instead of reporting convergence at x0 (issue 19)", () => {
    // f alone without `gradient`: before the marker check this stopped with status 'gtol' at x0.
    expect(() => minimize(rosenF, rosen.x0, { runtime: rt })).toThrow(ValueError);
    expect(() => minimize(rosenF, rosen.x0, { runtime: rt })).toThrow(
      /fg\(x, g\): g: component 0 was never written \(.*pass gradient: 'forward' or 'central'\)/,
    );
  });

  it("refuses an unknown rule, and finite differences for an Objective (it has its gradient)", () => {
    expect(() => minimize(rosenF, rosen.x0, { gradient: "2-point" as never, runtime: rt })).toThrow(/Invalid gradient: 2-point \(expected one of 'forward', 'central'\)/);
    const q = quadratic(rt, [2, 0, 0, 2], [1, 1]);
    expect(() => minimize(q, [0, 0], { gradient: "forward" })).toThrow(/Invalid gradient: forward \(an Objective computes its own gradient/);
    q.dispose();
  });

  it("stops with 'non-finite' where f is not finite at x0 or at a perturbed point", () => {
    expect(minimize((x) => -Math.log(x[0]!), [0], { gradient: "forward", runtime: rt }).status).toBe("non-finite");
    // Finite at x0 = 1, NaN one forward step beyond it.
    const edge = (x: Float64Array) => (x[0]! <= 1 ? (x[0]! - 2) ** 2 : NaN);
    expect(minimize(edge, [1], { gradient: "forward", runtime: rt }).status).toBe("non-finite");
    expect(minimize(edge, [1], { gradient: "central", runtime: rt }).status).toBe("non-finite");
  });
});
