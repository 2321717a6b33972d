// The training demo: an MLP or a small CNN on an embedded dataset, built from modules and trained
// through the autodiff tape, every op on the kernels. No Node APIs, so the CLI and the browser
// page run the same code.
import { GLYPH_SIZE, glyphs } from "../data/glyphs";
import { spirals } from "../data/spirals";
import { seededUniform, split, type Dataset } from "../data/dataset";
import { Linear } from "../nn/linear";
import { ReLU } from "../nn/relu";
import { Sequential } from "../nn/sequential";
import { Conv2d, Flatten, MaxPool2d } from "../nn/conv2d";
import type { Module } from "../nn/module";
import { valueAndGrad } from "../autodiff/tape";
import type { Ops } from "../autodiff/ops";
import { forwardPass } from "./forward";
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
import { StateError, ValueError } from "../runtime/errors";
import { checkNumber } from "../runtime/validate";
import { EarlyStopping, type EarlyStoppingState } from "../training/early-stopping";
import { exactHessianVector, StepProbe, type CurvatureMethod, type ExactHessianVector, type StepDiagnostics } from "../training/step-diagnostics";
import { Philox } from "../random/philox";
import { resumeRun, saveRun, type TrainCheckpoint } from "./checkpoint";
import { DEFAULT_GROUPS, DEFAULT_TAU } from "./defaults";

export const DATASETS = ["glyphs", "spirals"] as const;
export const MODELS = ["mlp", "cnn"] as const;
/** Output channels of the CNN's two 3x3 convolutions (the small CNN of the autodiff bench). */
export const CNN_CHANNELS = [8, 16] as const;
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
  /**
   * 'mlp': [Linear, norm, ReLU] x 2, Linear. 'cnn' (glyphs only): [3x3 conv, norm, ReLU] x 2
   * with 8 and 16 channels, 2x2 max pooling, Linear to `hidden` units with ReLU, Linear.
   * @defaultValue 'mlp'
   */
  model?: (typeof MODELS)[number];
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
  /** Width of the MLP's two hidden layers, or of the CNN's dense layer. */
  hidden: number;
  seed: number;
  /** Examples generated for the dataset (train + test). */
  samples: number;
  /**
   * Normalization before each hidden ReLU, after a Linear layer (MLP) or convolution (CNN, per
   * channel; 'layer' is GroupNorm with one group there); default 'batch'.
   */
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
   * observed change; g^T H g by an exact Hessian-vector product when every op of the model has
   * an R-operator rule (the MLP with norm 'none'), else by central differences of gradients.
   * @defaultValue false
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
  /** With `diagnostics: true`: how g^T H g was measured, and why that way. */
  curvature?: Curvature;
}

