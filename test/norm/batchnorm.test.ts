import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { describeBackends } from "../helpers/backends";
import { expectClose, relativeError } from "../helpers/close";
import { expectGradientsMatch } from "../helpers/gradcheck";
import { uniformArray } from "../helpers/random";
import { BatchNorm } from "../../src/norm/batchnorm";
import { Adam } from "../../src/optim/adam";
import { DisposedError, ShapeError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType } from "../../src/runtime/tensor";

/** A hand-checkable batch: x is [N=4, C=2], channel 0 = [1, 3, 5, 7], channel 1 constant 2. */
const X = [1, 2, 3, 2, 5, 2, 7, 2];
// With eps = 4:
//   channel 0: mean 4, var (9 + 1 + 1 + 9) / 4 = 5, invstd = 1 / sqrt(5 + 4) = 1/3,
//              xhat = [-1, -1/3, 1/3, 1]; gamma 2, beta 0.5 -> y = [-1.5, -1/6, 7/6, 2.5]
//   channel 1: mean 2, var 0, invstd = 1 / sqrt(0 + 4) = 1/2, xhat = 0; gamma 1, beta -1 -> y = -1
const Y = [-1.5, -1, -1 / 6, -1, 7 / 6, -1, 2.5, -1];
// dy: channel 0 = [1, 0, 0, 0], channel 1 = [1, 2, 3, 4]; M = 4.
//   channel 0: dbeta = 1, dgamma = sum dy xhat = -1,
//              dx = gamma invstd (dy - dbeta/M - xhat dgamma/M) = (2/3)(dy - 1/4 + xhat/4)
//                 = (2/3)[1/2, -1/3, -1/6, 0] = [1/3, -2/9, -1/9, 0]
//   channel 1: dbeta = 10, dgamma = 0, dx = (1/2)(dy - 10/4) = [-0.75, -0.25, 0.25, 0.75]
const DY = [1, 1, 0, 2, 0, 3, 0, 4];
const DX = [1 / 3, -0.75, -2 / 9, -0.25, -1 / 9, 0.25, 0, 0.75];

function handModule<D extends FloatDType>(rt: Runtime, dtype: D, options: ConstructorParameters<typeof BatchNorm>[2] = {}) {
  const bn = new BatchNorm<D>(rt, 2, { eps: 4, dtype, ...options } as never);
  bn.gamma!.set([2, 1]);
  bn.beta!.set([0.5, -1]);
  return bn;
}

/** Everything a BatchNorm call may change, copied. */
function snapshot(bn: BatchNorm<FloatDType>): number[][] {
  return [bn.gamma, bn.gamma?.grad, bn.beta, bn.beta?.grad, bn.runningMean, bn.runningVar]
    .filter((t) => t != null)
    .map((t) => t!.toArray())
    .concat([[bn.numBatchesTracked]]);
}

/**
 * The book's form computed in f64 from its formulas, on inputs already rounded to dtype. With
 * u = x - mu, s = sigma (biased), per channel of M elements:
 *   y = gamma u / (s + delta) + beta
 *   dx = gamma / (s + delta) (dy - mean dy) - gamma u sum(dy u) / (M s (s + delta)^2)   (training)
 *   dx = gamma dy / (sqrt(runVar) + delta)                                              (evaluation)
 * (ds/dx_j = u_j / (M s); where s = 0, u = 0 and the second term vanishes).
 */
