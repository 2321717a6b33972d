// Checkpoints of a `descend train` run: the model, the optimizer (with its scheduler), the
// shuffling generator's position, the epoch and early stopping's state, in one safetensors file. No Node APIs: the
// caller reads and writes the bytes.
import { loadCheckpoint, saveCheckpoint } from "../io/checkpoint";
import type { Module } from "../nn/module";
import type { BaseHyper, Optimizer } from "../optim/optimizer";
import { Philox, type PhiloxState } from "../random/philox";
import { StateError, ValueError } from "../runtime/errors";
import { DEFAULT_GROUPS } from "./defaults";
import type { ModelStopperState, TrainOptions } from "./train";

/** Where a run's own state lives in the checkpoint's metadata. */
const RUN_KEY = "descend.train";

/**
 * The options that define what a run computes, with the values a run that omits them takes
 * (and a checkpoint saved before the option existed stands for); a resumed run must repeat them.
 * earlyStop is one: it decides the split of the examples.
 */
const DEFINING_DEFAULTS = {
  dataset: undefined, model: "mlp", optimizer: undefined, schedule: "constant", lr: undefined, batch: undefined, hidden: undefined,
  norm: "batch", groups: DEFAULT_GROUPS, samples: undefined, seed: undefined, earlyStop: 0,
};
type DefiningKey = keyof typeof DEFINING_DEFAULTS;

/** Reads and writes a run's checkpoint: `resume` the bytes to start from, `save` called after every epoch. */
export interface TrainCheckpoint {
  resume?: Uint8Array;
  save?: (bytes: Uint8Array) => void;
}

interface RunState {
  epoch: number;
  epochs: number;
  shuffle: PhiloxState;
  options: Record<string, unknown>;
  /** With early stopping: its state after the epoch (best loss, patience used, best snapshot). */
  earlyStop?: ModelStopperState;
}

const defining = (options: Partial<Record<DefiningKey, unknown>>) =>
  Object.fromEntries(Object.entries(DEFINING_DEFAULTS).map(([key, value]) => [key, options[key as DefiningKey] ?? value])) as Record<DefiningKey, unknown>;

/** The checkpoint after `epoch` epochs of a run of `options` (and its early stopping's state). */
export function saveRun(
  model: Module, optimizer: Optimizer<BaseHyper>, shuffle: Philox, epoch: number, options: TrainOptions, earlyStop?: ModelStopperState,
): Uint8Array {
  const run: RunState = { epoch, epochs: options.epochs, shuffle: shuffle.state(), options: defining(options), earlyStop };
  return saveCheckpoint(model, { optimizer, metadata: { [RUN_KEY]: JSON.stringify(run) } });
}

/**
 * Loads a checkpoint of a run with the same defining options into `model` and `optimizer`
 * and returns the epochs it had done, the shuffling generator where it stopped and early
 * stopping's state. A
 * non-constant schedule spans the run's epochs, so resuming one needs the same epochs.
 * Throws ValueError, before loading anything, for options that differ from the saved run's.
 */
export function resumeRun(
  bytes: Uint8Array, model: Module, optimizer: Optimizer<BaseHyper>, options: TrainOptions,
): { epoch: number; shuffle: Philox; earlyStop?: ModelStopperState } {
  const run = checkResume(bytes, options);
  loadCheckpoint(bytes, model, { optimizer });
  return { epoch: run.epoch, shuffle: Philox.fromState(run.shuffle), earlyStop: run.earlyStop };
}

/**
 * The saved run's state, after checking that a run of `options` may resume it: ValueError for
 * options that differ from the saved run's, StateError for a file that is not a checkpoint of
 * descend train.
 */
export function checkResume(bytes: Uint8Array, options: TrainOptions): RunState {
  const run = runState(bytes);
  const [saved, wanted] = [defining(run.options), defining(options)];
  const differ = (Object.keys(saved) as DefiningKey[]).filter((key) => saved[key] !== wanted[key]);
  if (differ.length) {
    throw new ValueError(`the checkpoint was saved by a run with ${differ.map((k) => `${k} ${String(saved[k])}`).join(", ")}: resume with the same options`);
  }
  if (run.earlyStop?.stoppedAt != null) {
    throw new ValueError(`the saved run stopped early after epoch ${run.earlyStop.stoppedAt} (its model is the best epoch's): there is nothing left to train`);
  }
  if ((options.schedule ?? "constant") !== "constant" && options.epochs !== run.epochs) {
    throw new ValueError(`schedule '${options.schedule}' spans the ${run.epochs} epochs of the saved run: resume with epochs ${run.epochs}`);
  }
  if (run.epoch >= options.epochs) throw new ValueError(`the checkpoint is at epoch ${run.epoch}: epochs must be larger to train on`);
  return run;
}

/** The run's state in a checkpoint's metadata; StateError when it has none. */
function runState(bytes: Uint8Array): RunState {
  // Only the header is needed here; loadCheckpoint checks the whole file afterwards.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const length = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as { __metadata__?: Record<string, string> };
    const run = JSON.parse(header.__metadata__?.[RUN_KEY] ?? "null") as RunState | null;
    if (run && Number.isInteger(run.epoch) && run.options && run.shuffle) return run;
  } catch {
    // reported below
  }
  throw new StateError("Cannot resume: the file is not a checkpoint of descend train");
}
