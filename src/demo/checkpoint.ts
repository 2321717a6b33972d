// Checkpoints of a `descend train` run: the model, the optimizer (with its scheduler), the
// shuffling generator's position, the epoch and early stopping's state, in one safetensors file. No Node APIs: the
// caller reads and writes the bytes.
import { checkpointContents, loadCheckpointContents, optimizerState, optimizerTensors, paramNames } from "../io/checkpoint";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors";
import { transposed as transpose, type Module, type StateTensor } from "../nn/module";
import type { BaseHyper, Optimizer } from "../optim/optimizer";
import { decodeState, encodeState } from "../optim/state";
import { Philox, type PhiloxState } from "../random/philox";
import { StateError, ValueError } from "../runtime/errors";
import { decodeNumber } from "../runtime/json-number";
import type { EarlyStoppingState } from "../training/early-stopping";
import { DEFAULT_GROUPS, DEFAULT_TAU } from "./defaults";
import type { ModelStopperState, TrainOptions } from "./train";

/** Where a run's own state lives in the checkpoint's metadata. */
const RUN_KEY = "descend.train";

/** The options that define what a run computes; a resumed run must repeat them. */
const DEFINING = ["dataset", "model", "optimizer", "schedule", "tau", "lr", "batch", "hidden", "norm", "groups", "samples", "seed", "earlyStop"] as const;

/**
 * Defining options the first checkpoints did not record. A checkpoint without one resumes with
 * the flags' value, unchecked, as it did then, except `model`: every run then was an MLP. Any
 * other missing option is a mismatch.
 */
const RECORDED_LATER = ["tau", "groups", "earlyStop"] as const;

/** Reads and writes a run's checkpoint: `resume` the bytes to start from, `save` called after every epoch. */
export interface TrainCheckpoint {
  resume?: Uint8Array;
  save?: (bytes: Uint8Array) => void;
}

/**
 * Where early stopping's best epoch lives among the checkpoint's tensors, f32 in the layout of
 * the live entries: `early_stop.<name>` for each parameter and BatchNorm running statistic
 * (`early_stop.0.weight`, `early_stop.1.running_mean`), `early_stop.optimizer.state.<param
 * name>.<state>` for the optimizer's state.
 */
const BEST = "early_stop.";
const BEST_OPTIMIZER = `${BEST}optimizer.state.`;

/** Early stopping's state in the run's metadata: its scalars; the best epoch's tensors are in the file's body. */
interface SavedEarlyStop {
  stopper: Omit<EarlyStoppingState, "params" | "optimizer">;
  /** The best epoch's optimizer state without its tensors (hyperparameters, groups, schedule); null before the first evaluation. */
  optimizer: unknown;
  batches: number[];
  stoppedAt: number | null;
}

interface RunState {
  epoch: number;
  epochs: number;
  shuffle: PhiloxState;
  options: Record<string, unknown>;
  /**
   * With early stopping: its state after the epoch (best loss, patience used). Checkpoints
   * written before the best epoch's tensors moved into the body hold the whole state here, as JSON.
   */
  earlyStop?: SavedEarlyStop | ModelStopperState;
}

/** The defining options of a run, defaults filled in; null for one that does not apply (tau without the linear schedule). */
function defining(options: TrainOptions): Record<(typeof DEFINING)[number], unknown> {
  const { dataset, optimizer, lr, batch, hidden, samples, seed, model = "mlp", schedule = "constant", norm = "batch" } = options;
  const tau = schedule === "linear" ? (options.tau ?? DEFAULT_TAU) : null;
  const groups = norm === "group" ? (options.groups ?? DEFAULT_GROUPS) : null;
  return { dataset, model, optimizer, schedule, tau, lr, batch, hidden, norm, groups, samples, seed, earlyStop: options.earlyStop ?? 0 };
}

/** The checkpoint after `epoch` epochs of a run of `options` (and its early stopping's state). */
export function saveRun(
  model: Module, optimizer: Optimizer<BaseHyper>, shuffle: Philox, epoch: number, options: TrainOptions, earlyStop?: ModelStopperState,
): Uint8Array {
  const best = earlyStop ? bestEpochTensors(model, optimizer, earlyStop) : { tensors: {}, saved: undefined };
  const run: RunState = { epoch, epochs: options.epochs, shuffle: shuffle.state(), options: defining(options), earlyStop: best.saved };
  const { tensors, metadata } = checkpointContents(model, { optimizer, metadata: { [RUN_KEY]: JSON.stringify(run) } });
  return encodeSafetensors({ ...tensors, ...best.tensors }, metadata);
}

/**
 * Loads a checkpoint of a run with the same defining options into `model` and `optimizer`
 * and returns the epochs it had done, the shuffling generator where it stopped and early
 * stopping's state. A
 * non-constant schedule spans the run's epochs, so resuming one needs the same epochs.
 * Throws ValueError, before loading anything, for options that differ from the saved run's,
 * StateError for a file (or early-stopping tensors) that does not fit.
 */
export function resumeRun(
  bytes: Uint8Array, model: Module, optimizer: Optimizer<BaseHyper>, options: TrainOptions,
): { epoch: number; shuffle: Philox; earlyStop?: ModelStopperState } {
  const run = checkResume(bytes, options);
  const { tensors, metadata } = decodeSafetensors(bytes);
  const [best, rest] = [{} as Record<string, StateTensor>, {} as Record<string, StateTensor>];
  for (const [key, t] of Object.entries(tensors)) (key.startsWith(BEST) ? best : rest)[key] = t;
  const saved = run.earlyStop;
  const inBody = saved !== undefined && !isWholeState(saved);
  const stray = inBody ? undefined : Object.keys(best)[0];
  if (stray !== undefined) throw new StateError(`Cannot resume early stopping: the checkpoint holds '${stray}' but no early-stopping state that uses it`);
  const earlyStop = inBody ? bestEpochState(saved, best, model, optimizer) : saved;
  loadCheckpointContents({ tensors: rest, metadata }, model, { optimizer });
  return { epoch: run.epoch, shuffle: Philox.fromState(run.shuffle), earlyStop };
}

