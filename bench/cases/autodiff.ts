// Training steps through the autodiff tape (valueAndGrad), each with Adam (lr 1e-3):
// - the demo MLP (256 -> [Linear, BatchNorm, ReLU] x 2 -> 10, batch 128) through the tape vs the
//   same model's hand-wired Sequential step: the tape's overhead (target: at most 1.10x);
// - a small CNN on 28x28x1 images, batch 64 (conv 1->8 3x3 + ReLU, conv 8->16 3x3 + ReLU, both
//   padded to keep 28x28, 2x2 max pooling, flatten, Linear 3136 -> 64 + ReLU, Linear 64 -> 10,
//   softmax cross-entropy) through the tape vs the same model in TensorFlow.js on its wasm
//   backend. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so its convolutions run
//   as conv3d over a depth of 1 (the same arithmetic; Conv3DBackpropFilterV2 exists there).
import { valueAndGrad } from "../../src/autodiff/tape";
import type { Ops } from "../../src/autodiff/ops";
import { makeModel } from "../../src/demo/train";
import type { Linear } from "../../src/nn/linear";
import { SoftmaxCrossEntropy } from "../../src/nn/loss";
import type { BatchNorm } from "../../src/norm/batchnorm";
import { Adam } from "../../src/optim/adam";
import { initSyncWithTwins } from "../../test/helpers/runtime";
import type { Runtime } from "../../src/runtime/runtime";
import type { Tensor } from "../../src/runtime/tensor";
import type { BenchCase, Contender } from "../harness";
import type { Tf } from "../peers/tfjs";
import { tfjsTrainSteps, type TfjsTrainStep } from "../peers/tfjs-train";

const [FEATURES, HIDDEN, CLASSES, MLP_BATCH] = [256, 512, 10, 128];

/** The data of a case: deterministic, the same for every contender. */
function inputs(batch: number, features: number): { x: Float32Array; labels: Int32Array } {
  return {
    x: Float32Array.from({ length: batch * features }, (_, i) => Math.sin(i * 0.37)),
    labels: Int32Array.from({ length: batch }, (_, i) => (i * 7) % CLASSES),
  };
}

/** The demo MLP on one runtime, its data, and Adam over its parameters. */
function mlpSetup() {
  const rt = initSyncWithTwins();
  const model = makeModel(rt, FEATURES, HIDDEN, CLASSES, 1);
  const opt = new Adam(rt, model.parameters(), { lr: 1e-3 });
  const data = inputs(MLP_BATCH, FEATURES);
  const x = rt.fromArray(data.x, [MLP_BATCH, FEATURES]);
  const y = rt.fromArray(data.labels, [MLP_BATCH], { dtype: "i32" });
  const dispose = () => [opt, model, x, y].forEach((t) => t.dispose());
  return { rt, model, opt, x, y, dispose };
}

function mlpLayers(): Contender {
  const { rt, model, opt, x, y, dispose } = mlpSetup();
  const loss = new SoftmaxCrossEntropy(rt);
  return {
    name: "descend-layers",
    fn: () => {
      opt.zeroGrad();
      model.backward(loss.forward(model.forward(x, { training: true }), y).grad);
      opt.step();
    },
    dispose: () => (loss.dispose(), dispose()),
  };
}

function mlpTape(): Contender {
  const { rt, model, opt, x, y, dispose } = mlpSetup();
  const [l1, bn1, , l2, bn2, , l3] = model.layers as [Linear, BatchNorm, unknown, Linear, BatchNorm, unknown, Linear];
  const block = (ops: Ops, h: Tensor<"f32">, l: Linear, bn: BatchNorm) =>
    ops.relu(ops.batchNorm(ops.matmul(h, l.weight), { gamma: bn.gamma, beta: bn.beta, runningMean: bn.runningMean, runningVar: bn.runningVar }));
  const step = valueAndGrad(rt, (ops, xb: Tensor<"f32">, yb: Tensor<"i32">) =>
    ops.softmaxCrossEntropy(ops.matmul(block(ops, block(ops, xb, l1, bn1), l2, bn2), l3.weight, { bias: l3.bias }), yb),
  );
  return {
    name: "descend-tape",
    fn: () => {
      opt.zeroGrad();
      step(x, y);
      opt.step();
    },
    dispose: () => (step.dispose(), dispose()),
  };
}

const [IMAGE, CNN_BATCH, C1, C2, DENSE] = [28, 64, 8, 16, 64];
const POOLED = IMAGE / 2;
const FLAT = C2 * POOLED * POOLED;
/** Multiply-adds of one forward pass (2 flops each); backward takes twice as many. */
const CNN_MACS = CNN_BATCH * (IMAGE * IMAGE * (C1 * 9 + C2 * C1 * 9) + FLAT * DENSE + DENSE * CLASSES);

/** He-uniform values for a layer of `fanIn` inputs, deterministic. */
function heValues(n: number, fanIn: number, seed: number): Float32Array {
  const limit = Math.sqrt(6 / fanIn);
  return Float32Array.from({ length: n }, (_, i) => limit * Math.sin(seed * 1000 + i * 12.9898));
}

