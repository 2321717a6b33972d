import { StateError, ValueError } from "../runtime/errors";
import { Param } from "../runtime/tensor";
import { checkOptions, optionNames } from "../runtime/validate";
import { Module, transposed as transpose, type StateTensor } from "../nn/module";
import type { BaseHyper, Optimizer } from "../optim/optimizer";
import { decodeState, encodeState, type SavedParamState, type Snapshot } from "../optim/state";
import { decodeSafetensors, encodeSafetensors, type Safetensors } from "./safetensors";

/** What a checkpoint holds besides the model: the optimizer whose state it saves, and strings of your own. */
export interface CheckpointOptions {
  /**
   * Its per-parameter state is saved as tensors `optimizer.state.<param name>.<buffer>`, its
   * hyperparameters and attached state (schedulers, averages) in the metadata.
   * @defaultValue none: the model only
   */
  optimizer?: Optimizer<BaseHyper>;
  /**
   * Strings saved in the file's `__metadata__` (keys starting with 'descend.' are descend's).
   * @defaultValue {}
   */
  metadata?: Record<string, string>;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** The optimizer to restore; the file must then hold optimizer state. @defaultValue none: the model only, optimizer entries ignored */
  optimizer?: Optimizer<BaseHyper>;
  /** What a NaN or infinity in the model's tensors does (see Module.loadStateDict). @defaultValue 'error' */
  nonFinite?: "error" | "allow";
}

const SAVE_OPTIONS = optionNames<CheckpointOptions>({ optimizer: true, metadata: true });
const LOAD_OPTIONS = optionNames<LoadCheckpointOptions>({ optimizer: true, nonFinite: true });

/** Where the optimizer's tensors live in a checkpoint. */
const PREFIX = "optimizer.state.";
const OPTIMIZER_KEY = "descend.optimizer";

/** PyTorch's names for descend's optimizer buffers and scalars, by optimizer (torch.optim's state keys). */
const TORCH_NAMES: Record<string, Record<string, string>> = {
  SGD: { momentum: "momentum_buffer" },
  Adam: { s: "exp_avg", r: "exp_avg_sq", rmax: "max_exp_avg_sq" },
  AdamW: { s: "exp_avg", r: "exp_avg_sq", rmax: "max_exp_avg_sq" },
  NAdam: { s: "exp_avg", r: "exp_avg_sq", muProduct: "mu_product" },
  Adamax: { m: "exp_avg", u: "exp_inf" },
  AdaGrad: { r: "sum" },
  RMSProp: { r: "square_avg", ga: "grad_avg", momentum: "momentum_buffer" },
  AdaDelta: { eg: "square_avg", edx: "acc_delta" },
};

/**
 * A checkpoint of `model` (and of `options.optimizer`) as a safetensors file PyTorch reads:
 * the model's state dict in PyTorch's layout and names (`0.weight` as [out, in],
 * `1.running_mean`), and the optimizer's state as `optimizer.state.<param name>.<name>` with
 * torch.optim's names (`exp_avg`, `exp_avg_sq`, `step`), in the layout of its parameter.
 * @throws ValueError for a model that is not a Module, bad options, or an optimizer with a parameter the model does not have.
 * @throws DisposedError once the model, the optimizer or one of their tensors was disposed.
 */
export function saveCheckpoint(model: Module, options: CheckpointOptions = {}): Uint8Array {
  const { tensors, metadata } = checkpointContents(model, options);
  return encodeSafetensors(tensors, metadata);
}

/** The tensors and metadata {@link saveCheckpoint} encodes, for a caller that adds entries of its own. */
export function checkpointContents(model: Module, options: CheckpointOptions = {}): Safetensors {
  if (!(model instanceof Module)) throw new ValueError(`Invalid model: ${String(model)} (expected a Module)`);
  const { optimizer, metadata = {} } = checkOptions(options, { of: "saveCheckpoint", known: SAVE_OPTIONS });
  const tensors: Record<string, StateTensor> = { ...model.stateDict({ layout: "pytorch" }) };
  const meta: Record<string, string> = { ...metadata, format: "pt" };
  if (optimizer !== undefined) {
    const saved = optimizerTensors(decodeState(optimizer.stateBytes(), "binary"), model, optimizer);
    Object.assign(tensors, saved.tensors);
    meta[OPTIMIZER_KEY] = JSON.stringify(saved.header);
  }
  return { tensors, metadata: meta };
}

