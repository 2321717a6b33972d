import { expect, it } from "vitest";
import {
  CENTRAL_DIFFERENCE_STEP, DisposedError, HessianVectorProduct, NonFiniteError, ShapeError, ValueError,
  extendedRosenbrock, minimize, quadratic, type FG,
} from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { relativeError } from "../helpers/close";
import { uniformArray } from "../helpers/random";
import { expectThrowsUnchanged } from "../helpers/snapshot";
import { matvec, norm2, quadraticGradient, rosen, rosenHessian, symmetricWithSpectrum } from "./problems";
import { seededRandom } from "../helpers/random";

describeBackends("HessianVectorProduct", (rt) => {
  it("reproduces A v of a quadratic to rounding (callback and wasm objective)", () => {
    const n = 7;
    const A = symmetricWithSpectrum([9, 4, 2, 1, 0.5, -1, -3], seededRandom(3));
    const b = uniformArray(n, 4);
    const objective = quadratic(rt, A, b);
    for (const grad of [quadraticGradient(A, n), objective]) {
      const hvp = new HessianVectorProduct(rt, grad, n);
      for (let trial = 0; trial < 5; trial++) {
        const x = uniformArray(n, 10 + trial, -3, 3);
        const v = uniformArray(n, 20 + trial);
        // Truncation error is zero for a quadratic: what remains is rounding, ~ eps |g| / h.
        expect(relativeError(hvp.apply(x, v), matvec(A, v, n))).toBeLessThan(1e-9);
      }
      hvp.dispose();
    }
    objective.dispose();
  });

  it("matches Rosenbrock's exact Hessian within the central-difference bound", () => {
    // The error of the x component is h^2/6 f_xxxx v_x^3 = 400 h^2 v_x^3 (f_xxxx = 2400 is the only
    // fourth derivative), plus rounding; the y component's is rounding only.
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    for (const [x, v] of [[[1, 1], [1, 0]], [[-1.2, 1], [0.6, -0.8]], [[2, -3], [3, 4]], [[0.1, 0.2], [1e-3, 1e-3]]] as const) {
      const h = (CENTRAL_DIFFERENCE_STEP * (1 + norm2(x))) / norm2(v);
      const exact = matvec(rosenHessian(x[0], x[1]), v, 2);
      const got = hvp.apply(x, v);
      const rounding = 1e-9 * norm2(exact);
      expect(Math.abs(got[0]! - exact[0]!)).toBeLessThanOrEqual(400 * h * h * Math.abs(v[0]) ** 3 + rounding);
      expect(Math.abs(got[1]! - exact[1]!)).toBeLessThanOrEqual(rounding);
    }
    hvp.dispose();
  });

  it("uses the documented step: the error is 400 h^2 v_x^3 for a large relativeStep", () => {
    const relativeStep = 1e-2;
    const hvp = new HessianVectorProduct(rt, rosen, 2, { relativeStep });
    const [x, v] = [[0.5, 0.5], [1, 0]];
    const h = (relativeStep * (1 + Math.SQRT1_2)) / 1;
    const exact = matvec(rosenHessian(0.5, 0.5), v, 2);
    expect(hvp.apply(x, v)[0]! - exact[0]!).toBeCloseTo(400 * h * h, 8);
    hvp.dispose();
  });

  it("agrees with the block Hessian of the extended Rosenbrock objective (kernel gradient)", () => {
    const n = 6;
    const objective = extendedRosenbrock(rt, n);
    const hvp = new HessianVectorProduct(rt, objective, n);
    const x = uniformArray(n, 5, -1.5, 1.5);
    const v = uniformArray(n, 6);
    const exact = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i += 2) {
      const [hxx, hxy, , hyy] = rosenHessian(x[i]!, x[i + 1]!);
      exact[i] = hxx! * v[i]! + hxy! * v[i + 1]!;
      exact[i + 1] = hxy! * v[i]! + hyy! * v[i + 1]!;
    }
    expect(relativeError(hvp.apply(x, v), exact)).toBeLessThan(1e-7);
    expect(hvp.evaluations).toBe(2);
    hvp.dispose();
    objective.dispose();
  });

  it("reuses its buffers: products allocate nothing in the runtime, and write into out", () => {
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    const out = new Float64Array(2);
    const before = rt.memoryStats();
    for (let i = 0; i < 100; i++) expect(hvp.apply([1, 1], [0, 1], out)).toBe(out);
    expect(rt.memoryStats()).toEqual(before);
    expect(Array.from(out).map((o) => Math.round(o))).toEqual([-400, 200]);
    hvp.dispose();
  });

  it("takes tensors for x and v, and v = 0 gives 0 without evaluating", () => {
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    const x = rt.fromArray([1, 1], [2], { dtype: "f64" });
    const v = rt.fromArray([0, 0], [2], { dtype: "f64" });
    expect(Array.from(hvp.apply(x, v))).toEqual([0, 0]);
    expect(hvp.evaluations).toBe(0);
    x.dispose();
    v.dispose();
    hvp.dispose();
  });

  it("keeps no view across the gradient callback: a callback that grows the memory still gives H v", () => {
    const growing: FG = (x, g) => {
      g[0] = 6 * x[0]!;
      g[1] = 2 * x[1]!;
      rt.tensor([rt.memoryStats().capacityBytes / 8], { dtype: "f64" }).dispose(); // the memory grows: older views detach
      return 0;
    };
    const hvp = new HessianVectorProduct(rt, growing, 2);
    const capacity = rt.memoryStats().capacityBytes;
    expect(relativeError(hvp.apply([1, 2], [1, 1]), [6, 2])).toBeLessThan(1e-9);
    expect(rt.memoryStats().capacityBytes).toBeGreaterThan(capacity);
    hvp.dispose();
  });

  it("serves as minimize's hessp: Newton reaches Rosenbrock's minimum", () => {
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    const result = minimize(rosen, [-1.2, 1], { method: "newton", hessp: hvp.hessp, runtime: rt });
    expect(result.converged).toBe(true);
    expect(relativeError(result.x, [1, 1])).toBeLessThan(1e-6);
    hvp.dispose();
  });

  it("throws NonFiniteError with out unchanged when a gradient is not finite", () => {
    const blowUp: FG = (x, g) => {
      g[0] = x[0]! > 1 ? Number.NaN : 2 * x[0]!;
      return 0;
    };
    const hvp = new HessianVectorProduct(rt, blowUp, 1);
    const out = new Float64Array([7]);
    expect(() => hvp.apply([1], [1], out)).toThrow(NonFiniteError);
    expect(out[0]).toBe(7);
    hvp.dispose();
  });

  it("rejects bad arguments and options before changing anything", () => {
    expectThrowsUnchanged(rt, () => new HessianVectorProduct(rt, "g" as never, 2), ValueError, /Invalid grad: g/);
    expectThrowsUnchanged(rt, () => new HessianVectorProduct(rt, rosen, 0), ValueError, /Invalid n: 0/);
    expectThrowsUnchanged(rt, () => new HessianVectorProduct(rt, rosen, 2, { step: 1 } as never), ValueError, /Invalid options for HessianVectorProduct: unknown option 'step'/);
    expectThrowsUnchanged(rt, () => new HessianVectorProduct(rt, rosen, 2, { relativeStep: 0 }), ValueError, /Invalid relativeStep: 0/);
    const hvp = new HessianVectorProduct(rt, rosen, 2);
    expectThrowsUnchanged(rt, () => hvp.apply([1, 2, 3], [1, 0]), ShapeError, /x has 3 values \(expected 2\)/);
    expectThrowsUnchanged(rt, () => hvp.apply([1, 2], [Number.NaN, 0]), ValueError, /Invalid v\[0\]: NaN/);
    expectThrowsUnchanged(rt, () => hvp.apply([1, 2], [1, 0], new Float64Array(3)), ShapeError, /out must be a Float64Array of length 2/);
    hvp.dispose();
    expectThrowsUnchanged(rt, () => hvp.apply([1, 2], [1, 0]), DisposedError, /used after dispose/);
  });
});
