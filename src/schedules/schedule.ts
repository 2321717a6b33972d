import { ValueError } from "../runtime/errors";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";

/**
 * A schedule: the value of a hyperparameter (learning rate, momentum, ...) to use at
 * `step` = 0, 1, 2, .... It is a pure function of the step, so a whole training run's
 * curve is `sample(schedule, steps)`, resuming needs only the step count, and schedules
 * compose with {@link joinSchedules} and {@link chainSchedules}.
 *
 * Every schedule made here validates its options at construction (ValueError) and its
 * step on each call: a step must be a finite number >= 0 (fractional steps are allowed,
 * e.g. epochs measured in batches).
 */
export type Schedule = (step: number) => number;

/** Wraps the rule `fn` with the step check every schedule shares. */
function schedule(fn: (step: number) => number): Schedule {
  return (step: number) => fn(checkNumber("step", step, { min: 0 }));
}

/** A value >= 0 (learning rates, momenta, floors): negative values are always a mistake here. */
function checkValue(name: string, value: unknown): number {
  return checkNumber(name, value, { min: 0 });
}

/** A length in steps: an integer >= 1. */
function checkSteps(name: string, value: unknown): number {
  return checkNumber(name, value, { min: 1, integer: true });
}

/** A multiplicative decay factor in (0, 1]. */
function checkFactor(name: string, value: unknown): number {
  return checkNumber(name, value, { above: 0, max: 1 });
}

/**
 * Half a cosine from `from` (frac = 0) to `to` (frac = 1):
 * ```text
 * to + (from - to) (1 + cos(pi frac)) / 2
 * ```
 * cos(pi) = -1 exactly, so frac = 1 gives `to` exactly.
 */
function cosineBetween(from: number, to: number, frac: number): number {
  return to + ((from - to) * (1 + Math.cos(Math.PI * frac))) / 2;
}

/** Straight line from `from` (frac = 0) to `to` (frac = 1): (1 - frac) from + frac to. */
function linearBetween(from: number, to: number, frac: number): number {
  return (1 - frac) * from + frac * to;
}

/**
 * The same value at every step.
 *
 * @throws {@link ValueError} unless `value` is a finite number.
 */
export function constantSchedule(value: number): Schedule {
  checkValue("value", value);
  return schedule(() => value);
}

/** Options of {@link linearSchedule}. */
export interface LinearScheduleOptions {
  /** Value at steps <= begin (the book's eps_0). */
  init: number;
  /**
   * Value at steps >= begin + steps (the book's eps_tau). The book suggests about 1% of
   * eps_0, which is the default.
   * @defaultValue init / 100
   */
  end?: number;
  /** Length of the ramp (the book's tau), an integer >= 1. */
  steps: number;
  /**
   * Step at which the ramp starts; `init` is held before it. Default 0.
   * @defaultValue 0
   */
  begin?: number;
}

/**
 * The book's linear decay (Goodfellow et al. 2016, eq. 8.14), with k = step - begin:
 *
 * ```text
 * eps_k = (1 - k/tau) eps_0 + (k/tau) eps_tau   for 0 <= k <= tau
 * eps_k = eps_tau                               for k > tau
 * ```
 *
 * `end` defaults to 1% of `init` (the book: "set eps_tau to roughly 1 percent of eps_0");
 * it may exceed `init`, which makes it a linear warm-up (or a growing momentum).
 *
 * @throws ValueError for a negative or non-finite init or end, or steps/begin that are not integers >= 1 / >= 0.
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const { init, end = init / 100, steps, begin = 0 } = checkOptions(options, { required: true, of: "linearSchedule", known: optionNames<LinearScheduleOptions>({ init: true, end: true, steps: true, begin: true }) });
  checkValue("init", init);
  checkValue("end", end);
  checkSteps("steps", steps);
  checkNumber("begin", begin, { min: 0, integer: true });
  return schedule((step) => {
    const k = Math.min(Math.max(step - begin, 0), steps);
    return linearBetween(init, end, k / steps);
  });
}

/** Options of {@link linearWarmup}. */
export interface LinearWarmupOptions {
  /**
   * Value at step 0; default 0.
   * @defaultValue 0
   */
  init?: number;
  /** Value reached at step `steps` and held afterwards. */
  peak: number;
  /** Length of the warm-up, an integer >= 1. */
  steps: number;
}

