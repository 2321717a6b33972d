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
import type { Param, Tensor } from "../runtime/tensor";

export const DATASETS = ["glyphs", "spirals"] as const;
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

/** He-style uniform init for ReLU layers: U(-sqrt(6/fanIn), sqrt(6/fanIn)) from a seeded source. */
function heUniform(seed: number) {
  const uniform = seededUniform(seed);
  return (w: Param<"f32">) => {
    const bound = Math.sqrt(6 / w.shape[0]!);
    const data = w.data;
    for (let i = 0; i < data.length; i++) data[i] = (2 * uniform() - 1) * bound;
  };
}

/** features -> hidden -> ReLU -> hidden -> ReLU -> classes. */
export function makeModel(rt: Runtime, features: number, hidden: number, classes: number, seed: number): Sequential {
  const layers: Layer[] = [
    new Linear(rt, features, hidden, { relu: true, init: heUniform(seed + 1) }),
    new Linear(rt, hidden, hidden, { init: heUniform(seed + 2) }),
    new ReLU(rt),
    new Linear(rt, hidden, classes, { init: heUniform(seed + 3) }),
  ];
  return new Sequential(layers);
}

/** Copies rows `order[from..from+n)` of `data` into the batch tensors. */
function loadBatch(data: Dataset, order: Uint32Array, from: number, x: Tensor<"f32">, y: Tensor<"i32">): void {
  const [xs, ys] = [x.data, y.data];
  const n = y.length;
  for (let r = 0; r < n; r++) {
    const row = order[from + r]!;
    xs.set(data.x.subarray(row * data.features, (row + 1) * data.features), r * data.features);
    ys[r] = data.y[row]!;
  }
}

function shuffled(count: number, uniform: () => number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Accuracy of the model on a dataset, in batches, inference mode. */
export function evaluate(rt: Runtime, model: Layer, loss: SoftmaxCrossEntropy, data: Dataset, batch: number): number {
  return rt.scope(() => {
    const order = Uint32Array.from({ length: data.count }, (_, i) => i);
    let correct = 0;
    for (let from = 0; from < data.count; from += batch) {
      const n = Math.min(batch, data.count - from);
      const x = rt.tensor([n, data.features]);
      const y = rt.tensor([n], { dtype: "i32" });
      loadBatch(data, order, from, x, y);
      correct += loss.forward(model.forward(x, { training: false }), y).correct;
    }
    return correct / data.count;
  });
}

/** Trains the demo model; `onEpoch` reports progress (return false to stop early). */
export function train(rt: Runtime, options: TrainOptions, onStep?: (step: number, total: number, loss: number) => void, onEpoch?: (report: EpochReport) => void): TrainResult {
  const { train: trainSet, test } = makeDataset(options);
  const model = makeModel(rt, trainSet.features, options.hidden, trainSet.classes, options.seed);
  const loss = new SoftmaxCrossEntropy(rt);
  const params = model.parameters();
  const optimizer = options.optimizer === "adam" ? new Adam(rt, params, { lr: options.lr }) : new SGD(rt, params, { lr: options.lr });
  const uniform = seededUniform(options.seed + 7);
  const stepsPerEpoch = Math.floor(trainSet.count / options.batch);
  const result: TrainResult = { epochs: [], losses: [], testAccuracy: 0, msPerStep: 0, steps: 0 };
  let trainingMs = 0;
  try {
    rt.scope(() => {
      const x = rt.tensor([options.batch, trainSet.features]);
      const y = rt.tensor([options.batch], { dtype: "i32" });
      for (let epoch = 1; epoch <= options.epochs; epoch++) {
        const order = shuffled(trainSet.count, uniform);
        let [lossSum, correct] = [0, 0];
        const started = performance.now();
        for (let s = 0; s < stepsPerEpoch; s++) {
          loadBatch(trainSet, order, s * options.batch, x, y);
          optimizer.zeroGrad();
          const out = loss.forward(model.forward(x, { training: true }), y);
          model.backward(out.grad);
          optimizer.step();
          lossSum += out.loss;
          correct += out.correct;
          result.losses.push(out.loss);
          onStep?.(result.losses.length, stepsPerEpoch * options.epochs, out.loss);
        }
        const elapsed = performance.now() - started;
        trainingMs += elapsed;
        const report: EpochReport = {
          epoch,
          trainLoss: lossSum / stepsPerEpoch,
          trainAccuracy: correct / (stepsPerEpoch * options.batch),
          testAccuracy: evaluate(rt, model, loss, test, 512),
          msPerStep: elapsed / stepsPerEpoch,
        };
        result.epochs.push(report);
        onEpoch?.(report);
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
