import { DisposedError, StateError, ValueError } from "../runtime/errors";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import type { Schedule } from "./schedule";
import {
  attachTo,
  detachFrom,
  decodeNumber,
  encodeNumber,
  isStep,
  openState,
  stateNumber,
  stateNumbers,
  type Attachable,
  type JsonNumber,
  type NumericKeys,
  type Stateful,
} from "./state";

/** For each driven hyperparameter, one schedule for every group or one per group. */
export type ScheduleBindings<G> = { [K in NumericKeys<G>]?: Schedule | readonly Schedule[] };

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /**
   * Key under which the optimizer saves this scheduler's state (see attachState); default 'scheduler'.
   * @defaultValue 'scheduler'
   */
  key?: string;
}

const SCHEDULER = "Scheduler";
const SCHEDULER_VERSION = 1;

/**
 * Binds schedules to an optimizer's parameter groups. At construction and after each
 * `step()` it writes `schedule(t)` into the bound field of every group, where t counts
 * `step()` calls; the optimizer reads the field at its next step. So the loop is
 *
 * ```text
 * opt.step(); sched.step();
 * ```
 *
 * and the k-th optimizer step (k = 0, 1, ...) uses schedule(k), as with PyTorch schedulers.
 * Any numeric field can be driven: `lr`, and `momentum` (SGD, RMSProp) or `beta1` (Adam)
 * for momentum schedules. Every value is computed and checked (finite, >= 0) before any
 * group changes, so a failing step changes nothing.
 *
 * The state is the step count alone (schedules are pure), so resuming restores exactly the
 * values of an uninterrupted run. The constructor calls `optimizer.attachState?.(key, this)`,
 * so with optimizers that support it the count is saved inside `opt.stateDict()`;
 * `dispose()` detaches it again (to replace a scheduler mid-training).
 *
 * @example
 * const opt = new Adam(rt, [w], { lr: 1e-3 });
 * const sched = new Scheduler(opt, {
 *   lr: oneCycle({ peak: 1e-2, steps: 1000 }),
 *   beta1: oneCycleMomentum({ steps: 1000 }),
 * });
 * for (let t = 0; t < 1000; t++) { computeGradients(); opt.step(); sched.step(); }
 */
export class Scheduler<G extends object> implements Stateful {
  private readonly fields: Array<{ field: NumericKeys<G>; schedules: Schedule[] }>;
  private readonly key: string;
  private count = 0;
  private isDisposed = false;

  /**
   * Writes every bound field's value at step 0 into the groups at once.
   *
   * @param bindings - per field (`lr`, `momentum`, `beta1`, ...) one schedule for every group or an array of one per group
   * @throws {@link ValueError} for an unknown option, an optimizer without parameter groups, no bindings, a schedule that is not a function, a count of per-group schedules that differs from the groups, a field that is not a numeric hyperparameter of every group, or a schedule value at step 0 that is not a finite number >= 0 (nothing is written then)
   */
  constructor(
    private readonly optimizer: Attachable<G>,
    bindings: ScheduleBindings<G>,
    options: SchedulerOptions = {},
  ) {
    const { key = "scheduler" } = checkOptions(options, { of: "Scheduler", known: optionNames<SchedulerOptions>({ key: true }) });
    const groups = optimizer?.paramGroups;
    if (!Array.isArray(groups) || groups.length === 0) {
      throw new ValueError("Invalid optimizer: expected paramGroups with at least one group");
    }
    const entries = Object.entries(bindings ?? {}).filter(([, s]) => s !== undefined) as Array<[NumericKeys<G>, Schedule | readonly Schedule[]]>;
    if (entries.length === 0) throw new ValueError("Invalid bindings: expected at least one field, e.g. { lr: schedule }");
    this.fields = entries.map(([field, bound]) => ({ field, schedules: perGroup(field, bound, groups) }));
    const values = this.valuesAt(0);
    attachTo(optimizer, key, this);
    this.key = key;
    this.write(values);
  }

