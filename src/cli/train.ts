// `descend train`: trains the demo MLP on an embedded dataset and reports per-epoch loss and
// accuracy, the final test accuracy, time per step, and an SVG of the loss curves.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initSync } from "../runtime/init";
import { lineChart } from "../plot/svg";
import { DATASETS, NORMS, OPTIMIZERS, SCHEDULES, train, type EpochReport, type TrainResult } from "../demo/train";
import { describeFlags, parseFlags, type FlagSpec } from "./args";

export const TRAIN_FLAGS = {
  dataset: { type: "choice", choices: DATASETS, default: "glyphs", help: "embedded dataset: 16x16 digit glyphs or 3-class spirals" },
  optimizer: { type: "choice", choices: OPTIMIZERS, default: "adam", help: "optimizer" },
  schedule: { type: "choice", choices: SCHEDULES, default: "constant", help: "learning-rate schedule over the run" },
  lr: { type: "number", default: 1e-3, min: 0, help: "learning rate" },
  epochs: { type: "number", default: 10, min: 1, max: 1000, integer: true, help: "passes over the training set" },
  batch: { type: "number", default: 128, min: 1, max: 65536, integer: true, help: "minibatch size" },
  hidden: { type: "number", default: 512, min: 1, max: 8192, integer: true, help: "width of the two hidden layers" },
  norm: { type: "choice", choices: NORMS, default: "batch", help: "normalization before each hidden ReLU" },
  samples: { type: "number", default: 10000, min: 100, max: 1e6, integer: true, help: "examples generated (80% train, 20% test)" },
  seed: { type: "number", default: 1, min: 0, integer: true, help: "seed of data, initialization and shuffling" },
  backend: { type: "choice", choices: ["wasm", "js"] as const, default: "wasm", help: "kernel backend" },
  out: { type: "string", default: "descend-train", help: "folder for the loss-curve SVG" },
  json: { type: "boolean", help: "print one JSON object (history and summary) instead of text" },
} satisfies FlagSpec;

export const TRAIN_HELP = `descend train [flags]\n\nTrains an MLP (two hidden layers: Linear, BatchNorm, ReLU) on an embedded dataset.\n\n${describeFlags(TRAIN_FLAGS)}`;

/** A one-line progress bar, redrawn in place on a terminal. */
function progressBar(step: number, total: number, loss: number): string {
  const width = 30;
  const done = Math.round((width * step) / total);
  return `[${"#".repeat(done)}${".".repeat(width - done)}] ${String(step).padStart(String(total).length)}/${total}  loss ${loss.toFixed(4)}`;
}

function epochLine(r: EpochReport, epochs: number): string {
  return (
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.trainLoss.toFixed(4)}  ` +
    `train acc ${(100 * r.trainAccuracy).toFixed(2)}%  test acc ${(100 * r.testAccuracy).toFixed(2)}%  ${r.msPerStep.toFixed(2)} ms/step`
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
    ],
  });
}

export function trainCommand(argv: readonly string[], print: (line: string) => void = console.log): TrainResult {
  const flags = parseFlags(argv, TRAIN_FLAGS);
  const rt = initSync({ backend: flags.backend });
  const tty = !flags.json && Boolean(process.stderr.isTTY);
  if (!flags.json) print(`descend train: ${flags.dataset}, ${flags.optimizer} lr ${flags.lr} (${flags.schedule}), ${flags.epochs} epochs, batch ${flags.batch}, backend ${flags.backend}, seed ${flags.seed}`);
  const result = train(
    rt,
    flags,
    tty ? (step, total, loss) => step % 5 === 0 && process.stderr.write(`\r${progressBar(step, total, loss)}`) : undefined,
    flags.json ? undefined : (report) => {
      if (tty) process.stderr.write("\r" + " ".repeat(72) + "\r");
      print(epochLine(report, flags.epochs));
    },
  );
  mkdirSync(flags.out, { recursive: true });
  const svg = join(flags.out, `loss-${flags.dataset}-${flags.optimizer}.svg`);
  writeFileSync(svg, lossCurves(result, `${flags.dataset}: ${flags.optimizer} (lr ${flags.lr}), batch ${flags.batch}`));
  if (flags.json) print(JSON.stringify({ options: flags, svg, ...result }));
  else print(`final test accuracy ${(100 * result.testAccuracy).toFixed(2)}%, ${result.msPerStep.toFixed(2)} ms per training step (${result.steps} steps); loss curves: ${svg}`);
  return result;
}
