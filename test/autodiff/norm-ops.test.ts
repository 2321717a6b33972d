import { describe, expect, it } from "vitest";
import { valueAndGrad } from "../../src/autodiff/tape";
import type { Ops } from "../../src/autodiff/ops";
import { makeModel } from "../../src/demo/train";
import type { Linear } from "../../src/nn/linear";
import { SoftmaxCrossEntropy } from "../../src/nn/loss";
import { BatchNorm } from "../../src/norm/batchnorm";
import { GroupNorm } from "../../src/norm/groupnorm";
import { ShapeError, ValueError } from "../../src/runtime/errors";
import { runtimeOf } from "../../src/runtime/runtime";
import type { Tensor } from "../../src/runtime/tensor";
import { describeBackends } from "../helpers/backends";
import { expectOpGradients, type OpGradientCase } from "../helpers/gradcheck";
import { uniformArray } from "../helpers/random";

const EPS = 1e-5;

/**
 * y = gamma[ch] (x - mean) / sqrt(var + eps) + beta[ch] in f64, statistics (biased variance)
 * over the elements sharing group(i); ch(i) picks gamma and beta. `stats` replaces the batch
 * statistics (batch norm in evaluation).
 */
function normF64(
  x: Float64Array, group: (i: number) => number, ch: (i: number) => number,
  gamma: Float64Array | null, beta: Float64Array | null, stats?: { mean: ArrayLike<number>; variance: ArrayLike<number> },
): Float64Array {
  const [sum, sq, count] = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  x.forEach((v, i) => {
    const g = group(i);
    sum.set(g, (sum.get(g) ?? 0) + v);
    count.set(g, (count.get(g) ?? 0) + 1);
  });
  const mean = (g: number) => (stats ? stats.mean[g]! : sum.get(g)! / count.get(g)!);
  x.forEach((v, i) => sq.set(group(i), (sq.get(group(i)) ?? 0) + (v - mean(group(i))) ** 2));
  const variance = (g: number) => (stats ? stats.variance[g]! : sq.get(g)! / count.get(g)!);
  return x.map((v, i) => {
    const g = group(i);
    return (gamma ? gamma[ch(i)]! : 1) * ((v - mean(g)) / Math.sqrt(variance(g) + EPS)) + (beta ? beta[ch(i)]! : 0);
  });
}

/** Channel of element i of an [N, C, S...] tensor. */
const channelOf = (C: number, S: number) => (i: number) => Math.floor(i / S) % C;

const RUNNING = { mean: [0.3, -0.2, 0.1, 0.5], variance: [0.8, 1.3, 0.4, 2] };

const CASES: OpGradientCase[] = [
  {
    name: "batchNorm training, [3, 4, 5], with gamma and beta",
    shapes: [[3, 4, 5], [4], [4]],
    outShape: [3, 4, 5],
    tape: (ops, [x, gamma, beta]) => ops.batchNorm(x!, { gamma: gamma!, beta: beta! }),
    f64: ([x, gamma, beta]) => normF64(x!, channelOf(4, 5), channelOf(4, 5), gamma!, beta!),
  },
  {
    name: "batchNorm training, [7, 3] (S = 1), no affine",
    shapes: [[7, 3]],
    outShape: [7, 3],
    tape: (ops, [x]) => ops.batchNorm(x!),
    f64: ([x]) => normF64(x!, channelOf(3, 1), channelOf(3, 1), null, null),
  },
  {
    name: "batchNorm evaluation with running statistics, [2, 4, 3]",
    shapes: [[2, 4, 3], [4], [4]],
    outShape: [2, 4, 3],
    tape: (ops, [x, gamma, beta]) => {
      const rt = runtimeOf(x!);
      const [runningMean, runningVar] = [rt.fromArray(RUNNING.mean), rt.fromArray(RUNNING.variance)];
      return ops.batchNorm(x!, { gamma: gamma!, beta: beta!, training: false, runningMean, runningVar });
    },
    f64: ([x, gamma, beta]) => normF64(x!, channelOf(4, 3), channelOf(4, 3), gamma!, beta!, RUNNING),
  },
  {
    name: "layerNorm over [2, 5] of [3, 2, 5]",
    shapes: [[3, 2, 5], [2, 5], [2, 5]],
    outShape: [3, 2, 5],
    tape: (ops, [x, gamma, beta]) => ops.layerNorm(x!, [2, 5], { gamma: gamma!, beta: beta! }),
    f64: ([x, gamma, beta]) => normF64(x!, (i) => Math.floor(i / 10), (i) => i % 10, gamma!, beta!),
  },
  {
    name: "groupNorm, 3 groups of [2, 6, 3]",
    shapes: [[2, 6, 3], [6], [6]],
    outShape: [2, 6, 3],
    tape: (ops, [x, gamma, beta]) => ops.groupNorm(x!, 3, { gamma: gamma!, beta: beta! }),
    f64: ([x, gamma, beta]) => normF64(x!, (i) => Math.floor(i / 6), channelOf(6, 3), gamma!, beta!),
  },
  {
    name: "instanceNorm of [2, 3, 5], with gamma only",
    shapes: [[2, 3, 5], [3]],
    outShape: [2, 3, 5],
    tape: (ops, [x, gamma]) => ops.instanceNorm(x!, { gamma: gamma! }),
    f64: ([x, gamma]) => normF64(x!, (i) => Math.floor(i / 5), channelOf(3, 5), gamma!, null),
  },
];

