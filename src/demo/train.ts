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
import { GroupNorm, LayerNorm } from "../norm/groupnorm";
import { ValueError } from "../runtime/errors";
import { checkNumber } from "../runtime/validate";
import { EarlyStopping } from "../training/early-stopping";
import { TensorSnapshot } from "../training/snapshot";
import { StepProbe, type StepDiagnostics } from "../training/step-diagnostics";
import { Philox } from "../random/philox";
import { resumeRun, saveRun, type TrainCheckpoint } from "./checkpoint";
import { DEFAULT_GROUPS, DEFAULT_TAU } from "./defaults";

export const DATASETS = ["glyphs", "spirals"] as const;
export const NORMS = ["batch", "layer", "group", "none"] as const;

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

/** The optimizer `name` over `params` at rate `lr`, with its customary defaults. */
export function makeOptimizer(rt: Runtime, name: (typeof OPTIMIZERS)[number], params: Param[], lr: number): Optimizer<BaseHyper> {
  checkName("optimizer", name, OPTIMIZERS);
  return OPTIMIZER_FACTORIES[name](rt, params, lr);
}

/** Learning-rate schedules by flag value, over the whole run of `steps` steps from the base rate. */
const SCHEDULE_FACTORIES = {
  constant: (lr: number) => constantSchedule(lr),
  // The book's linear decay to lr / 100 over the first tau share of the run, then constant.
  cosine: (lr: number, steps: number) => cosineDecay({ init: lr, steps }),
  "warmup-cosine": (lr: number, steps: number) => warmupCosine({ peak: lr, warmupSteps: Math.max(1, Math.round(steps / 20)), steps }),
  linear: (lr: number, steps: number, tau: number) => linearSchedule({ init: lr, steps: Math.max(1, Math.round(tau * steps)) }),
  step: (lr: number, steps: number) => stepDecay({ init: lr, stepSize: Math.max(1, Math.round(steps / 3)), gamma: 0.1 }),
  sgdr: (lr: number, steps: number) => sgdr({ init: lr, T0: Math.max(1, Math.round(steps / 7)), Tmult: 2 }),
} satisfies Record<string, (lr: number, steps: number, tau: number) => Schedule>;

export const SCHEDULES = Object.keys(SCHEDULE_FACTORIES) as Array<keyof typeof SCHEDULE_FACTORIES>;

export interface TrainOptions {
  dataset: (typeof DATASETS)[number];
  optimizer: (typeof OPTIMIZERS)[number];
  /** Learning-rate schedule over the run; default 'constant'. */
  schedule?: (typeof SCHEDULES)[number];
  /**
   * For the 'linear' schedule: the share of the run (0 < tau <= 1) the decay to lr / 100 takes
   * (the book's tau in steps is tau times the run's steps); the rest of the run holds lr / 100.
   * @defaultValue 0.8
   */
  tau?: number;
  lr: number;
  epochs: number;
  batch: number;
  hidden: number;
  seed: number;
  /** Examples generated for the dataset (train + test). */
  samples: number;
  /** Normalization after each hidden Linear layer (before its ReLU); default 'batch'. */
  norm?: (typeof NORMS)[number];
  /**
   * Groups of `norm: 'group'` (GroupNorm over the hidden units, Wu & He 2018), a divisor of `hidden`.
   * @defaultValue 32
   */
  groups?: number;
  /**
   * Early stopping's
 patience in epochs (0 or absent: off). When on, 10% of the examples are held
   * out for validation (70/10/20), the validation loss is measured after every epoch, and the run
   * stops after this many epochs without improvement, back at the best epoch's parameters,
   * optimizer state and running statistics.
   */
  earlyStop?: number;
  /**
   * Measure every step's ||g||, g^T H g, the second-order prediction of the loss change and the
   * observed change (three more forward/backward passes per step); default false.
   */
  diagnostics?: boolean;
}

