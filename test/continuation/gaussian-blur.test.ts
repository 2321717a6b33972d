import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { GaussianBlur, blurSchedule, type ContinuationObjective } from "../../src/continuation/gaussian-blur";
import { ShapeError, ValueError } from "../../src/runtime/errors";
import { SGD } from "../../src/optim/sgd";

// J(x) = x'Ax/2 + b'x with A = diag(a): J_sigma(x) = J(x) + sigma^2 tr(A)/2, grad J_sigma = Ax + b.
const a = [1, 2, 3, 4, 0.5, 6];
const b = [0.5, -1, 0, 2, 1, -0.25];
const trA = a.reduce((s, v) => s + v, 0);
const trA2 = a.reduce((s, v) => s + v * v, 0);

const quadratic: ContinuationObjective = (x, grad) => {
  const v = x.data;
  let f = 0;
  for (let i = 0; i < v.length; i++) f += 0.5 * a[i]! * v[i]! * v[i]! + b[i]! * v[i]!;
  if (grad) grad.set(Array.from(v, (xi, i) => a[i]! * xi + b[i]!));
  return f;
};
const exactValue = (x: number[]) => x.reduce((s, xi, i) => s + 0.5 * a[i]! * xi * xi + b[i]! * xi, 0);
const exactGrad = (x: number[]) => x.map((xi, i) => a[i]! * xi + b[i]!);