/**
 * Linear warm-up from `init` (default 0) to `peak` over `steps`, then `peak`:
 * ```text
 * lr_t = (1 - t/steps) init + (t/steps) peak  for t <= steps;  peak afterwards.
 * ```
 * Join it with a decay ({@link joinSchedules}) or multiply a decay by a 0 -> 1 warm-up
 * ({@link chainSchedules}); {@link warmupCosine} is the common recipe ready-made.
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function linearWarmup(options: LinearWarmupOptions): Schedule {
  const { init = 0, peak, steps } = checkOptions(options, { required: true, of: "linearWarmup", known: optionNames<LinearWarmupOptions>({ init: true, peak: true, steps: true }) });
  checkValue("peak", peak);
  return linearSchedule({ init, end: peak, steps });
}

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** Value at step 0 (eta_0). */
  init: number;
  /** Decay rate alpha >= 0 per step; PyTorch's ExponentialLR gamma is e^(-alpha). */
  alpha: number;
}

/**
 * Exponential decay: eta_t = eta_0 e^(-alpha t).
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const { init, alpha } = checkOptions(options, { required: true, of: "exponentialDecay", known: optionNames<ExponentialDecayOptions>({ init: true, alpha: true }) });
  checkValue("init", init);
  checkNumber("alpha", alpha, { min: 0 });
  return schedule((step) => init * Math.exp(-alpha * step));
}

/** Options of {@link inverseTimeDecay}. */
export interface InverseTimeDecayOptions {
  /** Value at step 0 (eta_0). */
  init: number;
  /** Decay rate alpha >= 0 per step. */
  alpha: number;
}

/**
 * Inverse-time decay: eta_t = eta_0 / (1 + alpha t).
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function inverseTimeDecay(options: InverseTimeDecayOptions): Schedule {
  const { init, alpha } = checkOptions(options, { required: true, of: "inverseTimeDecay", known: optionNames<InverseTimeDecayOptions>({ init: true, alpha: true }) });
  checkValue("init", init);
  checkNumber("alpha", alpha, { min: 0 });
  return schedule((step) => init / (1 + alpha * step));
}

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  /** Value for steps 0 .. stepSize - 1. */
  init: number;
  /** Steps between decays, an integer >= 1. */
  stepSize: number;
  /**
   * Factor in (0, 1] applied every `stepSize` steps; default 0.1 (PyTorch StepLR).
   * @defaultValue 0.1
   */
  gamma?: number;
}

/**
 * Step decay (PyTorch StepLR): eta_t = eta_0 gamma^floor(t / stepSize).
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function stepDecay(options: StepDecayOptions): Schedule {
  const { init, stepSize, gamma = 0.1 } = checkOptions(options, { required: true, of: "stepDecay", known: optionNames<StepDecayOptions>({ init: true, stepSize: true, gamma: true }) });
  checkValue("init", init);
  checkSteps("stepSize", stepSize);
  checkFactor("gamma", gamma);
  return schedule((step) => init * gamma ** Math.floor(step / stepSize));
}

/** Options of {@link multiStepDecay}. */
export interface MultiStepDecayOptions {
  /** Value before the first milestone. */
  init: number;
  /** Steps at which the value is multiplied by gamma: strictly increasing integers >= 1. */
  milestones: readonly number[];
  /**
   * Factor in (0, 1]; default 0.1 (PyTorch MultiStepLR).
   * @defaultValue 0.1
   */
  gamma?: number;
}