export interface EpochReport {
  epoch: number;
  /** Learning rate at the end of the epoch (after the schedule's last step in it). */
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  msPerStep: number;
  /** With early stopping: the loss and accuracy on the validation examples. */
  validationLoss?: number;
  validationAccuracy?: number;
}

/** What early stopping did in a run. */
export interface EarlyStopReport {
  patience: number;
  /** The epoch (1-based) with the lowest validation loss, whose state the run ends with. */
  bestEpoch: number;
  bestValidationLoss: number;
  /** The epoch after which patience ran out; null when the run went all its epochs. */
  stoppedAt: number | null;
}

export interface TrainResult {
  epochs: EpochReport[];
  /** Training loss of every step. */
  losses: number[];
  testAccuracy: number;
  msPerStep: number;
  steps: number;
  /** Present when early stopping was on. */
  earlyStop?: EarlyStopReport;
  /** Every step's curvature diagnostics, with `diagnostics: true`. */
  diagnostics?: StepDiagnostics[];
}

/** Share of the generated examples held out for testing. */
const TEST_FRACTION = 0.2;
/** Share of the generated examples held out for validation when early stopping is on. */
const VALIDATION_FRACTION = 0.1;

/** Test and validation examples of a run (validation only with early stopping). */
function heldOut(options: Pick<TrainOptions, "samples" | "earlyStop">): { test: number; validation: number } {
  return { test: Math.round(options.samples * TEST_FRACTION), validation: options.earlyStop ? Math.round(options.samples * VALIDATION_FRACTION) : 0 };
}

/** The examples of a run: train and test (80/20), or with early stopping train, validation and test (70/10/20). */
export function makeDataset(options: Pick<TrainOptions, "dataset" | "seed" | "samples" | "earlyStop">): { train: Dataset; test: Dataset; validation?: Dataset } {
  const uniform = seededUniform(options.seed);
  const data = options.dataset === "glyphs" ? glyphs(uniform, { count: options.samples }) : spirals(uniform, { count: options.samples });
  const { train, test } = split(data, TEST_FRACTION);
  if (!options.earlyStop) return { train, test };
  const { train: rest, test: validation } = split(train, heldOut(options).validation / train.count);
  return { train: rest, test, validation };
}

/** What a run will do, from its options alone. */
export interface TrainingPlan {
  trainExamples: number;
  /** Held out for early stopping's validation loss (0 without it). */
  validationExamples: number;
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
  checkNumber("tau", options.tau ?? DEFAULT_TAU, { above: 0, max: 1 });
  const groups = checkNumber("groups", options.groups ?? DEFAULT_GROUPS, { min: 1, integer: true });
  if (options.norm === "group" && options.hidden % groups !== 0) {
    throw new ValueError(`norm 'group' needs groups dividing hidden: ${groups} groups do not divide ${options.hidden} hidden units`);
  }
  const earlyStop = options.earlyStop ?? 0;
  if (!Number.isInteger(earlyStop) || earlyStop < 0) throw new ValueError(`Invalid earlyStop: ${String(earlyStop)} (expected an integer >= 0)`);
  const { test: testExamples, validation: validationExamples } = heldOut(options);
  const trainExamples = options.samples - testExamples - validationExamples;
  if (testExamples < 1) throw new ValueError(`samples ${options.samples} leave no test examples (${100 * TEST_FRACTION}% are held out)`);
  if (earlyStop && validationExamples < 1) {
    throw new ValueError(`samples ${options.samples} leave no validation examples for early stopping (${100 * VALIDATION_FRACTION}% are held out)`);
  }
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
    SCHEDULE_FACTORIES[schedule](options.lr, steps, options.tau ?? DEFAULT_TAU);
  } catch (error) {
    if (error instanceof ValueError) throw new ValueError(`schedule '${schedule}' over ${steps} steps: ${error.message}`);
    throw error;
  }
  return { trainExamples, validationExamples, testExamples, stepsPerEpoch, steps };
}

