// The training demo: an MLP on an embedded dataset, every layer on the kernels. No Node APIs,
// so the CLI and the browser page run the same code.
import { glyphs } from "../data/glyphs";
import { spirals } from "../data/spirals";
import { seededUniform, split, type Dataset } from "../data/dataset";
import { Linear } from "../nn/linear";
import { ReLU } from "../nn/relu";
import { Sequential } from "../nn/sequential";
import { SoftmaxCrossEntropy } from "../nn/loss";
import type { Layer } from "../nn/layer";
import { Adam } from "../optim/adam";
import { SGD } from "../optim/sgd";
import type { Runtime } from "../runtime/runtime";
import type { Tensor } from "../runtime/tensor";
import { glorotUniform, heUniform } from "../init/initializers";
import { Minibatches } from "../init/minibatch";
import { BatchNorm } from "../norm/batchnorm";
import { LayerNorm } from "../norm/groupnorm";

export const DATASETS = ["glyphs", "spirals"] as const;
export const NORMS = ["batch", "layer", "none"] as const;
export const OPTIMIZERS = ["adam", "sgd"] as const;

export interface TrainOptions {
  dataset: (typeof DATASETS)[number];
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  epochs: number;
  batch: number;
  hidden: number;
  seed: number;
  /** Examples generated for the dataset (train + test). */
  samples: number;
  /** Normalization after each hidden Linear layer (before its ReLU); default 'batch'. */
  norm?: (typeof NORMS)[number];
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  msPerStep: number;
}

export interface TrainResult {
  epochs: EpochReport[];
  /** Training loss of every step. */
  losses: number[];
  testAccuracy: number;
  msPerStep: number;
  steps: number;
}

export function makeDataset(options: Pick<TrainOptions, "dataset" | "seed" | "samples">): { train: Dataset; test: Dataset } {
  const uniform = seededUniform(options.seed);
  const data = options.dataset === "glyphs" ? glyphs(uniform, { count: options.samples }) : spirals(uniform, { count: options.samples });
  return split(data, 0.2);
}

/**
 * features -> [Linear -> norm -> ReLU] x 2 -> Linear -> classes. With a normalization layer the
 * hidden Linear layers have no bias (the norm's beta replaces it); without one, ReLU is fused
 * into the Linear layer's gemm.
 */
export function makeModel(
  rt: Runtime, features: number, hidden: number, classes: number, seed: number, norm: TrainOptions["norm"] = "batch",
): Sequential {
  const block = (inputs: number, k: number): Layer[] =>
    norm === "none"
      ? [new Linear(rt, inputs, hidden, { relu: true, init: heUniform(), seed: seed + k })]
      : [
          new Linear(rt, inputs, hidden, { bias: false, init: heUniform(), seed: seed + k }),
          norm === "batch" ? new BatchNorm(rt, hidden) : new LayerNorm(rt, hidden),
          new ReLU(rt),
        ];
  return new Sequential([...block(features, 1), ...block(hidden, 2), new Linear(rt, hidden, classes, { init: glorotUniform(), seed: seed + 3 })]);
}

/** A dataset copied into the runtime's memory once, so batches are gathered in wasm. */
interface DeviceData {
  x: Tensor<"f32">;
  y: Tensor<"i32">;
  count: number;
}

function toDevice(rt: Runtime, data: Dataset): DeviceData {
  return {
    x: rt.fromArray(data.x, [data.count, data.features]),
    y: rt.fromArray(data.y, [data.count], { dtype: "i32" }),
    count: data.count,
  };
}

/** Accuracy of the model on a dataset, in order, inference mode. */
export function evaluate(rt: Runtime, model: Layer, loss: SoftmaxCrossEntropy, data: DeviceData, batch: number): number {
  return rt.scope(() => {
    const batches = new Minibatches(rt, data.count, { batchSize: batch, shuffle: "none" });
    let correct = 0;
    try {
      for (const b of batches.epoch()) {
        const out = loss.forward(model.forward(batches.gather(data.x, b), { training: false }), batches.gather(data.y, b));
        correct += out.correct;
      }
    } finally {
      batches.dispose();
    }
    return correct / data.count;
  });
}

/**
 * Trains the demo model: minibatches reshuffled every epoch (Philox), gathered in wasm; forward,
 * softmax cross-entropy, backward and one optimizer step per batch. `onStep` and `onEpoch` report
 * progress.
 */
export function train(
  rt: Runtime,
  options: TrainOptions,
  onStep?: (step: number, total: number, loss: number) => void,
  onEpoch?: (report: EpochReport) => void,
): TrainResult {
  const { train: trainSet, test } = makeDataset(options);
  const model = makeModel(rt, trainSet.features, options.hidden, trainSet.classes, options.seed, options.norm);
  const loss = new SoftmaxCrossEntropy(rt);
  const params = model.parameters();
  const optimizer = options.optimizer === "adam" ? new Adam(rt, params, { lr: options.lr }) : new SGD(rt, params, { lr: options.lr });
  const result: TrainResult = { epochs: [], losses: [], testAccuracy: 0, msPerStep: 0, steps: 0 };
  let trainingMs = 0;
  try {
    rt.scope(() => {
      const [train, held] = [toDevice(rt, trainSet), toDevice(rt, test)];
      const batches = new Minibatches(rt, train.count, { batchSize: options.batch, shuffle: "everyEpoch", rng: options.seed + 7, dropLast: true });
      const x = rt.tensor([options.batch, trainSet.features]);
      const y = rt.tensor([options.batch], { dtype: "i32" });
      const total = Math.floor(train.count / options.batch) * options.epochs;
      try {
        for (let epoch = 1; epoch <= options.epochs; epoch++) {
          let [lossSum, correct, steps] = [0, 0, 0];
          const started = performance.now();
          for (const batch of batches.epoch()) {
            batches.gather(train.x, batch, x);
            batches.gather(train.y, batch, y);
            optimizer.zeroGrad();
            const out = loss.forward(model.forward(x, { training: true }), y);
            model.backward(out.grad);
            optimizer.step();
            [lossSum, correct, steps] = [lossSum + out.loss, correct + out.correct, steps + 1];
            result.losses.push(out.loss);
            onStep?.(result.losses.length, total, out.loss);
          }
          const elapsed = performance.now() - started;
          trainingMs += elapsed;
          const report: EpochReport = {
            epoch,
            trainLoss: lossSum / steps,
            trainAccuracy: correct / (steps * options.batch),
            testAccuracy: evaluate(rt, model, loss, held, 512),
            msPerStep: elapsed / steps,
          };
          result.epochs.push(report);
          onEpoch?.(report);
        }
      } finally {
        batches.dispose();
      }
    });
  } finally {
    optimizer.dispose();
    loss.dispose();
    model.dispose();
  }
  result.steps = result.losses.length;
  result.testAccuracy = result.epochs.at(-1)?.testAccuracy ?? 0;
  result.msPerStep = trainingMs / Math.max(1, result.steps);
  return result;
}
