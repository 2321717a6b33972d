import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose, relativeError } from "../helpers/close";
import { OPTIMIZERS } from "../helpers/optim-db";
import { uniformArray } from "../helpers/random";
import { BatchNorm, GroupNorm, InstanceNorm, LayerNorm, type NormModule } from "../../src/norm/index";
import { gradNorm, RMSProp, SGD } from "../../src/optim/index";
import { ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType, Param } from "../../src/runtime/tensor";
import { LARGEST_FINITE, SMALLEST_POSITIVE } from "../../src/runtime/validate";

/**
 * Numerical edge cases with stated behaviour (issue 12; README "Guarantees"):
 *   - all-zero gradients leave every parameter where it was (without weight decay) and every
 *     state finite, for every optimizer configuration;
 *   - eps at its smallest legal value (the dtype's least subnormal) gives finite results; an eps
 *     that rounds to 0 in the tensors' dtype is rejected;
 *   - values of magnitude 1e30 in f32 (and 1e-30) normalize and clip without overflow:
 *     normalization is scale-invariant, clipping returns a gradient of the requested norm, also
 *     for f64 gradients of 1e200 whose squares overflow f64.
 * (A constant batch in BatchNorm: test/norm/batchnorm.test.ts.)
 */
const DTYPES: FloatDType[] = ["f32", "f64"];

/** Every number in the optimizer's saved state (buffers and scalars). */
function stateNumbers(state: unknown): number[] {
  if (typeof state === "number") return [state];
  if (ArrayBuffer.isView(state)) return Array.from(state as Float64Array);
  if (state && typeof state === "object") return Object.values(state).flatMap(stateNumbers);
  return [];
}

/** Whether the optimizer takes an eps: its defaults (read off one made without params) have one. */
const hasEps = (make: (typeof OPTIMIZERS)[number]["make"], rt: Runtime) => {
  const probe = make(rt, [], {});
  probe.dispose();
  return "eps" in (probe as unknown as { defaults: object }).defaults;
};

