import { expect, it } from "vitest";
import { valueAndGrad } from "../../src/autodiff/tape";
import type { Ops } from "../../src/autodiff/ops";
import type { Runtime } from "../../src/runtime/runtime";
import type { Param, Tensor } from "../../src/runtime/tensor";
import { describeBackends } from "../helpers/backends";
import { initSyncWithTwins } from "../helpers/runtime";
import { relativeError } from "../helpers/close";
import { centralDifferences } from "../helpers/gradcheck";
import { uniformArray } from "../helpers/random";
import { Philox } from "../../src/random/philox";

type Arrays = Float64Array[];

/** A product op(A) op(B) + bias, then ReLU, in f64: the matmul op's definition. */
function matmulF64(a: Float64Array, b: Float64Array, m: number, k: number, n: number, o: { transA: boolean; transB: boolean; bias?: Float64Array; relu: boolean }): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = o.bias ? o.bias[j]! : 0;
      for (let p = 0; p < k; p++) s += a[o.transA ? p * m + i : i * k + p]! * b[o.transB ? j * k + p : p * n + j]!;
      out[i * n + j] = o.relu ? Math.max(s, 0) : s;
    }
  }
  return out;
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/**
 * One op under test: its inputs (all trainable), a tape function giving a scalar, and the same
 * scalar computed in f64 from plain arrays. Non-scalar ops are reduced by a weighted sum with
 * fixed weights w (a constant tensor), so every output element's gradient is exercised.
 */
interface OpCase {
  name: string;
  shapes: number[][];
  /** Keeps inputs away from ReLU's kink (the derivative is undefined there) and divisors away from 0. */
  awayFromZero?: boolean;
  /** Inputs are uniform in [-spread, spread]; default 1. */
  spread?: number;
  /** The op's output shape ([] for a scalar). */
  outShape: number[];
  /** `labels` is LABELS as an i32 tensor, for the classification loss. */
  tape(ops: Ops, inputs: Tensor<"f32">[], labels: Tensor<"i32">): Tensor<"f32">;
  f64(inputs: Arrays): ArrayLike<number>;
}

const [M, K, N] = [3, 4, 5];
const LABELS = [0, 3, 4, 1];

