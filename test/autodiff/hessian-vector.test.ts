import { expect, it } from "vitest";
import { hessianVectorProduct } from "../../src/autodiff/hessian-vector";
import { tapeObjective } from "../../src/autodiff/objective";
import type { Ops } from "../../src/autodiff/ops";
import { HessianVectorProduct } from "../../src/diagnostics/hessian-vector";
import { hessianEigenvalues } from "../../src/diagnostics/lanczos";
import { DisposedError, ShapeError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { Param, Tensor } from "../../src/runtime/tensor";
import { describeBackends } from "../helpers/backends";
import { relativeError } from "../helpers/close";
import { uniformArray } from "../helpers/random";

/**
 * A model under test: its parameters' shapes, constant inputs, the loss through the tape, and
 * the same loss in f64 over the parameters laid end to end (the oracle's function).
 */
interface Model {
  name: string;
  shapes: number[][];
  tape(ops: Ops, p: Tensor<"f32">[], c: Constants): Tensor<"f32">;
  f64(theta: Float64Array): number;
}

interface Constants {
  x: Tensor<"f32">;
  xT: Tensor<"f32">;
  y: Tensor<"f32">;
  labels: Tensor<"i32">;
}

const [B, D, H, O] = [4, 3, 5, 2];
const X = uniformArray(B * D, 11);
const Y = uniformArray(B * O, 12);
const LABELS = [1, 0, 1, 1];

/** Reads consecutive parameter blocks of the given shapes out of theta. */
function blocks(theta: Float64Array, shapes: number[][]): Float64Array[] {
  let at = 0;
  return shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    at += n;
    return theta.subarray(at - n, at);
  });
}

/** a [m, k] b [k, n] (+ bias), with a read transposed from [k, m] when transA. */
function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, bias?: Float64Array, transA = false): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j]! : 0;
      for (let p = 0; p < k; p++) s += a[transA ? p * m + i : i * k + p]! * b[p * n + j]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const MODELS: Model[] = [
  {
    name: "tanh MLP with MSE (matmul + bias, tanh, mse)",
    shapes: [[D, H], [H], [H, O], [O]],
    tape: (ops, [w1, b1, w2, b2], c) => ops.mse(ops.matmul(ops.tanh(ops.matmul(c.x, w1!, { bias: b1! })), w2!, { bias: b2! }), c.y),
    f64(theta) {
      const [w1, b1, w2, b2] = blocks(theta, this.shapes);
      const h = matmul(X, w1!, B, D, H, b1).map(Math.tanh);
      const out = matmul(h, w2!, B, H, O, b2);
      return out.reduce((s, v, i) => s + (v - Y[i]!) ** 2, 0) / out.length;
    },
  },
  {
    name: "sigmoid features, broadcast mul/add/sub, scale, sum and mean (transA)",
    shapes: [[D, H], [H], [H]],
    tape(ops, [w, a, b], c) {
      const h = ops.sigmoid(ops.matmul(c.xT, w!, { transA: true }));
      const z = ops.sub(ops.add(ops.mul(h, a!), ops.scale(h, 0.5)), b!);
      return ops.add(ops.mean(ops.mul(z, z)), ops.scale(ops.sum(ops.mul(h, h)), 0.1));
    },
    f64(theta) {
      const [w, a, b] = blocks(theta, this.shapes);
      const h = matmul(X, w!, B, D, H).map(sigmoid);
      let squares = 0;
      let hh = 0;
      h.forEach((v, i) => {
        const z = v * a![i % H]! + 0.5 * v - b![i % H]!;
        squares += z * z;
        hh += v * v;
      });
      return squares / h.length + 0.1 * hh;
    },
  },
  {
    name: "softmax cross-entropy over a ReLU layer (matmul's relu epilogue, the relu op)",
    shapes: [[D, H], [H], [H, O]],
    tape: (ops, [w1, b1, w2], c) => ops.softmaxCrossEntropy(ops.matmul(ops.relu(ops.matmul(c.x, w1!, { bias: b1! })), w2!), c.labels),
    f64(theta) {
      const [w1, b1, w2] = blocks(theta, this.shapes);
      const h = matmul(X, w1!, B, D, H, b1).map((v) => Math.max(v, 0));
      const z = matmul(h, w2!, B, H, O);
      let loss = 0;
      for (let i = 0; i < B; i++) {
        const row = z.subarray(i * O, (i + 1) * O);
        const m = Math.max(...row);
        const logSum = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        loss += logSum - row[LABELS[i]!]!;
      }
      return loss / B;
    },
  },
];