/**
 * An optimizer state (`snapshot`, of `optimizer`'s class and parameters, not necessarily its
 * current one) as checkpoint tensors `<prefix><param name>.<torch name>` in PyTorch's layout,
 * and the rest of it (hyperparameters, groups, attached state) as a JSON-safe header.
 * @throws ValueError for an optimizer with a parameter the model does not have.
 */
export function optimizerTensors(
  snapshot: Snapshot, model: Module, optimizer: Optimizer<BaseHyper>, prefix = PREFIX,
): { tensors: Record<string, StateTensor>; header: unknown } {
  const names = paramNames(model, optimizer);
  const params = optimizer.paramGroups.flatMap((g) => g.params);
  const transposed = model.transposedKeys();
  const torch = TORCH_NAMES[snapshot.optimizer] ?? {};
  const tensors: Record<string, StateTensor> = {};
  for (const [index, s] of Object.entries(snapshot.state)) {
    const name = names[Number(index)]!;
    const key = (local: string) => `${prefix}${name}.${torch[local] ?? local}`;
    tensors[key("step")] = { dtype: "f32", shape: [], data: [s.step] };
    for (const [buffer, data] of Object.entries(s.buffers)) {
      const entry = { dtype: s.dtype, shape: params[Number(index)]!.shape, data };
      tensors[key(buffer)] = transposed.has(name) ? transpose(entry) : entry;
    }
    for (const [scalar, value] of Object.entries(s.scalars)) tensors[key(scalar)] = { dtype: "f64", shape: [], data: [value] };
  }
  const { state: _buffers, ...header } = encodeState({ ...snapshot, state: {} }, "json");
  return { tensors, header };
}

/**
 * Loads a checkpoint into `model` (and `options.optimizer`), all or nothing: the file, every
 * model entry (names, shapes in PyTorch's layout, dtypes, finite values) and the optimizer's
 * whole state are checked before anything is written. A file PyTorch wrote with
 * `safetensors.torch.save_file(model.state_dict(), ...)` loads into the same architecture.
 * Returns the file's metadata.
 * @throws StateError for a malformed file, or one that does not fit the model or the optimizer (naming the key).
 * @throws NonFiniteError for a NaN or infinity in the model's tensors, with nonFinite 'error'.
 * @throws ValueError for a model that is not a Module, bad options or bytes that are not a Uint8Array.
 * @throws DisposedError once the model, the optimizer or one of their tensors was disposed.
 */
export function loadCheckpoint(bytes: Uint8Array, model: Module, options: LoadCheckpointOptions = {}): Record<string, string> {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`Invalid bytes: ${String(bytes)} (expected a Uint8Array)`);
  const checked = checkLoad(model, options);
  return restoreContents(decodeSafetensors(bytes), model, checked);
}

/** {@link loadCheckpoint} of a file already decoded (by a caller that took entries of its own out of it). */
export function loadCheckpointContents(contents: Safetensors, model: Module, options: LoadCheckpointOptions = {}): Record<string, string> {
  return restoreContents(contents, model, checkLoad(model, options));
}

function checkLoad(model: Module, options: LoadCheckpointOptions): LoadCheckpointOptions {
  if (!(model instanceof Module)) throw new ValueError(`Invalid model: ${String(model)} (expected a Module)`);
  const checked = checkOptions(options, { of: "loadCheckpoint", known: LOAD_OPTIONS });
  if (checked.optimizer !== undefined) paramNames(model, checked.optimizer);
  return checked;
}

