import { DisposedError, StateError, ValueError } from "../runtime/errors";
import { decodeNumber, encodeNumber, type JsonNumber } from "../runtime/json-number";
import { runtimeOf, type Runtime } from "../runtime/runtime";
import { checkTensor, type Param, type Tensor } from "../runtime/tensor";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { openState, stateNumber } from "../schedules/state";
import { copyBytes } from "./snapshot";

/** What EarlyStopping needs of an optimizer: its parameters and its state (every descend optimizer). */
export interface EarlyStoppable {
  /** The parameter groups; EarlyStopping snapshots every group's params, in order. */
  readonly paramGroups: ReadonlyArray<{
    /** The parameters of this group. */
    params: readonly Param[];
  }>;
  /** The optimizer's state, kept at the best evaluation. */
  stateDict(): unknown;
  /** Puts a state from stateDict() back; throws StateError (changing nothing) when it does not fit. */
  loadStateDict(state: unknown): void;
}

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /**
   * Evaluations without improvement before stopping; default 10.
   * @defaultValue 10
   */
  patience?: number;
  /**
   * The least change that counts as an improvement; default 0 (any strict improvement).
   * @defaultValue 0
   */
  minDelta?: number;
  /**
   * 'min' (a loss, the default) or 'max' (an accuracy).
   * @defaultValue 'min'
   */
  mode?: "min" | "max";
  /**
   * On stopping, put the best parameters and optimizer state back; default true.
   * @defaultValue true
   */
  restoreBest?: boolean;
}

/** The saved form of an {@link EarlyStopping}: JSON-safe. */
export interface EarlyStoppingState {
  /** Always 'EarlyStopping': which rule the state belongs to. */
  kind: "EarlyStopping";
  /** Format version of the saved state (1). */
  version: number;
  /** Evaluations recorded so far. */
  evaluations: number;
  /** The best metric so far (Infinity or -Infinity, encoded, before any evaluation). */
  best: JsonNumber;
  /** The 0-based evaluation that gave the best metric; -1 before any. */
  bestEvaluation: number;
  /** Evaluations in a row without improvement. */
  badEvaluations: number;
  /** Whether patience had run out. */
  stopped: boolean;
  /** The best parameters' values, one array per parameter, in the optimizer's order ([] before any). */
  params: JsonNumber[][];
  /** The optimizer's stateDict() at the best evaluation (null before any). */
  optimizer: unknown;
}

const KIND = "EarlyStopping";
const VERSION = 1;
const KNOWN = optionNames<EarlyStoppingOptions>({ patience: true, minDelta: true, mode: true, restoreBest: true });

/**
 * Early stopping (Goodfellow et al. 2016, Sec. 7.8, Alg. 7.1): after each evaluation on
 * validation data, call `step(metric)`. An evaluation improves when metric < best - minDelta
 * ('min') or metric > best + minDelta ('max'); then the parameters are copied into owned tensors
 * and the optimizer's stateDict() is kept, so training can go back to that point exactly. After
 * `patience` evaluations in a row without improvement, step() returns true and (with
 * restoreBest) puts the best parameters and optimizer state back. A NaN metric never improves.
 *
 * stateDict()/loadStateDict() save and resume the whole rule, snapshot included: a run
 * interrupted and resumed stops at the same evaluation with the same restored parameters.
 *
 * @example
 * const stopper = new EarlyStopping(opt, { patience: 5 });
 * for (let epoch = 0; epoch < 1000; epoch++) {
 *   trainOneEpoch();
 *   if (stopper.step(validationLoss())) break;   // params and opt now hold the best epoch's state
 * }
 * stopper.dispose();
 */
export class EarlyStopping {
  /** Evaluations without improvement before stopping (an integer >= 1). */
  readonly patience: number;
  /** The least change that counts as an improvement, in the metric's units. */
  readonly minDelta: number;
  /** 'min' when lower metrics are better (a loss), 'max' when higher are (an accuracy). */
  readonly mode: "min" | "max";
  /** Whether stopping puts the best parameters and optimizer state back. */
  readonly restoreBest: boolean;
  private readonly params: Param[];
  private readonly snapshot: Tensor[];
  private readonly runtime: Runtime;
  private count = 0;
  private bestValue: number;
  private bestAt = -1;
  private bad = 0;
  private done = false;
  private bestOptimizerState: unknown = null;
  private released = false;