describeBackends("numerical edge cases", (rt) => {
  for (const info of OPTIMIZERS) {
    for (const { desc, options } of info.configs) {
      const decays = Number(options.weightDecay ?? 0) > 0 || info.name === "AdamW";
      it(`${info.name} ${desc}: all-zero gradients ${decays ? "keep params and state finite" : "leave params exactly where they were"}`, () => {
        for (const dtype of DTYPES) {
          rt.scope(() => {
            const start = uniformArray(7, 3, -2, 2);
            const w = rt.param([7], { dtype, values: start });
            const before = Array.from(w.data);
            const opt = info.make(rt, [w], options);
            for (let t = 0; t < 5; t++) (w.grad.fill(0), opt.step());
            if (!decays) expectClose(w.data, before, { rtol: 0, context: `${dtype} params` });
            expect(Array.from(w.data).every(Number.isFinite), `${dtype} params finite`).toBe(true);
            expect(stateNumbers(opt.stateDict().state).every(Number.isFinite), `${dtype} state finite`).toBe(true);
            opt.dispose();
          });
        }
      });
    }

    it(`${info.name}: eps at its smallest legal value gives finite steps; below it is rejected`, () => {
      if (!hasEps(info.make, rt)) return;
      for (const dtype of DTYPES) {
        rt.scope(() => {
          const eps = SMALLEST_POSITIVE[dtype];
          const w = rt.param([5], { dtype, values: [1, -2, 3, -4, 5] });
          const opt = info.make(rt, [w], { eps });
          for (let t = 0; t < 3; t++) (w.grad.fill(0), opt.step());
          if (info.name !== "AdamW") expect(Array.from(w.data)).toEqual([1, -2, 3, -4, 5]); // AdamW decays by default
          for (let t = 0; t < 3; t++) (w.grad.set([1e-3, -1, 0, 1e3, -1e-30]), opt.step());
          expect(Array.from(w.data).every(Number.isFinite), `${dtype}: ${Array.from(w.data)}`).toBe(true);
          opt.dispose();
          if (dtype === "f32") {
            expect(() => info.make(rt, [w], { eps: eps / 2 })).toThrow(ValueError);
            expect(() => info.make(rt, [w], { eps: eps / 2 })).toThrow(/Invalid eps: .* smaller rounds to 0 in f32/);
          }
        });
      }
    });
  }

  it("an eps legal for f64 but 0 in f32 is rejected once an f32 param joins, and at load", () => {
    rt.scope(() => {
      const wide = rt.param([2], { dtype: "f64" });
      const narrow = rt.param([2]);
      const opt = new RMSProp(rt, [wide], { eps: 1e-300 });
      expect(() => new RMSProp(rt, [wide, narrow], { eps: 1e-300 })).toThrow(/Invalid eps: 1e-300 \(expected >= 1.401298464324817e-45: smaller rounds to 0 in f32/);
      const saved = opt.stateDict();
      const other = new RMSProp(rt, [narrow]);
      expect(() => other.loadStateDict(saved)).toThrow(/rounds to 0 in f32/);
      opt.dispose();
      other.dispose();
    });
  });

  it("centered RMSProp stays finite under a constant gradient (its variance r - ga^2 never goes below 0)", () => {
    // Rounding takes r - ga^2 slightly below 0 once the gradient stops varying; sqrt of it was NaN
    // from step ~1200 on with g = 12345.678 in f32.
    for (const dtype of DTYPES) {
      for (const g of [1, 12345.678, 1e15]) {
        rt.scope(() => {
          const w = rt.param([5], { dtype });
          const opt = new RMSProp(rt, [w], { lr: 1e-3, centered: true, rho: 0.99 });
          for (let t = 0; t < 1500; t++) (w.grad.fill(g), opt.step());
          expect(Array.from(w.data).every(Number.isFinite), `${dtype} g = ${g}: ${w.data[0]}`).toBe(true);
          opt.dispose();
        });
      }
    }
  });

  it("clips f32 gradients of magnitude 1e30 to the requested norm, per tensor and globally", () => {
    rt.scope(() => {
      const values = uniformArray(1000, 11, -1e30, 1e30);
      const [a, b] = [rt.param([1000]), rt.param([1000])];
      const step = (options: Record<string, unknown>) => {
        a.data.fill(0);
        b.data.fill(0);
        a.grad.set(values);
        b.grad.set(values.map((v) => -v));
        const opt = new SGD(rt, [a, b], { lr: 1, ...options });
        const result = opt.step();
        opt.dispose();
        return result;
      };
      const norm = (p: Param) => Math.hypot(...p.data);
      const exact = Math.hypot(...values.map(Math.fround));

      step({ clipNorm: 2 });
      expect(relativeError([gradNorm([a, b])], [Math.SQRT2 * exact])).toBeLessThan(1e-12);
      expect(norm(a)).toBeCloseTo(2, 5);
      expect(norm(b)).toBeCloseTo(2, 5);
      const { gradNorm: reported } = step({ clipNorm: 2 }) as { gradNorm: number };
      expect(Number.isFinite(reported)).toBe(true);

      step({ clipGlobalNorm: 3 } as never);
      expect(Math.hypot(norm(a), norm(b))).toBeCloseTo(3, 5);
      // Direction kept: the clipped step is -values scaled by 3 / (sqrt 2 |values|).
      expectClose(a.data, Array.from(values, (v) => (-v * 3) / (Math.SQRT2 * exact)), { rtol: 1e-5, atol: 1e-12 });

      step({ clipValue: 1e29 });
      expect(Array.from(a.data).every((x) => Math.abs(x) <= Math.fround(1e29))).toBe(true);
    });
  });

  it("clips f64 gradients of magnitude 1e200, whose squares overflow f64, to the requested norm", () => {
    rt.scope(() => {
      const values = uniformArray(33, 12, -1e200, 1e200);
      const [a, b] = [rt.param([33], { dtype: "f64" }), rt.param([4])];
      const exact = Math.hypot(...values);
      for (const options of [{ clipNorm: 2 }, { clipGlobalNorm: 2 }]) {
        a.data.fill(0);
        b.data.fill(0);
        a.grad.set(values);
        b.grad.set([3, 4, 0, 0]);
        const opt = new SGD(rt, [a, b], { lr: 1, nonFinite: "error", ...options });
        const { gradNorm: reported } = opt.step();
        opt.dispose();
        expect(relativeError([gradNorm([a, b])], [exact])).toBeLessThan(1e-14);
        if ("clipGlobalNorm" in options) expect(relativeError([reported!], [exact])).toBeLessThan(1e-14);
        expect(Math.hypot(...a.data)).toBeCloseTo(2, 12);
        expectClose(a.data, Array.from(values, (v) => (-2 * v) / exact), { rtol: 1e-12 });
      }
    });
  });

  type Options = { dtype: FloatDType; eps: number; affine?: boolean };
  type Norm = NormModule<FloatDType> & Pick<BatchNorm<FloatDType>, "forward" | "backward">;
  const NORMS: Array<[string, (options: Options) => Norm, number[]]> = [
    ["BatchNorm", (options) => new BatchNorm(rt, 6, options), [40, 6, 3]],
    ["LayerNorm", (options) => new LayerNorm(rt, 37, options), [5, 37]],
    ["GroupNorm", (options) => new GroupNorm(rt, 2, 6, options), [3, 6, 17]],
    ["InstanceNorm", (options) => new InstanceNorm(rt, 6, options), [3, 6, 17]],
  ];
  /** The least eps each norm dtype accepts: 1 / sqrt(eps) must be finite in it. */
  const LEAST_NORM_EPS = { f32: LARGEST_FINITE.f32 ** -2, f64: SMALLEST_POSITIVE.f64 };

  for (const [name, make, shape] of NORMS) {
    it(`${name} of x * 1e30 and x * 1e-30 equals ${name} of x; dx scales by the inverse (f32, no overflow)`, () => {
      rt.scope(() => {
        const n = shape.reduce((p, q) => p * q, 1);
        const u = uniformArray(n, 5, -1, 1);
        const dyValues = uniformArray(n, 6, -1, 1);
        // eps scales with the variance (1e-5 s^2), so that it plays the same part at every scale.
        const run = (scale: number) => {
          const norm = make({ dtype: "f32", eps: 1e-5 * scale * scale });
          const x = rt.fromArray(u.map((v) => v * scale), shape);
          const y = norm.forward(x, { training: true }).toArray();
          const dx = norm.backward(rt.fromArray(dyValues, shape)).toArray();
          norm.dispose();
          return { y, dx: dx.map((v) => v * scale) };
        };
        const base = run(1);
        for (const scale of [1e30, 1e-30]) {
          const scaled = run(scale);
          expect(scaled.y.every(Number.isFinite) && scaled.dx.every(Number.isFinite), `${name} at ${scale}`).toBe(true);
          expect(relativeError(scaled.y, base.y), `y at ${scale}`).toBeLessThan(1e-4);
          expect(relativeError(scaled.dx, base.dx), `dx at ${scale}`).toBeLessThan(1e-4);
        }
      });
    });

    // Backward is left out on purpose: at var = 0, dx = gamma (dy - mean dy) / sqrt(eps), which
    // exceeds f32 for eps this small: an overflow of the true value, not of the method.
    it(`${name}: eps at its smallest legal value normalizes a constant input to beta; below it is rejected`, () => {
      for (const dtype of DTYPES) {
        rt.scope(() => {
          const eps = LEAST_NORM_EPS[dtype];
          const norm = make({ dtype, eps, affine: true });
          norm.parameters()[1]!.data.fill(0.25);
          const x = rt.fromArray(new Array(shape.reduce((p, q) => p * q, 1)).fill(-3.5), shape, { dtype });
          expect(new Set(norm.forward(x, { training: true }).toArray())).toEqual(new Set([0.25]));
          norm.dispose();
          if (dtype === "f32") expect(() => make({ dtype, eps: eps / 2 })).toThrow(/Invalid eps: .* 1 \/ sqrt\(eps\) overflows f32/);
        });
      }
    });
  }
});
