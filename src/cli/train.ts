// `descend train`: trains the demo MLP or CNN (through the autodiff tape) on an embedded dataset and reports per-epoch loss and
// accuracy, the final test accuracy, time per step, and an SVG of the loss curves.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeOn } from "./runtime";
import { lineChart } from "../plot/svg";
import { DEFAULT_GROUPS, DEFAULT_TAU } from "../demo/defaults";
import { DATASETS, MODELS, NORMS, OPTIMIZERS, planTraining, SCHEDULES, train, type EpochReport, type TrainOptions, type TrainResult } from "../demo/train";
import { ValueError } from "../runtime/errors";
import { UsageError, type FlagSpec, type Parsed } from "./args";
import { command } from "./command";
import { kernelsLabel } from "./version";
import { findLr, findLrLine, type FindLrReport } from "./find-lr";
import { earlyStopLine, earlyStopSeries, validationColumn } from "./early-stop";
import { curvatureLine, diagnosticsLine, writeDiagnostics } from "./diagnostics";
import { CHECKPOINT_FLAGS, checkpointFiles } from "./checkpoint";

/** Seeds are offset per layer and per stream; this keeps every derived seed exact. */
export const MAX_SEED = 2 ** 32 - 1;

export const TRAIN_FLAGS = {
  dataset: { type: "choice", choices: DATASETS, default: "glyphs", help: "embedded dataset: 16x16 digit glyphs or 3-class spirals" },
  model: { type: "choice", choices: MODELS, default: "mlp", help: "mlp: two hidden layers; cnn (glyphs only): two 3x3 convolutions (8, 16 channels), 2x2 max pooling, a dense layer of --hidden units" },
  optimizer: { type: "choice", choices: OPTIMIZERS, default: "adam", help: "optimizer" },
  schedule: { type: "choice", choices: SCHEDULES, default: "constant", help: "learning-rate schedule over the run" },
  tau: { type: "number", default: DEFAULT_TAU, min: 0.001, max: 1, help: "--schedule linear: share of the run the decay to lr/100 takes (the book's tau); the rest holds lr/100" },
  lr: { type: "number", default: 1e-3, min: 0, help: "learning rate" },
  epochs: { type: "number", default: 10, min: 1, max: 1000, integer: true, help: "passes over the training set" },
  batch: { type: "number", default: 128, min: 1, max: 65536, integer: true, help: "minibatch size, at most the training examples (80% of --samples)" },
  hidden: { type: "number", default: 512, min: 1, max: 8192, integer: true, help: "width of the MLP's two hidden layers, or of the CNN's dense layer" },
  norm: { type: "choice", choices: NORMS, default: "batch", help: "normalization before each hidden ReLU (per channel in the CNN; 'batch' needs --batch >= 2)" },
  groups: { type: "number", default: DEFAULT_GROUPS, min: 1, integer: true, help: "--norm group: groups of the hidden units (a divisor of --hidden; with --model cnn of 8)" },
  samples: { type: "number", default: 10000, min: 100, max: 1e6, integer: true, help: "examples generated (80% train, 20% test)" },
  seed: { type: "number", default: 1, min: 0, max: MAX_SEED, integer: true, help: "seed of data, initialization and shuffling" },
  backend: { type: "choice", choices: ["wasm", "js"] as const, default: "wasm", help: "kernel backend" },
  out: { type: "string", default: "descend-train", value: "dir", help: "folder for the loss-curve SVG" },
  json: { type: "boolean", help: "print one JSON object (history and summary) instead of text" },
  "early-stop": { type: "number", default: 0, min: 0, max: 1000, integer: true, value: "epochs", help: "stop after this many epochs without a lower validation loss and keep the best epoch (0: off); holds out 10% of --samples for validation (70/10/20)" },
  diagnostics: { type: "boolean", help: "write every step's ||g||, g^T H g, predicted and observed loss change (CSV, JSON, SVG) to --out; 3 more passes per step" },
  "find-lr": { type: "boolean", help: "instead of training, run the learning-rate range test (100 steps, lr 1e-7 to 10) and print the suggested lr" },
  ...CHECKPOINT_FLAGS,
} satisfies FlagSpec;

/** A one-line progress bar, redrawn in place on a terminal. */
function progressBar(step: number, total: number, loss: number): string {
  const width = 30;
  const done = Math.round((width * step) / total);
  return `[${"#".repeat(done)}${".".repeat(width - done)}] ${String(step).padStart(String(total).length)}/${total}  loss ${loss.toFixed(4)}`;
}