  /**
   * @param optimizer - The optimizer whose parameters and state are snapshotted at each improvement.
   * @throws {ValueError} when `optimizer` is not an optimizer or has no parameters, or an option is
   *   unknown or out of range.
   * @throws {DisposedError} when one of the optimizer's parameters was disposed.
   */
  constructor(
    private readonly optimizer: EarlyStoppable,
    options: EarlyStoppingOptions = {},
  ) {
    const params = paramsOf(optimizer);
    checkOptions(options, { of: "EarlyStopping", known: KNOWN });
    this.patience = checkNumber("patience", options.patience ?? 10, { min: 1, integer: true });
    this.minDelta = checkNumber("minDelta", options.minDelta ?? 0, { min: 0 });
    const mode = options.mode ?? "min";
    if (mode !== "min" && mode !== "max") throw new ValueError(`Invalid mode: ${String(mode)} (expected 'min' or 'max')`);
    this.mode = mode;
    this.restoreBest = checkBoolean("restoreBest", options.restoreBest ?? true);
    this.bestValue = this.worst();
    this.params = params;
    this.runtime = runtimeOf(params[0]!);
    const rt = this.runtime;
    this.snapshot = rt.allocateOwned(() => params.map((p) => rt.tensor(p.shape, { dtype: p.dtype })));
  }

  /** Evaluations so far. */
  get evaluations(): number {
    return this.count;
  }
  /** The best metric so far (Infinity, or -Infinity for 'max', before any). */
  get best(): number {
    return this.bestValue;
  }
  /** The evaluation (0-based) that gave the best metric; -1 before any. */
  get bestEvaluation(): number {
    return this.bestAt;
  }
  /** Evaluations in a row without improvement. */
  get badEvaluations(): number {
    return this.bad;
  }
  /** Whether patience has run out. */
  get stopped(): boolean {
    return this.done;
  }

  /**
   * Records the validation metric of one evaluation; returns true when training should stop (and
   * keeps returning true, changing nothing, once it has).
   * @throws {ValueError} when `metric` is not a number.
   * @throws {StateError} when the optimizer's parameters changed since construction.
   * @throws {DisposedError} after dispose().
   */
  step(metric: number): boolean {
    this.assertLive();
    if (typeof metric !== "number") throw new ValueError(`Invalid metric: ${String(metric)} (expected a number)`);
    this.checkParams();
    if (this.done) return true;
    const evaluation = this.count;
    this.count += 1;
    if (this.improves(metric)) {
      this.bestValue = metric;
      this.bestAt = evaluation;
      this.bad = 0;
      this.bestOptimizerState = this.optimizer.stateDict();
      this.params.forEach((p, i) => copyBytes(this.runtime, p, this.snapshot[i]!));
      return false;
    }
    this.bad += 1;
    if (this.bad < this.patience) return false;
    this.done = true;
    if (this.restoreBest) this.restore();
    return true;
  }

  /**
   * Puts the best parameters and optimizer state back (nothing before the first evaluation).
   * @throws {StateError} when the optimizer's parameters changed since construction.
   * @throws {DisposedError} after dispose().
   */
  restore(): void {
    this.assertLive();
    this.checkParams();
    if (this.bestAt < 0) return;
    this.optimizer.loadStateDict(this.bestOptimizerState);
    this.params.forEach((p, i) => copyBytes(this.runtime, this.snapshot[i]!, p));
  }

  /**
   * The whole state, JSON-safe: counters, best metric, best parameters and optimizer state.
   * @throws {DisposedError} after dispose().
   */
  stateDict(): EarlyStoppingState {
    this.assertLive();
    const hasBest = this.bestAt >= 0;
    return {
      kind: KIND,
      version: VERSION,
      evaluations: this.count,
      best: encodeNumber(this.bestValue),
      bestEvaluation: this.bestAt,
      badEvaluations: this.bad,
      stopped: this.done,
      params: hasBest ? this.snapshot.map((t) => Array.from(t.data, encodeNumber)) : [],
      optimizer: hasBest ? this.bestOptimizerState : null,
    };
  }

