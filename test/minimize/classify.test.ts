import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, mghFG } from "../helpers/mgh";
import { minimize, quadratic, type FG } from "../../src/minimize/index";
import { ShapeError, ValueError } from "../../src/runtime/errors";

const rosen = MGH_PROBLEMS[0]!;
/** f = x^2 - y^2 (saddle at 0) and f = -(x^2 + 2 y^2) (maximum at 0), each with its constant Hessian. */
const saddle: FG = (x, g) => ((g[0] = 2 * x[0]!), (g[1] = -2 * x[1]!), x[0]! ** 2 - x[1]! ** 2);
const cap: FG = (x, g) => ((g[0] = -2 * x[0]!), (g[1] = -4 * x[1]!), -(x[0]! ** 2) - 2 * x[1]! ** 2);

describeBackends("minimize() classify", (rt) => {
  it("classifies the minimum L-BFGS finds on Rosenbrock, with the Hessian's eigenvalues there", () => {
    const r = minimize(mghFG(rosen), rosen.x0, { classify: true, runtime: rt });
    expect(r.criticalPoint!.kind).toBe("minimum");
    // The Hessian at (1, 1) is [[802, -400], [-400, 200]]: eigenvalues 1001.6 and 0.3994.
    expect(r.criticalPoint!.max).toBeCloseTo(1001.6, 0);
    expect(r.criticalPoint!.min).toBeCloseTo(0.3994, 2);
  });

  it("classifies the saddle undamped Newton lands on, and the maximum", () => {
    const toSaddle = minimize(saddle, [1, 0.5], { method: "newton", hess: (_x, H) => H.set([2, 0, 0, -2]), damping: 0, classify: true, runtime: rt });
    expect([toSaddle.status, toSaddle.criticalPoint!.kind]).toEqual(["gtol", "saddle"]);
    expect(toSaddle.criticalPoint!.min).toBeCloseTo(-2, 6);
    expect(toSaddle.criticalPoint!.max).toBeCloseTo(2, 6);
    const toMax = minimize(cap, [1, 2], { method: "newton", hess: (_x, H) => H.set([-2, 0, 0, -4]), damping: 0, classify: true, runtime: rt });
    expect([toMax.status, toMax.criticalPoint!.kind]).toEqual(["gtol", "maximum"]);
  });

  it("says 'not-critical' when the run stopped short, classifies an Objective, and is absent by default", () => {
    const short = minimize(mghFG(rosen), rosen.x0, { maxIter: 2, classify: true, runtime: rt });
    expect(short.criticalPoint!.kind).toBe("not-critical");
    const q = quadratic(rt, [4, 1, 1, 3], [1, 2]);
    expect(minimize(q, [0, 0], { classify: true }).criticalPoint!.kind).toBe("minimum");
    expect(minimize(q, [0, 0]).criticalPoint).toBeUndefined();
    q.dispose();
  });

  it("validates classify", () => {
    expect(() => minimize(saddle, [1, 2], { classify: 1 as never, runtime: rt })).toThrow(/Invalid classify: 1 \(expected true or false\)/);
    expect(() => minimize((x) => x[0]! ** 2, [1], { classify: true, gradient: "forward", runtime: rt })).toThrow(ValueError);
    expect(() => minimize(saddle, new Float64Array(1001), { classify: true, runtime: rt })).toThrow(ShapeError);
  });
});
