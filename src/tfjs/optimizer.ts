import * as tf from "@tensorflow/tfjs-core";
import {
  DisposedError, ShapeError, StateError, ValueError, initSync,
  type BaseHyper, type Optimizer, type Param, type Runtime, type StateDict,
} from "../index";
import { RULES, RULE_NAMES, createRule, type RuleName, type RuleOptions } from "./rules";
import { readSavedSlots, savedSlotWeights, type NamedTensor, type SavedSlot } from "./weights";

/** Options of every adapter, beside the rule's own. */
export interface TfjsAdapterOptions {
  /**
   * The descend runtime whose memory holds the copies of the variables, their gradients and
   * the optimizer state. Several optimizers may share one; it stays the caller's.
   * @defaultValue a runtime of its own, made with `initSync()` and released by `dispose()`
   */
  runtime?: Runtime;
}

/** What a factory takes: the rule's descend options (names as in descend) and the adapter's. */
export type TfjsOptimizerOptions<R extends RuleName> = RuleOptions<R> & TfjsAdapterOptions;

/** One position of the gradient list: a copy of its variable in descend's memory. */
interface Slot {
  /** The variable's name when the slot was made (or as saved): the prefix of its weights' names. */
  name: string;
  shape: number[];
  param: Param;
  /** The variable's data id when this optimizer last wrote it: unchanged, the copy is current. */
  written: object | null;
}

/** A gradient of the current call, checked. */
interface Entry {
  variable: tf.Variable;
  gradient: tf.Tensor | null;
}

/**
 * A `tf.Optimizer` whose update runs in descend's fused kernels: `model.compile({ optimizer })`,
 * `model.fit`, `minimize`, `getWeights`/`setWeights` and model serialization work as with
 * tfjs's own optimizers. Make one with a factory ({@link descendAdam}, {@link descendSGD}, ...).
 *
 * Each step copies every gradient into wasm memory and every updated variable back into a new
 * tfjs tensor (`dataSync()` in, `tf.tensor()` + `assign` out); a variable's values are read
 * again only when something else assigned it since this optimizer's last write. As tfjs's own
 * optimizers, state belongs to positions in the gradient list (the i-th variable), so a model
 * reloaded under new variable names resumes from `setWeights`.
 */
export class DescendOptimizer<R extends RuleName = RuleName> extends tf.Optimizer {
  /** The name tfjs serializes this class under (model.save, tf.serialization). */
  static get className(): string {
    return "DescendOptimizer";
  }

  /** The descend update rule ('Adam', 'SGD', ...). */
  readonly rule: R;
  /**
   * The descend optimizer that runs the updates: its hyperparameters (`lr`, `paramGroups[0]`)
   * may be changed between steps, and descend schedulers attached to it.
   */
  readonly descend: Optimizer<BaseHyper>;
  private readonly options: RuleOptions<R>;
  private readonly runtime: Runtime;
  private readonly ownsRuntime: boolean;
  private slots: Slot[] = [];
  /** State from setWeights() for slots that have no copy yet, by position; applied at their first step. */
  private pending = new Map<number, SavedSlot>();
  private isDisposed = false;

