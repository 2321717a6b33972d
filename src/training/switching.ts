import { DisposedError, StateError, ValueError } from "../runtime/errors";
import type { Param } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { openState, stateNumber } from "../schedules/state";

/** What {@link SwitchingOptimizer} needs of each optimizer (every descend optimizer has it). */
export interface Switchable {
  /** The parameter groups; both optimizers must hold the same params in the same order. */
  readonly paramGroups: Array<{
    /** The parameters of this group. */
    params: Param[];
    /** The group's learning rate, which `SwitchingOptimizer.lr` reads and sets. */
    lr: number;
  }>;
  /** One update of the parameters from their gradients. */
  step(): unknown;
  /** Zeroes the gradients of every parameter. */
  zeroGrad(): void;
  /** The optimizer's state, saved inside the SwitchingOptimizer's. */
  stateDict(): unknown;
  /** Puts a state from stateDict() back; throws StateError (changing nothing) when it does not fit. */
  loadStateDict(state: unknown): void;
  /** Frees what the optimizer holds; the SwitchingOptimizer calls it from its own dispose(). */
  dispose(): void;
}

/** Options of {@link SwitchingOptimizer}: when to switch (exactly one of `at` and `when`). */
export interface SwitchingOptions {
  /**
   * Switch after this many steps of the first optimizer: steps 1..at are the first's, the rest the
   * second's (an integer >= 0).
   * @defaultValue undefined (use `when`)
   */
  at?: number;
  /**
   * Asked before each step while the first optimizer is active, with the steps taken so far;
   * true switches before that step, for good. E.g. a criterion on the validation loss.
   * @defaultValue undefined (use `at`)
   */
  when?: (step: number) => boolean;
}

/** The saved form of a {@link SwitchingOptimizer}: JSON-safe. */
export interface SwitchingState {
  /** Always 'SwitchingOptimizer': which rule the state belongs to. */
  kind: "SwitchingOptimizer";
  /** Format version of the saved state (1). */
  version: number;
  /** Steps taken, by either optimizer. */
  step: number;
  /** Which optimizer takes the next step. */
  active: "first" | "second";
  /** The step count at which the switch happened (null before it). */
  switchedAt: number | null;
  /** The first optimizer's stateDict(). */
  first: unknown;
  /** The second optimizer's stateDict(). */
  second: unknown;
}

const KIND = "SwitchingOptimizer";
const VERSION = 1;
const KNOWN = optionNames<SwitchingOptions>({ at: true, when: true });

/**
 * One optimizer early, another later, over the same parameters: Adam's fast start, then SGD's
 * better generalization (Keskar & Socher 2017, "Improving generalization performance by switching
 * from Adam to SGD", SWATS). step() runs the active optimizer; the switch happens once, after `at`
 * steps or when `when(step)` first returns true, and the parameters are simply handed on: they are
 * the same tensors, so the second optimizer starts from wherever the first left them, with its own
 * state fresh (or as loaded). The first optimizer's state stays as it was at the switch.
 *
 * paramGroups, lr, step(), zeroGrad() act on the active optimizer, so EarlyStopping and
 * lrRangeTest take a SwitchingOptimizer as they take any optimizer. stateDict() holds the step
 * count, which optimizer is active, the switch step and both optimizers' states; a run saved and
 * loaded mid-way (before or after the switch) continues bit for bit.
 *
 * It owns both optimizers: dispose() disposes them.
 *
 * @example
 * const opt = new SwitchingOptimizer(new Adam(rt, params, { lr: 1e-3 }), new SGD(rt, params, { lr: 0.05, momentum: 0.9 }), { at: 1000 });
 */
export class SwitchingOptimizer {
  private taken = 0;
  private switched: number | null = null;
  private released = false;
  private readonly at: number | undefined;
  private readonly when: ((step: number) => boolean) | undefined;

  /**
   * @param first - The optimizer that takes the early steps (e.g. Adam).
   * @param second - The optimizer that takes over after the switch (e.g. SGD), over the same params.
   * @throws {ValueError} when either is not an optimizer, they do not hold the same parameters in
   *   the same order, they are the same object, or the options do not give exactly one of `at`
   *   (an integer >= 0) and `when` (a function).
   */
  constructor(
    /** The optimizer that takes the steps before the switch. */
    readonly first: Switchable,
    /** The optimizer that takes the steps after the switch. */
    readonly second: Switchable,
    options: SwitchingOptions,
  ) {
    const params = paramsOf("first", first);
    const others = paramsOf("second", second);
    if (first === second) throw new ValueError("Invalid second: it is the first optimizer (expected another optimizer over the same params)");
    if (others.length !== params.length || others.some((p, i) => p !== params[i])) {
      throw new ValueError("Invalid second: it must hold the same params as the first, in the same order");
    }
    checkOptions(options, { required: true, of: KIND, known: KNOWN });
    if ((options.at === undefined) === (options.when === undefined)) throw new ValueError("Invalid options: give exactly one of at and when");
    this.at = options.at === undefined ? undefined : checkNumber("at", options.at, { min: 0, integer: true });
    if (options.when !== undefined && typeof options.when !== "function") throw new ValueError(`Invalid when: ${String(options.when)} (expected a function)`);
    this.when = options.when;
  }

