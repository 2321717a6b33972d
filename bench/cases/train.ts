// One training step of the demo MLP (256 -> [Linear, BatchNorm, ReLU] x 2 -> 10, batch 128,
// Adam): forward, softmax cross-entropy, backward, optimizer step. descend on both backends vs the
// same model written with TensorFlow.js ops (tf.moments + tf.batchNorm) and its Adam, on its wasm
// and cpu backends.
import { initSyncWithTwins } from "../../test/helpers/runtime";
import { makeModel } from "../../src/demo/train";
import { SoftmaxCrossEntropy } from "../../src/nn/loss";
import { Adam } from "../../src/optim/adam";
import type { Backend } from "../../src/runtime/runtime";
import type { BenchCase, Contender } from "../harness";
import type { Tf } from "../peers/tfjs";
import { tfjsTrainSteps, type TfjsTrainStep } from "../peers/tfjs-train";

const [FEATURES, HIDDEN, CLASSES, BATCH] = [256, 512, 10, 128];
const FLOPS_PER_STEP = 3 * 2 * BATCH * (FEATURES * HIDDEN + HIDDEN * HIDDEN + HIDDEN * CLASSES); // fwd + 2 bwd gemms

function inputs(): { x: Float32Array; labels: Int32Array } {
  const x = Float32Array.from({ length: BATCH * FEATURES }, (_, i) => Math.sin(i * 0.37));
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % CLASSES);
  return { x, labels };
}

function descendStep(backend: Backend): Contender {
  const rt = initSyncWithTwins({ backend });
  const model = makeModel(rt, FEATURES, HIDDEN, CLASSES, 1);
  const loss = new SoftmaxCrossEntropy(rt);
  const opt = new Adam(rt, model.parameters(), { lr: 1e-3 });
  const data = inputs();
  const x = rt.fromArray(data.x, [BATCH, FEATURES]);
  const y = rt.fromArray(data.labels, [BATCH], { dtype: "i32" });
  return {
    name: `descend-${backend}`,
    fn: () => {
      opt.zeroGrad();
      model.backward(loss.forward(model.forward(x, { training: true }), y).grad);
      opt.step();
    },
    dispose: () => {
      opt.dispose();
      loss.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

function tfjsModel(tf: Tf): TfjsTrainStep {
  const data = inputs();
  const dense = (rows: number, cols: number) => tf.variable(tf.randomUniform([rows, cols], -Math.sqrt(6 / rows), Math.sqrt(6 / rows), "float32", 1));
  const vars = {
    w1: dense(FEATURES, HIDDEN), g1: tf.variable(tf.ones([HIDDEN])), b1: tf.variable(tf.zeros([HIDDEN])),
    w2: dense(HIDDEN, HIDDEN), g2: tf.variable(tf.ones([HIDDEN])), b2: tf.variable(tf.zeros([HIDDEN])),
    w3: dense(HIDDEN, CLASSES), b3: tf.variable(tf.zeros([CLASSES])),
  };
  type T2 = ReturnType<typeof tf.matMul>;
  // Batch statistics over the batch axis, eps 1e-5 inside the square root (as descend's BatchNorm).
  const batchNorm = (z: T2, gamma: typeof vars.g1, beta: typeof vars.b1) => {
    const { mean, variance } = tf.moments(z, 0);
    return tf.batchNorm(z, mean, variance, beta, gamma, 1e-5);
  };
  const x = tf.tensor2d(data.x, [BATCH, FEATURES]);
  const y = tf.oneHot(tf.tensor1d(data.labels, "int32"), CLASSES);
  const loss = () => {
    const h1 = tf.relu(batchNorm(tf.matMul(x, vars.w1), vars.g1, vars.b1));
    const h2 = tf.relu(batchNorm(tf.matMul(h1, vars.w2), vars.g2, vars.b2));
    const logits = tf.add(tf.matMul(h2, vars.w3), vars.b3);
    return tf.losses.softmaxCrossEntropy(y, logits) as ReturnType<typeof tf.scalar>;
  };
  return { optimizer: tf.train.adam(1e-3), loss, owned: [x, y, ...Object.values(vars)] };
}

export const cases: BenchCase[] = [
  {
    family: "train",
    name: `train step MLP ${FEATURES}-${HIDDEN}-${HIDDEN}-${CLASSES} BatchNorm, batch ${BATCH}`,
    flops: FLOPS_PER_STEP,
    contenders: async () => [descendStep("wasm"), descendStep("js"), ...(await tfjsTrainSteps(["wasm", "cpu"], tfjsModel))],
  },
];