/**
 * Multi-step decay (PyTorch MultiStepLR): eta_t = eta_0 gamma^m(t), where m(t) counts the
 * milestones <= t. At a milestone step the new value already applies.
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function multiStepDecay(options: MultiStepDecayOptions): Schedule {
  const { init, milestones, gamma = 0.1 } = checkOptions(options, { required: true, of: "multiStepDecay", known: optionNames<MultiStepDecayOptions>({ init: true, milestones: true, gamma: true }) });
  checkValue("init", init);
  checkFactor("gamma", gamma);
  const marks = checkIncreasing("milestones", milestones, 1);
  return schedule((step) => init * gamma ** countAtOrBelow(marks, step));
}

/** Options of {@link polynomialDecay}. */
export interface PolynomialDecayOptions {
  /** Value at steps <= begin. */
  init: number;
  /**
   * Value at steps >= begin + steps; default 0.
   * @defaultValue 0
   */
  end?: number;
  /** Length of the decay, an integer >= 1. */
  steps: number;
  /**
   * Exponent p > 0; default 1 (linear).
   * @defaultValue 1
   */
  power?: number;
  /**
   * Step at which the decay starts; default 0.
   * @defaultValue 0
   */
  begin?: number;
}

/**
 * Polynomial decay (optax polynomial_schedule), with k = clamp(step - begin, 0, steps):
 * ```text
 * eta = end + (init - end) (1 - k/steps)^power
 * ```
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function polynomialDecay(options: PolynomialDecayOptions): Schedule {
  const { init, end = 0, steps, power = 1, begin = 0 } = checkOptions(options, { required: true, of: "polynomialDecay", known: optionNames<PolynomialDecayOptions>({ init: true, end: true, steps: true, power: true, begin: true }) });
  checkValue("init", init);
  checkValue("end", end);
  checkSteps("steps", steps);
  checkNumber("power", power, { above: 0 });
  checkNumber("begin", begin, { min: 0, integer: true });
  return schedule((step) => {
    const k = Math.min(Math.max(step - begin, 0), steps);
    return end + (init - end) * (1 - k / steps) ** power;
  });
}

/** Options of {@link cosineDecay}. */
export interface CosineDecayOptions {
  /** Value at step 0 (eta_max). */
  init: number;
  /** Length of the half cosine (T_max), an integer >= 1. */
  steps: number;
  /**
   * Value at step `steps` and after (eta_min); default 0.
   * @defaultValue 0
   */
  end?: number;
}

/**
 * Cosine annealing (Loshchilov & Hutter 2017, eq. 5 for a single cycle):
 * ```text
 * eta_t = end + (init - end) (1 + cos(pi t / steps)) / 2   for t <= steps;  end afterwards.
 * ```
 * Held at `end` after `steps` as in optax (PyTorch's CosineAnnealingLR keeps following the
 * cosine back up instead); for restarts use {@link sgdr}.
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  const { init, steps, end = 0 } = checkOptions(options, { required: true, of: "cosineDecay", known: optionNames<CosineDecayOptions>({ init: true, steps: true, end: true }) });
  checkValue("init", init);
  checkSteps("steps", steps);
  checkValue("end", end);
  return schedule((step) => cosineBetween(init, end, Math.min(step, steps) / steps));
}

/**
 * A value per SGDR cycle: one number for every cycle, an array whose entry i is cycle i's
 * (the last entry holds for every later cycle), or a function of the cycle index i = 0, 1, ....
 */
export type PerCycle = number | readonly number[] | ((cycle: number) => number);

/** Options of {@link sgdr}. */
export interface SgdrOptions {
  /** Peak of each cycle (eta_max): one value, one per cycle, or a function of the cycle index. */
  init: PerCycle;
  /** Length of the first cycle (T_0), an integer >= 1. */
  T0: number;
  /**
   * Growth of the cycle length (T_i = T_0 T_mult^i), an integer >= 1; default 1.
   * @defaultValue 1
   */
  Tmult?: number;
  /**
   * Floor each cycle anneals to (eta_min): one value, one per cycle, or a function of the
   * cycle index; at most that cycle's peak.
   * @defaultValue 0
   */
  end?: PerCycle;
  /**
   * Peak of cycle i is max(end_i, init peakDecay^i); in (0, 1], default 1 (no decay). Needs a single `init`.
   * @defaultValue 1
   */
  peakDecay?: number;
}

