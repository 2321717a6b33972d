import { expect, it } from "vitest";
import fc from "fast-check";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { expectUnchanged, snapshot } from "../helpers/snapshot";
import { Adam, SGD, gradNorm } from "../../src/optim/index";
import { NonFiniteError } from "../../src/runtime/errors";

describeBackends("clipping and non-finite gradients", (rt) => {
  it("clips by the global norm as torch.nn.utils.clip_grad_norm_ and reports the norm", () => {
    rt.scope(() => {
      const a = rt.param([2], { values: [0, 0] });
      const b = rt.param([1], { values: [0] });
      const opt = new SGD(rt, [a, b], { lr: 1, clipGlobalNorm: 6.5 });
      a.grad.set([3, 4]);
      b.grad.set([12]);
      // total = sqrt(9 + 16 + 144) = 13; coef = 6.5 / (13 + 1e-6) = 0.49999996...
      const result = opt.step();
      expect(result).toEqual({ skipped: false, gradNorm: 13 });
      const coef = 6.5 / (13 + 1e-6);
      expectClose([...a.data, ...b.data], [-3 * coef, -4 * coef, -12 * coef], { rtol: 1e-6 });
      opt.dispose();
    });
  });

  it("leaves gradients below the bound unscaled (coef clamped to 1)", () => {
    rt.scope(() => {
      const a = rt.param([2], { values: [0, 0] });
      const opt = new SGD(rt, [a], { lr: 1, clipGlobalNorm: 100 });
      a.grad.set([3, 4]);
      expect(opt.step().gradNorm).toBe(5);
      expect(a.toArray()).toEqual([-3, -4]);
      opt.dispose();
    });
  });

  it("clips each tensor by its own norm with clipNorm, per group", () => {
    rt.scope(() => {
      const a = rt.param([2], { values: [0, 0] });
      const b = rt.param([2], { values: [0, 0] });
      const opt = new SGD(rt, [{ params: [a], clipNorm: 1 }, { params: [b] }], { lr: 1 });
      a.grad.set([3, 4]); // norm 5 -> scaled by 1 / (5 + 1e-6)
      b.grad.set([3, 4]); // no clipping in this group
      opt.step();
      expectClose(a.data, [-3 / (5 + 1e-6), -4 / (5 + 1e-6)], { rtol: 1e-6 });
      expect(b.toArray()).toEqual([-3, -4]);
      opt.dispose();
    });
  });

  it("property: after global clipping an SGD step of lr 1 moves the params by at most maxNorm", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.float({ min: Math.fround(1e-3), max: 1e3, noNaN: true }),
        (grad, maxNorm) =>
          rt.scope(() => {
            const w = rt.param([grad.length]);
            const opt = new SGD(rt, [w], { lr: 1, clipGlobalNorm: maxNorm });
            w.grad.set(grad);
            opt.step();
            const moved = Math.hypot(...w.data);
            opt.dispose();
            return moved <= maxNorm * (1 + 1e-6);
          }),
      ),
      { numRuns: 60 },
    );
  });

  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`nonFinite 'error' throws NonFiniteError on ${bad} and changes nothing`, () => {
      rt.scope(() => {
        const a = rt.param([5], { values: [1, 2, 3, 4, 5] });
        const b = rt.param([3], { values: [1, 2, 3] });
        const opt = new Adam(rt, [a, b], { nonFinite: "error" });
        a.grad.set([1, 1, 1, 1, 1]);
        b.grad.set([1, 1, 1]);
        opt.step();
        const valuesOfA = a.toArray();
        const state = opt.stateDict();
        b.grad.set([1, bad, 1]);
        const afterGrad = snapshot(rt);
        expect(() => opt.step()).toThrow(NonFiniteError);
        expect(() => opt.step()).toThrow(/Param\(f32, \[3\]\)/);
        expectUnchanged(rt, afterGrad);
        expect(opt.stateDict()).toEqual(state);
        expect(a.toArray()).toEqual(valuesOfA);
        opt.dispose();
      });
    });
  }

  it("nonFinite 'skip' reports the skip, changes nothing, and the next finite step proceeds", () => {
    rt.scope(() => {
      const a = rt.param([4], { values: [1, 2, 3, 4] });
      const opt = new Adam(rt, [a], { lr: 0.1, nonFinite: "skip" });
      a.grad.set([Number.NaN, 1, 1, 1]);
      const before = snapshot(rt);
      expect(opt.step()).toEqual({ skipped: true, gradNorm: Number.NaN });
      expectUnchanged(rt, before);
      expect(opt.stateDict().state).toEqual({});
      a.grad.set([1, 1, 1, 1]);
      expect(opt.step()).toEqual({ skipped: false, gradNorm: 2 });
      expect(opt.stateDict().state["0"]!.step).toBe(1); // the skipped step did not count
      expectClose(a.data, [0.9, 1.9, 2.9, 3.9], { rtol: 1e-6 });
      opt.dispose();
    });
  });

  it("nonFinite 'propagate' (the default) runs no check: NaN reaches the params, as in PyTorch", () => {
    rt.scope(() => {
      const a = rt.param([2], { values: [1, 2] });
      const opt = new SGD(rt, [a], { lr: 0.1 });
      a.grad.set([Number.NaN, 1]);
      expect(opt.step()).toEqual({ skipped: false, gradNorm: null });
      expect(a.data[0]).toBeNaN();
      expect(a.data[1]).toBeCloseTo(1.9, 6);
      opt.dispose();
    });
  });

  it("global clipping with 'propagate' and a NaN gradient makes every param NaN (torch's coefficient is NaN too)", () => {
    rt.scope(() => {
      const a = rt.param([2], { values: [1, 2] });
      const b = rt.param([1], { values: [3] });
      const opt = new SGD(rt, [a, b], { lr: 0.1, clipGlobalNorm: 1 });
      a.grad.set([Number.NaN, 1]);
      b.grad.set([1]);
      opt.step();
      expect([...a.data, ...b.data].every(Number.isNaN)).toBe(true);
      opt.dispose();
    });
  });

  it("checks f64 gradients too, and clips them when their squares overflow f64", () => {
    rt.scope(() => {
      const a = rt.param([2], { dtype: "f64", values: [0, 0] });
      const opt = new SGD(rt, [a], { lr: 1, nonFinite: "error", clipGlobalNorm: 1 });
      // Finite, but the plain sum of squares overflows f64: the norm is read again on values
      // scaled by 2^-600, so it is finite and the step is clipped to norm 1, as for small values.
      a.grad.set([1e200, 1e200]);
      expect(opt.step()).toEqual({ skipped: false, gradNorm: Math.SQRT2 * 1e200 });
      expectClose(a.data, [-Math.SQRT1_2, -Math.SQRT1_2], { rtol: 1e-15 });
      a.grad.set([Number.NaN, 1]);
      expect(() => opt.step()).toThrow(NonFiniteError);
      opt.dispose();
    });
  });
});

describeBackends("gradNorm", (rt) => {
  it("is the global L2 norm over every gradient, f32 and f64 alike, NaN for a non-finite one", () => {
    rt.scope(() => {
      const a = rt.param([2]);
      const b = rt.param([1], { dtype: "f64" });
      a.grad.set([3, 4]);
      b.grad.set([12]);
      expect(gradNorm([a, b])).toBe(13); // sqrt(9 + 16 + 144)
      expect(gradNorm([])).toBe(0);
      b.grad.set([Number.NEGATIVE_INFINITY]);
      expect(gradNorm([a, b])).toBeNaN();
      expect(() => gradNorm([rt.tensor([2]) as never])).toThrow(/expected a Param/);
    });
  });
});
