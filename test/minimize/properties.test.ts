import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { initSyncWithTwins } from "../helpers/runtime";
import { LS, LS_CODE, LS_MODE, LS_SLOTS } from "../../src/reference/minimize/linesearch-layout";
import { minimize, type Method } from "../../src/minimize/index";

/** Laws that hold for every input: fast-check draws the problems. */
describe("minimize() properties", () => {
  const rt = initSyncWithTwins();

  // SPD Q = M'M + shift I from drawn entries; f = 1/2 x'Qx - b'x has its minimum where Qx = b.
  const spdProblem = fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      M: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }),
      b: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
      shift: fc.double({ min: 0.05, max: 3, noNaN: true }),
    }),
  );

  for (const method of ["lbfgs", "bfgs", "cg", "newton"] as Method[]) {
    it(`${method}: on any SPD quadratic the answer solves Qx = b`, () => {
      fc.assert(
        fc.property(spdProblem, ({ n, M, b, shift }) => {
          const Q = new Float64Array(n * n);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
            let s = i === j ? shift : 0;
            for (let k = 0; k < n; k++) s += M[k * n + i]! * M[k * n + j]!;
            Q[i * n + j] = s;
          }
          const fg = (x: Float64Array, g: Float64Array) => {
            let f = 0;
            for (let i = 0; i < n; i++) {
              let s = 0;
              for (let j = 0; j < n; j++) s += Q[i * n + j]! * x[j]!;
              g[i] = s - b[i]!;
              f += x[i]! * (0.5 * s - b[i]!);
            }
            return f;
          };
          const r = minimize(fg, new Float64Array(n), {
            method, gtol: 1e-7, runtime: rt, hess: (_x, H) => H.set(Q), maxIter: 10000,
          });
          const g = new Float64Array(n);
          fg(Float64Array.from(r.x), g);
          const scale = Math.max(1, ...b.map(Math.abs));
          // Converged to gtol, or stopped by rounding with a residual at the rounding level.
          expect(r.status === "gtol" || Math.max(...g.map(Math.abs)) <= 1e-6 * scale, `${r.status} ${r.gradNorm}`).toBe(true);
        }),
        { numRuns: 40, seed: 42 },
      );
    });
  }

  it("strong Wolfe: on any smooth 1-D function with a descent slope, the accepted step meets both conditions", () => {
    // phi(t) = a (t - c)^2 + e sin(w t) with phi'(0) < 0 by construction.
    const problem = fc.record({
      a: fc.double({ min: 0.01, max: 100, noNaN: true }),
      c: fc.double({ min: 0.1, max: 50, noNaN: true }),
      e: fc.double({ min: 0, max: 0.5, noNaN: true }),
      w: fc.double({ min: 0.1, max: 5, noNaN: true }),
      t0: fc.double({ min: 1e-4, max: 1e3, noNaN: true }),
      mode: fc.constantFrom(LS_MODE.STRONG_WOLFE as number, LS_MODE.ARMIJO as number),
    });
    fc.assert(
      fc.property(problem, ({ a, c, e, w, t0, mode }) => {
        const phi = (t: number): [number, number] => [a * (t - c) ** 2 + e * Math.sin(w * t), 2 * a * (t - c) + e * w * Math.cos(w * t)];
        const [f0, g0] = phi(0);
        fc.pre(g0 < 0);
        rt.scope(() => {
          const state = rt.tensor([LS_SLOTS], { dtype: "f64" });
          const s = state.data;
          s[LS.STP] = t0; s[LS.F] = f0; s[LS.G] = g0; s[LS.FTOL] = 1e-4; s[LS.GTOL] = 0.9;
          s[LS.XTOL] = 1e-14; s[LS.STPMIN] = 0; s[LS.STPMAX] = 1e20; s[LS.TASK] = 0; s[LS.MODE] = mode;
          let code = rt.kernels.f64_linesearch_step(state.ptr);
          let evals = 0;
          while (code === LS_CODE.EVALUATE && evals < 100) {
            const [f, g] = phi(s[LS.STP]!);
            s[LS.F] = f;
            s[LS.G] = g;
            evals += 1;
            code = rt.kernels.f64_linesearch_step(state.ptr);
          }
          expect(code).toBe(LS_CODE.CONVERGED);
          const t = s[LS.STP]!;
          const [f, g] = phi(t);
          expect(f).toBeLessThanOrEqual(f0 + 1e-4 * t * g0 + 1e-12 * Math.abs(f0));
          if (mode === LS_MODE.STRONG_WOLFE) expect(Math.abs(g)).toBeLessThanOrEqual(0.9 * Math.abs(g0) * (1 + 1e-12));
        });
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