/**
 * Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter 2017, eq. 5):
 *
 * ```text
 * eta_t = end_i + (peak_i - end_i) (1 + cos(pi T_cur / T_i)) / 2
 * ```
 *
 * where cycle i has length T_i = T0 Tmult^i and starts at step S_i = T0 (Tmult^i - 1)/(Tmult - 1)
 * (= i T0 when Tmult = 1), T_cur = t - S_i, and peak_i = max(end_i, init_i peakDecay^i). So the
 * value is `init_0` at step 0 and jumps back to the next peak at each restart S_i; the floor
 * `end_i` itself is only approached (it is reached at T_cur = T_i, the next restart).
 * Cycle boundaries are found by exact integer arithmetic, never by logarithms.
 *
 * `init` and `end` may differ per cycle (the paper's eta_max^i and eta_min^i): arrays are
 * checked here, functions at each step, and both must give finite values >= 0 with
 * end_i <= init_i (ValueError naming the cycle otherwise).
 *
 * @example
 * const lr = sgdr({ init: [0.1, 0.05, 0.02], end: (i) => 1e-3 / (i + 1), T0: 10 });
 * @throws ValueError for an option out of range, an empty or invalid per-cycle array, a
 *   per-cycle init with peakDecay, or (when called) a per-cycle function's bad value.
 */
export function sgdr(options: SgdrOptions): Schedule {
  const { init, T0, Tmult = 1, end = 0, peakDecay = 1 } = checkOptions(options, { required: true, of: "sgdr", known: optionNames<SgdrOptions>({ init: true, T0: true, Tmult: true, end: true, peakDecay: true }) });
  const peakOf = perCycle("init", init);
  const floorOf = perCycle("end", end);
  checkSteps("T0", T0);
  checkNumber("Tmult", Tmult, { min: 1, integer: true });
  checkFactor("peakDecay", peakDecay);
  if (peakDecay !== 1 && typeof init !== "number") {
    throw new ValueError(`Invalid peakDecay: ${peakDecay} (expected 1 with a per-cycle init: give the decayed peaks as init)`);
  }
  const bounds = (cycle: number) => {
    const [peak, floor] = [peakOf(cycle), floorOf(cycle)];
    if (floor > peak) throw new ValueError(`Invalid end: ${floor} at cycle ${cycle} (expected <= init = ${peak} there)`);
    return [peak, floor] as const;
  };
  // Arrays and numbers are checked once here, over every cycle that has its own entry.
  if (typeof init !== "function" && typeof end !== "function") {
    for (let cycle = 0; cycle < Math.max(cycleEntries(init), cycleEntries(end)); cycle++) bounds(cycle);
  }
  return schedule((step) => {
    const { cycle, start, length } = sgdrCycle(step, T0, Tmult);
    const [peak, floor] = bounds(cycle);
    return cosineBetween(Math.max(floor, peak * peakDecay ** cycle), floor, (step - start) / length);
  });
}

/** How many cycles have their own entry: the array's length, 1 for a number. */
function cycleEntries(value: number | readonly number[]): number {
  return typeof value === "number" ? 1 : value.length;
}

/** The per-cycle value as a function of the cycle index, validated (arrays now, functions per call). */
function perCycle(name: string, value: unknown): (cycle: number) => number {
  if (typeof value === "function") {
    return (cycle) => {
      const v = (value as (cycle: number) => number)(cycle);
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new ValueError(`Invalid ${name}: ${String(v)} from the function at cycle ${cycle} (expected a finite number >= 0)`);
      }
      return v;
    };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ValueError(`Invalid ${name}: [] (expected at least one value per cycle)`);
    const values = value.map((v, i) => checkValue(`${name}[${i}]`, v));
    return (cycle) => values[Math.min(cycle, values.length - 1)]!;
  }
  const v = checkValue(name, value);
  return () => v;
}

