import { ValueError } from "../runtime/errors";
import { runtimeOf } from "../runtime/runtime";
import { checkTensor, type Param, type Tensor } from "../runtime/tensor";
import { checkFunction, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { lineChart } from "../plot/svg";
import { TensorSnapshot } from "./snapshot";

/** What the range test needs of an optimizer: its groups' learning rates and params, a step and its state (every descend optimizer). */
export interface RangeTestable {
  /** The parameter groups; the sweep sets every group's lr and restores every group's params. */
  readonly paramGroups: ReadonlyArray<{
    /** The parameters of this group. */
    params: readonly Param[];
    /** The group's learning rate, overwritten at each step of the sweep and restored after. */
    lr: number;
  }>;
  /** One update of the parameters from their gradients. */
  step(): unknown;
  /** Zeroes the gradients of every parameter. */
  zeroGrad(): void;
  /** The optimizer's state, saved before the sweep. */
  stateDict(): unknown;
  /** Puts the state saved before the sweep back. */
  loadStateDict(state: unknown): void;
}

/** How {@link lrRangeTest} picks its suggestion from the curve. */
export type LrSuggestionRule = "steepest" | "min-over-10";

/** Options of {@link lrRangeTest}. */
export interface LrRangeOptions {
  /**
   * The first learning rate of the sweep.
   * @defaultValue 1e-7
   */
  minLr?: number;
  /**
   * The last learning rate of the sweep.
   * @defaultValue 10
   */
  maxLr?: number;
  /**
   * Steps k of the sweep (learning rates minLr (maxLr / minLr)^(i / (k - 1)), i = 0..k-1); at least 3.
   * @defaultValue 100
   */
  steps?: number;
  /**
   * beta of the bias-corrected moving average that smooths the losses, in [0, 1) (0: no
   * smoothing). The average lags about 1 / (1 - beta) steps behind the losses: over 100 steps,
   * 0.9 keeps the minibatch noise down without moving the steepest point by decades.
   * @defaultValue 0.9
   */
  smoothing?: number;
  /**
   * The sweep stops once the smoothed loss exceeds `divergence` times its minimum (or a loss is
   * not finite); > 1.
   * @defaultValue 4
   */
  divergence?: number;
  /**
   * Which learning rate to suggest: 'steepest' (where the smoothed loss falls fastest against
   * log lr) or 'min-over-10' (a tenth of the rate at the smoothed loss's minimum).
   * @defaultValue 'steepest'
   */
  rule?: LrSuggestionRule;
  /**
   * More tensors the sweep changes and must put back, e.g. BatchNorm's `runningMean` and
   * `runningVar` (the parameters, their gradients and the optimizer's state are always restored).
   * @defaultValue []
   */
  buffers?: readonly Tensor[];
}

/** What {@link lrRangeTest} returns: the curve and the suggestion. */
export interface LrRangeResult {
  /** The learning rate of each step taken. */
  lrs: number[];
  /** The loss lossAndGrad() returned at each step, before that step's update. */
  losses: number[];
  /** The bias-corrected moving average of the losses. */
  smoothed: number[];
  /** The suggested learning rate, by `rule`. */
  suggestion: number;
  /** The rule that picked `suggestion` (the option, or its default 'steepest'). */
  rule: LrSuggestionRule;
  /** The learning rate at the minimum of the smoothed loss. */
  lrAtMinLoss: number;
  /** Whether the sweep stopped before its last step because the loss diverged. */
  diverged: boolean;
}

const KNOWN = optionNames<LrRangeOptions>({ minLr: true, maxLr: true, steps: true, smoothing: true, divergence: true, rule: true, buffers: true });
const RULES: readonly LrSuggestionRule[] = ["steepest", "min-over-10"];

/**
 * The learning-rate range test (Smith 2017, "Cyclical learning rates", Sec. 3.3; the book's
 * advice to choose eps0 by watching the first iterations, Sec. 8.3.1): k training steps with
 * the learning rate growing geometrically from minLr to maxLr,
 *
 * ```
 * lr_i = minLr (maxLr / minLr)^(i / (k - 1))
 * ```
 *
 * each step calling `lossAndGrad()` (which returns the loss of a minibatch and writes the
 * gradients into the params' `grad`, zeroed before) and then the optimizer's step() at lr_i
 * (every group's lr is set to lr_i). The losses are smoothed by a bias-corrected moving average
 *
 * ```
 * a_i = beta a_{i-1} + (1 - beta) loss_i,   smoothed_i = a_i / (1 - beta^(i + 1))
 * ```
 *
 * and the sweep stops early once smoothed_i > divergence min_j smoothed_j. The suggestion
 * ('steepest', the default) is the rate where the smoothed loss falls fastest, the most negative
 * slope d smoothed / d ln lr (central differences) from the end of the first tenth of the sweep
 * (where the average has seen few losses and the slope is minibatch noise) up to the smoothed
 * minimum; where the curve never falls there, or with 'min-over-10', it is a tenth of the rate at
 * the smoothed minimum.
 *
 * The test trains on trial: the parameters, their gradients, the optimizer's state (its
 * stateDict(), learning rates and attached schedulers included) and `buffers` are put back bit
 * for bit afterwards, also when lossAndGrad throws.
 *
 * @throws ValueError for an optimizer without params, a lossAndGrad that is not a function, an
 *   option out of range (minLr >= maxLr, steps < 3, ...) or a buffer that is not a live tensor
 *   of the params' runtime; whatever lossAndGrad or the optimizer throws passes through, after
 *   everything is restored.
 * @throws DisposedError for a disposed param or buffer.
 *
 * @example
 * const found = lrRangeTest(opt, () => lossOfABatchWithGradients(), { steps: 100 });
 * opt.lr = found.suggestion;
 */
export function lrRangeTest(optimizer: RangeTestable, lossAndGrad: () => number, options: LrRangeOptions = {}): LrRangeResult {
  const params = paramsOf(optimizer);
  checkFunction("lossAndGrad", lossAndGrad);
  checkOptions(options, { of: "lrRangeTest", known: KNOWN });
  const minLr = checkNumber("minLr", options.minLr ?? 1e-7, { above: 0 });
  const maxLr = checkNumber("maxLr", options.maxLr ?? 10, { above: minLr });
  const steps = checkNumber("steps", options.steps ?? 100, { min: 3, integer: true });
  const beta = checkNumber("smoothing", options.smoothing ?? 0.9, { min: 0, below: 1 });
  const divergence = checkNumber("divergence", options.divergence ?? 4, { above: 1 });
  const rule = options.rule ?? "steepest";
  if (!RULES.includes(rule)) throw new ValueError(`Invalid rule: ${String(rule)} (expected 'steepest' or 'min-over-10')`);
  const rt = runtimeOf(params[0]!);
  const buffers = options.buffers ?? [];
  if (!Array.isArray(buffers)) throw new ValueError(`Invalid buffers: ${String(buffers)} (expected an array of tensors)`);
  buffers.forEach((t, i) => checkTensor(`buffers[${i}]`, t, rt));

  const saved = optimizer.stateDict();
  const snapshot = new TensorSnapshot(rt, [...params, ...params.map((p) => p.grad), ...buffers]);
  const curve = { lrs: [] as number[], losses: [] as number[], smoothed: [] as number[], diverged: false };
  try {
    sweep(optimizer, lossAndGrad, { minLr, maxLr, steps, beta, divergence }, curve);
  } finally {
    snapshot.restore();
    snapshot.dispose();
    optimizer.loadStateDict(saved);
  }
  const lrAtMinLoss = curve.lrs[argmin(curve.smoothed)] ?? minLr;
  return { ...curve, rule, lrAtMinLoss, suggestion: rule === "steepest" ? steepest(curve.lrs, curve.smoothed, steps) ?? lrAtMinLoss / 10 : lrAtMinLoss / 10 };
}

interface Sweep {
  minLr: number;
  maxLr: number;
  steps: number;
  beta: number;
  divergence: number;
}

/** The sweep itself, appending to `curve` as it goes (so a throw keeps what was measured). */
function sweep(optimizer: RangeTestable, lossAndGrad: () => number, s: Sweep, curve: Omit<LrRangeResult, "suggestion" | "rule" | "lrAtMinLoss">): void {
  let average = 0;
  let best = Infinity;
  for (let i = 0; i < s.steps; i++) {
    const lr = s.minLr * (s.maxLr / s.minLr) ** (i / (s.steps - 1));
    for (const group of optimizer.paramGroups) group.lr = lr;
    optimizer.zeroGrad();
    const loss = lossAndGrad();
    if (typeof loss !== "number") throw new ValueError(`Invalid loss: lossAndGrad returned ${String(loss)} (expected a number)`);
    if (!Number.isFinite(loss)) {
      curve.diverged = true;
      return;
    }
    average = s.beta * average + (1 - s.beta) * loss;
    const smoothed = average / (1 - s.beta ** (i + 1));
    curve.lrs.push(lr);
    curve.losses.push(loss);
    curve.smoothed.push(smoothed);
    best = Math.min(best, smoothed);
    if (smoothed > s.divergence * best) {
      curve.diverged = true;
      return;
    }
    optimizer.step();
  }
}

/**
 * The rate of the most negative slope of smoothed against ln lr, from step floor(steps / 10) up to
 * the minimum; undefined where it never falls.
 */
function steepest(lrs: readonly number[], smoothed: readonly number[], steps: number): number | undefined {
  const end = argmin(smoothed);
  let best: number | undefined;
  let bestSlope = 0;
  for (let i = Math.floor(steps / 10); i <= end; i++) {
    const [a, b] = [Math.max(0, i - 1), Math.min(smoothed.length - 1, i + 1)];
    if (a === b) continue;
    const slope = (smoothed[b]! - smoothed[a]!) / (Math.log(lrs[b]!) - Math.log(lrs[a]!));
    if (slope < bestSlope) [best, bestSlope] = [lrs[i]!, slope];
  }
  return best;
}

function argmin(values: readonly number[]): number {
  let at = 0;
  values.forEach((v, i) => {
    if (v < values[at]!) at = i;
  });
  return at;
}

/** The optimizer's params, each live (ValueError for a non-optimizer or no params, DisposedError for a disposed param). */
function paramsOf(optimizer: RangeTestable): Param[] {
  if (
    optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups) ||
    typeof optimizer.step !== "function" || typeof optimizer.zeroGrad !== "function" ||
    typeof optimizer.stateDict !== "function" || typeof optimizer.loadStateDict !== "function"
  ) {
    throw new ValueError(`Invalid optimizer: ${String(optimizer)} (expected an optimizer with paramGroups, step(), zeroGrad(), stateDict() and loadStateDict())`);
  }
  const params = optimizer.paramGroups.flatMap((group) => [...group.params]);
  if (params.length === 0) throw new ValueError("Invalid optimizer: it has no parameters");
  params.forEach((p, i) => {
    checkTensor(`params[${i}]`, p, params[0]!.runtime);
    checkTensor(`params[${i}].grad`, p.grad, params[0]!.runtime);
  });
  return params;
}

