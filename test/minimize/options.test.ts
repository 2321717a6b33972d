import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, mghFG } from "../helpers/mgh";
import { LBFGSB_FTOL, minimize, quadratic, extendedRosenbrock, type MinimizeOptions } from "../../src/minimize/index";
import { ShapeError, ValueError } from "../../src/runtime/errors";
import { initSyncWithTwins } from "../helpers/runtime";

const rosen = MGH_PROBLEMS[0]!;
const fg = mghFG(rosen);

describeBackends("minimize() options", (rt) => {
  const ERRORS: Array<{ desc: string; options: MinimizeOptions | unknown; type: typeof ValueError; message: RegExp }> = [
    { desc: "unknown method", options: { method: "adam" }, type: ValueError, message: /Invalid method: adam \(expected one of/ },
    { desc: "unknown line search", options: { lineSearch: "wolfe" }, type: ValueError, message: /Invalid lineSearch: wolfe/ },
    { desc: "exact without curvature", options: { lineSearch: "exact" }, type: ValueError, message: /Invalid lineSearch: exact/ },
    { desc: "c1 out of range", options: { c1: 0 }, type: ValueError, message: /Invalid c1: 0 \(expected a finite number > 0 and < 1\)/ },
    { desc: "c2 below c1", options: { c1: 0.5, c2: 0.4 }, type: ValueError, message: /Invalid c2: 0.4/ },
    { desc: "negative gtol", options: { gtol: -1 }, type: ValueError, message: /Invalid gtol: -1/ },
    { desc: "NaN ftol", options: { ftol: NaN }, type: ValueError, message: /Invalid ftol: NaN/ },
    { desc: "fractional maxIter", options: { maxIter: 1.5 }, type: ValueError, message: /Invalid maxIter: 1.5 \(expected an integer/ },
    { desc: "zero maxEval", options: { maxEval: 0 }, type: ValueError, message: /Invalid maxEval: 0/ },
    { desc: "negative maxTime", options: { maxTime: -1 }, type: ValueError, message: /Invalid maxTime: -1/ },
    { desc: "unknown beta", options: { method: "cg", beta: "fr" }, type: ValueError, message: /Invalid beta: fr/ },
    { desc: "zero memory", options: { memory: 0 }, type: ValueError, message: /Invalid memory: 0/ },
    { desc: "zero restart", options: { restart: 0 }, type: ValueError, message: /Invalid restart: 0/ },
    { desc: "newton without a Hessian", options: { method: "newton" }, type: ValueError, message: /Invalid method: newton/ },
    { desc: "misspelled option", options: { maxiter: 10 }, type: ValueError, message: /Invalid options for minimize: unknown option 'maxiter' \(did you mean 'maxIter'\?\)/ },
    { desc: "signal that is not one", options: { signal: 5 }, type: ValueError, message: /Invalid signal: 5/ },
    { desc: "onIteration not a function", options: { onIteration: 1 }, type: ValueError, message: /Invalid onIteration: 1/ },
  ];
  for (const { desc, options, type, message } of ERRORS) {
    it(`throws ${type.name} before evaluating: ${desc}`, () => {
      let calls = 0;
      const counting = (x: Float64Array, g: Float64Array) => (calls++, fg(x, g));
      expect(() => minimize(counting, rosen.x0, { runtime: rt, ...(options as object) } as MinimizeOptions)).toThrow(message);
      expect(() => minimize(counting, rosen.x0, { runtime: rt, ...(options as object) } as MinimizeOptions)).toThrow(type);
      expect(calls).toBe(0);
    });
  }

  it("rejects bad fg, x0 and objective mismatches with typed errors", () => {
    expect(() => minimize(5 as never, [1])).toThrow(ValueError);
    expect(() => minimize(fg, [], { runtime: rt })).toThrow(ShapeError);
    expect(() => minimize(fg, [1, NaN], { runtime: rt })).toThrow(/Invalid x0\[1\]: NaN/);
    expect(() => minimize(fg, null as never, { runtime: rt })).toThrow(ValueError);
    expect(() => minimize(fg, [1, 2], 7 as never)).toThrow(/Invalid options: 7/);
    const q = extendedRosenbrock(rt, 4);
    expect(() => minimize(q, [1, 2], {})).toThrow(ShapeError);
    expect(() => minimize(q, [1, 2, 3, 4], { runtime: initSyncWithTwins({ backend: "js" }) })).toThrow(/another runtime/);
    expect(() => extendedRosenbrock(rt, 3)).toThrow(ShapeError);
  });

  it("stops on maxIter, maxEval, maxTime, an AbortSignal and onIteration, with those statuses", () => {
    const base = { runtime: rt, gtol: 0 };
    const it3 = minimize(fg, rosen.x0, { ...base, maxIter: 3 });
    expect([it3.status, it3.nit, it3.converged]).toEqual(["max-iter", 3, false]);
    const ev = minimize(fg, rosen.x0, { ...base, maxEval: 7 });
    expect(ev.status).toBe("max-eval");
    expect(ev.nfev).toBe(7);
    const time = minimize(fg, rosen.x0, { ...base, maxTime: 0, maxIter: 1e9 });
    expect(time.status).toBe("max-time");
    const controller = new AbortController();
    const ab = minimize(fg, rosen.x0, { ...base, signal: controller.signal, onIteration: ({ nit }) => void (nit === 4 && controller.abort()) });
    expect([ab.status, ab.nit]).toEqual(["aborted", 4]);
    const seen: number[] = [];
    const cb = minimize(fg, rosen.x0, { ...base, onIteration: ({ nit, f, x }) => (seen.push(f), expect(x.length).toBe(2), nit >= 5) });
    expect([cb.status, cb.nit, seen.length]).toEqual(["callback", 5, 5]);
    expect(cb.f).toBe(seen[4]);
    // maxIter 0 evaluates once and reports the start.
    const zero = minimize(fg, rosen.x0, { ...base, maxIter: 0 });
    expect([zero.status, zero.nit, zero.nfev, Array.from(zero.x)]).toEqual(["max-iter", 0, 1, rosen.x0]);
  });

  it("ftol and xtol stop with converged statuses", () => {
    const f = minimize(fg, rosen.x0, { runtime: rt, gtol: 0, ftol: 1e-6 });
    expect([f.status, f.converged]).toEqual(["ftol", true]);
    const x = minimize(fg, rosen.x0, { runtime: rt, gtol: 0, xtol: 1e-3 });
    expect([x.status, x.converged]).toEqual(["xtol", true]);
  });

  it("every method frees what it allocates, and the result outlives the run", () => {
    const q = quadratic(rt, [2, 0.5, 0.5, 1], [1, 1]);
    for (const method of ["steepest", "cg", "bfgs", "lbfgs", "newton", "coordinate"] as const) {
      const r = minimize(q, [0, 0], { method, gtol: 1e-7 });
      expect(r.status, method).toBe("gtol");
      expect(r.x[0]).toBeCloseTo(2 / 7, 5); // [[2, .5], [.5, 1]] x = [1, 1]
      expect(r.x[1]).toBeCloseTo(6 / 7, 5);
    }
    q.dispose();
    // describeBackends checks after each test that no tensor is left.
  });

  it("an exception in fg or onIteration propagates and frees everything", () => {
    const boom = new Error("boom");
    expect(() => minimize(() => { throw boom; }, [1, 2], { runtime: rt })).toThrow(boom);
    expect(() => minimize(fg, rosen.x0, { runtime: rt, method: "bfgs", onIteration: () => { throw boom; } })).toThrow(boom);
    // describeBackends checks that nothing is left allocated.
  });

  it("accepts a Tensor x0 (its runtime is used) and leaves it unchanged", () => {
    const x0 = rt.fromArray(rosen.x0, [2], { dtype: "f64" });
    const r = minimize(fg, x0);
    expect(r.status).toBe("gtol");
    expect(x0.toArray()).toEqual(rosen.x0);
    x0.dispose();
  });
});

it("without a runtime, minimize() uses one shared wasm runtime and leaves it empty", () => {
  const r1 = minimize(fg, rosen.x0);
  const r2 = minimize(fg, rosen.x0, { method: "bfgs" });
  expect(r1.status).toBe("gtol");
  expect(r2.status).toBe("gtol");
});

it("ftol: LBFGSB_FTOL reproduces scipy L-BFGS-B's stop on Wood (f = 7.88 after 20 evaluations); the default runs to gtol", () => {
  const wood = MGH_PROBLEMS.find((p) => p.id === 14)!;
  const likeScipy = minimize(mghFG(wood), wood.x0, { ftol: LBFGSB_FTOL });
  expect([likeScipy.status, likeScipy.nfev]).toEqual(["ftol", 20]);
  expect(likeScipy.f).toBeCloseTo(7.877, 2);
  const byDefault = minimize(mghFG(wood), wood.x0);
  expect(byDefault.status).toBe("gtol");
  expect(byDefault.f).toBeLessThan(1e-8);
});