/** How a run measured g^T H g, and why that way. */
export interface Curvature {
  method: CurvatureMethod;
  reason: string;
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
  checkName("model", options.model ?? "mlp", MODELS);
  if (options.model === "cnn" && options.dataset !== "glyphs") {
    throw new ValueError(`model 'cnn' needs images: use dataset 'glyphs' (not '${options.dataset}')`);
  }
  checkName("optimizer", options.optimizer, OPTIMIZERS);
  const schedule = options.schedule ?? "constant";
  checkName("schedule", schedule, SCHEDULES);
  checkName("norm", options.norm ?? "batch", NORMS);
  checkNumber("tau", options.tau ?? DEFAULT_TAU, { above: 0, max: 1 });
  const groups = checkNumber("groups", options.groups ?? DEFAULT_GROUPS, { min: 1, integer: true });
  if (options.norm === "group" && options.model === "cnn" && CNN_CHANNELS.some((c) => c % groups !== 0)) {
    throw new ValueError(`norm 'group' with model 'cnn' needs groups dividing the ${CNN_CHANNELS.join(" and ")} channels: ${groups} groups do not`);
  }
  if (options.norm === "group" && options.model !== "cnn" && options.hidden % groups !== 0) {
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
  const normLayer = (): Module =>
    norm === "batch" ? new BatchNorm(rt, hidden) : norm === "group" ? new GroupNorm(rt, groups, hidden) : new LayerNorm(rt, hidden);
  const block = (inputs: number, k: number): Module[] =>
    norm === "none"
      ? [new Linear(rt, inputs, hidden, { relu: true, init: heUniform(), seed: seed + k })]
      : [
          new Linear(rt, inputs, hidden, { bias: false, init: heUniform(), seed: seed + k }),
          normLayer(),
          new ReLU(rt),
        ];
  return new Sequential([...block(features, 1), ...block(hidden, 2), new Linear(rt, hidden, classes, { init: glorotUniform(), seed: seed + 3 })]);
}

/**
 * images [N, 1, side, side] -> [3x3 conv (padded), norm, ReLU] x 2 -> 2x2 max pooling ->
 * Linear to `hidden` with ReLU -> Linear -> classes, the small CNN of the autodiff bench.
 * The norms work per channel ('layer': GroupNorm with one group, over channels and positions);
 * with a norm the convolutions have no bias.
 */
export function makeCnn(
  rt: Runtime, side: number, hidden: number, classes: number, seed: number, norm: TrainOptions["norm"] = "batch",
  groups = DEFAULT_GROUPS,
): Sequential {
  const [c1, c2] = CNN_CHANNELS;
  const normLayer = (channels: number): Module =>
    norm === "batch" ? new BatchNorm(rt, channels) : new GroupNorm(rt, norm === "group" ? groups : 1, channels);
  const block = (inputs: number, outputs: number, k: number): Module[] => {
    const init = heUniform({ fans: Conv2d.fans(inputs, outputs, 3) });
    const conv = new Conv2d(rt, inputs, outputs, 3, { padding: 1, bias: norm === "none", init, seed: seed + k });
    return norm === "none" ? [conv, new ReLU(rt)] : [conv, normLayer(outputs), new ReLU(rt)];
  };
  const pooled = Math.floor(side / 2);
  return new Sequential([
    ...block(1, c1, 1),
    ...block(c1, c2, 2),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(rt, c2 * pooled * pooled, hidden, { relu: true, init: heUniform(), seed: seed + 3 }),
    new Linear(rt, hidden, classes, { init: glorotUniform(), seed: seed + 4 }),
  ]);
}

/** The model a run of `options` trains, for the examples of `data`. */
export function makeRunModel(rt: Runtime, options: TrainOptions, data: Dataset): Sequential {
  return options.model === "cnn"
    ? makeCnn(rt, GLYPH_SIZE, options.hidden, data.classes, options.seed, options.norm, options.groups)
    : makeModel(rt, data.features, options.hidden, data.classes, options.seed, options.norm, options.groups);
}

/** The shape of one example as the model takes it: [features], or [1, side, side] images for the CNN. */
export function exampleShape(options: Pick<TrainOptions, "model">, data: Dataset): number[] {
  return options.model === "cnn" ? [1, GLYPH_SIZE, GLYPH_SIZE] : [data.features];
}

/**
 * One training step's loss and gradients through the tape: softmax cross-entropy of the
 * model's logits, the gradients added into every parameter's grad. `logits()` is the last
 * step's output (the tape's, valid until the next step).
 */
export function lossStep(rt: Runtime, model: Module) {
  let logits: Tensor<"f32"> | null = null;
  const step = valueAndGrad(rt, modelLoss(model, (out) => (logits = out)));
  return Object.assign(step, { logits: () => logits! });
}

/** The training loss as a tape function: softmax cross-entropy of the model's logits (handed to `seeLogits`). */
function modelLoss(model: Module, seeLogits: (logits: Tensor<"f32">) => void = () => {}) {
  return (ops: Ops, x: Tensor<"f32">, y: Tensor<"i32">) => {
    const logits = model.forward(ops, x);
    seeLogits(logits);
    return ops.softmaxCrossEntropy(logits, y);
  };
}

/** The probe of `diagnostics: true`, how it measures g^T H g and why, and the disposal of both. */
interface DiagnosticsProbe {
  probe: StepProbe;
  curvature: Curvature;
  dispose(): void;
}

/**
 * The probe of `diagnostics: true` on the batch (x, y), with an exact Hessian-vector product
 * when every op of the model has a rule.
 */
function diagnosticsProbe(rt: Runtime, model: Module, norms: readonly BatchNorm[], x: Tensor<"f32">, y: Tensor<"i32">): DiagnosticsProbe {
  const params = model.parameters();
  const exact: ExactHessianVector = exactHessianVector(rt, modelLoss(model), params, x, y);
  const probe = new StepProbe(rt, params, runningStatistics(norms), exact.hessianVector ?? undefined);
  const reason = exact.hessianVector ? "every op of the model has an exact Hessian-vector rule" : exact.reason;
  return {
    probe,
    curvature: { method: probe.method, reason },
    dispose: () => {
      probe.dispose();
      if (exact.hessianVector) exact.dispose();
    },
  };
}

/** A dataset copied into the runtime's memory once, so batches are gathered in wasm. */
export interface DeviceData {
  x: Tensor<"f32">;
  y: Tensor<"i32">;
  count: number;
}

export function toDevice(rt: Runtime, data: Dataset, example: readonly number[] = [data.features]): DeviceData {
  return {
    x: rt.fromArray(data.x, [data.count, ...example]),
    y: rt.fromArray(data.y, [data.count], { dtype: "i32" }),
    count: data.count,
  };
}

/** Accuracy of the model on a dataset, in order, inference mode. */
export function evaluate(rt: Runtime, model: Module, data: DeviceData, batch: number): number {
  return measure(rt, model, data, batch).accuracy;
}

/**
 * Mean loss and accuracy of the model on a dataset, in order, in evaluation mode (running
 * statistics), forward only; the model is back in training mode afterwards.
 */
export function measure(rt: Runtime, model: Module, data: DeviceData, batch: number): { loss: number; accuracy: number } {
  const k = rt.kernels;
  const pass = forwardPass(rt, (ops, x: Tensor<"f32">, y: Tensor<"i32">) => {
    const logits = model.forward(ops, x);
    return { loss: ops.softmaxCrossEntropy(logits, y).data[0]!, correct: k.f32_count_correct(logits.ptr, y.ptr, y.length, logits.shape[1]!) };
  });
  model.eval();
  try {
    return rt.scope(() => {
      const batches = new Minibatches(rt, data.count, { batchSize: batch, shuffle: "none" });
      let [correct, total] = [0, 0];
      try {
        for (const b of batches.epoch()) {
          const out = pass(batches.gather(data.x, b), batches.gather(data.y, b));
          correct += out.correct;
          total += out.loss * b.indices.length;
        }
      } finally {
        batches.dispose();
      }
      return { loss: total / data.count, accuracy: correct / data.count };
    });
  } finally {
    model.train();
    pass.dispose();
  }
}

/**
 * Trains the demo model through the tape: minibatches reshuffled every epoch (Philox), gathered
 * in wasm; forward, softmax cross-entropy and backward as one `valueAndGrad` step, then one
 * optimizer step per batch. `onStep` and `onEpoch` report progress. `checkpoint.resume`
 * continues a run from its checkpoint (bit for bit: the same steps as the uninterrupted run,
 * early stopping's state included); `checkpoint.save` receives a checkpoint after every epoch.
 * Throws ValueError, before any work, for options that {@link planTraining} rejects.
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
  const model = makeRunModel(rt, options, trainSet);
  const params = model.parameters();
  const optimizer = makeOptimizer(rt, options.optimizer, params, options.lr);
  const scheduler = new Scheduler(optimizer, { lr: SCHEDULE_FACTORIES[options.schedule ?? "constant"](options.lr, total, options.tau ?? DEFAULT_TAU) });
  const norms = model.layers.filter((layer): layer is BatchNorm => layer instanceof BatchNorm);
  const stopper = options.earlyStop ? new ModelStopper(optimizer, norms, options.earlyStop) : null;
  const step = lossStep(rt, model);
  let probing = null as DiagnosticsProbe | null;

  const result: TrainResult = { epochs: [], losses: [], testAccuracy: 0, msPerStep: 0, steps: 0 };
  let trainingMs = 0;
  try {
    const resumed = checkpoint.resume ? resumeRun(checkpoint.resume, model, optimizer, options) : null;
    if (resumed && stopper) stopper.loadStateDict(resumed.earlyStop);
    const { epoch: done, shuffle } = resumed ?? { epoch: 0, shuffle: new Philox(options.seed + 7) };
    const example = exampleShape(options, trainSet);
    rt.scope(() => {
      const [train, held] = [toDevice(rt, trainSet, example), toDevice(rt, test, example)];
      const validating = validation ? toDevice(rt, validation, example) : null;
      const batches = new Minibatches(rt, train.count, { batchSize: options.batch, shuffle: "everyEpoch", rng: shuffle, dropLast: true });
      const x = rt.tensor([options.batch, ...example]);
      const y = rt.tensor([options.batch], { dtype: "i32" });
      if (options.diagnostics) {
        probing = diagnosticsProbe(rt, model, norms, x, y);
        result.curvature = probing.curvature;
      }
      const probe = probing?.probe;
      const lossAndGrad = () => {
        optimizer.zeroGrad();
        return step(x, y);
      };
      try {
        for (let epoch = done + 1; epoch <= options.epochs; epoch++) {
          let [lossSum, correct, steps] = [0, 0, 0];
          const started = performance.now();
          for (const batch of batches.epoch()) {
            batches.gather(train.x, batch, x);
            batches.gather(train.y, batch, y);
            const loss = lossAndGrad();
            const right = rt.kernels.f32_count_correct(step.logits().ptr, y.ptr, options.batch, trainSet.classes);
            if (probe) {
              const counts = norms.map((bn) => bn.numBatchesTracked);
              const restoreCounts = () => norms.forEach((bn, i) => (bn.numBatchesTracked = counts[i]!));
              (result.diagnostics ??= []).push(probe.measure(result.losses.length + 1, loss, optimizer.lr, lossAndGrad, () => optimizer.step(), restoreCounts));
            } else optimizer.step();
            scheduler.step();
            [lossSum, correct, steps] = [lossSum + loss, correct + right, steps + 1];
            result.losses.push(loss);
            onStep?.(result.losses.length, total, loss);
          }
          const elapsed = performance.now() - started;
          trainingMs += elapsed;
          const report: EpochReport = {
            epoch,
            lr: optimizer.lr,
            trainLoss: lossSum / steps,
            trainAccuracy: correct / (steps * options.batch),
            testAccuracy: evaluate(rt, model, held, 512),
            msPerStep: elapsed / steps,
          };
          if (validating) {
            const { loss: validationLoss, accuracy: validationAccuracy } = measure(rt, model, validating, 512);
            Object.assign(report, { validationLoss, validationAccuracy });
          }
          result.epochs.push(report);
          // Early stopping decides first, so the checkpoint carries its state after this epoch.
          const stop = stopper?.step(report.validationLoss!) ?? false;
          checkpoint.save?.(saveRun(model, optimizer, shuffle, epoch, options, stopper?.stateDict()));
          onEpoch?.(report);
          if (stop) break;
        }
        if (stopper) {
          result.earlyStop = stopper.report();
          // The run ends at the best epoch's state (parameters, optimizer, running statistics), measured again.
          result.testAccuracy = evaluate(rt, model, held, 512);
        }
      } finally {
        batches.dispose();
      }
    });
  } finally {
    step.dispose();
    stopper?.dispose();
    probing?.dispose();
    optimizer.dispose();
    model.dispose();
  }
  result.steps = result.losses.length;
  if (!result.earlyStop) result.testAccuracy = result.epochs.at(-1)?.testAccuracy ?? 0;
  result.msPerStep = trainingMs / result.steps;
  return result;
}

/** The saved form of a {@link ModelStopper}: EarlyStopping's own state and the best epoch's running statistics. */
export interface ModelStopperState {
  stopper: EarlyStoppingState;
  /** The BatchNorm running means and variances of the best epoch, in the model's order. */
  running: number[][];
  /** Their batch counts (num_batches_tracked). */
  batches: number[];
  stoppedAt: number | null;
}

/**
 * Early stopping for the demo model: EarlyStopping keeps the best parameters and optimizer state;
 * this keeps the BatchNorm running statistics of that epoch beside them, so the model it restores
 * evaluates exactly as it did at its best epoch.
 */
class ModelStopper {
  private readonly stopper: EarlyStopping;
  private readonly running: Tensor[];
  private best: { running: Float32Array[]; batches: number[] };
  private stoppedAt: number | null = null;