/** The SGDR cycle holding `step`: its index, first step and length. */
export function sgdrCycle(step: number, T0: number, Tmult: number): { cycle: number; start: number; length: number } {
  if (Tmult === 1) {
    const cycle = Math.floor(step / T0);
    return { cycle, start: cycle * T0, length: T0 };
  }
  // Cycle lengths grow geometrically, so this loop runs at most log2(step / T0) + 1 times.
  let cycle = 0;
  let start = 0;
  let length = T0;
  while (step >= start + length) {
    start += length;
    length *= Tmult;
    cycle += 1;
  }
  return { cycle, start, length };
}

/** Options of {@link warmupCosine}. */
export interface WarmupCosineOptions {
  /**
   * Value at step 0; default 0.
   * @defaultValue 0
   */
  init?: number;
  /** Value at the end of the warm-up. */
  peak: number;
  /** Length of the linear warm-up, an integer >= 1. */
  warmupSteps: number;
  /** Total length, warm-up included (as in optax); an integer > warmupSteps. */
  steps: number;
  /**
   * Final value, held after `steps`; default 0.
   * @defaultValue 0
   */
  end?: number;
}

/**
 * Linear warm-up then cosine decay (optax warmup_cosine_decay_schedule):
 * ```text
 * t <= w:      (1 - t/w) init + (t/w) peak
 * w <= t <= T: end + (peak - end) (1 + cos(pi (t - w)/(T - w))) / 2;   end after T.
 * ```
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  const { init = 0, peak, warmupSteps, steps, end = 0 } = checkOptions(options, { required: true, of: "warmupCosine", known: optionNames<WarmupCosineOptions>({ init: true, peak: true, warmupSteps: true, steps: true, end: true }) });
  checkValue("peak", peak);
  checkSteps("warmupSteps", warmupSteps);
  checkNumber("steps", steps, { integer: true, above: warmupSteps });
  return joinSchedules(
    [linearSchedule({ init, end: peak, steps: warmupSteps }), cosineDecay({ init: peak, steps: steps - warmupSteps, end })],
    [warmupSteps],
  );
}

/** How one-cycle moves between its phase values: half a cosine (default) or a straight line. */
export type Anneal = "cos" | "linear";

/** Options of {@link oneCycle}. */
export interface OneCycleOptions {
  /** Largest learning rate (max_lr), reached at the end of the first phase. */
  peak: number;
  /** Total steps of the cycle (total_steps), an integer >= 2. */
  steps: number;
  /**
   * Fraction of the steps spent increasing; default 0.3.
   * @defaultValue 0.3
   */
  pctStart?: number;
  /**
   * Initial lr = peak / divFactor; default 25.
   * @defaultValue 25
   */
  divFactor?: number;
  /**
   * Final lr = initial lr / finalDivFactor; default 1e4.
   * @defaultValue 1e4
   */
  finalDivFactor?: number;
  /**
   * How the value moves within a phase: half a cosine ('cos') or a straight line ('linear').
   * @defaultValue 'cos'
   */
  anneal?: Anneal;
  /**
   * Smith's original three phases (up, down to the initial lr, then annihilation); default false.
   * @defaultValue false
   */
  threePhase?: boolean;
}