/**
 * The range test's curve as an SVG line chart on log-log axes: the raw and smoothed losses
 * against the learning rate, and a vertical line at the suggestion.
 *
 * @throws ValueError when `result` is not an {@link LrRangeResult} (arrays of equal length, a numeric suggestion) or the title is not a string.
 */
export function lrRangeChart(result: LrRangeResult, title = "learning-rate range test"): string {
  const arrays = [result?.lrs, result?.losses, result?.smoothed];
  if (!arrays.every((a) => Array.isArray(a) && a.length === result.lrs.length) || typeof result.suggestion !== "number") {
    throw new ValueError(`Invalid result: ${String(result)} (expected what lrRangeTest returns)`);
  }
  if (typeof title !== "string") throw new ValueError(`Invalid title: ${String(title)} (expected a string)`);
  const points = (ys: readonly number[]) => result.lrs.map((lr, i) => [lr, ys[i]!] as const);
  const finite = result.losses.filter((v) => v > 0);
  const [low, high] = [Math.min(...finite, ...result.smoothed), Math.max(...finite, ...result.smoothed)];
  return lineChart({
    title,
    xLabel: "learning rate",
    yLabel: "loss",
    logX: true,
    logY: true,
    series: [
      { name: "loss", points: points(result.losses) },
      { name: "smoothed", points: points(result.smoothed) },
      { name: `suggested ${result.suggestion.toPrecision(2)}`, points: [[result.suggestion, low], [result.suggestion, high]] },
    ],
  });
}