  /** Steps taken so far: the step at which the current values were computed. */
  get lastStep(): number {
    return this.count;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /**
   * The values now written, per bound field, one per group.
   *
   * @throws {@link DisposedError} after dispose()
   */
  current(): Record<string, number[]> {
    assertLive(this.isDisposed, SCHEDULER, "current()");
    const groups = this.optimizer.paramGroups;
    return Object.fromEntries(this.fields.map(({ field }) => [field, groups.map((g) => g[field] as number)]));
  }

  /**
   * Advances one step and writes the new values into the groups.
   *
   * @throws {@link DisposedError} after dispose()
   * @throws {@link ValueError} when a schedule gives a value that is not a finite number >= 0 (nothing changes, the count included)
   * @throws {@link StateError} when parameter groups were added or removed since construction (nothing changes)
   */
  step(): void {
    assertLive(this.isDisposed, SCHEDULER, "step()");
    const values = this.valuesAt(this.count + 1);
    this.count += 1;
    this.write(values);
  }

  /**
   * The JSON-safe state: the step count alone, since the schedules are pure.
   *
   * @throws {@link DisposedError} after dispose()
   */
  stateDict(): {
    /** Always 'Scheduler'. */
    kind: string;
    /** Format version of the state, checked on load. */
    version: number;
    /** Steps taken: {@link Scheduler.lastStep}. */
    step: number;
  } {
    assertLive(this.isDisposed, SCHEDULER, "stateDict()");
    return { kind: SCHEDULER, version: SCHEDULER_VERSION, step: this.count };
  }

  /**
   * Restores the step count and writes that step's values; a bad state changes nothing.
   *
   * @throws {@link DisposedError} after dispose()
   * @throws {@link StateError} for a state that is not from a Scheduler's stateDict() (kind, version, step not an integer >= 0), or when the optimizer's group count changed
   * @throws {@link ValueError} when a schedule's value at the saved step is not a finite number >= 0
   */
  loadStateDict(state: unknown): void {
    this.prepareLoad(state)();
  }

  /**
   * Validates `state` as loadStateDict() does and returns the write, which cannot fail.
   *
   * @throws the errors of {@link Scheduler.loadStateDict}, before anything changes
   */
  prepareLoad(state: unknown): () => void {
    assertLive(this.isDisposed, SCHEDULER, "loadStateDict()");
    const record = openState(state, SCHEDULER, SCHEDULER_VERSION);
    const step = stateNumber(record, SCHEDULER, "step", isStep, "an integer >= 0");
    const values = this.valuesAt(step);
    return () => {
      this.count = step;
      this.write(values);
    };
  }

  /** Detaches from the optimizer (the groups keep their current values); afterwards every method throws DisposedError. Idempotent. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    detachFrom(this.optimizer, this.key, this);
  }

  /** Every value at `step`, checked, before anything is written. */
  private valuesAt(step: number): number[][] {
    checkGroupCount(this.optimizer, this.fields[0]!.schedules.length);
    return this.fields.map(({ field, schedules }) =>
      schedules.map((s, i) => {
        const value = s(step);
        if (!Number.isFinite(value) || value < 0) {
          throw new ValueError(`Invalid ${field}: ${value} from the schedule of group ${i} at step ${step} (expected a finite number >= 0)`);
        }
        return value;
      }),
    );
  }

  private write(values: number[][]): void {
    const groups = this.optimizer.paramGroups;
    this.fields.forEach(({ field }, f) => {
      groups.forEach((group, i) => {
        (group as Record<string, unknown>)[field] = values[f]![i]!;
      });
    });
  }
}

function perGroup<G>(field: string, bound: Schedule | readonly Schedule[], groups: readonly G[]): Schedule[] {
  const schedules = typeof bound === "function" ? groups.map(() => bound) : bound;
  if (!Array.isArray(schedules) || schedules.length !== groups.length) {
    throw new ValueError(
      `Invalid ${field} schedules: ${Array.isArray(schedules) ? schedules.length : String(schedules)} given for ${groups.length} groups (expected one schedule, or one per group)`,
    );
  }
  schedules.forEach((s, i) => {
    if (typeof s !== "function") throw new ValueError(`Invalid ${field} schedule for group ${i}: ${String(s)} (expected a function of the step)`);
  });
  groups.forEach((group, i) => {
    if (typeof (group as Record<string, unknown>)[field] !== "number") {
      throw new ValueError(`Invalid field: '${field}' is not a numeric hyperparameter of group ${i}`);
    }
  });
  return [...schedules];
}

/** Options of {@link ReduceOnPlateau}. */
export interface ReduceOnPlateauOptions<G> {
  /**
   * 'min' (default): lower metrics are better (losses); 'max' for accuracies.
   * @defaultValue 'min'
   */
  mode?: "min" | "max";
  /**
   * Multiplier in (0, 1) applied on a plateau; default 0.1.
   * @defaultValue 0.1
   */
  factor?: number;
  /**
   * Steps without improvement tolerated before reducing, an integer >= 0; default 10.
   * @defaultValue 10
   */
  patience?: number;
  /**
   * Least improvement that counts, >= 0; default 1e-4.
   * @defaultValue 1e-4
   */
  threshold?: number;
  /**
   * 'rel' (default): better than best (1 -/+ threshold); 'abs': better than best -/+ threshold.
   * @defaultValue 'rel'
   */
  thresholdMode?: "rel" | "abs";
  /**
   * Steps after a reduction during which bad steps are not counted, an integer >= 0; default 0.
   * @defaultValue 0
   */
  cooldown?: number;
  /**
   * Floor of the value, one for all groups or one per group, >= 0; default 0.
   * @defaultValue 0
   */
  minLr?: number | readonly number[];
  /**
   * Reductions smaller than this are skipped, >= 0; default 1e-8 (PyTorch's eps).
   * @defaultValue 1e-8
   */
  eps?: number;
  /**
   * The field reduced; default 'lr'.
   * @defaultValue 'lr'
   */
  field?: NumericKeys<G>;
  /**
   * Key under which the optimizer saves this state (see attachState); default 'plateau'.
   * @defaultValue 'plateau'
   */
  key?: string;
}

const PLATEAU = "ReduceOnPlateau";
const PLATEAU_VERSION = 1;

/**
 * Reduces the learning rate when a metric stops improving (PyTorch ReduceLROnPlateau).
 * Call `step(metric)` once per evaluation. With best the best metric so far:
 *
 * ```text
 * better(m) = m < best (1 - threshold)   (min, rel)    m < best - threshold   (min, abs)
 *             m > best (1 + threshold)   (max, rel)    m > best + threshold   (max, abs)
 * better: best = m, bad = 0;  else bad += 1
 * in cooldown: cooldown counter -= 1, bad = 0
 * bad > patience: lr_i = max(lr_i factor, minLr_i) for each group (skipped when the change
 *                 is <= eps); cooldown counter = cooldown; bad = 0
 * ```
 *
 * A NaN metric is never better (it counts as a bad step, as in PyTorch). The state (best,
 * counters, step and the current values) is JSON-safe and restores the exact behaviour;
 * the constructor calls `optimizer.attachState?.(key, this)` and `dispose()` detaches it.
 */
export class ReduceOnPlateau<G extends object> implements Stateful {
  /** 'min': lower metrics are better; 'max': higher ones. */
  readonly mode: "min" | "max";
  /** Multiplier in (0, 1) applied to the field on a plateau. */
  readonly factor: number;
  /** Bad steps tolerated before a reduction. */
  readonly patience: number;
  /** Least improvement that counts (relative or absolute, see {@link ReduceOnPlateau.thresholdMode}). */
  readonly threshold: number;
  /** Whether {@link ReduceOnPlateau.threshold} is relative to the best metric ('rel') or absolute ('abs'). */
  readonly thresholdMode: "rel" | "abs";
  /** Steps after a reduction during which bad steps are not counted. */
  readonly cooldown: number;
  /** Reductions of at most this size are skipped. */
  readonly eps: number;
  /** The group field reduced (usually 'lr'). */
  readonly field: NumericKeys<G>;
  private readonly minValues: number[];
  private best: number;
  private badSteps = 0;
  private cooldownLeft = 0;
  private count = 0;
  private readonly key: string;
  private isDisposed = false;

