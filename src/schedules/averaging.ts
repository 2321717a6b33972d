import { DisposedError, StateError, ValueError } from "../runtime/errors";
import { runtimeOf } from "../runtime/runtime";
import { Param, type Tensor } from "../runtime/tensor";
import { checkFunction, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { attachTo, detachFrom, decodeNumber, encodeNumber, isStep, openState, stateNumber, type Attachable, type JsonNumber, type Stateful } from "./state";

/** 'mean': the arithmetic mean of the iterates; 'ema': an exponential moving average. */
export type AverageMode = "mean" | "ema";

/** Options of {@link PolyakAverager}. */
export interface PolyakAveragerOptions {
  /**
   * How iterates are averaged: 'mean' (Polyak & Juditsky 1992) or 'ema'.
   * @defaultValue 'mean'
   */
  mode?: AverageMode;
  /**
   * EMA decay a in [0, 1); default 0.999. Ignored by 'mean'.
   * @defaultValue 0.999
   */
  decay?: number;
  /**
   * EMA only: start from zero and divide by 1 - a^n (optax ema) instead of starting from the first iterate. Default false.
   * @defaultValue false
   */
  debias?: boolean;
  /**
   * Steps left out of the average (burn-in), an integer >= 0: it averages theta_{start+1}, theta_{start+2}, .... Default 0.
   * @defaultValue 0
   */
  start?: number;
  /**
   * Key under which the optimizer saves this state (see attachState); default 'average'.
   * @defaultValue 'average'
   */
  key?: string;
}

const KIND = "PolyakAverager";
const VERSION = 1;

/**
 * Polyak averaging of an optimizer's parameters (Goodfellow et al. 2016, sec. 8.7.3;
 * Polyak & Juditsky 1992). Call `update()` after each `opt.step()`; with n the number of
 * iterates averaged so far (steps after `start`), every mode is one fused lerp per parameter,
 * theta_hat <- theta_hat + w_n (theta - theta_hat):
 *
 * ```text
 * mean:             theta_hat_n = (1/n) sum_{i<=n} theta_i                  w_n = 1/n
 * ema:              theta_hat <- a theta_hat + (1 - a) theta, from theta_1  w_1 = 1, then 1 - a
 * ema, debiased:    m_n = a m_{n-1} + (1 - a) theta_n, m_0 = 0; m_n/(1 - a^n)  w_n = (1 - a)/(1 - a^n)
 * ```
 *
 * The non-debiased EMA starts at the first averaged iterate (PyTorch AveragedModel); the
 * debiased one equals optax's zero-started ema divided by 1 - a^n, kept already divided.
 *
 * To evaluate with the averaged weights, `swapIn()` exchanges them with the parameters and
 * `swapOut()` puts the training weights back (bit for bit); `withAveraged(fn)` does both
 * around fn. To finish training with the averaged weights, `commitAverage()`. `dispose()`
 * while swapped in puts the training weights back first, as `swapOut()` would.
 *
 * The averages live in the parameters' runtime (one buffer per parameter, allocated here).
 * The state (step count and averages) is JSON-safe; the constructor calls
 * `optimizer.attachState?.(key, this)` so it is saved with the optimizer's.
 *
 * @example
 * const opt = new SGD(rt, [w], { lr: 0.1 });
 * const avg = new PolyakAverager(opt, { mode: "ema", decay: 0.99, start: 100 });
 * for (let t = 0; t < 1000; t++) { computeGradients(); opt.step(); avg.update(); }
 * const validationLoss = avg.withAveraged(() => evaluate());
 */
export class PolyakAverager implements Stateful {
  /** 'mean' or 'ema', as given. */
  readonly mode: AverageMode;
  /** The EMA decay a (unused by 'mean'). */
  readonly decay: number;
  /** Whether the EMA is zero-started and divided by 1 - a^n. */
  readonly debias: boolean;
  /** Steps left out of the average (burn-in). */
  readonly start: number;
  private readonly optimizer: Attachable<{ readonly params: readonly Param[] }>;
  private readonly key: string;
  private readonly params: Param[];
  private readonly averages: Tensor[];
  private steps = 0;
  private isSwapped = false;
  private isDisposed = false;

  /**
   * Allocates one average buffer per parameter of the optimizer, in the parameters' runtime.
   *
   * @throws {@link ValueError} for an unknown or out-of-range option, or an optimizer without parameters or with one that is not a Param
   * @throws {@link DisposedError} when a parameter or its runtime is disposed
   * @throws {@link OutOfMemoryError} when the buffers do not fit (nothing stays allocated or attached)
   */
  constructor(optimizer: Attachable<{ readonly params: readonly Param[] }>, options: PolyakAveragerOptions = {}) {
    const { mode = "mean", decay = 0.999, debias = false, start = 0, key = "average" } = checkOptions(options, { of: "PolyakAverager", known: optionNames<PolyakAveragerOptions>({ mode: true, decay: true, debias: true, start: true, key: true }) });
    if (mode !== "mean" && mode !== "ema") throw new ValueError(`Invalid mode: ${String(mode)} (expected 'mean' or 'ema')`);
    if (typeof debias !== "boolean") throw new ValueError(`Invalid debias: ${String(debias)} (expected a boolean)`);
    checkNumber("decay", decay, { min: 0, below: 1 });
    checkNumber("start", start, { min: 0, integer: true });
    const groups = optimizer?.paramGroups;
    if (!Array.isArray(groups)) throw new ValueError("Invalid optimizer: expected paramGroups");
    const params = groups.flatMap((g) => [...(g?.params ?? [])]);
    if (params.length === 0) throw new ValueError("Invalid optimizer: it has no parameters to average");
    for (const p of params) {
      if (!(p instanceof Param)) throw new ValueError(`Invalid param: ${String(p)} (expected a Param from rt.param())`);
      p.assertLive();
    }
    this.mode = mode;
    this.decay = decay;
    this.debias = debias;
    this.start = start;
    this.params = params;
    this.optimizer = optimizer;
    this.key = key;
    attachTo(optimizer, key, this);
    // The averager owns its buffers: they outlive any scope it was made in; dispose() frees them.
    // All or nothing: out of memory part-way frees them and undoes the attachment.
    const rt = params[0]!.runtime;
    try {
      this.averages = rt.allocateOwned(() => params.map((p) => rt.tensor(p.shape, { dtype: p.dtype })));
    } catch (error) {
      detachFrom(optimizer, key, this);
      throw error;
    }
  }

  /** update() calls so far (the optimizer steps seen). */
  get lastStep(): number {
    return this.steps;
  }

  /** Iterates in the average: steps after `start`. */
  get averagedCount(): number {
    return Math.max(0, this.steps - this.start);
  }

  /** Whether the parameters hold the averaged weights now. */
  get swapped(): boolean {
    return this.isSwapped;
  }

  /** Whether dispose() or commitAverage() has been called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /**
   * Folds the parameters' current values into the average (a no-op during the first `start` steps).
   *
   * @throws {@link DisposedError} after dispose(), or when a parameter was disposed
   * @throws {@link StateError} while swapped in, or when the optimizer's parameters changed since construction
   */
  update(): void {
    this.assertTraining("update()");
    for (const p of this.params) p.assertLive();
    this.steps += 1;
    const n = this.steps - this.start;
    if (n <= 0) return;
    const w = this.weight(n);
    this.params.forEach((p, i) => {
      const kernels = runtimeOf(p).kernels;
      const lerp = p.dtype === "f64" ? kernels.f64_lerp_toward : kernels.f32_lerp_toward;
      lerp(this.averages[i]!.ptr, p.ptr, p.length, w);
    });
  }

  /**
   * Puts the averaged weights into the parameters, keeping the training weights aside.
   *
   * @throws {@link DisposedError} after dispose(), or when a parameter was disposed
   * @throws {@link StateError} when already swapped in, when nothing has been averaged yet, or when the optimizer's parameters changed since construction
   */
  swapIn(): void {
    this.assertTraining("swapIn()");
    if (this.averagedCount === 0) {
      throw new StateError(`Nothing averaged yet: ${this.steps} steps taken, averaging starts after step ${this.start}`);
    }
    this.exchange();
    this.isSwapped = true;
  }

  /**
   * Puts the training weights back into the parameters (exactly as they were).
   *
   * @throws {@link DisposedError} after dispose(), or when a parameter was disposed
   * @throws {@link StateError} when not swapped in
   */
  swapOut(): void {
    this.assertLive("swapOut()");
    if (!this.isSwapped) throw new StateError("swapOut() without swapIn(): the parameters already hold the training weights");
    this.exchange();
    this.isSwapped = false;
  }

  /**
   * Runs fn with the averaged weights in the parameters, then restores the training weights
   * (also when fn throws). If fn disposes the averager, dispose() restores them and this
   * throws DisposedError after fn returns.
   *
   * @returns what fn returns
   * @throws {@link ValueError} when fn is not a function
   * @throws the errors of {@link PolyakAverager.swapIn} (before fn runs), and whatever fn throws
   * @throws {@link DisposedError} when fn disposed the averager
   */
  withAveraged<T>(fn: () => T): T {
    checkFunction("fn", fn);
    this.swapIn();
    let result: T;
    try {
      result = fn();
    } finally {
      if (!this.isDisposed) this.swapOut();
    }
    this.assertLive("withAveraged(fn) (fn disposed it)");
    return result;
  }

  /**
   * Writes the averaged weights into the parameters for good, dropping the training weights,
   * and disposes the averager: the way to finish training with the average.
   *
   * @throws the errors of {@link PolyakAverager.swapIn} when not swapped in yet (nothing changes then)
   */
  commitAverage(): void {
    if (!this.isSwapped) this.swapIn();
    this.isSwapped = false;
    this.dispose();
  }

  /**
   * The JSON-safe state: the options (checked on load), the step count and the averages.
   *
   * @throws {@link DisposedError} after dispose()
   */
  stateDict(): {
    /** Always 'PolyakAverager'. */
    kind: string;
    /** Format version of the state, checked on load. */
    version: number;
    /** {@link PolyakAverager.mode}; a load must match it. */
    mode: AverageMode;
    /** {@link PolyakAverager.decay}; a load must match it. */
    decay: number;
    /** {@link PolyakAverager.debias}; a load must match it. */
    debias: boolean;
    /** {@link PolyakAverager.start}; a load must match it. */
    start: number;
    /** update() calls so far: {@link PolyakAverager.lastStep}. */
    step: number;
    /** The averages, one array per parameter; NaN, +-Infinity and -0 as strings. */
    averages: JsonNumber[][];
  } {
    this.assertLive("stateDict()");
    const holders = this.isSwapped ? this.params : this.averages;
    return {
      kind: KIND,
      version: VERSION,
      mode: this.mode,
      decay: this.decay,
      debias: this.debias,
      start: this.start,
      step: this.steps,
      // NaN, +-Infinity and -0 as strings, so a JSON round trip keeps every value
      averages: holders.map((t) => Array.from(t.data, encodeNumber)),
    };
  }

  /**
   * Restores the step count and the averages. Throws StateError, changing nothing, while
   * swapped in, or when the state is malformed, was saved with other options, or does not
   * match the parameters' number and sizes.
   *
   * @throws {@link DisposedError} after dispose()
   * @throws {@link StateError} as described above
   */
  loadStateDict(state: unknown): void {
    this.prepareLoad(state)();
  }

  /**
   * Validates `state` as loadStateDict() does and returns the write, which cannot fail.
   *
   * @throws the errors of {@link PolyakAverager.loadStateDict}, before anything changes
   */
  prepareLoad(state: unknown): () => void {
    this.assertLive("loadStateDict()");
    if (this.isSwapped) throw new StateError("loadStateDict() while swapped in: call swapOut() first");
    const record = openState(state, KIND, VERSION);
    for (const option of ["mode", "decay", "debias", "start"] as const) {
      if (record[option] !== this[option]) {
        throw new StateError(`Invalid ${KIND} state: saved with ${option} = ${String(record[option])}, this averager has ${String(this[option])}`);
      }
    }
    const step = stateNumber(record, KIND, "step", isStep, "an integer >= 0");
    const averages = record.averages;
    if (!Array.isArray(averages) || averages.length !== this.params.length) {
      throw new StateError(`Invalid ${KIND} state: averages must hold one array per parameter (${this.params.length})`);
    }
    const decoded = averages.map((values: unknown, i) => {
      const length = this.params[i]!.length;
      const numbers = Array.isArray(values) && values.length === length ? values.map(decodeNumber) : [];
      if (numbers.length !== length || numbers.includes(undefined)) {
        throw new StateError(`Invalid ${KIND} state: averages[${i}] must be ${length} numbers (NaN, +-Infinity and -0 as strings)`);
      }
      return numbers as number[];
    });
    return () => {
      this.averages.forEach((t, i) => t.set(decoded[i]!));
      this.steps = step;
    };
  }

  /**
   * Frees the average buffers and detaches from the optimizer; afterwards every method
   * throws DisposedError. If swapped in, it first puts the training weights back into the
   * live parameters (use commitAverage() to keep the average instead). Idempotent.
   */
  dispose(): void {
    if (this.isDisposed) return;
    if (this.isSwapped) this.exchange(true);
    this.isSwapped = false;
    this.isDisposed = true;
    for (const t of this.averages) if (!t.disposed) t.dispose();
    detachFrom(this.optimizer, this.key, this);
  }

  private weight(n: number): number {
    if (this.mode === "mean") return 1 / n;
    const a = this.decay;
    if (this.debias) return (1 - a) / (1 - a ** n);
    return n === 1 ? 1 : 1 - a;
  }

  /** Exchanges the parameters with their averages; `liveOnly` skips disposed parameters instead of throwing. */
  private exchange(liveOnly = false): void {
    const pairs = this.params.map((p, i) => [p, this.averages[i]!] as const).filter(([p]) => !liveOnly || !p.disposed);
    for (const [p] of pairs) p.assertLive();
    for (const [p, average] of pairs) {
      const kernels = runtimeOf(p).kernels;
      const swap = p.dtype === "f64" ? kernels.f64_swap : kernels.f32_swap;
      swap(p.ptr, average.ptr, p.length);
    }
  }

  private assertLive(call: string): void {
    if (this.isDisposed) throw new DisposedError(`PolyakAverager.${call} after dispose()`);
    for (const t of this.averages) t.assertLive();
  }

  /** Checks the averager may fold in or swap in: live, swapped out, same parameters as the optimizer's. */
  private assertTraining(call: string): void {
    this.assertLive(call);
    if (this.isSwapped) throw new StateError(`${call} while the averaged weights are swapped in: call swapOut() first`);
    const now = (this.optimizer.paramGroups ?? []).flatMap((g) => [...(g?.params ?? [])]);
    if (now.length !== this.params.length || now.some((p, i) => p !== this.params[i])) {
      throw new StateError(`${call}: the optimizer's parameters changed since this averager was made (make it after adding param groups)`);
    }
  }
}