/**
 * The one-cycle learning rate (Smith 2018; PyTorch OneCycleLR's closed form). With
 * a = pctStart T - 1 and T = steps, lr0 = peak/divFactor and lrEnd = lr0/finalDivFactor:
 *
 * ```text
 * two phases:   lr0 -> peak on [0, a],  peak -> lrEnd on [a, T - 1]
 * three phases: lr0 -> peak on [0, a],  peak -> lr0 on [a, 2a],  lr0 -> lrEnd on [2a, T - 1]
 * ```
 *
 * each by `anneal` (cos: to + (from - to)(1 + cos(pi frac))/2, linear: from + frac (to - from)).
 * After step T - 1 the final value is held (PyTorch raises instead). optax's
 * cosine_onecycle_schedule places the peak at step pctStart T rather than pctStart T - 1.
 * Pair it with {@link oneCycleMomentum} for the inverse momentum cycle.
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const {
    peak,
    steps,
    pctStart = 0.3,
    divFactor = 25,
    finalDivFactor = 1e4,
    anneal = "cos",
    threePhase = false,
  } = checkOptions(options, { required: true, of: "oneCycle", known: optionNames<OneCycleOptions>({ peak: true, steps: true, pctStart: true, divFactor: true, finalDivFactor: true, anneal: true, threePhase: true }) });
  checkValue("peak", peak);
  checkNumber("divFactor", divFactor, { above: 0 });
  checkNumber("finalDivFactor", finalDivFactor, { above: 0 });
  const initial = peak / divFactor;
  const final = initial / finalDivFactor;
  const values = threePhase ? [initial, peak, initial, final] : [initial, peak, final];
  return phased(cyclePhaseEnds(steps, pctStart, threePhase), values, checkAnneal(anneal));
}

/** Options of {@link oneCycleMomentum}. */
export interface OneCycleMomentumOptions {
  /** Total steps of the cycle, as given to {@link oneCycle}. */
  steps: number;
  /**
   * As given to {@link oneCycle}; default 0.3.
   * @defaultValue 0.3
   */
  pctStart?: number;
  /**
   * Momentum at the lr peak; default 0.85 (PyTorch base_momentum).
   * @defaultValue 0.85
   */
  base?: number;
  /**
   * Momentum at the start and the end; default 0.95 (PyTorch max_momentum).
   * @defaultValue 0.95
   */
  max?: number;
  /**
   * As given to {@link oneCycle}: 'cos' or 'linear'.
   * @defaultValue 'cos'
   */
  anneal?: Anneal;
  /**
   * As given to {@link oneCycle}; default false.
   * @defaultValue false
   */
  threePhase?: boolean;
}

/**
 * The momentum (or Adam beta1) cycle that mirrors {@link oneCycle}: max -> base while the
 * lr rises, base -> max while it falls, then (three phases) held at max.
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option (nothing is made).
 */
export function oneCycleMomentum(options: OneCycleMomentumOptions): Schedule {
  const {
    steps,
    pctStart = 0.3,
    base = 0.85,
    max = 0.95,
    anneal = "cos",
    threePhase = false,
  } = checkOptions(options, { required: true, of: "oneCycleMomentum", known: optionNames<OneCycleMomentumOptions>({ steps: true, pctStart: true, base: true, max: true, anneal: true, threePhase: true }) });
  checkNumber("base", base, { min: 0, below: 1 });
  checkNumber("max", max, { min: base, below: 1 });
  const values = threePhase ? [max, base, max, max] : [max, base, max];
  return phased(cyclePhaseEnds(steps, pctStart, threePhase), values, checkAnneal(anneal));
}

function checkAnneal(anneal: unknown): (from: number, to: number, frac: number) => number {
  if (anneal === "cos") return cosineBetween;
  if (anneal === "linear") return linearBetween;
  throw new ValueError(`Invalid anneal: ${String(anneal)} (expected 'cos' or 'linear')`);
}

/** PyTorch OneCycleLR's phase end steps: pct T - 1, [2 pct T - 2,] T - 1, checked increasing. */
function cyclePhaseEnds(steps: number, pctStart: number, threePhase: boolean): number[] {
  checkNumber("steps", steps, { min: 2, integer: true });
  checkNumber("pctStart", pctStart, { above: 0, below: 1 });
  const rise = pctStart * steps - 1;
  const ends = threePhase ? [rise, 2 * rise, steps - 1] : [rise, steps - 1];
  let previous = 0;
  for (const end of ends) {
    if (!(end > previous)) {
      throw new ValueError(
        `Invalid pctStart: ${pctStart} (with steps = ${steps} a phase would be empty: phase ends ${ends.join(", ")})`,
      );
    }
    previous = end;
  }
  return ends;
}