  /**
   * @throws {@link ValueError} for an unknown or out-of-range option, an optimizer without parameter groups, a field that is not a numeric hyperparameter of every group, or a minLr array whose length differs from the groups
   */
  constructor(
    private readonly optimizer: Attachable<G>,
    options: ReduceOnPlateauOptions<G> = {},
  ) {
    const {
      mode = "min",
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = "rel",
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
      field = "lr" as NumericKeys<G>,
      key = "plateau",
    } = checkOptions(options, { of: "ReduceOnPlateau", known: optionNames<ReduceOnPlateauOptions<G>>({ mode: true, factor: true, patience: true, threshold: true, thresholdMode: true, cooldown: true, minLr: true, eps: true, field: true, key: true }) });
    if (mode !== "min" && mode !== "max") throw new ValueError(`Invalid mode: ${String(mode)} (expected 'min' or 'max')`);
    if (thresholdMode !== "rel" && thresholdMode !== "abs") {
      throw new ValueError(`Invalid thresholdMode: ${String(thresholdMode)} (expected 'rel' or 'abs')`);
    }
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.factor = checkNumber("factor", factor, { above: 0, below: 1 });
    this.patience = checkNumber("patience", patience, { min: 0, integer: true });
    this.threshold = checkNumber("threshold", threshold, { min: 0 });
    this.cooldown = checkNumber("cooldown", cooldown, { min: 0, integer: true });
    this.eps = checkNumber("eps", eps, { min: 0 });
    const groups = optimizer?.paramGroups;
    if (!Array.isArray(groups) || groups.length === 0) {
      throw new ValueError("Invalid optimizer: expected paramGroups with at least one group");
    }
    groups.forEach((group, i) => {
      if (typeof (group as Record<string, unknown>)[field] !== "number") {
        throw new ValueError(`Invalid field: '${String(field)}' is not a numeric hyperparameter of group ${i}`);
      }
    });
    this.field = field;
    const floors = typeof minLr === "number" ? groups.map(() => minLr) : minLr;
    if (!Array.isArray(floors) || floors.length !== groups.length) {
      throw new ValueError(`Invalid minLr: ${String(minLr)} (expected a number or one per group: ${groups.length})`);
    }
    this.minValues = floors.map((v, i) => checkNumber(`minLr[${i}]`, v, { min: 0 }));
    this.best = this.worst();
    attachTo(optimizer, key, this);
    this.key = key;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Metrics seen so far. */
  get lastStep(): number {
    return this.count;
  }

  /** The best metric so far (Infinity for 'min', -Infinity for 'max' before the first). */
  get bestMetric(): number {
    return this.best;
  }

  /** Bad steps counted since the last improvement or reduction. */
  get badStepCount(): number {
    return this.badSteps;
  }

  /**
   * The current values of the field, one per group.
   *
   * @throws {@link DisposedError} after dispose()
   */
  current(): number[] {
    assertLive(this.isDisposed, PLATEAU, "current()");
    return this.optimizer.paramGroups.map((g) => g[this.field] as number);
  }

  /**
   * Records one evaluation of the metric; reduces the values if it has plateaued.
   *
   * @param metric - the evaluation (a loss for 'min', an accuracy for 'max'); NaN counts as a bad step
   * @throws {@link DisposedError} after dispose()
   * @throws {@link ValueError} when `metric` is not a number (nothing changes)
   * @throws {@link StateError} when parameter groups were added or removed since construction (nothing changes)
   */
  step(metric: number): void {
    assertLive(this.isDisposed, PLATEAU, "step()");
    if (typeof metric !== "number") throw new ValueError(`Invalid metric: ${String(metric)} (expected a number)`);
    this.checkedGroups();
    this.count += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badSteps = 0;
    } else {
      this.badSteps += 1;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.badSteps = 0;
    }
    if (this.badSteps > this.patience) {
      this.reduce();
      this.cooldownLeft = this.cooldown;
      this.badSteps = 0;
    }
  }

