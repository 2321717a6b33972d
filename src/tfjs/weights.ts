// The optimizer state as tfjs weights: `iter`, then `<variable>/<slot>` tensors in tfjs's order
// (all first moments, then all second moments, ...), then descend's extras: each position's
// step count `<variable>/step` and its scalars. Read back from ours or from tfjs's own optimizers.
import * as tf from "@tensorflow/tfjs-core";
import { StateError } from "../index";
import { decodeNumber, encodeNumber, type JsonNumber } from "../runtime/json-number";

/** The state of one position of the gradient list, as descend's stateDict() holds it. */
export interface SavedSlot {
  /** The variable's name: the prefix of its weights. */
  name: string;
  /** The variable's shape; null when no buffer says it (plain SGD). */
  shape: number[] | null;
  step: number;
  /** descend buffer name -> values. */
  buffers: Record<string, JsonNumber[]>;
  scalars: Record<string, JsonNumber>;
}

/** A `{ name, tensor }` pair, as tfjs's optimizers save their weights (tfjs-core does not export the type). */
export type NamedTensor = Awaited<ReturnType<tf.Optimizer["getWeights"]>>[number];

const STEP = "step";

/** The named tensors of `slots`; `slotNames` maps descend buffer names to tfjs suffixes. */
export function savedSlotWeights(slots: readonly SavedSlot[], slotNames: Readonly<Record<string, string>>): NamedTensor[] {
  const weights: NamedTensor[] = [];
  for (const [buffer, suffix] of Object.entries(slotNames)) {
    for (const slot of slots) {
      const values = slot.buffers[buffer];
      if (values) weights.push({ name: `${slot.name}/${suffix}`, tensor: tf.tensor(Float32Array.from(values, (x) => decodeNumber(x)!), slot.shape ?? [values.length]) });
    }
  }
  for (const slot of slots) weights.push({ name: `${slot.name}/${STEP}`, tensor: tf.scalar(slot.step, "int32") });
  for (const slot of slots) {
    for (const [scalar, value] of Object.entries(slot.scalars)) weights.push({ name: `${slot.name}/${scalar}`, tensor: tf.scalar(decodeNumber(value)!) });
  }
  return weights;
}

/**
 * Parses weights from getWeights() (ours, or tfjs's optimizer of the same rule): positions in the
 * order of the step entries, else in the order their names first appear, each with step `iter`.
 * Reads every tensor before it returns; StateError when the list does not fit the rule.
 */
export async function readSavedSlots(
  weights: unknown,
  slotNames: Readonly<Record<string, string>>,
  scalarNames: readonly string[],
): Promise<{ iterations: number; slots: SavedSlot[] }> {
  const fail = (why: string): never => {
    throw new StateError(`Cannot set weights: ${why}`);
  };
  if (!Array.isArray(weights) || weights.length === 0) return fail(`expected a list of { name, tensor } starting with 'iter', got ${String(weights)}`);
  for (const item of weights as unknown[]) {
    const { name, tensor } = (item ?? {}) as { name?: unknown; tensor?: unknown };
    if (typeof name !== "string" || !(tensor instanceof tf.Tensor) || tensor.isDisposed) fail(`${JSON.stringify(name)} is not a { name, tensor } with a live tensor`);
  }
  const [iter, ...rest] = weights as NamedTensor[];
  if (iter!.name !== "iter" || iter!.tensor.size !== 1) fail(`the first weight is '${iter!.name}', expected the scalar 'iter'`);
  const iterations = (await iter!.tensor.data())[0]!;
  if (!Number.isInteger(iterations) || iterations < 0) fail(`iter is ${iterations}`);
  const bufferOf = new Map(Object.entries(slotNames).map(([buffer, suffix]) => [suffix, buffer]));

  const slots = new Map<string, SavedSlot>();
  const slotOf = (name: string): SavedSlot => {
    if (!slots.has(name)) slots.set(name, { name, shape: null, step: iterations, buffers: {}, scalars: {} });
    return slots.get(name)!;
  };
  const stepOrder: string[] = [];
  const seen = new Set<string>();
  for (const { name, tensor } of rest) {
    if (seen.has(name)) fail(`'${name}' appears twice`);
    seen.add(name);
    const cut = name.lastIndexOf("/");
    const [prefix, suffix] = [name.slice(0, cut), name.slice(cut + 1)];
    const values = Array.from(await tensor.data(), encodeNumber);
    const slot = slotOf(prefix);
    if (suffix === STEP) {
      const step = values[0];
      if (tensor.size !== 1 || typeof step !== "number" || !Number.isInteger(step) || step < 0) fail(`'${name}' is not a step count`);
      slot.step = step as number;
      stepOrder.push(prefix);
    } else if (bufferOf.has(suffix)) {
      if (slot.shape && !tf.util.arraysEqual(slot.shape, tensor.shape)) fail(`'${name}' has shape [${tensor.shape}], other weights of '${prefix}' [${slot.shape}]`);
      slot.shape = tensor.shape;
      slot.buffers[bufferOf.get(suffix)!] = values;
    } else if (scalarNames.includes(suffix)) {
      if (tensor.size !== 1) fail(`'${name}' is not a scalar`);
      slot.scalars[suffix] = values[0]!;
    } else {
      fail(`'${name}': this rule has no weight '${suffix}' (expected ${[...bufferOf.keys(), STEP, ...scalarNames].map((s) => `'${s}'`).join(", ")})`);
    }
  }
  if (stepOrder.length === 0) return { iterations, slots: [...slots.values()] };
  const unstepped = [...slots.keys()].filter((name) => !stepOrder.includes(name));
  if (unstepped.length) fail(`'${unstepped[0]}' has weights but no '${unstepped[0]}/${STEP}'`);
  return { iterations, slots: stepOrder.map((name) => slots.get(name)!) };
}
