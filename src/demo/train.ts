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
import { AdaDelta, AdaGrad, Adam, AdamW, Adamax, NAdam, RMSProp, SGD, type BaseHyper, type Optimizer } from "../optim/index";
import { Scheduler } from "../schedules/scheduler";
import {
  constantSchedule, cosineDecay, linearSchedule, sgdr, stepDecay, warmupCosine, type Schedule,
} from "../schedules/schedule";
import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import { glorotUniform, heUniform } from "../init/initializers";
import { Minibatches } from "../data/minibatch";
import { BatchNorm } from "../norm/batchnorm";
import { LayerNorm } from "../norm/groupnorm";
import { ValueError } from "../runtime/errors";
import { Philox } from "../random/philox";
import { resumeRun, saveRun, type TrainCheckpoint } from "./checkpoint";

export const DATASETS = ["glyphs", "spirals"] as const;
export const NORMS = ["batch", "layer", "none"] as const;
/** The optimizers `descend train` offers, by flag value, each with its customary defaults. */
const OPTIMIZER_FACTORIES = {
  sgd: (rt: Runtime, p: Param[], lr: number) => new SGD(rt, p, { lr }),
  momentum: (rt: Runtime, p: Param[], lr: number) => new SGD(rt, p, { lr, momentum: 0.9 }),
  nesterov: (rt: Runtime, p: Param[], lr: number) => new SGD(rt, p, { lr, momentum: 0.9, nesterov: true }),
  adagrad: (rt: Runtime, p: Param[], lr: number) => new AdaGrad(rt, p, { lr }),
  rmsprop: (rt: Runtime, p: Param[], lr: number) => new RMSProp(rt, p, { lr }),
  adadelta: (rt: Runtime, p: Param[], lr: number) => new AdaDelta(rt, p, { lr }),
  adam: (rt: Runtime, p: Param[], lr: number) => new Adam(rt, p, { lr }),
  amsgrad: (rt: Runtime, p: Param[], lr: number) => new Adam(rt, p, { lr, amsgrad: true }),
  adamw: (rt: Runtime, p: Param[], lr: number) => new AdamW(rt, p, { lr }),
  nadam: (rt: Runtime, p: Param[], lr: number) => new NAdam(rt, p, { lr }),
  adamax: (rt: Runtime, p: Param[], lr: number) => new Adamax(rt, p, { lr }),
} satisfies Record<string, (rt: Runtime, p: Param[], lr: number) => Optimizer<BaseHyper>>;

export const OPTIMIZERS = Object.keys(OPTIMIZER_FACTORIES) as Array<keyof typeof OPTIMIZER_FACTORIES>;

/** Learning-rate schedules by flag value, over the whole run of `steps` steps from the base rate. */
const SCHEDULE_FACTORIES = {
  constant: (lr: number) => constantSchedule(lr),
  cosine: (lr: number, steps: number) => cosineDecay({ init: lr, steps }),
  "warmup-cosine": (lr: number, steps: number) => warmupCosine({ peak: lr, warmupSteps: Math.max(1, Math.round(steps / 20)), steps }),
  linear: (lr: number, steps: number) => linearSchedule({ init: lr, end: lr / 100, steps }),
  step: (lr: number, steps: number) => stepDecay({ init: lr, stepSize: Math.max(1, Math.round(steps / 3)), gamma: 0.1 }),
  sgdr: (lr: number, steps: number) => sgdr({ init: lr, T0: Math.max(1, Math.round(steps / 7)), Tmult: 2 }),
} satisfies Record<string, (lr: number, steps: number) => Schedule>;

export const SCHEDULES = Object.keys(SCHEDULE_FACTORIES) as Array<keyof typeof SCHEDULE_FACTORIES>;