  constructor(
    optimizer: Optimizer<BaseHyper>,
    private readonly norms: BatchNorm[],
    readonly patience: number,
  ) {
    this.stopper = new EarlyStopping(optimizer, { patience });
    this.running = runningStatistics(norms);
    this.best = this.current();
  }

  /** Records an epoch's validation loss; true (the best state restored) when patience has run out. */
  step(validationLoss: number): boolean {
    const stop = this.stopper.step(validationLoss);
    if (this.stopper.bestEvaluation === this.stopper.evaluations - 1) this.best = this.current();
    if (stop) {
      this.stoppedAt = this.stopper.evaluations;
      this.running.forEach((t, i) => t.data.set(this.best.running[i]!));
      this.norms.forEach((bn, i) => (bn.numBatchesTracked = this.best.batches[i]!));
    }
    return stop;
  }

  report(): EarlyStopReport {
    return { patience: this.patience, bestEpoch: this.stopper.bestEvaluation + 1, bestValidationLoss: this.stopper.best, stoppedAt: this.stoppedAt };
  }

  /** The whole state, JSON-safe (f32 values are exact as JSON numbers). */
  stateDict(): ModelStopperState {
    const { running, batches } = this.best;
    return { stopper: this.stopper.stateDict(), running: running.map((r) => Array.from(r)), batches: [...batches], stoppedAt: this.stoppedAt };
  }