  /**
   * @throws ValueError when `rule` is not a descend rule, an option is unknown or out of range, or `runtime` is not a live runtime.
   * @throws BackendError when no runtime is given and the engine cannot run descend's wasm (see `initSync`).
   */
  constructor(rule: R, options: TfjsOptimizerOptions<R> = {} as TfjsOptimizerOptions<R>) {
    super();
    if (!RULE_NAMES.includes(rule)) throw new ValueError(`Unknown rule: ${String(rule)} (expected ${RULE_NAMES.map((r) => `'${r}'`).join(", ")})`);
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new ValueError(`Invalid options: ${String(options)} (expected an object)`);
    }
    const { runtime, ...ruleOptions } = options;
    this.rule = rule;
    this.options = ruleOptions as RuleOptions<R>;
    this.ownsRuntime = runtime === undefined;
    this.runtime = runtime ?? initSync();
    try {
      this.descend = createRule(rule, this.runtime, ruleOptions);
    } catch (error) {
      if (this.ownsRuntime) this.runtime.dispose();
      throw error;
    }
  }

  /**
   * Updates the variables named in `variableGradients` (a map from variable name to gradient,
   * or a list of `{ name, tensor }`) by one step of the rule; null gradients are skipped.
   * @throws ValueError when the argument is not such a map or list, a name is not a registered float32 variable or appears twice, or a gradient is not a float32 tensor.
   * @throws ShapeError when a gradient's shape differs from its variable's, or a variable's size from the one its position had.
   * @throws DisposedError after dispose(), or when a gradient was disposed.
   * @throws StateError when weights given to setWeights() do not fit the variables.
   * @throws NonFiniteError when the rule's `nonFinite: 'error'` finds NaN or Infinity (nothing changes).
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.assertLive("applyGradients()");
    const entries = readEntries(variableGradients);
    this.makeSlots(entries);
    this.restorePending(entries.length);
    const stepping = entries.flatMap((entry, i) => (entry.gradient === null ? [] : [{ ...entry, gradient: entry.gradient, slot: this.slots[i]! }]));
    for (const { variable, gradient, slot } of stepping) {
      if (variable.dataId !== slot.written) slot.param.data.set(variable.dataSync());
      slot.param.grad.data.set(gradient.dataSync());
    }
    const group = this.descend.paramGroups[0]!;
    group.params = stepping.map(({ slot }) => slot.param);
    const { skipped } = this.descend.step();
    if (!skipped) {
      tf.tidy(() => {
        for (const { variable, slot } of stepping) {
          variable.assign(tf.tensor(slot.param.data.slice(), variable.shape, "float32"));
          slot.written = variable.dataId;
        }
      });
    }
    this.incrementIterations();
  }

  /**
   * The iteration count (`iter`) and the state of every position: its buffers named
   * `<variable>/<slot>` as tfjs names them (`m`, `v` for Adam, `momentum`, `rms`, ...), its
   * step count `<variable>/step` and its scalars.
   * @throws DisposedError after dispose().
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.assertLive("getWeights()");
    return [await this.saveIterations(), ...savedSlotWeights(this.savedSlots(), RULES[this.rule].slots)];
  }

  /**
   * Restores weights from getWeights() (or from tfjs's own optimizer of the same rule, whose
   * positions then all take the step count `iter`). Positions that already have state keep
   * nothing of it; the values are applied at each position's next step.
   * @throws StateError, changing nothing, when the list does not start with `iter` or holds a weight this rule does not have.
   * @throws DisposedError after dispose().
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.assertLive("setWeights()");
    const { iterations, slots } = await readSavedSlots(weightValues, RULES[this.rule].slots, RULES[this.rule].scalars);
    this.assertLive("setWeights()");
    this.pending = new Map(slots.map((slot, i) => [i, slot]));
    // Positions that have a copy lose their state now and take the saved one at their next step.
    this.descend.paramGroups[0]!.params = this.slots.map((slot) => slot.param);
    this.descend.loadStateDict({ ...this.descend.stateDict(), state: {} });
    this.iterations_ = iterations;
  }

  /** The rule and the options it was made with (not the runtime): what `fromConfig` needs. */
  getConfig(): tf.serialization.ConfigDict {
    return { rule: this.rule, ...(this.options as tf.serialization.ConfigDict) };
  }

  /**
   * Makes the optimizer a config describes (tfjs calls this when it loads a saved model, and
   * adds the `customObjects` it resolved, which the optimizer does not need).
   * @throws ValueError when the config names no descend rule or holds options the rule rejects.
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { rule, customObjects: _resolved, ...options } = config;
    return new (cls as unknown as typeof DescendOptimizer)(rule as RuleName, options) as unknown as T;
  }

  /** Frees the copies, the optimizer state and, when the optimizer made it, the runtime. Idempotent. */
  override dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.descend.dispose();
    for (const slot of this.slots) slot.param.dispose();
    this.slots = [];
    if (this.ownsRuntime) this.runtime.dispose();
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  private assertLive(call: string): void {
    if (this.isDisposed) throw new DisposedError(`DescendOptimizer(${this.rule}).${call} after dispose()`);
  }

  /** Gives every position of `entries` a copy; sizes are checked before any is made. */
  private makeSlots(entries: readonly Entry[]): void {
    entries.forEach(({ variable }, i) => {
      const slot = this.slots[i];
      if (slot && slot.param.length !== variable.size) {
        throw new ShapeError(`Variable '${variable.name}' has ${variable.size} values; position ${i} of this optimizer holds ${slot.param.length} ('${slot.name}')`);
      }
    });
    for (let i = this.slots.length; i < entries.length; i += 1) {
      const { variable } = entries[i]!;
      this.slots.push({ name: variable.name, shape: [...variable.shape], param: this.runtime.keep(this.runtime.param([variable.size])), written: null });
    }
  }

  /** Loads the state setWeights() left for positions that now have a copy (all or nothing). */
  private restorePending(count: number): void {
    const ready = [...this.pending].filter(([i]) => i < count);
    if (ready.length === 0) return;
    const group = this.descend.paramGroups[0]!;
    group.params = this.slots.map((slot) => slot.param);
    const current = this.descend.stateDict();
    const state: StateDict["state"] = { ...current.state };
    for (const [i, saved] of ready) {
      const slot = this.slots[i]!;
      if (saved.shape && !tf.util.arraysEqual(saved.shape, slot.shape)) {
        throw new StateError(`Cannot load weights: '${saved.name}' has shape [${saved.shape.join(", ")}], position ${i} holds '${slot.name}' of shape [${slot.shape.join(", ")}]`);
      }
      const fresh = saved.step === 0 && Object.keys(saved.buffers).length === 0;
      if (!fresh) state[i] = { step: saved.step, dtype: "f32", length: slot.param.length, buffers: saved.buffers, scalars: saved.scalars };
    }
    this.descend.loadStateDict({ ...current, state });
    for (const [i, { name }] of ready) {
      this.slots[i]!.name = name;
      this.pending.delete(i);
    }
  }

  /** Every position's state, from the descend optimizer or still pending from setWeights(). */
  private savedSlots(): SavedSlot[] {
    this.descend.paramGroups[0]!.params = this.slots.map((slot) => slot.param);
    const { state } = this.descend.stateDict();
    const count = Math.max(this.slots.length, ...[...this.pending.keys()].map((i) => i + 1));
    return Array.from({ length: count }, (_, i) => {
      const pending = this.pending.get(i);
      if (pending) return pending;
      const slot = this.slots[i]!;
      const s = state[i];
      return { name: slot.name, shape: slot.shape, step: s?.step ?? 0, buffers: s?.buffers ?? {}, scalars: s?.scalars ?? {} };
    });
  }
}

