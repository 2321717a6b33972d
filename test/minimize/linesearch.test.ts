import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { LS, LS_CODE, LS_MODE, LS_SLOTS } from "../../src/reference/minimize/linesearch-layout";
import { minimize } from "../../src/minimize/index";
import type { Runtime } from "../../src/runtime/runtime";

/** Runs the line-search kernel on phi(t) = f along a line; returns the code, the step and the trials. */
function search(
  rt: Runtime,
  phi: (t: number) => [number, number],
  { t0 = 1, c1 = 1e-4, c2 = 0.9, mode = LS_MODE.STRONG_WOLFE as number, maxEvals = 30 } = {},
): { code: number; stp: number; evals: number } {
  return rt.scope(() => {
    const state = rt.tensor([LS_SLOTS], { dtype: "f64" });
    const s = () => state.data;
    const [f0, g0] = phi(0);
    Object.entries({ STP: t0, F: f0, G: g0, FTOL: c1, GTOL: c2, XTOL: 1e-14, STPMIN: 0, STPMAX: 1e20, TASK: 0, MODE: mode }).forEach(
      ([k, v]) => (s()[LS[k as keyof typeof LS]] = v),
    );
    let code = rt.kernels.f64_linesearch_step(state.ptr);
    let evals = 0;
    while (code === LS_CODE.EVALUATE && evals < maxEvals) {
      const [f, g] = phi(s()[LS.STP]!);
      evals += 1;
      s()[LS.F] = f;
      s()[LS.G] = g;
      code = rt.kernels.f64_linesearch_step(state.ptr);
    }
    return { code, stp: s()[LS.STP]!, evals };
  });
}

describeBackends("line search kernel", (rt) => {
  // More & Thuente (1994), Sec. 5: function (5.1) phi(a) = -a / (a^2 + 2) with ftol = 1e-3,
  // gtol = 0.1 (Table 1), and (5.2) phi(a) = (a + 0.004)^5 - 2 (a + 0.004)^4 with ftol = gtol = 0.1
  // (Table 2). The paper's tables list, per starting step a0, the evaluations and the final a.
  const mt51 = (a: number): [number, number] => [-a / (a * a + 2), (a * a - 2) / (a * a + 2) ** 2];
  const mt52 = (a: number): [number, number] => [(a + 0.004) ** 5 - 2 * (a + 0.004) ** 4, 5 * (a + 0.004) ** 4 - 8 * (a + 0.004) ** 3];
  const TABLES = [
    { name: "(5.1)", phi: mt51, c1: 1e-3, c2: 0.1, rows: [[1e-3, 6, 1.4], [1e-1, 3, 1.4], [10, 1, 10], [1e3, 4, 37]] },
    { name: "(5.2)", phi: mt52, c1: 0.1, c2: 0.1, rows: [[1e-3, 12, 1.6], [1e-1, 8, 1.6], [10, 8, 1.6], [1e3, 11, 1.6]] },
  ];
  for (const { name, phi, c1, c2, rows } of TABLES) {
    for (const [t0, paperEvals, paperStep] of rows as [number, number, number][]) {
      it(`strong Wolfe on More-Thuente ${name} from a0 = ${t0}: the paper's ${paperEvals} evaluations, a = ${paperStep}`, () => {
        const { code, stp, evals } = search(rt, phi, { t0, c1, c2 });
        expect(code).toBe(LS_CODE.CONVERGED);
        const [f, g] = phi(stp);
        const [f0, g0] = phi(0);
        expect(f).toBeLessThanOrEqual(f0 + c1 * stp * g0);
        expect(Math.abs(g)).toBeLessThanOrEqual(c2 * Math.abs(g0));
        expect(evals).toBe(paperEvals);
        expect(Math.abs(stp - paperStep)).toBeLessThanOrEqual(0.05 * paperStep);
      });
    }
  }

  it("a quadratic is solved by the first interpolation: the minimizer within two trials", () => {
    const phi = (t: number): [number, number] => [(t - 3) ** 2, 2 * (t - 3)];
    const { code, stp, evals } = search(rt, phi, { t0: 1, c2: 0.01 });
    expect(code).toBe(LS_CODE.CONVERGED);
    expect(stp).toBeCloseTo(3, 10);
    expect(evals).toBeLessThanOrEqual(3);
  });

  it("failure mode: not a descent direction (phi'(0) >= 0) is refused before any evaluation", () => {
    for (const mode of [LS_MODE.STRONG_WOLFE, LS_MODE.ARMIJO]) {
      const { code, evals } = search(rt, (t) => [t, 1], { mode });
      expect(code).toBe(LS_CODE.NOT_DESCENT);
      expect(evals).toBe(0);
    }
  });

  it("failure mode: a flat function whose slope lies ends with a warning, not a loop", () => {
    // f is constant while the reported slope is -1: no step can decrease f sufficiently.
    const { code, evals } = search(rt, () => [1, -1], { maxEvals: 200 });
    expect(code).toBeLessThan(0);
    expect(evals).toBeLessThan(200);
  });

  it("failure mode: infinite values beyond a point make the search retreat below it", () => {
    const phi = (t: number): [number, number] => (t > 0.5 ? [Infinity, NaN] : [(t - 2) ** 2, 2 * (t - 2)]);
    for (const mode of [LS_MODE.STRONG_WOLFE, LS_MODE.ARMIJO]) {
      const { code, stp } = search(rt, phi, { t0: 10, mode });
      // Strong Wolfe cannot hold below 0.5 here (the slope stays steep); Armijo can.
      if (mode === LS_MODE.ARMIJO) expect(code).toBe(LS_CODE.CONVERGED);
      expect(stp).toBeLessThanOrEqual(0.5);
    }
  });

  it("failure mode: too few evaluations leave the search unfinished", () => {
    const { code, evals } = search(rt, mt51, { t0: 1e-3, c1: 1e-3, c2: 0.1, maxEvals: 1 });
    expect(code).toBe(LS_CODE.EVALUATE);
    expect(evals).toBe(1);
  });

  it("Armijo backtracking accepts the first step with sufficient decrease", () => {
    const phi = (t: number): [number, number] => [(t - 1) ** 2, 2 * (t - 1)];
    const { code, stp, evals } = search(rt, phi, { t0: 100, mode: LS_MODE.ARMIJO });
    expect(code).toBe(LS_CODE.CONVERGED);
    expect((stp - 1) ** 2).toBeLessThanOrEqual(1 + 1e-4 * stp * -2);
    expect(stp).toBeGreaterThanOrEqual(0.1);
    expect(evals).toBeLessThanOrEqual(5);
  });
});