function bookFormOracle(shape: number[], training: boolean, dtype: FloatDType) {
  const round = dtype === "f32" ? (v: number) => Math.fround(v) : (v: number) => v;
  const [N, C, S = 1] = shape as [number, number, number?];
  const n = N * C * S;
  const channelOf = (i: number) => Math.floor(i / S) % C;
  const x = uniformArray(n, n + 1, -2, 3).map(round);
  const dy = uniformArray(n, n + 2).map(round);
  const gamma = uniformArray(C, 3, 0.5, 2).map(round);
  const beta = uniformArray(C, 4).map(round);
  const runMean = uniformArray(C, 5).map(round);
  const runVar = uniformArray(C, 6, 0.5, 2).map(round);
  const delta = 1e-3;
  const M = n / C;
  const mu = new Array<number>(C).fill(0);
  const sumSq = new Array<number>(C).fill(0);
  const sumDy = new Array<number>(C).fill(0);
  const sumDyU = new Array<number>(C).fill(0);
  x.forEach((v, i) => (mu[channelOf(i)]! += v / M));
  x.forEach((v, i) => (sumSq[channelOf(i)]! += (v - mu[channelOf(i)]!) ** 2));
  const sigma = training ? sumSq.map((q) => Math.sqrt(q / M)) : runVar.map(Math.sqrt);
  const center = training ? mu : runMean;
  x.forEach((v, i) => {
    sumDy[channelOf(i)]! += dy[i]!;
    sumDyU[channelOf(i)]! += dy[i]! * (v - center[channelOf(i)]!);
  });
  const y = x.map((v, i) => {
    const c = channelOf(i);
    return (gamma[c]! * (v - center[c]!)) / (sigma[c]! + delta) + beta[c]!;
  });
  const dx = x.map((v, i) => {
    const c = channelOf(i);
    const [g, s, u] = [gamma[c]!, sigma[c]!, v - center[c]!];
    if (!training) return (g * dy[i]!) / (s + delta);
    const throughSigma = s > 0 ? (g * u * sumDyU[c]!) / (M * s * (s + delta) ** 2) : 0;
    return (g / (s + delta)) * (dy[i]! - sumDy[c]! / M) - throughSigma;
  });
  const yScale = Math.max(...y.map(Math.abs), 1);
  const dxScale = Math.max(...gamma.map((g, c) => g / (sigma[c]! + delta)));
  return { x, dy, gamma, beta, runMean, runVar, delta, y, dx, yScale, dxScale };
}