const erf = (x: number) => {
  // Abramowitz and Stegun 7.1.26 would be too coarse: sum the Taylor series (|x| <= 3 here) in f64.
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

/** y_ij = f(a_ij, b_j) for a of `cols` columns (b broadcast over the rows). */
const rowwise = (a: Float64Array, b: Float64Array, f: (x: number, y: number) => number) => a.map((v, i) => f(v, b[i % b.length]!));

/** Softmax or log-softmax of each row of `cols` values, in f64. */
function softmaxF64(a: Float64Array, cols: number, log: boolean): Float64Array {
  const out = new Float64Array(a.length);
  for (let r = 0; r < a.length; r += cols) {
    const row = Array.from(a.subarray(r, r + cols));
    const m = Math.max(...row);
    const s = sum(row.map((v) => Math.exp(v - m)));
    row.forEach((v, j) => (out[r + j] = log ? v - m - Math.log(s) : Math.exp(v - m) / s));
  }
  return out;
}

/** The dropout op's mask for its first use in the first call: Philox(seed, 0 * 2^32 + 0) uniforms. */
function dropoutMask(n: number, p: number, seed: number): Float64Array {
  const rt = initSyncWithTwins({ backend: "js" });
  const u = new Philox(seed, 0).uniform(rt.tensor([n]));
  const mask = Float64Array.from(u.data, (v) => (v >= Math.fround(p) ? Math.fround(1 / (1 - p)) : 0));
  rt.dispose();
  return mask;
}
const MASK = dropoutMask(40, 0.3, 11);

const EMBEDDING_IDS = [2, 0, 2, 4, 1, 2];

const CASES: OpCase[] = [
  ...[false, true].flatMap((transA) =>
    [false, true].map((transB): OpCase => ({
      name: `matmul transA=${transA} transB=${transB} with bias and ReLU`,
      shapes: [transA ? [K, M] : [M, K], transB ? [N, K] : [K, N], [N]],
      awayFromZero: true,
      outShape: [M, N],
      tape: (ops, [a, b, c]) => ops.matmul(a!, b!, { transA, transB, bias: c!, relu: true }),
      f64: ([a, b, c]) => matmulF64(a!, b!, M, K, N, { transA, transB, bias: c!, relu: true }),
    })),
  ),
  {
    name: "matmul without bias",
    shapes: [[M, K], [K, N]],
    outShape: [M, N],
    tape: (ops, [a, b]) => ops.matmul(a!, b!),
    f64: ([a, b]) => matmulF64(a!, b!, M, K, N, { transA: false, transB: false, relu: false }),
  },
  {
    name: "add broadcasting [2, 3, 5] + [5]",
    shapes: [[2, 3, 5], [5]],
    outShape: [2, 3, 5],
    tape: (ops, [a, b]) => ops.add(a!, b!),
    f64: ([a, b]) => a!.map((v, i) => v + b![i % 5]!),
  },
  {
    name: "add of one shape",
    shapes: [[3, 5], [3, 5]],
    outShape: [3, 5],
    tape: (ops, [a, b]) => ops.add(a!, b!),
    f64: ([a, b]) => a!.map((v, i) => v + b![i]!),
  },
  {
    name: "mul",
    shapes: [[7], [7]],
    outShape: [7],
    tape: (ops, [a, b]) => ops.mul(a!, b!),
    f64: ([a, b]) => a!.map((v, i) => v * b![i]!),
  },
  {
    name: "mul of a tensor by itself",
    shapes: [[6]],
    outShape: [6],
    tape: (ops, [a]) => ops.mul(a!, a!),
    f64: ([a]) => a!.map((v) => v * v),
  },
  { name: "scale", shapes: [[9]], outShape: [9], tape: (ops, [a]) => ops.scale(a!, -2.5), f64: ([a]) => a!.map((v) => -2.5 * v) },
  { name: "relu", shapes: [[11]], awayFromZero: true, outShape: [11], tape: (ops, [a]) => ops.relu(a!), f64: ([a]) => a!.map((v) => Math.max(v, 0)) },
  { name: "tanh", shapes: [[11]], outShape: [11], tape: (ops, [a]) => ops.tanh(a!), f64: ([a]) => a!.map(Math.tanh) },
  { name: "sigmoid", shapes: [[11]], outShape: [11], tape: (ops, [a]) => ops.sigmoid(a!), f64: ([a]) => a!.map((v) => 1 / (1 + Math.exp(-v))) },
  { name: "sum", shapes: [[2, 7]], outShape: [], tape: (ops, [a]) => ops.sum(a!), f64: ([a]) => [sum(a!)] },
  { name: "mean", shapes: [[2, 7]], outShape: [], tape: (ops, [a]) => ops.mean(a!), f64: ([a]) => [sum(a!) / 14] },
  {
    name: "mse",
    shapes: [[3, 3], [3, 3]],
    outShape: [],
    tape: (ops, [a, b]) => ops.mse(a!, b!),
    f64: ([a, b]) => [sum(a!.map((v, i) => (v - b![i]!) ** 2)) / 9],
  },
  {
    name: "softmax cross-entropy",
    shapes: [[4, 5]],
    outShape: [],
    tape: (ops, [z], labels) => ops.softmaxCrossEntropy(z!, labels),
    f64: ([z]) => {
      let loss = 0;
      LABELS.forEach((label, i) => {
        const row = Array.from(z!.subarray(i * 5, i * 5 + 5));
        loss += Math.log(sum(row.map(Math.exp))) - row[label]!;
      });
      return [loss / LABELS.length];
    },
  },
  {
    name: "an intermediate result used twice: t * t with t = tanh(a)",
    shapes: [[5]],
    outShape: [5],
    tape: (ops, [a]) => {
      const t = ops.tanh(a!);
      return ops.mul(t, t);
    },
    f64: ([a]) => a!.map((v) => Math.tanh(v) ** 2),
  },
  {
    name: "a composition: mean(tanh(x w + b) * sigmoid(x)) reusing x",
    shapes: [[4, 4], [4, 4], [4]],
    outShape: [],
    tape: (ops, [x, w, b]) => ops.mean(ops.mul(ops.tanh(ops.add(ops.matmul(x!, w!), b!)), ops.sigmoid(x!))),
    f64: ([x, w, b]) => {
      const h = matmulF64(x!, w!, 4, 4, 4, { transA: false, transB: false, bias: b!, relu: false });
      return [sum(h.map((v, i) => Math.tanh(v) / (1 + Math.exp(-x![i]!)))) / 16];
    },
  },
  {
    name: "sub broadcasting [2, 3, 5] - [3, 5]",
    shapes: [[2, 3, 5], [3, 5]],
    outShape: [2, 3, 5],
    tape: (ops, [a, b]) => ops.sub(a!, b!),
    f64: ([a, b]) => rowwise(a!, b!, (x, y) => x - y),
  },
  { name: "sub of one shape", shapes: [[7], [7]], outShape: [7], tape: (ops, [a, b]) => ops.sub(a!, b!), f64: ([a, b]) => rowwise(a!, b!, (x, y) => x - y) },
  {
    name: "mul broadcasting [4, 5] * [5]",
    shapes: [[4, 5], [5]],
    outShape: [4, 5],
    tape: (ops, [a, b]) => ops.mul(a!, b!),
    f64: ([a, b]) => rowwise(a!, b!, (x, y) => x * y),
  },
  {
    name: "div broadcasting [2, 3, 6] / [6]",
    shapes: [[2, 3, 6], [6]],
    awayFromZero: true,
    outShape: [2, 3, 6],
    tape: (ops, [a, b]) => ops.div(a!, b!),
    f64: ([a, b]) => rowwise(a!, b!, (x, y) => x / y),
  },
  {
    name: "div of a tensor by itself",
    shapes: [[5]],
    awayFromZero: true,
    outShape: [5],
    tape: (ops, [a]) => ops.div(ops.scale(a!, 2), a!),
    f64: ([a]) => a!.map(() => 2),
  },
  {
    name: "gelu, exact (erf)",
    shapes: [[13]],
    spread: 3,
    outShape: [13],
    tape: (ops, [a]) => ops.gelu(a!),
    f64: ([a]) => a!.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  },
  {
    name: "gelu, tanh approximation",
    shapes: [[13]],
    spread: 3,
    outShape: [13],
    tape: (ops, [a]) => ops.gelu(a!, { approximate: "tanh" }),
    f64: ([a]) => a!.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
  },
  {
    name: "softmax over the last axis of [3, 5]",
    shapes: [[3, 5]],
    spread: 3,
    outShape: [3, 5],
    tape: (ops, [a]) => ops.softmax(a!),
    f64: ([a]) => softmaxF64(a!, 5, false),
  },
  {
    name: "log-softmax over the last axis of [2, 2, 4]",
    shapes: [[2, 2, 4]],
    spread: 3,
    outShape: [2, 2, 4],
    tape: (ops, [a]) => ops.logSoftmax(a!),
    f64: ([a]) => softmaxF64(a!, 4, true),
  },
  {
    name: "dropout p = 0.3 in training: a times its Philox mask",
    shapes: [[5, 8]],
    outShape: [5, 8],
    tape: (ops, [a]) => ops.dropout(a!, { p: 0.3, seed: 11 }),
    f64: ([a]) => a!.map((v, i) => v * MASK[i]!),
  },
  {
    name: "embedding of an Int32Array of ids, a row used three times",
    shapes: [[5, 3]],
    outShape: [EMBEDDING_IDS.length, 3],
    tape: (ops, [t]) => ops.embedding(t!, Int32Array.from(EMBEDDING_IDS)),
    f64: ([t]) => EMBEDDING_IDS.flatMap((id) => Array.from(t!.subarray(3 * id, 3 * id + 3))),
  },
  {
    name: "embedding of an i32 tensor of ids",
    shapes: [[5, 2]],
    outShape: [LABELS.length, 2],
    tape: (ops, [t], labels) => ops.embedding(t!, labels),
    f64: ([t]) => LABELS.flatMap((id) => Array.from(t!.subarray(2 * id, 2 * id + 2))),
  },
  {
    name: "slice of axis 1 of [2, 5, 3], elements 1 to 4",
    shapes: [[2, 5, 3]],
    outShape: [2, 3, 3],
    tape: (ops, [a]) => ops.slice(a!, 1, 1, 4),
    f64: ([a]) => [0, 1].flatMap((o) => Array.from(a!.subarray(o * 15 + 3, o * 15 + 12))),
  },
  {
    name: "concat along the last axis of [2, 2], [2, 3] and the first input again",
    shapes: [[2, 2], [2, 3]],
    outShape: [2, 7],
    tape: (ops, [a, b]) => ops.concat([a!, b!, a!], -1),
    f64: ([a, b]) => [0, 1].flatMap((r) => [...a!.subarray(2 * r, 2 * r + 2), ...b!.subarray(3 * r, 3 * r + 3), ...a!.subarray(2 * r, 2 * r + 2)]),
  },
  {
    name: "transpose of each matrix of [2, 3, 4]",
    shapes: [[2, 3, 4]],
    outShape: [2, 4, 3],
    tape: (ops, [a]) => ops.transpose(a!),
    f64: ([a]) => Array.from({ length: 24 }, (_, t) => {
      const [b, j, i] = [Math.floor(t / 12), Math.floor((t % 12) / 3), t % 3];
      return a![b * 12 + i * 4 + j]!;
    }),
  },
  {
    name: "a composition: mean(logSoftmax(gelu(x w) / s - b)) with broadcasting",
    shapes: [[3, 4], [4, 4], [4], [4]],
    awayFromZero: true,
    outShape: [],
    tape: (ops, [x, w, s, b]) => ops.mean(ops.logSoftmax(ops.sub(ops.div(ops.gelu(ops.matmul(x!, w!)), s!), b!))),
    f64: ([x, w, s, b]) => {
      const h = matmulF64(x!, w!, 3, 4, 4, { transA: false, transB: false, relu: false });
      const z = rowwise(
        h.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
        s!,
        (u, d) => u / d,
      );
      return [sum(softmaxF64(rowwise(z, b!, (u, c) => u - c), 4, true)) / 12];
    },
  },
];

/**
 * The tape's gradients are f32 computations of the exact derivative: each element is a short
 * sum (at most K + 2 terms here) of products of O(1) values, so its error is a few dozen f32
 * roundings, 2^-24 each, relative to the gradient's norm. Central differences in f64 of the f64
 * definition are accurate to about 1e-10. 2^-24 * 64 ~ 4e-6 separates the two; a wrong formula
 * is off by O(1).
 */
const TOLERANCE = 64 * 2 ** -24;

function paramsFor(rt: Runtime, c: OpCase, seed: number): Param<"f32">[] {
  return c.shapes.map((shape, i) => {
    const spread = c.spread ?? 1;
    let values = uniformArray(shape.reduce((p, d) => p * d, 1), seed + i, -spread, spread);
    if (c.awayFromZero) values = values.map((v) => (Math.abs(v) < 0.1 ? v + Math.sign(v || 1) * 0.2 : v));
    return rt.param(shape, { values: values.map(Math.fround) });
  });
}

describeBackends("autodiff: every op's gradient equals f64 central differences", (rt) => {
  for (const c of CASES) {
    it(c.name, () => {
      rt.scope(() => {
        const params = paramsFor(rt, c, 7);
        const scalar = c.outShape.length === 0;
        const w = uniformArray(c.outShape.reduce((p, d) => p * d, 1), 99, -1, 1).map(Math.fround);
        const weights = rt.fromArray(w, c.outShape);
        const labels = rt.fromArray(LABELS, [LABELS.length], { dtype: "i32" });
        const step = valueAndGrad(rt, (ops) => {
          const y = c.tape(ops, params, labels);
          return scalar ? ops.scale(y, w[0]!) : ops.sum(ops.mul(y, weights));
        });
        const loss = step();
        const values = params.map((p) => Float64Array.from(p.data));
        const lossF64 = (v: Arrays) => {
          const y = c.f64(v);
          let s = 0;
          for (let i = 0; i < y.length; i++) s += w[i]! * y[i]!;
          return s;
        };
        expect(Math.abs(loss - lossF64(values))).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(lossF64(values))));
        params.forEach((p, i) => {
          const numeric = centralDifferences(values[i]!, (v) => lossF64(values.map((x, j) => (j === i ? v : x))));
          expect(relativeError(Array.from(p.grad.data), numeric), `gradient of input ${i}`).toBeLessThanOrEqual(TOLERANCE);
        });
        step.dispose();
        params.forEach((p) => p.dispose());
      });
    });
  }
});
