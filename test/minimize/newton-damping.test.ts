import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, mghFG, mghHess } from "../helpers/mgh";
import { minimize, type FG } from "../../src/minimize/index";
import { ValueError } from "../../src/runtime/errors";

/** f = x^2 - y^2: a saddle at the origin, unbounded below along y. */
const saddle: FG = (x, g) => {
  g[0] = 2 * x[0]!;
  g[1] = -2 * x[1]!;
  return x[0]! ** 2 - x[1]! ** 2;
};
const saddleHess = (_x: Float64Array, H: Float64Array) => H.set([2, 0, 0, -2]);

/** f = 1/2 x'Ax - b'x with A = [[4, 1], [1, 3]], b = [1, 2]. */
const bowl: FG = (x, g) => {
  g[0] = 4 * x[0]! + x[1]! - 1;
  g[1] = x[0]! + 3 * x[1]! - 2;
  return 0.5 * (4 * x[0]! ** 2 + 2 * x[0]! * x[1]! + 3 * x[1]! ** 2) - x[0]! - 2 * x[1]!;
};
const bowlHess = (_x: Float64Array, H: Float64Array) => H.set([4, 1, 1, 3]);

describeBackends("minimize() newton damping", (rt) => {
  it("undamped Newton (damping 0) jumps to the saddle of x^2 - y^2 in one step from off the axes", () => {
    const r = minimize(saddle, [1, 0.5], { method: "newton", hess: saddleHess, damping: 0, runtime: rt });
    expect([r.status, r.nit, Array.from(r.x), r.f]).toEqual(["gtol", 1, [0, 0], 0]);
  });

  it("adaptive Levenberg-Marquardt (the default) does not: it leaves along the descending axis", () => {
    const r = minimize(saddle, [1, 0.5], { method: "newton", hess: saddleHess, maxIter: 20, runtime: rt });
    expect(r.converged).toBe(false);
    expect(Math.abs(r.x[1]!)).toBeGreaterThan(10);
    expect(r.f).toBeLessThan(-100);
  });

  it("takes the hand-computed step x - [H + alpha I]^-1 g for alpha = 1 on a quadratic", () => {
    // From 0: g = -b, [A + I]^-1 b = [[5, 1], [1, 4]]^-1 [1, 2] = [4 - 2, -1 + 10] / 19 = [2, 9] / 19.
    const one = minimize(bowl, [0, 0], { method: "newton", hess: bowlHess, damping: 1, maxIter: 1, runtime: rt });
    expect(one.x[0]).toBeCloseTo(2 / 19, 14);
    expect(one.x[1]).toBeCloseTo(9 / 19, 14);
    // The next step from x1: g1 = A x1 - b, x2 = x1 - [A + I]^-1 g1; the iteration converges to A^-1 b = [1, 7] / 11.
    const x1 = [2 / 19, 9 / 19];
    const g1 = [4 * x1[0]! + x1[1]! - 1, x1[0]! + 3 * x1[1]! - 2];
    const x2 = [x1[0]! - (4 * g1[0]! - g1[1]!) / 19, x1[1]! - (-g1[0]! + 5 * g1[1]!) / 19];
    const two = minimize(bowl, [0, 0], { method: "newton", hess: bowlHess, damping: 1, maxIter: 2, runtime: rt });
    expect(two.x[0]).toBeCloseTo(x2[0]!, 14);
    expect(two.x[1]).toBeCloseTo(x2[1]!, 14);
    const all = minimize(bowl, [0, 0], { method: "newton", hess: bowlHess, damping: 1, gtol: 1e-12, runtime: rt });
    expect(all.status).toBe("gtol");
    expect(all.x[0]).toBeCloseTo(1 / 11, 12);
    expect(all.x[1]).toBeCloseTo(7 / 11, 12);
  });

  it("takes every undamped step, also where f rises, and solves Rosenbrock from the standard start", () => {
    const rosen = MGH_PROBLEMS[0]!;
    const fs: number[] = [];
    const r = minimize(mghFG(rosen), rosen.x0, {
      method: "newton", hess: mghHess(rosen), damping: 0, gtol: 1e-10, runtime: rt, onIteration: ({ f }) => void fs.push(f),
    });
    expect(r.status).toBe("gtol");
    expect(Math.abs(r.x[0]! - 1) + Math.abs(r.x[1]! - 1)).toBeLessThan(1e-8);
    expect(r.nfev).toBe(r.nit + 1);
    expect(fs.some((f, i) => i > 0 && f > fs[i - 1]!)).toBe(true); // pure Newton is not monotone here
  });

  it("stops with 'non-finite' where H + alpha I is singular", () => {
    const r = minimize(saddle, [1, 0.5], { method: "newton", hess: saddleHess, damping: 2, runtime: rt });
    expect(r.status).toBe("non-finite");
  });

  it("validates damping", () => {
    const base = { method: "newton" as const, hess: saddleHess, runtime: rt };
    expect(() => minimize(saddle, [1, 0.5], { ...base, damping: -1 })).toThrow(/Invalid damping: -1/);
    expect(() => minimize(saddle, [1, 0.5], { ...base, damping: "lm" as never })).toThrow(/Invalid damping: lm \(expected 'adaptive' or a finite number >= 0\)/);
    expect(() => minimize(saddle, [1, 0.5], { damping: 0, runtime: rt })).toThrow(ValueError);
    expect(() => minimize(saddle, [1, 0.5], { damping: 0, runtime: rt })).toThrow(/only 'newton' is damped/);
  });
});