describeBackends("BatchNorm", (rt) => {
  describe.each(["f32", "f64"] as const)("%s", (dtype) => {
    const rtol = dtype === "f32" ? 1e-6 : 1e-14;

    it("matches forward and backward computed by hand, accumulating into the grads", () => {
      rt.scope(() => {
        const bn = handModule(rt, dtype);
        const x = rt.fromArray(X, [4, 2], { dtype });
        expectClose(bn.forward(x, { training: true }).data, Y, { rtol, atol: rtol, context: "y" });
        expectClose(bn.lastStatistics().mean, [4, 2], { rtol });
        expectClose(bn.lastStatistics().variance, [5, 0], { rtol });
        const dy = rt.fromArray(DY, [4, 2], { dtype });
        expectClose(bn.backward(dy).data, DX, { rtol, atol: rtol, context: "dx" });
        expectClose(bn.gamma!.grad.data, [-1, 0], { rtol, atol: rtol });
        expectClose(bn.beta!.grad.data, [1, 10], { rtol });
        bn.backward(dy); // grads accumulate
        expectClose(bn.gamma!.grad.data, [-2, 0], { rtol, atol: rtol });
        expectClose(bn.beta!.grad.data, [2, 20], { rtol });
        bn.dispose();
      });
    });

    it("updates running statistics the PyTorch way: momentum 0.1 on the new batch, unbiased variance", () => {
      rt.scope(() => {
        const bn = handModule(rt, dtype);
        bn.forward(rt.fromArray(X, [4, 2], { dtype }), { training: true });
        // mean: 0.9 * 0 + 0.1 * [4, 2] = [0.4, 0.2]
        // var:  0.9 * 1 + 0.1 * [5 * 4/3, 0] = [0.9 + 2/3, 0.9]
        expectClose(bn.runningMean!.data, [0.4, 0.2], { rtol });
        expectClose(bn.runningVar!.data, [0.9 + 2 / 3, 0.9], { rtol });
        expect(bn.numBatchesTracked).toBe(1);
        // Evaluation uses them: y = gamma (x - rm) / sqrt(rv + 4) + beta; channel 0, x = 1:
        //   2 (1 - 0.4) / sqrt(4.9 + 2/3) + 0.5;  channel 1, x = 2: (2 - 0.2) / sqrt(4.9) - 1
        const y = bn.forward(rt.fromArray(X, [4, 2], { dtype }), { training: false });
        expectClose([y.data[0]!, y.data[1]!], [(2 * 0.6) / Math.sqrt(4.9 + 2 / 3) + 0.5, 1.8 / Math.sqrt(4.9) - 1], { rtol });
        // ... and backward through frozen statistics: dx = gamma dy / sqrt(rv + eps)
        const dx = bn.backward(rt.fromArray(DY, [4, 2], { dtype }));
        expectClose([dx.data[0]!, dx.data[1]!], [2 / Math.sqrt(4.9 + 2 / 3), 1 / Math.sqrt(4.9)], { rtol });
        expect(bn.numBatchesTracked).toBe(1);
        bn.dispose();
      });
    });

    it("updates running statistics the Keras / TensorFlow.js way: momentum 0.99 on the old value, biased variance", () => {
      rt.scope(() => {
        const bn = handModule(rt, dtype, { convention: "keras" });
        expect(bn.momentum).toBe(0.99);
        bn.forward(rt.fromArray(X, [4, 2], { dtype }), { training: true });
        // mean: 0.99 * 0 + 0.01 * [4, 2] = [0.04, 0.02];  var: 0.99 * 1 + 0.01 * [5, 0] = [1.04, 0.99]
        expectClose(bn.runningMean!.data, [0.04, 0.02], { rtol });
        expectClose(bn.runningVar!.data, [1.04, 0.99], { rtol });
        bn.dispose();
      });
    });

    it("keeps a cumulative average when PyTorch momentum is null", () => {
      rt.scope(() => {
        const bn = handModule(rt, dtype, { momentum: null });
        bn.forward(rt.fromArray(X, [4, 2], { dtype }), { training: true });
        bn.forward(rt.fromArray(X.map((v) => 2 * v), [4, 2], { dtype }), { training: true });
        // batch 1: mean [4, 2], unbiased var [20/3, 0]; batch 2 (x2): mean [8, 4], var [80/3, 0]
        // cumulative average: mean [6, 3], var [50/3, 0]
        expectClose(bn.runningMean!.data, [6, 3], { rtol });
        expectClose(bn.runningVar!.data, [50 / 3, 0], { rtol, atol: rtol });
        bn.dispose();
      });
    });

    it("uses batch statistics in evaluation when running statistics are not tracked", () => {
      rt.scope(() => {
        const bn = handModule(rt, dtype, { trackRunningStats: false });
        expect(bn.runningMean).toBeNull();
        const y = bn.forward(rt.fromArray(X, [4, 2], { dtype }), { training: false });
        expectClose(y.data, Y, { rtol, atol: rtol });
        expectClose(bn.backward(rt.fromArray(DY, [4, 2], { dtype })).data, DX, { rtol, atol: rtol });
        bn.dispose();
      });
    });

    it("without affine parameters normalizes only and has no parameters", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 2, { eps: 4, dtype, affine: false });
        expect(bn.parameters()).toEqual([]);
        const y = bn.forward(rt.fromArray(X, [4, 2], { dtype }), { training: true });
        expectClose(y.data, [-1, 0, -1 / 3, 0, 1 / 3, 0, 1, 0], { rtol, atol: rtol });
        bn.dispose();
      });
    });
  });

  it("law: each output channel has mean beta and variance gamma^2 var / (var + eps) (fast-check, f64)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 7 }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (N, C, S, offset, spread, seed) => {
          rt.scope(() => {
            const n = N * C * S;
            const bn = new BatchNorm(rt, C, { dtype: "f64" });
            bn.gamma!.set(uniformArray(C, seed, -2, 2));
            bn.beta!.set(uniformArray(C, seed + 1, -2, 2));
            const x = rt.fromArray(uniformArray(n, seed + 2).map((u) => offset + spread * u), [N, C, S], { dtype: "f64" });
            const y = bn.forward(x, { training: true }).data;
            for (let c = 0; c < C; c++) {
              const pick = (v: ArrayLike<number>) => Array.from({ length: N * S }, (_, k) => v[(Math.floor(k / S) * C + c) * S + (k % S)]!);
              const moments = (v: number[]) => {
                const m = v.reduce((a, b) => a + b) / v.length;
                return [m, v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length] as const;
              };
              const [, vx] = moments(pick(x.data));
              const [my, vy] = moments(pick(y));
              const g = bn.gamma!.data[c]!;
              expect(Math.abs(my - bn.beta!.data[c]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(g)));
              expect(Math.abs(vy - (g * g * vx) / (vx + 1e-5))).toBeLessThanOrEqual(1e-9 * (1 + g * g));
            }
            bn.dispose();
          });
        },
      ),
      { numRuns: 40, seed: 6 },
    );
  });

  describe("gradients against central finite differences (f64, relative error <= 1e-6)", () => {
    const shapes: Array<[string, number[]]> = [["(N, C)", [5, 3]], ["(N, C, H, W)", [2, 3, 2, 3]], ["(N, C, L) odd", [3, 2, 7]]];
    for (const [label, shape] of shapes) {
      for (const training of [true, false]) {
        it(`${label} ${training ? "training" : "evaluation"}: dx, dgamma, dbeta`, () => {
          rt.scope(() => {
            const n = shape.reduce((a, b) => a * b, 1);
            const C = shape[1]!;
            const bn = new BatchNorm(rt, C, { dtype: "f64", eps: 1e-3 });
            bn.gamma!.set(uniformArray(C, 1, 0.5, 2));
            bn.beta!.set(uniformArray(C, 2));
            bn.runningMean!.set(uniformArray(C, 3));
            bn.runningVar!.set(uniformArray(C, 4, 0.5, 2));
            const x = rt.fromArray(uniformArray(n, 5, -2, 3), shape, { dtype: "f64" });
            const w = uniformArray(n, 6);
            const saved = [bn.runningMean!.toArray(), bn.runningVar!.toArray()];
            expectGradientsMatch(bn, x, w, () => {
              const y = bn.forward(x, { training });
              bn.runningMean!.set(saved[0]!); // the loss must not drift with running updates
              bn.runningVar!.set(saved[1]!);
              return y.data;
            });
            bn.dispose();
          });
        });
      }
    }
  });

  describe("the book's form, epsPlacement 'outside': y = gamma (x - mean) / (sigma + delta) + beta", () => {
    const shapes: Array<[string, number[]]> = [["(N, C)", [5, 3]], ["(N, C) odd N", [17, 1]], ["(N, C, L) odd", [3, 2, 7]], ["(N, C, L) N = 1", [1, 3, 15]]];
    for (const [label, shape] of shapes) {
      for (const training of [true, false]) {
        it(`${label} ${training ? "training" : "evaluation"}: dx, dgamma, dbeta against central differences (f64)`, () => {
          rt.scope(() => {
            const n = shape.reduce((a, b) => a * b, 1);
            const C = shape[1]!;
            const bn = new BatchNorm(rt, C, { dtype: "f64", epsPlacement: "outside", eps: 1e-2 });
            bn.gamma!.set(uniformArray(C, 1, 0.5, 2));
            bn.beta!.set(uniformArray(C, 2));
            bn.runningVar!.set(uniformArray(C, 4, 0.5, 2));
            const x = rt.fromArray(uniformArray(n, 5, -2, 3), shape, { dtype: "f64" });
            const w = uniformArray(n, 6);
            const saved = [bn.runningMean!.toArray(), bn.runningVar!.toArray()];
            expectGradientsMatch(bn, x, w, () => {
              const y = bn.forward(x, { training });
              bn.runningMean!.set(saved[0]!);
              bn.runningVar!.set(saved[1]!);
              return y.data;
            });
            bn.dispose();
          });
        });
      }
    }

    // Odd sizes along N (shape (N, 3)) and along S (shape (2, 3, S)); training needs M = N S > 1.
    const oddShapes = [1, 3, 5, 7, 15, 17, 33, 1000].flatMap((k) => [[k, 3], [2, 3, k]]);
    for (const dtype of ["f32", "f64"] as const) {
      // f32: x, gamma, beta round to f32 once, and the kernel's sums and products carry a few
      // dozen roundings of 2^-24, scaled by |xhat| + |beta| (<= about 32 + 1 here); f64 alike at 2^-53.
      const tol = dtype === "f32" ? 2e-5 : 1e-12;
      for (const training of [true, false]) {
        it(`${dtype} ${training ? "training" : "evaluation"}: y and dx against the formulas in f64 on odd sizes`, () => {
          for (const shape of oddShapes.filter((s) => !training || s[0]! * (s[2] ?? 1) > 1)) {
            rt.scope(() => {
              const f = bookFormOracle(shape, training, dtype);
              const bn = new BatchNorm(rt, 3, { dtype, epsPlacement: "outside", eps: f.delta });
              bn.gamma!.set(f.gamma);
              bn.beta!.set(f.beta);
              bn.runningMean!.set(f.runMean);
              bn.runningVar!.set(f.runVar);
              const y = bn.forward(rt.fromArray(f.x, shape, { dtype }), { training }).toArray();
              expectClose(y, f.y, { rtol: tol, atol: tol * f.yScale, context: `y ${shape}` });
              const dx = bn.backward(rt.fromArray(f.dy, shape, { dtype })).toArray();
              expectClose(dx, f.dx, { rtol: tol, atol: tol * f.dxScale, context: `dx ${shape}` });
              bn.dispose();
            });
          }
        });
      }
    }

    it("forward is the formula with delta = 1e-6 by default; a constant channel gets dx = gamma (dy - mean dy) / delta", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 2, { dtype: "f64", epsPlacement: "outside" });
        expect(bn.eps).toBe(1e-6);
        const xs = [1, 5, 2, 5, 4, 5, 9, 5]; // channel 0: 1, 2, 4, 9; channel 1 constant
        const x = rt.fromArray(xs, [4, 2], { dtype: "f64" });
        const y = bn.forward(x, { training: true }).toArray();
        const c0 = [1, 2, 4, 9];
        const mean = 4;
        const sigma = Math.sqrt(c0.reduce((s, v) => s + (v - mean) ** 2, 0) / 4);
        expectClose([0, 2, 4, 6].map((i) => y[i]!), c0.map((v) => (v - mean) / (sigma + 1e-6)), { rtol: 1e-14 });
        expect([1, 3, 5, 7].map((i) => y[i]!)).toEqual([0, 0, 0, 0]);
        const dy = rt.fromArray([0, 1, 0, -2, 0, 0.5, 0, 3.5], [4, 2], { dtype: "f64" });
        const dx = bn.backward(dy).toArray();
        // Constant channel: sqrt(var) has no finite slope at 0, but x - mean = 0 multiplies it: dx = (dy - mean dy) / delta.
        expectClose([1, 3, 5, 7].map((i) => dx[i]!), [1, -2, 0.5, 3.5].map((d) => (d - 0.75) / 1e-6), { rtol: 1e-12 });
        bn.dispose();
      });
    });

    it("rejects an unknown epsPlacement", () => {
      expect(() => new BatchNorm(rt, 2, { epsPlacement: "root" as never })).toThrow(/Invalid epsPlacement: root \(expected 'inside' or 'outside'\)/);
      // 1 / eps scales a constant channel: 1e-40 passes f64 but not f32 (1e40 > 3.4e38).
      expect(() => new BatchNorm(rt, 2, { epsPlacement: "outside", eps: 1e-40 })).toThrow(/Invalid eps: 1e-40 \(expected 1 \/ eps finite in f32/);
      new BatchNorm(rt, 2, { epsPlacement: "outside", eps: 1e-40, dtype: "f64" }).dispose();
    });
  });

  describe("robustness (f32)", () => {
    /** Exact (f64, two-pass) mean and biased variance of each channel of f32-rounded x [N, C, S]. */
    function exactMoments(x: Float32Array, N: number, C: number, S: number): { mean: number[]; variance: number[] } {
      const mean: number[] = [];
      const variance: number[] = [];
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) s += x[(n * C + c) * S + k]!;
        const m = s / (N * S);
        let q = 0;
        for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) q += (x[(n * C + c) * S + k]! - m) ** 2;
        mean.push(m);
        variance.push(q / (N * S));
      }
      return { mean, variance };
    }

    // Both layouts: (N, C) reduces down columns, (N, C, S) along planes.
    it.each([[[64, 6, 3]], [[130, 6]]])("keeps the variance of values around 1e4 with spread 1e-2, and centers them exactly (%j)", (shape) => {
      rt.scope(() => {
        const [N, C] = shape as [number, number];
        const S = shape[2] ?? 1;
        const n = N * C * S;
        const x = rt.fromArray(uniformArray(n, 9).map((u) => 1e4 + 1e-2 * u), shape);
        const bn = new BatchNorm(rt, C, { eps: 1e-12 });
        const y = bn.forward(x, { training: true });
        const exact = exactMoments(x.data, N, C, S);
        const got = bn.lastStatistics();
        expect(relativeError(got.mean, exact.mean)).toBeLessThanOrEqual(1e-12);
        for (let c = 0; c < C; c++) expect(Math.abs(got.variance[c]! / exact.variance[c]! - 1)).toBeLessThanOrEqual(1e-6);
        // y = (x - mean) / sqrt(var): unit variance, and within f32 rounding of the exact value
        const want = Array.from(x.data, (v, i) => {
          const c = Math.floor(i / S) % C;
          return (v - exact.mean[c]!) / Math.sqrt(exact.variance[c]! + 1e-12);
        });
        expectClose(y.data, want, { atol: 2e-6, rtol: 0, context: "y" });
        // ... and the backward keeps dx = A dy exact up to the same order for dy = xhat (then dx = 0):
        // sum dy = 0 and sum dy xhat = M, so dx = invstd (xhat - 0 - xhat M / M) = 0.
        const dx = bn.backward(rt.fromArray(want, shape)).toArray();
        expect(Math.max(...dx.map(Math.abs)) / Math.max(...want.map((w) => Math.abs(w) / Math.sqrt(exact.variance[0]!)))).toBeLessThanOrEqual(1e-4);
        bn.dispose();
      });
    });

    it("normalizes constant inputs to beta with finite gradients", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 5);
        bn.beta!.set([1, 2, 3, 4, 5]);
        const x = rt.fromArray(new Array(8 * 5 * 4).fill(1234.5), [8, 5, 4]);
        const y = bn.forward(x, { training: true });
        expect(bn.lastStatistics().variance).toEqual([0, 0, 0, 0, 0]);
        expectClose(y.data, Array.from({ length: 160 }, (_, i) => 1 + (Math.floor(i / 4) % 5)), { rtol: 0 });
        const dx = bn.backward(rt.fromArray(uniformArray(160, 3), [8, 5, 4]));
        expect(dx.toArray().every(Number.isFinite)).toBe(true);
        bn.dispose();
      });
    });

    // One channel of 1e6 values in three layouts: the row path with vector segments
    // (1, 1, 1e6), the scalar row path (1e6, 1), and lane blocks of columns (250000, 4).
    it.each([
      [[1, 1, 1_000_000]],
      [[1_000_000, 1]],
      [[250_000, 4]],
    ])("keeps relative error small over N*H*W = 1e6 (shape %j)", (shape) => {
      rt.scope(() => {
        const n = shape.reduce((a, b) => a * b, 1);
        const C = shape[1]!;
        const S = shape.slice(2).reduce((a, b) => a * b, 1);
        const x = rt.fromArray(uniformArray(n, 11).map((u) => 1000 + u), shape);
        const bn = new BatchNorm(rt, C);
        bn.forward(x, { training: true });
        const exact = exactMoments(x.data, shape[0]!, C, S);
        const got = bn.lastStatistics();
        expect(relativeError(got.mean, exact.mean)).toBeLessThanOrEqual(1e-12);
        expect(relativeError(got.variance, exact.variance)).toBeLessThanOrEqual(1e-6);
        bn.dispose();
      });
    });
  });

  describe("errors change nothing", () => {
    it("refuses training on one value per channel with a clear message", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 3);
        const before = snapshot(bn);
        for (const shape of [[1, 3], [1, 3, 1, 1]]) {
          const x = rt.fromArray([1, 2, 3], shape);
          expect(() => bn.forward(x, { training: true })).toThrow(ValueError);
          expect(() => bn.forward(x, { training: true })).toThrow(/expected more than 1 value per channel when training.*variance of one value is undefined/);
          expect(x.toArray()).toEqual([1, 2, 3]);
          // Evaluation with running statistics is fine for a single sample.
          expect(bn.forward(x, { training: false }).length).toBe(3);
        }
        expect(snapshot(bn)).toEqual(before);
        const untracked = new BatchNorm(rt, 3, { trackRunningStats: false });
        expect(() => untracked.forward(rt.fromArray([1, 2, 3], [1, 3]), { training: false })).toThrow(/no running statistics/);
        bn.dispose();
        untracked.dispose();
      });
    });

    const invalidOptions: Array<[string, unknown[], RegExp]> = [
      ["zero channels", [0], /Invalid numChannels: 0/],
      ["fractional channels", [2.5], /Invalid numChannels/],
      ["momentum > 1", [3, { momentum: 1.5 }], /Invalid momentum: 1.5/],
      ["negative momentum", [3, { momentum: -0.1 }], /Invalid momentum/],
      ["NaN momentum", [3, { momentum: Number.NaN }], /Invalid momentum: NaN/],
      ["null momentum with Keras", [3, { convention: "keras", momentum: null }], /cumulative average is a PyTorch option/],
      ["eps = 0", [3, { eps: 0 }], /Invalid eps: 0/],
      ["negative eps", [3, { eps: -1e-5 }], /Invalid eps/],
      ["unknown convention", [3, { convention: "tensorflow" }], /Invalid convention: tensorflow/],
      ["non-boolean affine", [3, { affine: "yes" }], /Invalid affine: yes/],
      ["non-boolean trackRunningStats", [3, { trackRunningStats: 1 }], /Invalid trackRunningStats/],
      ["unknown dtype", [3, { dtype: "f16" }], /Invalid dtype: f16/],
    ];
    it.each(invalidOptions)("rejects %s in the constructor, allocating nothing", (_desc, args, message) => {
      const before = rt.memoryStats().liveTensors;
      expect(() => new BatchNorm(rt, ...(args as [number]))).toThrow(ValueError);
      expect(() => new BatchNorm(rt, ...(args as [number]))).toThrow(message);
      expect(rt.memoryStats().liveTensors).toBe(before);
    });

    it("rejects bad inputs to forward and backward, changing nothing", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 3);
        const x = rt.fromArray(uniformArray(12, 1), [4, 3]);
        expect(() => bn.backward(x)).toThrow(/needs a forward\(\) first/);
        bn.forward(x, { training: true });
        bn.backward(rt.fromArray(uniformArray(12, 2), [4, 3]));
        const before = snapshot(bn);
        const cases: Array<[() => unknown, new (...a: never[]) => Error, RegExp]> = [
          [() => bn.forward(rt.fromArray([1, 2, 3, 4], [2, 2]), { training: true }), ShapeError, /expected 3 channels/],
          [() => bn.forward(rt.fromArray([1, 2, 3], [3]), { training: true }), ShapeError, /at least 2 dimensions/],
          [() => bn.forward(rt.fromArray(uniformArray(12, 1), [4, 3], { dtype: "f64" }) as never, { training: true }), ShapeError, /dtype 'f32'/],
          [() => bn.forward(x, {} as never), ValueError, /Invalid training: undefined/],
          [() => bn.forward(x, undefined as never), ValueError, /expected \{ training: boolean \}/],
          [() => bn.forward([1, 2, 3] as never, { training: true }), ValueError, /expected a Tensor/],
          [() => bn.backward(rt.fromArray(uniformArray(6, 2), [2, 3])), ShapeError, /expected the forward input's shape \[4, 3\]/],
        ];
        for (const [call, type, message] of cases) {
          expect(call).toThrow(type);
          expect(call).toThrow(message);
          expect(snapshot(bn)).toEqual(before);
        }
        const other = rt.fromArray(uniformArray(12, 1), [4, 3]);
        other.dispose();
        expect(() => bn.forward(other, { training: true })).toThrow(DisposedError);
        expect(snapshot(bn)).toEqual(before);
        bn.dispose();
        expect(() => bn.forward(x, { training: true })).toThrow(DisposedError);
        bn.dispose(); // idempotent
      });
    });

    it("refuses backward once the forward input is disposed", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 3);
        const x = rt.fromArray(uniformArray(12, 1), [4, 3]);
        bn.forward(x, { training: true });
        x.dispose();
        expect(() => bn.backward(rt.fromArray(uniformArray(12, 2), [4, 3]))).toThrow(/input of forward\(\) was disposed/);
        bn.dispose();
      });
    });
  });

  describe("ownership and integration", () => {
    it("reuses its output buffers while the shape stays, and frees everything on dispose", () => {
      const before = rt.memoryStats();
      const bn = new BatchNorm(rt, 4);
      const x = rt.fromArray(uniformArray(32, 1), [8, 4]);
      const y1 = bn.forward(x, { training: true });
      const y2 = bn.forward(x, { training: true });
      expect(y2).toBe(y1);
      const dx1 = bn.backward(x);
      expect(bn.backward(x)).toBe(dx1);
      const x2 = rt.fromArray(uniformArray(16, 1), [4, 4]);
      const y3 = bn.forward(x2, { training: true });
      expect(y3.shape).toEqual([4, 4]);
      expect(y1.disposed).toBe(true);
      y3.dispose(); // a caller disposing a module-owned output: the module recovers
      expect(bn.forward(x2, { training: true }).disposed).toBe(false);
      bn.dispose();
      x.dispose();
      x2.dispose();
      expect(rt.memoryStats().liveTensors).toBe(before.liveTensors);
      expect(rt.memoryStats().liveBytes).toBe(before.liveBytes);
    });

    it("plugs gamma and beta into Adam", () => {
      rt.scope(() => {
        const bn = new BatchNorm(rt, 2, { eps: 4 });
        const opt = new Adam(rt, bn.parameters(), { lr: 0.1 });
        bn.forward(rt.fromArray(X, [4, 2]), { training: true });
        bn.backward(rt.fromArray(DY, [4, 2]));
        opt.step();
        // dgamma = [-1, 0], dbeta = [1, 10]: the first Adam step moves by lr against the sign (0 stays 0)
        expectClose(bn.gamma!.data, [1.1, 1], { rtol: 1e-6 });
        expectClose(bn.beta!.data, [-0.1, -0.1], { rtol: 1e-6 });
        opt.dispose();
        bn.dispose();
      });
    });
  });
});