  /**
   * Restores a state from stateDict() (the parameters themselves are not touched: they are the
   * optimizer's, restored with its own state). All or nothing: every field, the parameter count
   * and lengths, and the saved optimizer state (loaded into the optimizer on trial, then the
   * current state put back) are checked first; a bad state throws StateError, changing nothing.
   * @throws {StateError} for a malformed state, another version, an optimizer state that does not
   *   fit, or when the optimizer's parameters changed since construction.
   * @throws {DisposedError} after dispose().
   */
  loadStateDict(state: unknown): void {
    this.assertLive();
    this.checkParams();
    const record = openState(state, KIND, VERSION);
    const isCount = (v: number) => Number.isInteger(v) && v >= 0;
    const evaluations = stateNumber(record, KIND, "evaluations", isCount, "an integer >= 0");
    const bestAt = stateNumber(record, KIND, "bestEvaluation", (v) => Number.isInteger(v) && v >= -1 && v < evaluations, "an integer in [-1, evaluations)");
    const bad = stateNumber(record, KIND, "badEvaluations", (v) => isCount(v) && v <= evaluations, "an integer in [0, evaluations]");
    const best = decodeNumber(record.best);
    if (best === undefined) throw new StateError(`Invalid ${KIND} state: best is ${JSON.stringify(record.best)} (expected a number)`);
    if (typeof record.stopped !== "boolean") throw new StateError(`Invalid ${KIND} state: stopped is ${String(record.stopped)} (expected true or false)`);
    const values = bestAt >= 0 ? this.checkSavedParams(record.params) : [];
    if (bestAt < 0 && !(Array.isArray(record.params) && record.params.length === 0 && record.optimizer === null)) {
      throw new StateError(`Invalid ${KIND} state: params must be [] and optimizer null before the first improvement`);
    }
    if (bestAt >= 0) this.tryOptimizerState(record.optimizer);
    this.count = evaluations;
    this.bestAt = bestAt;
    this.bad = bad;
    this.bestValue = best;
    this.done = record.stopped;
    this.bestOptimizerState = bestAt >= 0 ? record.optimizer : null;
    values.forEach((v, i) => this.snapshot[i]!.set(v));
  }

  /**
   * Frees the snapshot tensors; any later call throws DisposedError.
   * @throws {DisposedError} when already disposed.
   */
  dispose(): void {
    this.assertLive();
    this.released = true;
    for (const t of this.snapshot) t.dispose();
  }

  private improves(metric: number): boolean {
    return this.mode === "min" ? metric < this.bestValue - this.minDelta : metric > this.bestValue + this.minDelta;
  }

  private worst(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  private assertLive(): void {
    if (this.released) throw new DisposedError("EarlyStopping was used after dispose()");
  }

  /** Every parameter is live and still the optimizer's (DisposedError, StateError otherwise). */
  private checkParams(): void {
    const now = paramsOf(this.optimizer);
    if (now.length !== this.params.length || now.some((p, i) => p !== this.params[i])) {
      throw new StateError("EarlyStopping: the optimizer's parameters changed since construction");
    }
  }

  /** The saved parameter values, each checked for count, length and decodable numbers. */
  private checkSavedParams(saved: unknown): number[][] {
    if (!Array.isArray(saved) || saved.length !== this.params.length) {
      throw new StateError(`Invalid ${KIND} state: params must hold ${this.params.length} arrays`);
    }
    return saved.map((values, i) => {
      const length = this.params[i]!.length;
      if (!Array.isArray(values) || values.length !== length) throw new StateError(`Invalid ${KIND} state: params[${i}] must hold ${length} numbers`);
      return values.map((v, j) => {
        const x = decodeNumber(v);
        if (x === undefined) throw new StateError(`Invalid ${KIND} state: params[${i}][${j}] is ${String(v)} (expected a number)`);
        return x;
      });
    });
  }

  /**
   * Loads `saved` into the optimizer on trial and puts the current state back; StateError if it
   * does not fit (the optimizer's own load then changed nothing, so nothing is put back).
   */
  private tryOptimizerState(saved: unknown): void {
    const current = this.optimizer.stateDict();
    try {
      this.optimizer.loadStateDict(saved);
    } catch (error) {
      if (error instanceof StateError) throw new StateError(`Invalid ${KIND} state: optimizer: ${error.message}`);
      throw error;
    }
    this.optimizer.loadStateDict(current);
  }
}

/** The optimizer's parameters, each live (ValueError for a non-optimizer, DisposedError for a disposed param). */
function paramsOf(optimizer: EarlyStoppable): Param[] {
  if (
    optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups) ||
    typeof optimizer.stateDict !== "function" || typeof optimizer.loadStateDict !== "function"
  ) {
    throw new ValueError(`Invalid optimizer: ${String(optimizer)} (expected an optimizer with paramGroups, stateDict() and loadStateDict())`);
  }
  const params = optimizer.paramGroups.flatMap((group) => [...group.params]);
  if (params.length === 0) throw new ValueError("Invalid optimizer: it has no parameters");
  params.forEach((p, i) => checkTensor(`params[${i}]`, p, params[0]!.runtime));
  return params;
}