function restoreContents({ tensors, metadata }: Safetensors, model: Module, { optimizer, nonFinite }: LoadCheckpointOptions): Record<string, string> {
  const modelState = Object.fromEntries(Object.entries(tensors).filter(([key]) => !key.startsWith(PREFIX)));
  const commitModel = model.prepareLoad(modelState, { layout: "pytorch", nonFinite });
  if (optimizer !== undefined) {
    let header: unknown;
    try {
      header = JSON.parse(metadata[OPTIMIZER_KEY] ?? "null");
    } catch {
      throw new StateError(`Cannot load checkpoint: ${OPTIMIZER_KEY} is not JSON`);
    }
    optimizer.loadStateBytes(encodeState(optimizerState(tensors, header, model, optimizer), "binary"));
  }
  commitModel();
  return metadata;
}

/** The names of the optimizer's parameters in the model, in the optimizer's order. */
export function paramNames(model: Module, optimizer: Optimizer<BaseHyper>): string[] {
  const byParam = new Map<Param, string>(model.namedParameters().map(([name, p]) => [p, name]));
  if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups)) {
    throw new ValueError(`Invalid optimizer: ${String(optimizer)} (expected an Optimizer)`);
  }
  return optimizer.paramGroups.flatMap((g) => g.params).map((p) => {
    const name = byParam.get(p);
    if (name === undefined) throw new ValueError(`Invalid optimizer: it updates ${p instanceof Param ? p.describe() : String(p)}, which is not a parameter of the model`);
    return name;
  });
}

/**
 * An optimizer state of `optimizer`'s class and parameters rebuilt from checkpoint tensors under
 * `prefix` and the `header` {@link optimizerTensors} made; StateError when they do not fit (any
 * tensor under `prefix` that no parameter's state claims included). Nothing is loaded.
 * @throws ValueError for an optimizer with a parameter the model does not have.
 */
export function optimizerState(
  tensors: Record<string, StateTensor>, header: unknown, model: Module, optimizer: Optimizer<BaseHyper>, prefix = PREFIX,
): Snapshot {
  const fail = (why: string): never => {
    throw new StateError(`Cannot load checkpoint: ${why}`);
  };
  const names = paramNames(model, optimizer);
  const transposed = model.transposedKeys();
  if (header === null || typeof header !== "object") return fail("it holds no optimizer state");
  // The optimizer's own decoder checks the format, version and hyperparameters.
  const snapshot = decodeState({ ...header, state: {} }, "json");
  const fromTorch = Object.fromEntries(Object.entries(TORCH_NAMES[optimizer.name] ?? {}).map(([ours, theirs]) => [theirs, ours]));
  const params = optimizer.paramGroups.flatMap((g) => g.params);
  const state: Snapshot["state"] = {};
  const used = new Set<string>();
  names.forEach((name, index) => {
    const own = `${prefix}${name}.`;
    const keys = Object.keys(tensors).filter((key) => key.startsWith(own) && !key.slice(own.length).includes("."));
    if (keys.length === 0) return;
    const param = params[index]!;
    const entry: SavedParamState = { step: -1, dtype: param.dtype, length: param.length, buffers: {}, scalars: {} };
    for (const key of keys) {
      used.add(key);
      const local = key.slice(own.length);
      const t = tensors[key]!;
      if (local === "step") {
        if (t.data.length !== 1) fail(`'${key}' is not a scalar`);
        entry.step = t.data[0]!;
      } else if (t.shape.length === 0) {
        entry.scalars[fromTorch[local] ?? local] = t.data[0]!;
      } else {
        if (t.dtype !== param.dtype) fail(`'${key}' has dtype ${t.dtype}, its parameter ${param.dtype}`);
        const expected = transposed.has(name) ? [...param.shape].reverse() : param.shape;
        if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) fail(`'${key}' has shape [${t.shape.join(", ")}], expected [${expected.join(", ")}]`);
        entry.buffers[fromTorch[local] ?? local] = (transposed.has(name) ? transpose(t) : t).data;
      }
    }
    state[String(index)] = entry;
  });
  const stray = Object.keys(tensors).find((key) => key.startsWith(prefix) && !used.has(key));
  if (stray !== undefined) fail(`unexpected key '${stray}' (no parameter of the optimizer has that state)`);
  return { ...snapshot, state };
}