/** Checks the gradient map or list of one applyGradients() call, in order. */
function readEntries(variableGradients: tf.NamedTensorMap | NamedTensor[]): Entry[] {
  if (typeof variableGradients !== "object" || variableGradients === null) {
    throw new ValueError(`Invalid gradients: ${String(variableGradients)} (expected a map from variable names to tensors, or a list of { name, tensor })`);
  }
  const pairs: Array<[unknown, unknown]> = Array.isArray(variableGradients)
    ? variableGradients.map((item) => [item?.name, item?.tensor])
    : Object.entries(variableGradients);
  const seen = new Set<string>();
  return pairs.map(([name, gradient]) => {
    if (typeof name !== "string") throw new ValueError(`Invalid gradient entry: name ${String(name)} (expected a variable name)`);
    const variable = tf.engine().registeredVariables[name];
    if (!variable) throw new ValueError(`Invalid gradient for '${name}': no live variable has this name`);
    if (seen.has(name)) throw new ValueError(`Invalid gradients: '${name}' appears more than once`);
    seen.add(name);
    if (variable.dtype !== "float32") throw new ValueError(`Invalid variable '${name}': dtype ${variable.dtype} (expected float32)`);
    if (gradient === null || gradient === undefined) return { variable, gradient: null };
    if (!(gradient instanceof tf.Tensor)) throw new ValueError(`Invalid gradient for '${name}': ${String(gradient)} (expected a tf.Tensor)`);
    if (gradient.isDisposed) throw new DisposedError(`The gradient of '${name}' was used after dispose()`);
    if (gradient.dtype !== "float32") throw new ValueError(`Invalid gradient for '${name}': dtype ${gradient.dtype} (expected float32)`);
    if (!tf.util.arraysEqual(gradient.shape, variable.shape)) {
      throw new ShapeError(`The gradient of '${name}' has shape [${gradient.shape.join(", ")}], the variable [${variable.shape.join(", ")}]`);
    }
    return { variable, gradient };
  });
}

tf.serialization.registerClass(DescendOptimizer);