describeBackends("autodiff: norm op gradients equal f64 central differences", (rt) => {
  for (const c of CASES) it(c.name, () => expectOpGradients(rt, c));
});

const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

describeBackends("autodiff: norm ops", (rt) => {
  it("batchNorm runs the BatchNorm module's kernels: outputs, running statistics and gradients equal bit for bit", () => {
    rt.scope(() => {
      const [N, C, S] = [4, 3, 6];
      const values = Array.from(uniformArray(N * C * S, 3), Math.fround);
      const dyValues = Array.from(uniformArray(N * C * S, 4), Math.fround);
      const module = new BatchNorm(rt, C);
      module.gamma!.set([0.5, 1.5, -1]);
      const x = rt.fromArray(values, [N, C, S]);
      const dy = rt.fromArray(dyValues, [N, C, S]);
      const y = module.forward(x, { training: true });
      const dx = module.backward(dy);
      const expected = { y: bits(y), dx: bits(dx), mean: bits(module.runningMean!), variance: bits(module.runningVar!), dgamma: bits(module.gamma!.grad), dbeta: bits(module.beta!.grad) };

      const gamma = rt.param([C], { values: [0.5, 1.5, -1] });
      const beta = rt.param([C]);
      const xp = rt.param([N, C, S], { values });
      const [runningMean, runningVar] = [rt.fromArray([0, 0, 0]), rt.fromArray([1, 1, 1])];
      let out: number[] = [];
      const step = valueAndGrad(rt, (ops: Ops) => {
        const yt = ops.batchNorm(xp, { gamma, beta, runningMean, runningVar });
        out = bits(yt);
        return ops.sum(ops.mul(yt, dy));
      });
      step();
      expect({ y: out, dx: bits(xp.grad), mean: bits(runningMean), variance: bits(runningVar), dgamma: bits(gamma.grad), dbeta: bits(beta.grad) }).toEqual(expected);
      step.dispose();
      module.dispose();
    });
  });

  it("the demo MLP (Linear, BatchNorm, ReLU) through the tape equals its Sequential step bit for bit: loss, gradients, running statistics", () => {
    rt.scope(() => {
      const [batch, features, hidden, classes] = [9, 6, 8, 5];
      const x = rt.fromArray(uniformArray(batch * features, 5), [batch, features]);
      const labels = rt.fromArray(Array.from({ length: batch }, (_, i) => (i * 3) % classes), [batch], { dtype: "i32" });
      const run = (viaTape: boolean) => {
        const model = makeModel(rt, features, hidden, classes, 1);
        const params = model.parameters();
        let loss: number;
        if (viaTape) {
          const [l1, bn1, , l2, bn2, , l3] = model.layers as [Linear, BatchNorm, unknown, Linear, BatchNorm, unknown, Linear];
          const block = (ops: Ops, h: Tensor<"f32">, l: Linear, bn: BatchNorm) =>
            ops.relu(ops.batchNorm(ops.matmul(h, l.weight), { gamma: bn.gamma, beta: bn.beta, runningMean: bn.runningMean, runningVar: bn.runningVar }));
          const step = valueAndGrad(rt, (ops: Ops) => ops.softmaxCrossEntropy(ops.matmul(block(ops, block(ops, x, l1, bn1), l2, bn2), l3.weight, { bias: l3.bias }), labels));
          loss = step();
          step.dispose();
        } else {
          const sce = new SoftmaxCrossEntropy(rt);
          const out = sce.forward(model.forward(x, { training: true }), labels);
          loss = Math.fround(out.loss);
          model.backward(out.grad);
          sce.dispose();
        }
        const bns = model.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
        const state = { loss, grads: params.map((p) => bits(p.grad)), running: bns.flatMap((bn) => [bits(bn.runningMean!), bits(bn.runningVar!)]) };
        model.dispose();
        return state;
      };
      const hand = run(false);
      expect(hand.grads.flat().some((b) => b !== 0)).toBe(true);
      expect(run(true)).toEqual(hand);
    });
  });

  it("batchNorm's running statistics follow PyTorch: (1 - momentum) running + momentum batch, the variance unbiased", () => {
    rt.scope(() => {
      const x = rt.fromArray([1, 2, 3, 5], [4, 1]); // mean 2.75, biased variance 2.1875, unbiased 2.9166...
      const [runningMean, runningVar] = [rt.fromArray([1]), rt.fromArray([2])];
      const step = valueAndGrad(rt, (ops: Ops) => ops.sum(ops.batchNorm(x, { runningMean, runningVar, momentum: 0.25 })));
      step();
      expect(runningMean.data[0]).toBeCloseTo(0.75 * 1 + 0.25 * 2.75, 6);
      expect(runningVar.data[0]).toBeCloseTo(0.75 * 2 + 0.25 * (2.1875 * 4) / 3, 6);
      step.dispose();
    });
  });

  it("groupNorm runs the GroupNorm module's kernels: gradients equal bit for bit", () => {
    rt.scope(() => {
      const shape = [3, 4, 5];
      const values = Array.from(uniformArray(60, 5), Math.fround);
      const dyValues = Array.from(uniformArray(60, 6), Math.fround);
      const module = new GroupNorm(rt, 2, 4);
      const x = rt.fromArray(values, shape);
      const dy = rt.fromArray(dyValues, shape);
      module.forward(x);
      const dx = bits(module.backward(dy));
      const xp = rt.param(shape, { values });
      const [gamma, beta] = [rt.param([4], { values: [1, 1, 1, 1] }), rt.param([4])];
      const step = valueAndGrad(rt, (ops: Ops) => ops.sum(ops.mul(ops.groupNorm(xp, 2, { gamma, beta }), dy)));
      step();
      expect([bits(xp.grad), bits(gamma.grad), bits(beta.grad)]).toEqual([dx, bits(module.gamma!.grad), bits(module.beta!.grad)]);
      step.dispose();
      module.dispose();
    });
  });

  describe("bad calls throw before anything is written", () => {
    const bad: [string, (ops: Ops, x: Tensor<"f32">) => Tensor<"f32">, typeof ShapeError | typeof ValueError][] = [
      ["batchNorm of one value per channel", (ops) => ops.batchNorm(rt.tensor([1, 3])), ValueError],
      ["batchNorm with gamma of the wrong shape", (ops, x) => ops.batchNorm(x, { gamma: rt.tensor([3]) }), ShapeError],
      ["batchNorm with runningMean alone", (ops, x) => ops.batchNorm(x, { runningMean: rt.tensor([2]) }), ValueError],
      ["batchNorm with runningVar of the wrong shape", (ops, x) => ops.batchNorm(x, { runningMean: rt.tensor([2]), runningVar: rt.tensor([3]) }), ShapeError],
      ["batchNorm with momentum 2", (ops, x) => ops.batchNorm(x, { momentum: 2 }), ValueError],
      ["batchNorm with eps 0", (ops, x) => ops.batchNorm(x, { eps: 0 }), ValueError],
      ["batchNorm of a rank-1 input", (ops) => ops.batchNorm(rt.tensor([4])), ShapeError],
      ["layerNorm over dimensions x does not end in", (ops, x) => ops.layerNorm(x, [4]), ShapeError],
      ["layerNorm with an empty normalizedShape", (ops, x) => ops.layerNorm(x, []), ValueError],
      ["groupNorm with groups that do not divide the channels", (ops, x) => ops.groupNorm(x, 3), ValueError],
      ["instanceNorm of one position per channel", (ops) => ops.instanceNorm(rt.tensor([3, 2])), ValueError],
      ["instanceNorm with an unknown option", (ops, x) => ops.instanceNorm(x, { affine: true } as never), ValueError],
    ];
    for (const [name, call, error] of bad) {
      it(name, () => {
        rt.scope(() => {
          const x = rt.param([3, 2, 3], { values: Array.from(uniformArray(18, 1)) });
          x.grad.fill(7);
          const step = valueAndGrad(rt, (ops: Ops) => ops.sum(call(ops, x)));
          expect(() => step()).toThrow(error);
          expect(x.grad.toArray()).toEqual(new Array(18).fill(7));
          step.dispose();
        });
      });
    }
  });
});