function cnnTape(): Contender {
  const rt: Runtime = initSyncWithTwins();
  const param = (shape: number[], fanIn: number, seed: number) => rt.param(shape, { values: heValues(shape.reduce((a, b) => a * b, 1), fanIn, seed) });
  const k1 = param([C1, 1, 3, 3], 9, 1);
  const k2 = param([C2, C1, 3, 3], C1 * 9, 2);
  const w3 = param([FLAT, DENSE], FLAT, 3);
  const w4 = param([DENSE, CLASSES], DENSE, 4);
  const [b1, b2, b3, b4] = [C1, C2, DENSE, CLASSES].map((n) => rt.param([n]));
  const params = [k1, b1!, k2, b2!, w3, b3!, w4, b4!];
  const opt = new Adam(rt, params, { lr: 1e-3 });
  const data = inputs(CNN_BATCH, IMAGE * IMAGE);
  const x = rt.fromArray(data.x, [CNN_BATCH, 1, IMAGE, IMAGE]);
  const y = rt.fromArray(data.labels, [CNN_BATCH], { dtype: "i32" });
  const step = valueAndGrad(rt, (ops, xb: Tensor<"f32">, yb: Tensor<"i32">) => {
    const h1 = ops.relu(ops.conv2d(xb, k1, { bias: b1, padding: 1 }));
    const h2 = ops.relu(ops.conv2d(h1, k2, { bias: b2, padding: 1 }));
    const features = ops.flatten(ops.maxPool2d(h2, 2));
    const hidden = ops.matmul(features, w3, { bias: b3, relu: true });
    return ops.softmaxCrossEntropy(ops.matmul(hidden, w4, { bias: b4 }), yb);
  });
  return {
    name: "descend-tape",
    fn: () => {
      opt.zeroGrad();
      step(x, y);
      opt.step();
    },
    dispose: () => [step, opt, x, y, ...params].forEach((t) => t.dispose()),
  };
}

function cnnTfjs(tf: Tf): TfjsTrainStep {
  const data = inputs(CNN_BATCH, IMAGE * IMAGE);
  const variable = (shape: number[], fanIn: number, seed: number) => tf.variable(tf.tensor(heValues(shape.reduce((a, b) => a * b, 1), fanIn, seed), shape));
  const vars = {
    k1: variable([1, 3, 3, 1, C1], 9, 1), b1: tf.variable(tf.zeros([C1])),
    k2: variable([1, 3, 3, C1, C2], C1 * 9, 2), b2: tf.variable(tf.zeros([C2])),
    w3: variable([FLAT, DENSE], FLAT, 3), b3: tf.variable(tf.zeros([DENSE])),
    w4: variable([DENSE, CLASSES], DENSE, 4), b4: tf.variable(tf.zeros([CLASSES])),
  };
  // NDHWC with depth 1: [batch, 1, 28, 28, channels].
  const x = tf.tensor5d(data.x, [CNN_BATCH, 1, IMAGE, IMAGE, 1]);
  const y = tf.oneHot(tf.tensor1d(data.labels, "int32"), CLASSES);
  type T5 = ReturnType<typeof tf.tensor5d>;
  const conv = (h: T5, k: typeof vars.k1, b: typeof vars.b1) => tf.relu(tf.add(tf.conv3d(h, k as never, 1, "same"), b)) as T5;
  const loss = () => {
    const h2 = conv(conv(x, vars.k1, vars.b1), vars.k2, vars.b2);
    const pooled = tf.maxPool(tf.reshape(h2, [CNN_BATCH, IMAGE, IMAGE, C2]) as never, 2, 2, "valid");
    const hidden = tf.relu(tf.add(tf.matMul(tf.reshape(pooled, [CNN_BATCH, FLAT]) as never, vars.w3), vars.b3));
    const logits = tf.add(tf.matMul(hidden as never, vars.w4), vars.b4);
    return tf.losses.softmaxCrossEntropy(y, logits) as ReturnType<typeof tf.scalar>;
  };
  return { optimizer: tf.train.adam(1e-3), loss, owned: [x, y, ...Object.values(vars)] };
}

export const cases: BenchCase[] = [
  {
    family: "autodiff",
    name: `autodiff tape overhead: train step MLP ${FEATURES}-${HIDDEN}-${HIDDEN}-${CLASSES} BatchNorm, batch ${MLP_BATCH}`,
    flops: 3 * 2 * MLP_BATCH * (FEATURES * HIDDEN + HIDDEN * HIDDEN + HIDDEN * CLASSES),
    contenders: () => [mlpLayers(), mlpTape()],
  },
  {
    family: "autodiff",
    name: `autodiff train step CNN 28x28x1 conv${C1}-conv${C2}-pool-${DENSE}-${CLASSES}, batch ${CNN_BATCH}`,
    flops: 3 * 2 * CNN_MACS,
    contenders: async () => [cnnTape(), ...(await tfjsTrainSteps(["wasm"], cnnTfjs))],
  },
];