export interface TrainOptions {
  dataset: (typeof DATASETS)[number];
  optimizer: (typeof OPTIMIZERS)[number];
  /** Learning-rate schedule over the run; default 'constant'. */
  schedule?: (typeof SCHEDULES)[number];
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
  /** Learning rate at the end of the epoch (after the schedule's last step in it). */
  lr: number;
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

/** Share of the generated examples held out for testing. */
const TEST_FRACTION = 0.2;

export function makeDataset(options: Pick<TrainOptions, "dataset" | "seed" | "samples">): { train: Dataset; test: Dataset } {
  const uniform = seededUniform(options.seed);
  const data = options.dataset === "glyphs" ? glyphs(uniform, { count: options.samples }) : spirals(uniform, { count: options.samples });
  return split(data, TEST_FRACTION);
}

/** What a run will do, from its options alone. */
export interface TrainingPlan {
  trainExamples: number;
  testExamples: number;
  stepsPerEpoch: number;
  steps: number;
}

function checkName(what: string, name: string, names: readonly string[]): void {
  if (!names.includes(name)) throw new ValueError(`Invalid ${what}: ${String(name)} (expected one of ${names.join(", ")})`);
}

/**
 * Checks that the options make a run of at least one step (and, for the schedule, one that the
 * schedule accepts) before anything is generated or allocated; returns its sizes.
 */
export function planTraining(options: TrainOptions): TrainingPlan {
  checkName("dataset", options.dataset, DATASETS);
  checkName("optimizer", options.optimizer, OPTIMIZERS);
  const schedule = options.schedule ?? "constant";
  checkName("schedule", schedule, SCHEDULES);
  checkName("norm", options.norm ?? "batch", NORMS);
  const testExamples = Math.round(options.samples * TEST_FRACTION);
  const trainExamples = options.samples - testExamples;
  if (testExamples < 1) throw new ValueError(`samples ${options.samples} leave no test examples (${100 * TEST_FRACTION}% are held out)`);
  const stepsPerEpoch = Math.floor(trainExamples / options.batch);
  if (stepsPerEpoch < 1) {
    throw new ValueError(
      `batch ${options.batch} is larger than the ${trainExamples} training examples of samples ${options.samples}: lower batch or raise samples`,
    );
  }
  if ((options.norm ?? "batch") === "batch" && options.batch < 2) {
    throw new ValueError(`norm 'batch' needs batch >= 2 (the variance of one example is undefined): raise batch or use norm 'layer' or 'none'`);
  }
  const steps = stepsPerEpoch * options.epochs;
  try {
    SCHEDULE_FACTORIES[schedule](options.lr, steps);
  } catch (error) {
    if (error instanceof ValueError) throw new ValueError(`schedule '${schedule}' over ${steps} steps: ${error.message}`);
    throw error;
  }
  return { trainExamples, testExamples, stepsPerEpoch, steps };
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
 * progress. `checkpoint.resume` continues a run from its checkpoint (bit for bit: the same steps
 * as the uninterrupted run); `checkpoint.save` receives a checkpoint after every epoch. Throws
 * ValueError, before any work, for options that {@link planTraining} rejects.
 */
export function train(
  rt: Runtime,
  options: TrainOptions,
  onStep?: (step: number, total: number, loss: number) => void,
  onEpoch?: (report: EpochReport) => void,
  checkpoint: TrainCheckpoint = {},
): TrainResult {
  const total = planTraining(options).steps;
  const { train: trainSet, test } = makeDataset(options);
  const model = makeModel(rt, trainSet.features, options.hidden, trainSet.classes, options.seed, options.norm);
  const loss = new SoftmaxCrossEntropy(rt);
  const params = model.parameters();
  const optimizer: Optimizer<BaseHyper> = OPTIMIZER_FACTORIES[options.optimizer](rt, params, options.lr);
  const scheduler = new Scheduler(optimizer, { lr: SCHEDULE_FACTORIES[options.schedule ?? "constant"](options.lr, total) });
  const result: TrainResult = { epochs: [], losses: [], testAccuracy: 0, msPerStep: 0, steps: 0 };
  let trainingMs = 0;
  try {
    const { epoch: done, shuffle } = checkpoint.resume
      ? resumeRun(checkpoint.resume, model, optimizer, options)
      : { epoch: 0, shuffle: new Philox(options.seed + 7) };
    rt.scope(() => {
      const [train, held] = [toDevice(rt, trainSet), toDevice(rt, test)];
      const batches = new Minibatches(rt, train.count, { batchSize: options.batch, shuffle: "everyEpoch", rng: shuffle, dropLast: true });
      const x = rt.tensor([options.batch, trainSet.features]);
      const y = rt.tensor([options.batch], { dtype: "i32" });
      try {
        for (let epoch = done + 1; epoch <= options.epochs; epoch++) {
          let [lossSum, correct, steps] = [0, 0, 0];
          const started = performance.now();
          for (const batch of batches.epoch()) {
            batches.gather(train.x, batch, x);
            batches.gather(train.y, batch, y);
            optimizer.zeroGrad();
            const out = loss.forward(model.forward(x, { training: true }), y);
            model.backward(out.grad);
            optimizer.step();
            scheduler.step();
            [lossSum, correct, steps] = [lossSum + out.loss, correct + out.correct, steps + 1];
            result.losses.push(out.loss);
            onStep?.(result.losses.length, total, out.loss);
          }
          const elapsed = performance.now() - started;
          trainingMs += elapsed;
          const report: EpochReport = {
            epoch,
            lr: optimizer.lr,
            trainLoss: lossSum / steps,
            trainAccuracy: correct / (steps * options.batch),
            testAccuracy: evaluate(rt, model, loss, held, 512),
            msPerStep: elapsed / steps,
          };
          result.epochs.push(report);
          checkpoint.save?.(saveRun(model, optimizer, shuffle, epoch, options));
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
  result.msPerStep = trainingMs / result.steps;
  return result;
}