/**
 * features -> [Linear -> norm -> ReLU] x 2 -> Linear -> classes. With a normalization layer the
 * hidden Linear layers have no bias (the norm's beta replaces it); without one, ReLU is fused
 * into the Linear layer's gemm.
 */
export function makeModel(
  rt: Runtime, features: number, hidden: number, classes: number, seed: number, norm: TrainOptions["norm"] = "batch",
  groups = DEFAULT_GROUPS,
): Sequential {
  const normLayer = (): Layer =>
    norm === "batch" ? new BatchNorm(rt, hidden) : norm === "group" ? new GroupNorm(rt, groups, hidden) : new LayerNorm(rt, hidden);
  const block = (inputs: number, k: number): Layer[] =>
    norm === "none"
      ? [new Linear(rt, inputs, hidden, { relu: true, init: heUniform(), seed: seed + k })]
      : [
          new Linear(rt, inputs, hidden, { bias: false, init: heUniform(), seed: seed + k }),
          normLayer(),
          new ReLU(rt),
        ];
  return new Sequential([...block(features, 1), ...block(hidden, 2), new Linear(rt, hidden, classes, { init: glorotUniform(), seed: seed + 3 })]);
}

/** A dataset copied into the runtime's memory once, so batches are gathered in wasm. */
export interface DeviceData {
  x: Tensor<"f32">;
  y: Tensor<"i32">;
  count: number;
}

export function toDevice(rt: Runtime, data: Dataset): DeviceData {
  return {
    x: rt.fromArray(data.x, [data.count, data.features]),
    y: rt.fromArray(data.y, [data.count], { dtype: "i32" }),
    count: data.count,
  };
}

/** Accuracy of the model on a dataset, in order, inference mode. */
export function evaluate(rt: Runtime, model: Layer, loss: SoftmaxCrossEntropy, data: DeviceData, batch: number): number {
  return measure(rt, model, loss, data, batch).accuracy;
}

/** Mean loss and accuracy of the model on a dataset, in order, inference mode. */
export function measure(rt: Runtime, model: Layer, loss: SoftmaxCrossEntropy, data: DeviceData, batch: number): { loss: number; accuracy: number } {
  return rt.scope(() => {
    const batches = new Minibatches(rt, data.count, { batchSize: batch, shuffle: "none" });
    let [correct, total] = [0, 0];
    try {
      for (const b of batches.epoch()) {
        const out = loss.forward(model.forward(batches.gather(data.x, b), { training: false }), batches.gather(data.y, b));
        correct += out.correct;
        total += out.loss * b.indices.length;
      }
    } finally {
      batches.dispose();
    }
    return { loss: total / data.count, accuracy: correct / data.count };
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
  const { train: trainSet, test, validation } = makeDataset(options);
  const model = makeModel(rt, trainSet.features, options.hidden, trainSet.classes, options.seed, options.norm, options.groups);
  const loss = new SoftmaxCrossEntropy(rt);
  const params = model.parameters();
  const optimizer = makeOptimizer(rt, options.optimizer, params, options.lr);
  const scheduler = new Scheduler(optimizer, { lr: SCHEDULE_FACTORIES[options.schedule ?? "constant"](options.lr, total, options.tau ?? DEFAULT_TAU) });
  const stopper = options.earlyStop ? new ModelStopper(rt, model, optimizer, options.earlyStop) : null;
  const norms = model.layers.filter((layer): layer is BatchNorm => layer instanceof BatchNorm);
  const probe = options.diagnostics ? new StepProbe(rt, params, runningStatistics(norms)) : null;

  const result: TrainResult = { epochs: [], losses: [], testAccuracy: 0, msPerStep: 0, steps: 0 };
  let trainingMs = 0;
  try {
    const { epoch: done, shuffle } = checkpoint.resume
      ? resumeRun(checkpoint.resume, model, optimizer, options)
      : { epoch: 0, shuffle: new Philox(options.seed + 7) };
    rt.scope(() => {
      const [train, held] = [toDevice(rt, trainSet), toDevice(rt, test)];
      const validating = validation ? toDevice(rt, validation) : null;
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
            if (probe) {
              const counts = norms.map((bn) => bn.numBatchesTracked);
              const lossAndGrad = () => {
                optimizer.zeroGrad();
                const probed = loss.forward(model.forward(x, { training: true }), y);
                model.backward(probed.grad);
                return probed.loss;
              };
              const restoreCounts = () => norms.forEach((bn, i) => (bn.numBatchesTracked = counts[i]!));
              (result.diagnostics ??= []).push(probe.measure(result.losses.length + 1, out.loss, optimizer.lr, lossAndGrad, () => optimizer.step(), restoreCounts));
            } else optimizer.step();
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
          if (validating) {
            const { loss: validationLoss, accuracy: validationAccuracy } = measure(rt, model, loss, validating, 512);
            Object.assign(report, { validationLoss, validationAccuracy });
          }
          result.epochs.push(report);
          checkpoint.save?.(saveRun(model, optimizer, shuffle, epoch, options));
          onEpoch?.(report);
          if (stopper?.step(report.validationLoss!)) break;
        }
        if (stopper) {
          result.earlyStop = stopper.report();
          // The run ends at the best epoch's state (parameters, optimizer, running statistics), measured again.
          result.testAccuracy = evaluate(rt, model, loss, held, 512);
        }
      } finally {
        batches.dispose();
      }
    });
  } finally {
    stopper?.dispose();
    probe?.dispose();
    optimizer.dispose();
    loss.dispose();
    model.dispose();
  }
  result.steps = result.losses.length;
  if (!result.earlyStop) result.testAccuracy = result.epochs.at(-1)?.testAccuracy ?? 0;
  result.msPerStep = trainingMs / result.steps;
  return result;
}