/** The dense f64 Hessian by second central differences of f (error O(h^2) + O(eps/h^2), ~1e-8 here). */
function denseHessian(f: (theta: Float64Array) => number, theta: Float64Array): Float64Array {
  const n = theta.length;
  const hess = new Float64Array(n * n);
  const h = 1e-4;
  const at = (i: number, si: number, j: number, sj: number) => {
    const t = theta.slice();
    t[i]! += si * h;
    t[j]! += sj * h;
    return f(t);
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * h * h);
      hess[i * n + j] = hess[j * n + i] = value;
    }
  }
  return hess;
}

function times(hess: Float64Array, v: ArrayLike<number>): Float64Array {
  const n = v.length;
  return Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += hess[i * n + j]! * v[j]!;
    return s;
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

/** Parameters (values from `seed`) and constants of a model, freed by the returned function. */
function setUp(rt: Runtime, model: Model, seed: number) {
  const params = model.shapes.map((shape, i) => rt.param(shape, { values: uniformArray(shape.reduce((a, b) => a * b, 1), seed + i) })) as Param<"f32">[];
  const c: Constants = {
    x: rt.fromArray(X, [B, D]),
    xT: rt.fromArray(Array.from({ length: B * D }, (_, i) => X[(i % B) * D + Math.floor(i / B)]!), [D, B]),
    y: rt.fromArray(Y, [B, O]),
    labels: rt.fromArray(LABELS, [B], { dtype: "i32" }),
  };
  const theta = Float64Array.from(params.flatMap((p) => Array.from(p.data)));
  const free = () => [...params, c.x, c.xT, c.y, c.labels].forEach((t) => t.dispose());
  return { params, c, theta, free };
}

/** Directions per parameter from one flat vector. */
function directionsOf(rt: Runtime, params: Param<"f32">[], flat: Float64Array): Tensor<"f32">[] {
  return blocks(flat, params.map((p) => [...p.shape])).map((part, i) => rt.fromArray(part, params[i]!.shape));
}

describeBackends("exact Hessian-vector products through the tape", (rt) => {
  for (const model of MODELS) {
    it(`${model.name}: H v equals the dense f64 Hessian times v, and is symmetric and linear in v`, () => {
      const { params, c, theta, free } = setUp(rt, model, 100);
      const hvp = hessianVectorProduct(rt, (ops: Ops) => model.tape(ops, params, c), params);
      const reference = denseHessian((t) => model.f64(t), theta);
      const n = theta.length;
      const [v, w] = [uniformArray(n, 7), uniformArray(n, 8)];
      const product = (flat: Float64Array) => {
        const directions = directionsOf(rt, params, flat);
        hvp(directions);
        directions.forEach((d) => d.dispose());
        return Float64Array.from(hvp.products.flatMap((t) => Array.from(t.data)));
      };
      const [hv, hw, h2v] = [product(v), product(w), product(v.map((x) => 2 * x))];
      expect(relativeError(hv, times(reference, v))).toBeLessThan(2e-4);
      expect(relativeError(hw, times(reference, w))).toBeLessThan(2e-4);
      expect(Math.abs(dot(w, hv) - dot(v, hw)) / Math.abs(dot(v, hw))).toBeLessThan(1e-4);
      expect(relativeError(h2v, hv.map((x) => 2 * x))).toBeLessThan(1e-6);
      hvp.dispose();
      free();
    });
  }

  it("leaves the parameters and their gradients as they were, and allocates nothing after the first call", () => {
    const model = MODELS[0]!;
    const { params, c, theta, free } = setUp(rt, model, 200);
    params.forEach((p, i) => p.grad.fill(i + 0.25));
    const grads = params.map((p) => Array.from(p.grad.data));
    const hvp = hessianVectorProduct(rt, (ops: Ops) => model.tape(ops, params, c), params);
    const directions = directionsOf(rt, params, uniformArray(theta.length, 3));
    const loss = hvp(directions);
    expect(loss).toBeCloseTo(model.f64(theta), 5);
    const stats = rt.memoryStats();
    hvp(directions);
    expect(rt.memoryStats().liveBytes).toBe(stats.liveBytes);
    expect(Float64Array.from(params.flatMap((p) => Array.from(p.data)))).toEqual(theta);
    expect(params.map((p) => Array.from(p.grad.data))).toEqual(grads);
    directions.forEach((d) => d.dispose());
    hvp.dispose();
    free();
  });

  it("an op without a rule is refused with a ValueError naming it, before it runs; bad directions are a ShapeError", () => {
    const { params, c, free } = setUp(rt, MODELS[0]!, 300);
    const hvp = hessianVectorProduct(rt, (ops: Ops) => ops.mse(ops.gelu(ops.matmul(c.x, params[0]!)), c.x), params.slice(0, 1));
    const directions = directionsOf(rt, params.slice(0, 1), uniformArray(D * H, 4));
    const grad = Array.from(params[0]!.grad.data);
    expect(() => hvp(directions)).toThrow(ValueError);
    expect(() => hvp(directions)).toThrow(/ops\.gelu has no exact Hessian-vector rule/);
    expect(Array.from(params[0]!.grad.data)).toEqual(grad);
    expect(() => hvp([])).toThrow(ShapeError);
    expect(() => hvp([c.y])).toThrow(ShapeError);
    expect(() => hessianVectorProduct(rt, () => c.x, [c.x as unknown as Param])).toThrow(ValueError);
    expect(() => hessianVectorProduct(rt, () => c.x, [params[0]!, params[0]!])).toThrow(ValueError);
    hvp.dispose();
    expect(() => hvp(directions)).toThrow(DisposedError);
    directions.forEach((d) => d.dispose());
    free();
  });

  it("tapeObjective gives HessianVectorProduct the exact products: Lanczos finds the dense Hessian's extreme eigenvalues", () => {
    const model = MODELS[0]!;
    const { params, c, theta, free } = setUp(rt, model, 400);
    const objective = tapeObjective(rt, (ops: Ops) => model.tape(ops, params, c), params);
    const n = objective.n;
    const exact = new HessianVectorProduct(rt, objective, n);
    const v = uniformArray(n, 5);
    const reference = denseHessian((t) => model.f64(t), theta);
    expect(relativeError(exact.apply(theta, v), times(reference, v))).toBeLessThan(2e-4);
    expect(exact.evaluations).toBe(1);

    const spectrum = hessianEigenvalues(exact, theta, { steps: n });
    const a = rt.fromArray(reference, [n * n], { dtype: "f64" });
    const [w, e] = [rt.tensor([n], { dtype: "f64" }), rt.tensor([n * n], { dtype: "f64" })];
    rt.kernels.f64_symeig(a.ptr, w.ptr, e.ptr, n, 100);
    const eigenvalues = Array.from(w.data);
    expect(Math.abs(spectrum.max - eigenvalues[0]!) / Math.abs(eigenvalues[0]!)).toBeLessThan(1e-3);
    expect(Math.abs(spectrum.min - eigenvalues[n - 1]!) / Math.abs(eigenvalues[0]!)).toBeLessThan(1e-3);
    // The gradient through the objective agrees with the tape's, and leaves the parameters alone.
    const g = rt.tensor([n], { dtype: "f64" });
    const x = rt.fromArray(theta, [n], { dtype: "f64" });
    expect(objective.evaluate(x.ptr, g.ptr)).toBeCloseTo(model.f64(theta), 5);
    expect(Float64Array.from(params.flatMap((p) => Array.from(p.data)))).toEqual(theta);
    [a, w, e, g, x].forEach((t) => t.dispose());
    exact.dispose();
    objective.dispose();
    free();
  });
});
