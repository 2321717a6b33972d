import { expect } from "vitest";
import { valueAndGrad } from "../../src/autodiff/tape";
import type { Ops } from "../../src/autodiff/ops";
import { runtimeOf, type Runtime } from "../../src/runtime/runtime";
import { sizeOf, type Param, type Tensor } from "../../src/runtime/tensor";
import { relativeError } from "./close";
import { uniformArray } from "./random";

/**
 * Central finite differences of a scalar function: g_i = (f(v + h_i e_i) - f(v - h_i e_i)) / (2 h_i)
 * with h_i = h * max(1, |v_i|). In f64 with h = 1e-5 the truncation error is O(h^2) and the
 * rounding error O(1e-16 / h), both far below the 1e-6 tolerance the tests use. Ends with
 * one more call of f at the original v, so state that f writes (a tensor it sets) is restored.
 */
export function centralDifferences(values: ArrayLike<number>, f: (v: Float64Array) => number, h = 1e-5): number[] {
  const v = Float64Array.from(values);
  const grad: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const original = v[i]!;
    const step = h * Math.max(1, Math.abs(original));
    v[i] = original + step;
    const up = f(v);
    v[i] = original - step;
    const down = f(v);
    v[i] = original;
    grad.push((up - down) / (2 * step));
  }
  f(v);
  return grad;
}

/** sum_i w_i y_i: the loss whose gradient with respect to y is w. */
export function weightedSum(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]! * y[i]!;
  return s;
}

/** What gradient checks need of a normalization module. */
interface Differentiable {
  gamma: Param<"f64"> | null;
  beta: Param<"f64"> | null;
  backward(dy: Tensor<"f64">): Tensor<"f64">;
}

/**
 * Checks dx, dgamma and dbeta of module m at input x against central differences of
 * loss = sum w * forward(), with normwise relative error <= tol. forward() must run the
 * module's forward on x and return y; the grads must start at zero.
 */
export function expectGradientsMatch(m: Differentiable, x: Tensor<"f64">, w: Float64Array, forward: () => ArrayLike<number>, tol = 1e-6): void {
  const loss = () => weightedSum(w, forward());
  const numericX = centralDifferences(x.toArray(), (v) => (x.set(v), loss()));
  const numericGamma = centralDifferences(m.gamma!.toArray(), (v) => (m.gamma!.set(v), loss()));
  const numericBeta = centralDifferences(m.beta!.toArray(), (v) => (m.beta!.set(v), loss()));
  const dy = runtimeOf(x).fromArray(w, x.shape, { dtype: "f64" });
  const dx = m.backward(dy).toArray();
  dy.dispose();
  expect(relativeError(dx, numericX), "dx").toBeLessThanOrEqual(tol);
  expect(relativeError(m.gamma!.grad.toArray(), numericGamma), "dgamma").toBeLessThanOrEqual(tol);
  expect(relativeError(m.beta!.grad.toArray(), numericBeta), "dbeta").toBeLessThanOrEqual(tol);
}

/**
 * One tape op under a gradient check: its inputs (all trainable Params, values uniform in
 * [-1, 1]), the op on the tape, and the same output computed in f64 from plain arrays.
 */
export interface OpGradientCase {
  name: string;
  shapes: number[][];
  /** The op's output shape. */
  outShape: number[];
  tape(ops: Ops, inputs: Param<"f32">[]): Tensor<"f32">;
  f64(inputs: Float64Array[]): ArrayLike<number>;
}

/**
 * Checks every input's gradient of loss = sum w * op(inputs) (w fixed, uniform in [-1, 1])
 * against central differences of the f64 definition, and the loss itself.
 */
export function expectOpGradients(rt: Runtime, c: OpGradientCase, seed = 7): void {
  rt.scope(() => {
    const params = c.shapes.map((shape, i) => rt.param(shape, { values: Array.from(uniformArray(sizeOf(shape), seed + i), Math.fround) }));
    const w = Array.from(uniformArray(sizeOf(c.outShape), 99), Math.fround);
    const weights = rt.fromArray(w, c.outShape);
    const step = valueAndGrad(rt, (ops) => ops.sum(ops.mul(c.tape(ops, params), weights)));
    const loss = step();
    const values = params.map((p) => Float64Array.from(p.data));
    const lossF64 = (v: Float64Array[]) => weightedSum(w, c.f64(v));
    // f32 gradients of O(1) values: a few dozen roundings of 2^-24 relative to the gradient's norm.
    const tolerance = 64 * 2 ** -24;
    expect(Math.abs(loss - lossF64(values)), "loss").toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(lossF64(values))));
    params.forEach((p, i) => {
      const numeric = centralDifferences(values[i]!, (v) => lossF64(values.map((x, j) => (j === i ? v : x))));
      expect(relativeError(Array.from(p.grad.data), numeric), `gradient of input ${i}`).toBeLessThanOrEqual(tolerance);
    });
    step.dispose();
  });
}