/**
 * Early stopping for the demo model: EarlyStopping keeps the best parameters and optimizer state;
 * this keeps the BatchNorm running statistics of that epoch beside them, so the model it restores
 * evaluates exactly as it did at its best epoch.
 */
class ModelStopper {
  private readonly stopper: EarlyStopping;
  private readonly norms: BatchNorm[];
  private readonly best: TensorSnapshot;
  private bestBatches: number[] = [];
  private stoppedAt: number | null = null;

  constructor(
    rt: Runtime,
    model: Sequential,
    optimizer: Optimizer<BaseHyper>,
    readonly patience: number,
  ) {
    this.stopper = new EarlyStopping(optimizer, { patience });
    this.norms = model.layers.filter((layer): layer is BatchNorm => layer instanceof BatchNorm);
    this.best = new TensorSnapshot(rt, runningStatistics(this.norms));
  }

  /** Records an epoch's validation loss; true (the best state restored) when patience has run out. */
  step(validationLoss: number): boolean {
    const stop = this.stopper.step(validationLoss);
    if (this.stopper.bestEvaluation === this.stopper.evaluations - 1) {
      this.best.capture();
      this.bestBatches = this.norms.map((bn) => bn.numBatchesTracked);
    }
    if (stop) {
      this.stoppedAt = this.stopper.evaluations;
      this.best.restore();
      this.norms.forEach((bn, i) => (bn.numBatchesTracked = this.bestBatches[i]!));
    }
    return stop;
  }

  report(): EarlyStopReport {
    return { patience: this.patience, bestEpoch: this.stopper.bestEvaluation + 1, bestValidationLoss: this.stopper.best, stoppedAt: this.stoppedAt };
  }

  dispose(): void {
    this.best.dispose();
    this.stopper.dispose();
  }
}

/** The running means and variances of some BatchNorm layers. */
function runningStatistics(norms: readonly BatchNorm[]): Tensor[] {
  return norms.flatMap((bn) => [bn.runningMean, bn.runningVar]).filter((t) => t !== null) as Tensor[];
}