  /** Restores a state from stateDict(); StateError, changing nothing, for one that does not fit. */
  loadStateDict(state: ModelStopperState | undefined): void {
    const fits = (values: unknown, length: number | undefined) => Array.isArray(values) && values.length === length && values.every((v) => typeof v === "number");
    const fail = (why: string) => new StateError(`Cannot resume early stopping: the checkpoint ${why}`);
    if (!state) throw fail("has no early-stopping state (it was saved by a run without early stopping)");
    if (!Array.isArray(state.running) || state.running.length !== this.running.length || !state.running.every((r, i) => fits(r, this.running[i]!.length))) {
      throw fail("holds running statistics that do not fit the model");
    }
    if (!fits(state.batches, this.norms.length) || !(state.stoppedAt === null || Number.isInteger(state.stoppedAt))) throw fail("holds malformed counters");
    this.stopper.loadStateDict(state.stopper);
    this.best = { running: state.running.map((r) => Float32Array.from(r)), batches: [...state.batches] };
    this.stoppedAt = state.stoppedAt;
  }

  dispose(): void {
    this.stopper.dispose();
  }

  /** The running statistics and batch counts as they are now. */
  private current(): { running: Float32Array[]; batches: number[] } {
    return { running: this.running.map((t) => Float32Array.from(t.data)), batches: this.norms.map((bn) => bn.numBatchesTracked) };
  }
}

/** The running means and variances of some BatchNorm layers. */
function runningStatistics(norms: readonly BatchNorm[]): Tensor[] {
  return norms.flatMap((bn) => [bn.runningMean, bn.runningVar]).filter((t) => t !== null) as Tensor[];
}