  /**
   * The JSON-safe state: counters, best metric and the field's current values.
   *
   * @throws {@link DisposedError} after dispose()
   */
  stateDict(): {
    /** Always 'ReduceOnPlateau'. */
    kind: string;
    /** Format version of the state, checked on load. */
    version: number;
    /** Metrics seen: {@link ReduceOnPlateau.lastStep}. */
    step: number;
    /** The best metric so far; the infinities are saved as the strings 'Infinity' / '-Infinity'. */
    best: JsonNumber;
    /** Bad steps counted since the last improvement or reduction. */
    badSteps: number;
    /** Steps of cooldown left. */
    cooldownLeft: number;
    /** The field's current value per group. */
    values: number[];
  } {
    assertLive(this.isDisposed, PLATEAU, "stateDict()");
    return {
      kind: PLATEAU,
      version: PLATEAU_VERSION,
      step: this.count,
      // JSON has no infinities (the initial best is one): they are saved as strings.
      best: encodeNumber(this.best),
      badSteps: this.badSteps,
      cooldownLeft: this.cooldownLeft,
      values: this.current(),
    };
  }

  /**
   * Restores counters, best metric and the groups' values; a bad state changes nothing.
   *
   * @throws {@link DisposedError} after dispose()
   * @throws {@link StateError} for a state that is not from a ReduceOnPlateau's stateDict() (kind, version, a counter or value out of range, a values array whose length differs from the groups), or when the optimizer's group count changed
   */
  loadStateDict(state: unknown): void {
    this.prepareLoad(state)();
  }