describeBackends("GaussianBlur", (rt) => {
  const theta0 = [0.3, -0.2, 1, 0.5, -1, 0.1];

  it("estimates J_sigma of a quadratic as J + sigma^2 tr(A)/2 within sampling error", () => {
    rt.scope(() => {
      const theta = rt.fromArray(theta0, [6], { dtype: "f64" });
      for (const sigma of [0.1, 1]) {
        const samples = 4000;
        const blur = new GaussianBlur(rt, quadratic, { sigma, samples, rng: 1 });
        // Antithetic pairs cancel the linear term: the estimate is J + sigma^2/2 mean(e'Ae),
        // whose standard deviation is sigma^2/2 sqrt(2 tr(A^2) / samples).
        const sd = ((sigma * sigma) / 2) * Math.sqrt((2 * trA2) / samples);
        const want = exactValue(theta0) + (sigma * sigma * trA) / 2;
        expect(Math.abs(blur.value(theta) - want), `sigma=${sigma}`).toBeLessThan(5 * sd);
        // Far from J alone, so the test can fail: the blur term is 40+ standard deviations.
        expect((sigma * sigma * trA) / 2).toBeGreaterThan(40 * sd);
      }
    });
  });

  it("the pathwise gradient of a quadratic with antithetic noise is the exact gradient", () => {
    rt.scope(() => {
      for (const dtype of ["f32", "f64"] as const) {
        const theta = rt.fromArray(theta0, [6], { dtype });
        const grad = rt.tensor([6], { dtype });
        const blur = new GaussianBlur(rt, quadratic, { sigma: 0.5, samples: 3, rng: 2 });
        blur.valueAndGrad(theta, grad);
        expectClose(grad.data, exactGrad(Array.from(theta.data)), { atol: dtype === "f32" ? 2e-6 : 1e-13 });
      }
    });
  });

  it("the score-function gradient (values only) matches grad J within sampling error", () => {
    rt.scope(() => {
      const theta = rt.fromArray(theta0, [6], { dtype: "f64" });
      const grad = rt.tensor([6], { dtype: "f64" });
      const samples = 4000;
      const g = exactGrad(theta0);
      const norm2 = g.reduce((s, v) => s + v * v, 0);
      for (const antithetic of [true, false]) {
        const blur = new GaussianBlur(rt, quadratic, { sigma: 0.3, samples, antithetic, gradient: "score", rng: 3 });
        blur.valueAndGrad(theta, grad);
        // Antithetic: (J+ - J-)/(2 sigma) e = (g'e) e exactly, var_i = ||g||^2 + g_i^2. Without
        // pairs the baseline-corrected estimate adds sigma^2/4 var(e'Ae) e_i^2 terms: allow 2x.
        const scale = antithetic ? 1 : 2;
        g.forEach((gi, i) => {
          const sd = scale * Math.sqrt((norm2 + gi * gi) / samples);
          expect(Math.abs(grad.data[i]! - gi), `antithetic=${antithetic} i=${i}`).toBeLessThan(5 * sd);
        });
      }
    });
  });

  it("sigma = 0 is the objective itself; the noise is reproducible from the seed", () => {
    rt.scope(() => {
      const theta = rt.fromArray(theta0, [6]);
      const grad = rt.tensor([6]);
      const blur = new GaussianBlur(rt, quadratic, { sigma: 0 });
      expect(blur.valueAndGrad(theta, grad)).toBeCloseTo(exactValue(Array.from(theta.data)), 6);
      const one = new GaussianBlur(rt, quadratic, { sigma: 1, samples: 2, rng: 5 }).value(theta);
      const two = new GaussianBlur(rt, quadratic, { sigma: 1, samples: 2, rng: 5 }).value(theta);
      expect(one).toBe(two);
    });
  });

  it("drives any optimizer: SGD on a blurred wiggly bowl reaches the global minimum that plain SGD misses", () => {
    rt.scope(() => {
      // J(x) = 0.05 x^2 - cos(3x) has many narrow local minima; blurring with sigma
      // removes cos(3x) (its blurred amplitude is exp(-9 sigma^2/2)), leaving the bowl around 0.
      const wiggly: ContinuationObjective = (x, grad) => {
        const v = x.data[0]!;
        if (grad) grad.data[0] = 0.1 * v + 3 * Math.sin(3 * v);
        return 0.05 * v * v - Math.cos(3 * v);
      };
      const plainSGD = () => {
        const w = rt.param([1], { values: [6] });
        const opt = new SGD(rt, [w], { lr: 0.05 });
        for (let t = 0; t < 300; t++) {
          wiggly(w, w.grad);
          opt.step();
        }
        return w.data[0]!;
      };
      const w = rt.param([1], { values: [6] });
      const opt = new SGD(rt, [w], { lr: 0.05 });
      const blur = new GaussianBlur(rt, wiggly, { sigma: 1, samples: 8, rng: 7 });
      for (const sigma of blurSchedule({ initial: 2, ratio: 0.5, stages: 4 })) {
        blur.sigma = sigma;
        for (let t = 0; t < 300; t++) {
          blur.valueAndGrad(w, w.grad);
          opt.step();
        }
      }
      expect(Math.abs(plainSGD())).toBeGreaterThan(1.5); // stuck in a local minimum near 6
      expect(Math.abs(w.data[0]!)).toBeLessThan(0.05); // the global minimum at 0
    });
  });

  it("rejects bad options and tensors, changing nothing", () => {
    rt.scope(() => {
      const theta = rt.fromArray([1, 2]);
      const grad = rt.tensor([2]).fill(9);
      expect(() => new GaussianBlur(rt, quadratic, { sigma: -1 })).toThrow(/Invalid sigma: -1/);
      expect(() => new GaussianBlur(rt, quadratic, { sigma: 1, samples: 0 })).toThrow(/Invalid samples/);
      expect(() => new GaussianBlur(rt, quadratic, { sigma: 1, gradient: "fd" as never })).toThrow(ValueError);
      expect(() => new GaussianBlur(rt, null as never, { sigma: 1 })).toThrow(/Invalid objective/);
      const blur = new GaussianBlur(rt, quadratic, { sigma: 0, gradient: "score" });
      expect(() => blur.valueAndGrad(theta, grad)).toThrow(/Invalid sigma: 0/);
      blur.sigma = 1;
      expect(() => blur.valueAndGrad(theta, rt.tensor([3]))).toThrow(ShapeError);
      expect(() => blur.valueAndGrad(theta, theta)).toThrow(ValueError);
      expect(() => (blur.sigma = NaN)).toThrow(ValueError);
      expect(blur.sigma).toBe(1);
      expect(grad.toArray()).toEqual([9, 9]);
      expect(() => blurSchedule({ initial: 1, ratio: 1 })).toThrow(/Invalid ratio/);
      expect(blurSchedule({ initial: 1, stages: 3 })).toEqual([1, 0.5, 0.25, 0]);
      expect(blurSchedule({ initial: 2, stages: 2, endAtZero: false })).toEqual([2, 1]);
    });
  });
});
