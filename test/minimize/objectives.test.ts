import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { extendedRosenbrockFG, extendedRosenbrockStart } from "../helpers/mgh";
import { diagonalQuadratic, extendedRosenbrock, leastSquares, logisticRegression, minimize, quadratic } from "../../src/minimize/index";
import { ShapeError, ValueError } from "../../src/runtime/errors";

describeBackends("wasm objectives", (rt) => {
  it("logistic regression in linear memory gives the same minimizer as the same loss as a callback", () => {
    const m = 60;
    const n = 7;
    const A = uniformArray(m * n, 8);
    const w = uniformArray(n, 9, -2, 2);
    const y = Float64Array.from({ length: m }, (_, i) => (A.subarray(i * n, i * n + n).reduce((s, v, j) => s + v * w[j]!, 0) + 0.3 * Math.sin(i) > 0 ? 1 : 0));
    const lambda = 0.05;
    const callback = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let j = 0; j < n; j++) g[j] = lambda * x[j]!;
      for (let i = 0; i < m; i++) {
        let z = 0;
        for (let j = 0; j < n; j++) z += A[i * n + j]! * x[j]!;
        f += Math.log1p(Math.exp(z)) - y[i]! * z;
        const p = 1 / (1 + Math.exp(-z));
        for (let j = 0; j < n; j++) g[j] = g[j]! + (p - y[i]!) * A[i * n + j]!;
      }
      return f + (0.5 * lambda * x.reduce((s, v) => s + v * v, 0));
    };
    const objective = logisticRegression(rt, A, y, n, lambda);
    const a = minimize(objective, new Float64Array(n), { method: "lbfgs", gtol: 1e-7 });
    objective.dispose();
    const b = minimize(callback, new Float64Array(n), { method: "lbfgs", gtol: 1e-7, runtime: rt });
    expect(a.status).toBe("gtol");
    expect(b.status).toBe("gtol");
    a.x.forEach((v, j) => expect(v).toBeCloseTo(b.x[j]!, 5));
    expect(a.f).toBeCloseTo(b.f, 10);
    expect(() => logisticRegression(rt, A, y.map((v) => v * 2), n)).toThrow(ValueError);
    // Newton with the kernel-built Hessian A' diag(p (1 - p)) A + lambda I: quadratic convergence.
    const again = logisticRegression(rt, A, y, n, lambda);
    const c = minimize(again, new Float64Array(n), { method: "newton", gtol: 1e-8 });
    again.dispose();
    expect(c.status).toBe("gtol");
    expect(c.nit).toBeLessThanOrEqual(10);
    c.x.forEach((v, j) => expect(v).toBeCloseTo(b.x[j]!, 5));
  });

  it("extended Rosenbrock in wasm takes the same path as the callback (n = 1000)", () => {
    const n = 1000;
    const objective = extendedRosenbrock(rt, n);
    const a = minimize(objective, extendedRosenbrockStart(n), { method: "lbfgs" });
    const b = minimize(extendedRosenbrockFG, extendedRosenbrockStart(n), { method: "lbfgs", runtime: rt });
    expect(a.status).toBe("gtol");
    expect(a.nit).toBe(b.nit);
    expect(a.nfev).toBe(b.nfev);
    expect(Math.abs(a.f - b.f)).toBeLessThan(1e-12);
  });
});

describeBackends("wasm objectives: bad data", (rt) => {
  it("throws typed errors and frees the copies already made", () => {
    expect(() => quadratic(rt, [1, 2, 3], [1, 2])).toThrow(ShapeError);
    expect(() => quadratic(rt, [1, 0, 0, 1], [1, NaN])).toThrow(/Invalid b\[1\]: NaN/);
    expect(() => leastSquares(rt, [1, Infinity], [1], 2)).toThrow(/Invalid A\[1\]: Infinity/);
    expect(() => diagonalQuadratic(rt, [1, 2], [1])).toThrow(ShapeError);
    // describeBackends checks that nothing is left allocated.
  });
});