/** values[i] -> values[i + 1] over [ends[i - 1] (or 0), ends[i]]; the last value held after. */
function phased(ends: number[], values: number[], between: (from: number, to: number, frac: number) => number): Schedule {
  return schedule((step) => {
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      if (step <= end) return between(values[i]!, values[i + 1]!, (step - start) / (end - start));
      start = end;
    }
    return values[values.length - 1]!;
  });
}

/**
 * Runs `schedules[i]` from `boundaries[i - 1]` on, restarting its step count there
 * (optax join_schedules, PyTorch SequentialLR):
 *
 * ```text
 * value(t) = schedules[i](t - boundaries[i - 1])   for boundaries[i - 1] <= t < boundaries[i]
 * ```
 *
 * with boundaries[-1] = 0. There is one boundary fewer than schedules, strictly increasing
 * integers >= 1.
 *
 * @throws {@link ValueError} for a schedule that is not a function, or boundaries that are not increasing integers >= 1, one fewer than the schedules.
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  checkSchedules(schedules);
  const marks = checkIncreasing("boundaries", boundaries, 1);
  if (marks.length !== schedules.length - 1) {
    throw new ValueError(
      `Invalid boundaries: ${marks.length} given for ${schedules.length} schedules (expected ${schedules.length - 1})`,
    );
  }
  const parts = [...schedules];
  return schedule((step) => {
    const i = countAtOrBelow(marks, step);
    return parts[i]!(i === 0 ? step : step - marks[i - 1]!);
  });
}

/**
 * The product of schedules at the same step (PyTorch ChainedScheduler):
 * ```text
 * value(t) = s_1(t) s_2(t) ... s_n(t)
 * ```
 * e.g. a cosine decay times a 0 -> 1 warm-up factor.
 *
 * @throws {@link ValueError} for a schedule that is not a function.
 */
export function chainSchedules(...schedules: Schedule[]): Schedule {
  checkSchedules(schedules);
  const parts = [...schedules];
  return schedule((step) => {
    let value = 1;
    for (const part of parts) value *= part(step);
    return value;
  });
}

/**
 * The curve of a schedule: `length` values at steps start, start + 1, ...; the lrs of a run
 * of `length` steps when start = 0 (sample(s, T + 1) covers steps 0..T).
 *
 * @throws {@link ValueError} when `schedule` is not a function, `length` or `start` is not an integer >= 0, or the schedule throws it for a step
 */
export function sample(schedule: Schedule, length: number, start = 0): Float64Array {
  checkSchedules([schedule]);
  checkNumber("length", length, { min: 0, integer: true });
  checkNumber("start", start, { min: 0, integer: true });
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) values[i] = schedule(start + i);
  return values;
}

function checkSchedules(schedules: readonly unknown[]): void {
  if (!Array.isArray(schedules) || schedules.length === 0) {
    throw new ValueError("Invalid schedules: expected at least one schedule");
  }
  schedules.forEach((s, i) => {
    if (typeof s !== "function") throw new ValueError(`Invalid schedule at index ${i}: ${String(s)} (expected a function of the step)`);
  });
}

/** A copy of `marks` after checking they are strictly increasing integers >= min. */
function checkIncreasing(name: string, marks: readonly number[], min: number): number[] {
  if (!Array.isArray(marks)) throw new ValueError(`Invalid ${name}: ${String(marks)} (expected an array)`);
  marks.forEach((mark, i) => {
    checkNumber(`${name}[${i}]`, mark, { min: i === 0 ? min : marks[i - 1]! + 1, integer: true });
  });
  return [...marks];
}

/** How many of the sorted `marks` are <= step (binary search). */
function countAtOrBelow(marks: readonly number[], step: number): number {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid]! <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
