import { expect, it } from "vitest";
import {
  DisposedError, HessianVectorProduct, ShapeError, ValueError, classifyCriticalPoint, diagonalQuadratic, hessianEigenvalues,
  type FG,
} from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { expectThrowsUnchanged } from "../helpers/snapshot";
import { quadraticGradient, rosen, symmetricWithSpectrum } from "./problems";
import { seededRandom } from "../helpers/random";

/** The gradient of sum_i s_i x_i^2 / 2 (Hessian diag(s)) and of x^2 - y^2, -x^2 - y^2, x^4 + y^2. */
const separable = (s: number[]): FG => (x, g) => {
  s.forEach((si, i) => (g[i] = si * x[i]!));
  return 0;
};
const quartic: FG = (x, g) => {
  g[0] = 4 * x[0]! ** 3;
  g[1] = 2 * x[1]!;
  return 0;
};
const monkeySaddle: FG = (x, g) => {
  // f = x^3 - 3 x y^2: every second derivative vanishes at 0.
  g[0] = 3 * x[0]! ** 2 - 3 * x[1]! ** 2;
  g[1] = -6 * x[0]! * x[1]!;
  return 0;
};

describeBackends("hessianEigenvalues (Lanczos, full reorthogonalization)", (rt) => {
  it("recovers a known spectrum in n steps, and the extremes of a wide one in fewer (wasm objective)", () => {
    const n = 40;
    const spectrum = Array.from({ length: n }, (_, i) => 1 + i * i); // 1 ... 1522: condition 1522
    const objective = diagonalQuadratic(rt, spectrum, new Array(n).fill(1));
    const hvp = new HessianVectorProduct(rt, objective, n);
    const x = uniformArray(n, 1);
    const full = hessianEigenvalues(hvp, x, { steps: n });
    expect(full.steps).toBe(n);
    const decreasing = [...spectrum].reverse();
    full.values.forEach((v, i) => expect(Math.abs(v - decreasing[i]!)).toBeLessThan(1e-6 * 1522));
    expect(full.condition).toBeCloseTo(1522, 4);

    const partial = hessianEigenvalues(hvp, x, { steps: 25 });
    expect(partial.values.length).toBe(25);
    expect(Math.abs(partial.max - 1522)).toBeLessThan(1e-6 * 1522);
    expect(Math.abs(partial.min - 1)).toBeLessThanOrEqual(partial.residuals[24]! + 1e-9);
    // Ritz values bracket inward, and each lies within its residual of an eigenvalue.
    expect(partial.max).toBeLessThanOrEqual(1522 * (1 + 1e-9));
    expect(partial.min).toBeGreaterThanOrEqual(1 - 1e-9);
    partial.values.forEach((v, i) => {
      const nearest = Math.min(...spectrum.map((s) => Math.abs(s - v)));
      expect(nearest).toBeLessThanOrEqual(partial.residuals[i]! + 1e-6 * 1522);
    });
    hvp.dispose();
    objective.dispose();
  });

  it("matches numpy's eigvalsh on a dense indefinite Hessian (7 x 7, callback)", () => {
    const spectrum = [5, 3.5, 1, 0.25, -0.5, -2, -8];
    const A = symmetricWithSpectrum(spectrum, seededRandom(7));
    const hvp = new HessianVectorProduct(rt, quadraticGradient(A, 7), 7);
    const { values, residuals, steps } = hessianEigenvalues(hvp, uniformArray(7, 2));
    expect(steps).toBe(7);
    values.forEach((v, i) => expect(v).toBeCloseTo(spectrum[i]!, 8));
    residuals.forEach((r) => expect(r).toBe(0)); // n steps: the whole space is invariant
    hvp.dispose();
  });

  it("stops early on an invariant subspace: 3 distinct eigenvalues take 3 steps", () => {
    const hvp = new HessianVectorProduct(rt, separable([2, 2, 5, 5, 5, 9]), 6);
    const { values, steps } = hessianEigenvalues(hvp, new Array(6).fill(0), { steps: 6 });
    expect(steps).toBe(3);
    expect(Array.from(values, (v) => Number(v.toFixed(8)))).toEqual([9, 5, 2]);
    hvp.dispose();
  });

  it("is reproducible from its seed and frees everything it allocates", () => {
    const hvp = new HessianVectorProduct(rt, separable([1, 2, 3, 4, 5, 6, 7, 8]), 8);
    const before = rt.memoryStats().liveTensors;
    const a = hessianEigenvalues(hvp, new Array(8).fill(0.5), { steps: 4, seed: 3 });
    const b = hessianEigenvalues(hvp, new Array(8).fill(0.5), { steps: 4, seed: 3 });
    expect(a).toEqual(b);
    expect(rt.memoryStats().liveTensors).toBe(before);
    hvp.dispose();
  });

  it("rejects bad calls before evaluating anything", () => {
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    expectThrowsUnchanged(rt, () => hessianEigenvalues({} as never, [1, 1]), ValueError, /Invalid hvp/);
    expectThrowsUnchanged(rt, () => hessianEigenvalues(hvp, [1, 1], { steps: 3 }), ValueError, /Invalid steps: 3 \(expected an integer >= 1 and <= 2\)/);
    expectThrowsUnchanged(rt, () => hessianEigenvalues(hvp, [1, 1], { k: 2 } as never), ValueError, /Invalid options for hessianEigenvalues: unknown option 'k'/);
    expectThrowsUnchanged(rt, () => hessianEigenvalues(hvp, [1]), ShapeError, /x has 1 values \(expected 2\)/);
    expect(hvp.evaluations).toBe(0);
    hvp.dispose();
    expectThrowsUnchanged(rt, () => hessianEigenvalues(hvp, [1, 1]), DisposedError, /used after dispose/);
  });
});

