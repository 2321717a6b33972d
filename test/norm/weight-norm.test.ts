import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { centralDifferences, weightedSum } from "../helpers/gradcheck";
import { expectClose, relativeError } from "../helpers/close";
import { uniformArray } from "../helpers/random";
import { Linear } from "../../src/nn/linear";
import { WeightNorm } from "../../src/norm/index";
import type { Runtime } from "../../src/runtime/runtime";

/** w = g v / ||v|| per column of a [rows, cols] matrix, in plain f64. */
function weightsOf(v: ArrayLike<number>, g: ArrayLike<number>, rows: number, cols: number): number[] {
  const norms = Array.from({ length: cols }, (_, j) => Math.hypot(...Array.from({ length: rows }, (_, i) => v[i * cols + j]!)));
  return Array.from({ length: rows * cols }, (_, k) => (g[k % cols]! * v[k]!) / norms[k % cols]!);
}

describeBackends("weight normalization", (rt: Runtime) => {
  it("kernels (f64): forward is g v / ||v||, backward matches central differences of sum(T * w) in v and g", () => {
    rt.scope(() => {
      const [rows, cols] = [5, 3];
      const v = rt.fromArray(uniformArray(rows * cols, 1, -1, 1), [rows, cols], { dtype: "f64" });
      const g = rt.fromArray(uniformArray(cols, 2, 0.5, 2), [cols], { dtype: "f64" });
      const w = rt.tensor([rows, cols], { dtype: "f64" });
      const norms = rt.tensor([cols], { dtype: "f64" });
      const target = uniformArray(rows * cols, 3, -1, 1); // dL/dw for L = sum target * w
      const forward = () => (rt.kernels.f64_weight_norm_forward(v.ptr, g.ptr, w.ptr, norms.ptr, rows, cols), w.toArray());
      expectClose(forward(), weightsOf(v.toArray(), g.toArray(), rows, cols), { rtol: 1e-15, atol: 1e-16 });
      const loss = () => weightedSum(target, forward());
      const numericV = centralDifferences(v.toArray(), (x) => (v.set(x), loss()));
      const numericG = centralDifferences(g.toArray(), (x) => (g.set(x), loss()));
      forward();
      const dw = rt.fromArray(target, [rows, cols], { dtype: "f64" });
      const [dots, dv, dg] = [rt.tensor([cols], { dtype: "f64" }), rt.tensor([rows, cols], { dtype: "f64" }), rt.tensor([cols], { dtype: "f64" })];
      rt.kernels.f64_weight_norm_backward(v.ptr, g.ptr, norms.ptr, dw.ptr, dots.ptr, dv.ptr, dg.ptr, rows, cols);
      expect(relativeError(dv.toArray(), numericV), "dv").toBeLessThanOrEqual(1e-8);
      expect(relativeError(dg.toArray(), numericG), "dg").toBeLessThanOrEqual(1e-8);
      // Gradients accumulate: a second backward doubles them.
      rt.kernels.f64_weight_norm_backward(v.ptr, g.ptr, norms.ptr, dw.ptr, dots.ptr, dv.ptr, dg.ptr, rows, cols);
      expect(relativeError(dg.toArray(), numericG.map((x) => 2 * x)), "2 dg").toBeLessThanOrEqual(1e-8);
    });
  });

  it("WeightNorm(Linear): same function at first; forward, dv, dg, dbias and dx against a plain f64 computation", () => {
    rt.scope(() => {
      const [batch, rows, cols] = [4, 6, 5];
      const layer = new WeightNorm(rt, new Linear(rt, rows, cols, { seed: 3 }));
      const x = rt.fromArray(uniformArray(batch * rows, 4, -1, 1), [batch, rows]);
      const before = layer.linear.weight.toArray();
      layer.forward(x, { training: true });
      expectClose(layer.linear.weight.toArray(), before, { rtol: 1e-6, atol: 1e-7, context: "w = v at first" });
      // A step changes v and g; then everything is checked against plain f64 formulas.
      layer.v.set(uniformArray(rows * cols, 5, -1, 1));
      layer.g.set(uniformArray(cols, 6, 0.5, 2));
      layer.linear.bias!.set(uniformArray(cols, 7, -0.1, 0.1));
      const [v, g, b, xs] = [layer.v.toArray(), layer.g.toArray(), layer.linear.bias!.toArray(), x.toArray()];
      const w = weightsOf(v, g, rows, cols);
      const y = layer.forward(x, { training: true }).toArray();
      const yWant = Array.from({ length: batch * cols }, (_, k) => {
        const [n, j] = [Math.floor(k / cols), k % cols];
        return b[j]! + Array.from({ length: rows }, (_, i) => xs[n * rows + i]! * w[i * cols + j]!).reduce((s, t) => s + t, 0);
      });
      expectClose(y, yWant, { rtol: 1e-5, atol: 1e-6, context: "y" });
      const dyValues = uniformArray(batch * cols, 8, -1, 1);
      const dx = layer.backward(rt.fromArray(dyValues, [batch, cols])).toArray();
      // dw = x^T dy; dg_j = w_hat_j . dw_j; dv = g/||v|| (dw - w_hat dg); dx = dy w^T; db = sum dy.
      const dw = Array.from({ length: rows * cols }, (_, k) => {
        const [i, j] = [Math.floor(k / cols), k % cols];
        return Array.from({ length: batch }, (_, n) => xs[n * rows + i]! * dyValues[n * cols + j]!).reduce((s, t) => s + t, 0);
      });
      const norms = Array.from({ length: cols }, (_, j) => Math.hypot(...Array.from({ length: rows }, (_, i) => v[i * cols + j]!)));
      const dg = norms.map((nj, j) => Array.from({ length: rows }, (_, i) => (v[i * cols + j]! / nj) * dw[i * cols + j]!).reduce((s, t) => s + t, 0));
      const dv = dw.map((d, k) => (g[k % cols]! / norms[k % cols]!) * (d - (v[k]! / norms[k % cols]!) * dg[k % cols]!));
      const dxWant = Array.from({ length: batch * rows }, (_, k) => {
        const [n, i] = [Math.floor(k / rows), k % rows];
        return Array.from({ length: cols }, (_, j) => dyValues[n * cols + j]! * w[i * cols + j]!).reduce((s, t) => s + t, 0);
      });
      const db = Array.from({ length: cols }, (_, j) => Array.from({ length: batch }, (_, n) => dyValues[n * cols + j]!).reduce((s, t) => s + t, 0));
      expect(relativeError(layer.v.grad.toArray(), dv), "dv").toBeLessThanOrEqual(1e-5);
      expect(relativeError(layer.g.grad.toArray(), dg), "dg").toBeLessThanOrEqual(1e-5);
      expect(relativeError(layer.linear.bias!.grad.toArray(), db), "db").toBeLessThanOrEqual(1e-5);
      expect(relativeError(dx, dxWant), "dx").toBeLessThanOrEqual(1e-5);
      expect(Array.from(layer.linear.weight.grad.toArray()).every((d) => d === 0), "dw consumed").toBe(true);
      expect(layer.parameters()).toEqual([layer.v, layer.g, layer.linear.bias]);
      layer.dispose();
      expect(() => layer.forward(x)).toThrow(/WeightNorm was used after dispose/);
    });
  });

  it("backward before forward is a StateError, and a non-Linear a ValueError", () => {
    rt.scope(() => {
      const layer = new WeightNorm(rt, new Linear(rt, 2, 2));
      expect(() => layer.backward(rt.tensor([1, 2]))).toThrow(/WeightNorm.backward\(\) needs a forward\(\) first/);
      expect(() => new WeightNorm(rt, {} as never)).toThrow(/Invalid linear/);
      layer.dispose();
    });
  });
});