describeBackends("line search failures through minimize()", (rt) => {
  const quad = (x: Float64Array, g: Float64Array) => {
    g[0] = 2 * (x[0]! - 1);
    g[1] = 20 * x[1]!;
    return (x[0]! - 1) ** 2 + 10 * x[1]! ** 2;
  };

  it("a gradient of the wrong sign: every direction ascends, the run stops with line-search-failed", () => {
    const wrong = (x: Float64Array, g: Float64Array) => {
      const f = quad(x, g);
      g[0] = -g[0]!;
      g[1] = -g[1]!;
      return f;
    };
    for (const method of ["lbfgs", "bfgs", "cg", "steepest"] as const) {
      const r = minimize(wrong, [3, 2], { method, runtime: rt });
      expect(r.status, method).toBe("line-search-failed");
      expect(r.converged).toBe(false);
      expect(r.nfev).toBeLessThan(200);
    }
  });

  it("a flat function with a zero gradient converges at once; with a lying gradient it fails cleanly", () => {
    expect(minimize((_x, g) => (g.fill(0), 5), [1, 2], { runtime: rt }).status).toBe("gtol");
    const r = minimize((_x, g) => (g.fill(1), 5), [1, 2], { runtime: rt });
    expect(r.status).toBe("line-search-failed");
    expect(r.f).toBe(5);
  });

  it("infinite values: non-finite at the start stops at once; beyond a wall the search retreats", () => {
    expect(minimize(() => Infinity, [1], { runtime: rt }).status).toBe("non-finite");
    expect(minimize((_x, g) => ((g[0] = NaN), 1), [1], { runtime: rt }).status).toBe("non-finite");
    const walled = (x: Float64Array, g: Float64Array) => (x[1]! > 2.5 ? Infinity : quad(x, g));
    const r = minimize(walled, [3, 2], { method: "lbfgs", runtime: rt });
    expect(r.status).toBe("gtol");
    expect(r.x[0]).toBeCloseTo(1, 4);
    // f finite only at the start: every trial is infinite.
    const cliff = (x: Float64Array, g: Float64Array) => (x[0] === 3 ? quad(x, g) : Infinity);
    const c = minimize(cliff, [3, 0], { runtime: rt });
    expect(c.status).toBe("non-finite");
    expect(c.x).toEqual(Float64Array.from([3, 0]));
  });

  it("too few line-search evaluations: the last trial serves if it decreased f, else the run stops", () => {
    const r = minimize(quad, [3, 2], { method: "cg", maxLineSearch: 1, runtime: rt, maxIter: 50 });
    expect(r.f).toBeLessThan(quad(Float64Array.from([3, 2]), new Float64Array(2)));
    expect(["gtol", "max-iter", "line-search-failed"]).toContain(r.status);
  });
});