describeBackends("classifyCriticalPoint", (rt) => {
  const classify = (grad: FG, x: number[], options = {}) => {
    const hvp = new HessianVectorProduct(rt, grad, x.length);
    try {
      return classifyCriticalPoint(hvp, x, options);
    } finally {
      hvp.dispose();
    }
  };

  it("calls x^2 - y^2 a saddle, -x^2 - y^2 a maximum, x^2 + 3 y^2 a minimum", () => {
    expect(classify(separable([2, -2]), [0, 0])).toMatchObject({ kind: "saddle", gradNorm: 0 });
    const maximum = classify(separable([-2, -2]), [0, 0]);
    expect(maximum.kind).toBe("maximum");
    expect(maximum.max).toBeCloseTo(-2, 9);
    expect(classify(separable([2, 6]), [0, 0]).kind).toBe("minimum");
  });

  it("calls Rosenbrock's (1, 1) a minimum with H = [[802, -400], [-400, 200]]'s eigenvalues", () => {
    // numpy.linalg.eigvalsh([[802, -400], [-400, 200]]) = [0.3993607674876216, 1001.6006392325123].
    const point = classify(rosen, [1, 1]);
    expect(point.kind).toBe("minimum");
    expect(point.max).toBeCloseTo(1001.6006392325123, 6);
    // The differences' error is at most 400 h^2 = 8.6e-8 (h = 1.46e-5 here; see hessian-vector.test.ts).
    expect(Math.abs(point.min - 0.3993607674876216)).toBeLessThan(8.6e-8);
    expect(point.condition).toBeCloseTo(1001.6006392325123 / 0.3993607674876216, 2);
  });

  it("says 'not-critical' away from a stationary point, and 'degenerate' where the second-order test cannot decide", () => {
    expect(classify(rosen, [-1.2, 1]).kind).toBe("not-critical");
    expect(classify(quartic, [0, 0]).kind).toBe("degenerate"); // x^4 + y^2: eigenvalues 0 and 2
    expect(classify(monkeySaddle, [0, 0]).kind).toBe("degenerate");
    // With atol = 0 the differences' 4 h^2 ~ 1.5e-10 for x^4 reads as positive curvature.
    expect(classify(quartic, [0, 0], { atol: 0, tol: 0 }).kind).toBe("minimum");
  });

  it("rejects bad tolerances and unknown options", () => {
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    expectThrowsUnchanged(rt, () => classifyCriticalPoint(hvp, [1, 1], { tol: 1 }), ValueError, /Invalid tol: 1/);
    expectThrowsUnchanged(rt, () => classifyCriticalPoint(hvp, [1, 1], { gtol: -1 }), ValueError, /Invalid gtol: -1/);
    expectThrowsUnchanged(rt, () => classifyCriticalPoint(hvp, [1, 1], { rtol: 1 } as never), ValueError, /Invalid options for classifyCriticalPoint: unknown option 'rtol'/);
    hvp.dispose();
  });
});