  /**
   * The optimizer that takes the next step.
   * @throws {DisposedError} after dispose().
   */
  get active(): Switchable {
    this.assertLive();
    return this.switched === null ? this.first : this.second;
  }
  /** Steps taken so far, by either optimizer. */
  get steps(): number {
    return this.taken;
  }
  /** The step count at which the second optimizer took over; null before. */
  get switchedAt(): number | null {
    return this.switched;
  }
  /**
   * The active optimizer's param groups.
   * @throws {DisposedError} after dispose().
   */
  get paramGroups(): Array<{
    /** The parameters of this group (the same for both optimizers). */
    params: Param[];
    /** The active optimizer's learning rate for this group. */
    lr: number;
  }> {
    return this.active.paramGroups;
  }
  /**
   * The active optimizer's learning rate (of its first group); setting it sets every group's.
   * @throws {ValueError} when set to a negative or non-finite value.
   * @throws {DisposedError} after dispose().
   */
  get lr(): number {
    return this.active.paramGroups[0]!.lr;
  }
  /** Sets every group's learning rate of the active optimizer. */
  set lr(value: number) {
    const active = this.active;
    checkNumber("lr", value, { min: 0 });
    for (const group of active.paramGroups) group.lr = value;
  }

  /**
   * Switches if it is time (`at` steps taken, or `when(step)` true), then steps the active
   * optimizer; returns what that step() returned.
   * @throws {DisposedError} after dispose(); whatever `when` or the optimizer's step() throws (then nothing has switched or stepped).
   */
  step(): unknown {
    this.assertLive();
    if (this.switched === null && (this.at !== undefined ? this.taken >= this.at : this.when!(this.taken) === true)) this.switched = this.taken;
    const result = this.active.step();
    this.taken += 1;
    return result;
  }

  /**
   * Zeroes the gradients (shared by both optimizers).
   * @throws {DisposedError} after dispose().
   */
  zeroGrad(): void {
    this.active.zeroGrad();
  }

  /**
   * The whole state: steps, the active optimizer, the switch step and both optimizers' states.
   * @throws {DisposedError} after dispose().
   */
  stateDict(): SwitchingState {
    this.assertLive();
    return {
      kind: KIND,
      version: VERSION,
      step: this.taken,
      active: this.switched === null ? "first" : "second",
      switchedAt: this.switched,
      first: this.first.stateDict(),
      second: this.second.stateDict(),
    };
  }

  /**
   * Restores a state from stateDict(). All or nothing: the fields are checked, then the first
   * optimizer's state is loaded and, if the second's is refused, put back.
   * @throws {StateError} for a malformed state, another version, or an optimizer state that does not fit (nothing changed).
   * @throws {DisposedError} after dispose().
   */
  loadStateDict(state: unknown): void {
    this.assertLive();
    const record = openState(state, KIND, VERSION);
    const steps = stateNumber(record, KIND, "step", (v) => Number.isInteger(v) && v >= 0, "an integer >= 0");
    const active = record.active;
    if (active !== "first" && active !== "second") throw new StateError(`Invalid ${KIND} state: active is ${String(active)} (expected 'first' or 'second')`);
    const switchedAt = record.switchedAt;
    const consistent = active === "first"
      ? switchedAt === null
      : typeof switchedAt === "number" && Number.isInteger(switchedAt) && switchedAt >= 0 && switchedAt <= steps;
    if (!consistent) throw new StateError(`Invalid ${KIND} state: switchedAt is ${String(switchedAt)} with active '${active}'`);
    const before = this.first.stateDict();
    loadInto("first", this.first, record.first);
    try {
      loadInto("second", this.second, record.second);
    } catch (error) {
      this.first.loadStateDict(before);
      throw error;
    }
    this.taken = steps;
    this.switched = switchedAt as number | null;
  }

  /**
   * Disposes both optimizers; any later call throws DisposedError.
   * @throws {DisposedError} when already disposed.
   */
  dispose(): void {
    this.assertLive();
    this.released = true;
    this.first.dispose();
    this.second.dispose();
  }

  /** Whether dispose() has run. */
  get disposed(): boolean {
    return this.released;
  }

  private assertLive(): void {
    if (this.released) throw new DisposedError("SwitchingOptimizer was used after dispose()");
  }
}

/** Loads `state` into one of the optimizers, naming it in the StateError. */
function loadInto(which: string, optimizer: Switchable, state: unknown): void {
  try {
    optimizer.loadStateDict(state);
  } catch (error) {
    if (error instanceof StateError) throw new StateError(`Invalid ${KIND} state: ${which}: ${error.message}`);
    throw error;
  }
}

/** The optimizer's params (ValueError for something that is not an optimizer or has none). */
function paramsOf(name: string, optimizer: Switchable): Param[] {
  if (
    optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups) ||
    ["step", "zeroGrad", "stateDict", "loadStateDict", "dispose"].some((m) => typeof (optimizer as unknown as Record<string, unknown>)[m] !== "function")
  ) {
    throw new ValueError(`Invalid ${name}: ${String(optimizer)} (expected an optimizer)`);
  }
  const params = optimizer.paramGroups.flatMap((group) => [...group.params]);
  if (params.length === 0) throw new ValueError(`Invalid ${name}: it has no parameters`);
  return params;
}