/** Whether a checkpoint's early-stopping state is the whole state in JSON (the layout before its tensors moved into the body). */
function isWholeState(state: SavedEarlyStop | ModelStopperState): state is ModelStopperState {
  return Array.isArray((state as ModelStopperState).running);
}

/** The model's BatchNorm running statistics by name, in the order {@link ModelStopperState} keeps them (the model's). */
function runningStatistics(model: Module): Array<[string, { shape: readonly number[] }]> {
  return model.namedBuffers().filter(([name]) => /(^|\.)running_(mean|var)$/.test(name));
}

/**
 * Early stopping's state split for the checkpoint: its best epoch's parameters, running
 * statistics and optimizer buffers as tensors under `early_stop.`, the rest for the metadata.
 */
function bestEpochTensors(
  model: Module, optimizer: Optimizer<BaseHyper>, state: ModelStopperState,
): { tensors: Record<string, StateTensor>; saved: SavedEarlyStop } {
  const { params, optimizer: bestOptimizer, ...stopper } = state.stopper;
  const tensors: Record<string, StateTensor> = {};
  const transposed = model.transposedKeys();
  const live = optimizer.paramGroups.flatMap((g) => g.params);
  // No parameters before the first evaluation.
  if (params.length > 0) paramNames(model, optimizer).forEach((name, i) => {
    const entry: StateTensor = { dtype: "f32", shape: live[i]!.shape, data: Float32Array.from(params[i]!, (v) => decodeNumber(v)!) };
    tensors[`${BEST}${name}`] = transposed.has(name) ? transpose(entry) : entry;
  });
  runningStatistics(model).forEach(([name, t], i) => {
    tensors[`${BEST}${name}`] = { dtype: "f32", shape: t.shape, data: Float32Array.from(state.running[i]!) };
  });
  let header: unknown = null;
  if (bestOptimizer !== null) {
    const saved = optimizerTensors(decodeState(bestOptimizer, "json"), model, optimizer, BEST_OPTIMIZER);
    Object.assign(tensors, saved.tensors);
    header = saved.header;
  }
  return { tensors, saved: { stopper, optimizer: header, batches: state.batches, stoppedAt: state.stoppedAt } };
}

/**
 * Early stopping's whole state from the metadata's part and the `early_stop.` tensors; StateError
 * for a tensor that is missing, of another dtype or shape, or that nothing uses.
 */
function bestEpochState(
  saved: SavedEarlyStop, tensors: Record<string, StateTensor>, model: Module, optimizer: Optimizer<BaseHyper>,
): ModelStopperState {
  const fail = (why: string) => new StateError(`Cannot resume early stopping: the checkpoint ${why}`);
  if (saved === null || typeof saved !== "object" || saved.stopper === null || typeof saved.stopper !== "object") throw fail("holds a malformed early-stopping state");
  const used = new Set<string>();
  const take = (name: string, shape: readonly number[]): ArrayLike<number> => {
    const key = `${BEST}${name}`;
    const t = tensors[key];
    if (t === undefined) throw fail(`has no tensor '${key}'`);
    if (t.dtype !== "f32" || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw fail(`holds '${key}' as ${t.dtype} [${t.shape.join(", ")}], expected f32 [${shape.join(", ")}]`);
    }
    used.add(key);
    return t.data;
  };
  const hasBest = saved.stopper.bestEvaluation >= 0;
  const transposed = model.transposedKeys();
  const live = optimizer.paramGroups.flatMap((g) => g.params);
  const params = hasBest
    ? paramNames(model, optimizer).map((name, i) => {
        const shape = live[i]!.shape;
        if (!transposed.has(name)) return Array.from(take(name, shape));
        return Array.from(transpose({ dtype: "f32", shape: [...shape].reverse(), data: take(name, [...shape].reverse()) }).data);
      })
    : [];
  const running = runningStatistics(model).map(([name, t]) => Array.from(take(name, t.shape)));
  const bestOptimizer = hasBest ? encodeState(optimizerState(tensors, saved.optimizer, model, optimizer, BEST_OPTIMIZER), "json") : null;
  const stray = Object.keys(tensors).find((key) => !used.has(key) && !(hasBest && key.startsWith(BEST_OPTIMIZER)));
  if (stray !== undefined) throw fail(`holds '${stray}', which no parameter, statistic or optimizer state of the model has`);
  return { stopper: { ...saved.stopper, params, optimizer: bestOptimizer }, running, batches: saved.batches, stoppedAt: saved.stoppedAt };
}

/**
 * The saved run's state, after checking that a run of `options` may resume it: ValueError for
 * options that differ from the saved run's, StateError for a file that is not a checkpoint of
 * descend train.
 */
export function checkResume(bytes: Uint8Array, options: TrainOptions): RunState {
  const run = runState(bytes);
  const now = defining(options);
  const saved: Record<string, unknown> = { ...Object.fromEntries(RECORDED_LATER.map((key) => [key, now[key]])), model: "mlp", ...run.options };
  const differ = DEFINING.filter((key) => saved[key] !== now[key]);
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