  /**
   * Validates `state` as loadStateDict() does and returns the write, which cannot fail.
   *
   * @throws the errors of {@link ReduceOnPlateau.loadStateDict}, before anything changes
   */
  prepareLoad(state: unknown): () => void {
    assertLive(this.isDisposed, PLATEAU, "loadStateDict()");
    const record = openState(state, PLATEAU, PLATEAU_VERSION);
    const step = stateNumber(record, PLATEAU, "step", isStep, "an integer >= 0");
    const best = decodeNumber(record.best);
    if (best === undefined || Number.isNaN(best)) {
      throw new StateError(`Invalid ${PLATEAU} state: best is ${JSON.stringify(record.best)} (expected a number, 'Infinity' or '-Infinity')`);
    }
    const badSteps = stateNumber(record, PLATEAU, "badSteps", isStep, "an integer >= 0");
    const cooldownLeft = stateNumber(record, PLATEAU, "cooldownLeft", isStep, "an integer >= 0");
    const groups = this.checkedGroups();
    const values = stateNumbers(record, PLATEAU, "values", groups.length, (v) => Number.isFinite(v) && v >= 0, "a finite number >= 0");
    return () => {
      this.count = step;
      this.best = best;
      this.badSteps = badSteps;
      this.cooldownLeft = cooldownLeft;
      groups.forEach((group, i) => {
        (group as Record<string, unknown>)[this.field] = values[i]!;
      });
    };
  }

  /** Detaches from the optimizer (the groups keep their current values); afterwards every method throws DisposedError. Idempotent. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    detachFrom(this.optimizer, this.key, this);
  }

  /** The groups, after checking none were added or removed since construction. */
  private checkedGroups(): readonly G[] {
    return checkGroupCount(this.optimizer, this.minValues.length);
  }

  private worst(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  private isBetter(metric: number): boolean {
    const { best, threshold } = this;
    if (this.mode === "min") return this.thresholdMode === "rel" ? metric < best * (1 - threshold) : metric < best - threshold;
    return this.thresholdMode === "rel" ? metric > best * (1 + threshold) : metric > best + threshold;
  }

  private reduce(): void {
    this.checkedGroups().forEach((group, i) => {
      const record = group as Record<string, unknown>;
      const old = record[this.field] as number;
      const reduced = Math.max(old * this.factor, this.minValues[i]!);
      if (old - reduced > this.eps) record[this.field] = reduced;
    });
  }
}

/** The optimizer's groups, after checking there are still `count` of them (StateError: groups added or removed since). */
function checkGroupCount<G>(optimizer: Attachable<G>, count: number): readonly G[] {
  const groups = optimizer.paramGroups;
  if (groups.length !== count) {
    throw new StateError(`The optimizer now has ${groups.length} parameter groups, this scheduler was made for ${count} (make it after adding param groups)`);
  }
  return groups;
}

function assertLive(disposed: boolean, kind: string, call: string): void {
  if (disposed) throw new DisposedError(`${kind}.${call} after dispose()`);
}