function epochLine(r: EpochReport, epochs: number): string {
  return (
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.trainLoss.toFixed(4)}  ` +
    `train acc ${(100 * r.trainAccuracy).toFixed(2)}%${validationColumn(r)}  test acc ${(100 * r.testAccuracy).toFixed(2)}%  ${r.msPerStep.toFixed(2)} ms/step`
  );
}

/** Loss per step (smoothed over each epoch's steps) and test error per epoch, on log axes. */
export function lossCurves(result: TrainResult, title: string): string {
  const perEpoch = result.losses.length / Math.max(1, result.epochs.length);
  const window = Math.max(1, Math.round(perEpoch / 10));
  const smoothed = result.losses.map((_, i, all) => {
    const from = Math.max(0, i - window + 1);
    return [i + 1, all.slice(from, i + 1).reduce((a, b) => a + b, 0) / (i + 1 - from)] as const;
  });
  return lineChart({
    title,
    xLabel: "step",
    yLabel: "loss / error",
    logY: true,
    series: [
      { name: "train loss", points: smoothed },
      { name: "test error", points: result.epochs.map((e) => [e.epoch * perEpoch, Math.max(1e-4, 1 - e.testAccuracy)] as const) },
      ...earlyStopSeries(result, perEpoch),
    ],
  });
}

/** Flags that are each valid but do not make a run together (batch vs training set, ...). */
function checkCombination(flags: Parsed<typeof TRAIN_FLAGS>): void {
  try {
    planTraining(trainOptions(flags));
  } catch (error) {
    if (error instanceof ValueError) throw new UsageError(error.message);
    throw error;
  }
}

/** The demo's options from the flags. */
function trainOptions(flags: Parsed<typeof TRAIN_FLAGS>): TrainOptions {
  return { ...flags, earlyStop: flags["early-stop"], diagnostics: flags.diagnostics };
}

function runTrain(flags: Parsed<typeof TRAIN_FLAGS>, print: (line: string) => void, note: (line: string) => void = () => {}): TrainResult | FindLrReport {
  checkCombination(flags);
  const checkpoint = checkpointFiles({ ...trainOptions(flags), save: flags.save, resume: flags.resume });
  mkdirSync(flags.out, { recursive: true });
  const rt = runtimeOn(flags.backend);
  if (flags["find-lr"]) {
    const report = findLr(rt, trainOptions(flags), flags.out);
    print(flags.json ? JSON.stringify({ backend: kernelsLabel(rt.info()), ...report }) : findLrLine(report));
    return report;
  }
  const tty = !flags.json && Boolean(process.stderr.isTTY);
  if (!flags.json) {
    print(
      `descend train: ${flags.model} on ${flags.dataset}, ${flags.optimizer} lr ${flags.lr} (${flags.schedule}), ${flags.epochs} epochs, ` +
        `batch ${flags.batch}, backend ${kernelsLabel(rt.info())}, seed ${flags.seed}`,
    );
  }
  const result = train(
    rt,
    trainOptions(flags),
    tty ? (step, total, loss) => step % 5 === 0 && process.stderr.write(`\r${progressBar(step, total, loss)}`) : undefined,
    flags.json ? undefined : (report) => {
      if (tty) process.stderr.write("\r" + " ".repeat(72) + "\r");
      print(epochLine(report, flags.epochs));
    },
    checkpoint,
  );
  const svg = join(flags.out, `loss-${flags.dataset}-${flags.optimizer}.svg`);
  writeFileSync(svg, lossCurves(result, `${flags.dataset}: ${flags.optimizer} (lr ${flags.lr}), batch ${flags.batch}`));
  const stem = `${flags.dataset}-${flags.optimizer}`;
  if (result.curvature) note(curvatureLine(result.curvature));
  const diagnostics = result.diagnostics && writeDiagnostics(result.diagnostics, result.curvature!, flags.out, stem, `${flags.dataset}: ${flags.optimizer} (lr ${flags.lr})`);
  const options = Object.fromEntries(Object.keys(TRAIN_FLAGS).map((name) => [name, flags[name as keyof typeof flags]]));
  if (flags.json) {
    print(JSON.stringify({ options, backend: kernelsLabel(rt.info()), svg, ...result, ...(diagnostics ? { diagnosticsFiles: diagnostics } : {}) }));
    return result;
  }
  if (diagnostics) print(diagnosticsLine(result.diagnostics!, diagnostics));
  if (result.earlyStop) print(earlyStopLine(result.earlyStop));
  print(`final test accuracy ${(100 * result.testAccuracy).toFixed(2)}%, ${result.msPerStep.toFixed(2)} ms per training step (${result.steps} steps); loss curves: ${svg}`);
  return result;
}

export const TRAIN = command({
  name: "train",
  summary: "train the demo MLP or CNN on an embedded dataset; per-epoch loss, accuracy, time per step",
  description:
    "Trains an MLP (two hidden layers: Linear, normalization, ReLU) or a small CNN (--model cnn) on an embedded dataset, " +
    "built from modules and differentiated by the autodiff tape, and prints each epoch's loss and " +
    "accuracy, the final test accuracy and the time per step; writes an SVG of the loss curves to --out.",
  flags: TRAIN_FLAGS,
  run: runTrain,
});
