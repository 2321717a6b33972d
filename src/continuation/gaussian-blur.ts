import { ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkNoOverlap } from "../runtime/overlap";
import { checkFloatTensor, type Tensor } from "../runtime/tensor";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { Philox, toGenerator } from "../random/philox";

/**
 * An objective J: returns J(x); when `grad` is a tensor, also writes the gradient of J at x
 * into it (overwriting). Only the 'pathwise' estimator asks for gradients.
 */
export type ContinuationObjective = (x: Tensor, grad: Tensor | null) => number;

/** How {@link GaussianBlur} estimates the gradient of J_sigma. */
export type BlurGradient = "pathwise" | "score";

/** Options of {@link GaussianBlur}. */
export interface GaussianBlurOptions {
  /** Blur radius sigma >= 0; 0 is the objective itself. */
  sigma: number;
  /**
   * Noise draws per estimate (pairs when antithetic); default 8.
   * @defaultValue 8
   */
  samples?: number;
  /**
   * Use e and -e together (cancels the odd terms of the estimate); default true.
   * @defaultValue true
   */
  antithetic?: boolean;
  /**
   * 'pathwise' (default): the mean of grad J(theta + sigma e), needs gradients.
   * 'score': the mean of J(theta + sigma e) e / sigma, values only (Gaussian smoothing of
   * Nesterov & Spokoiny 2017); with antithetic pairs (J(+) - J(-)) e / (2 sigma).
   * @defaultValue 'pathwise'
   */
  gradient?: BlurGradient;
  /**
   * A generator or seed for the noise; default seed 0.
   * @defaultValue seed 0
   */
  rng?: Philox | number;
}

/**
 * The Gaussian-blurred objective of continuation methods (Goodfellow et al. 2016, sec. 8.7;
 * Mobahi & Fisher 2015):
 *
 * ```text
 * J_sigma(theta) = E_{e ~ N(0, I)} [ J(theta + sigma e) ],
 * grad J_sigma(theta) = E[ grad J(theta + sigma e) ] = E[ J(theta + sigma e) e ] / sigma.
 * ```
 *
 * Blurring removes detail smaller than sigma: a sequence of decreasing sigmas
 * ({@link blurSchedule}) turns a hard non-convex problem into a chain of easier ones, each
 * started from the previous solution. The estimates are Monte Carlo averages over noise
 * regenerated in wasm from its Philox position (nothing stored); `valueAndGrad` writes into
 * any tensor, typically `param.grad`, so every optimizer can step on J_sigma.
 * For a quadratic J = x'Ax/2 + b'x, J_sigma = J + sigma^2 tr(A) / 2 and grad J_sigma = grad J.
 *
 * @example
 * const blur = new GaussianBlur(rt, (x, g) => loss(x, g), { sigma: 1, samples: 16 });
 * for (const sigma of blurSchedule({ initial: 1, stages: 4 })) {
 *   blur.sigma = sigma;
 *   for (let t = 0; t < 200; t++) { blur.valueAndGrad(w, w.grad); opt.step(); }
 * }
 */
export class GaussianBlur {
  /** Noise draws per estimate (antithetic pairs count once). */
  readonly samples: number;
  /** Whether each draw e is used together with -e. */
  readonly antithetic: boolean;
  /** The gradient estimator: 'pathwise' or 'score'. */
  readonly gradient: BlurGradient;
  private readonly generator: Philox;
  private radius = 0;

  /**
   * @param runtime - the runtime of the tensors the objective is evaluated at
   * @param objective - J, called with the perturbed point (and a gradient tensor for 'pathwise')
   * @throws {@link ValueError} when `runtime` is not a Runtime, `objective` is not a function, or for a missing, unknown or out-of-range option (sigma < 0, samples not an integer >= 1, an unknown gradient, a bad seed)
   */
  constructor(
    /** The runtime whose tensors this blur estimates at. */
    readonly runtime: Runtime,
    private readonly objective: ContinuationObjective,
    options: GaussianBlurOptions,
  ) {
    checkRuntime(runtime);
    if (typeof objective !== "function") throw new ValueError(`Invalid objective: ${typeof objective} (expected a function)`);
    checkOptions(options, { required: true, of: "GaussianBlur", known: optionNames<GaussianBlurOptions>({ sigma: true, samples: true, antithetic: true, gradient: true, rng: true }) });
    this.sigma = options.sigma;
    this.samples = checkNumber("samples", options.samples ?? 8, { integer: true, min: 1 });
    this.antithetic = checkBoolean("antithetic", options.antithetic ?? true);
    const gradient = options.gradient ?? "pathwise";
    if (gradient !== "pathwise" && gradient !== "score") {
      throw new ValueError(`Invalid gradient: ${String(gradient)} (expected 'pathwise' or 'score')`);
    }
    this.gradient = gradient;
    this.generator = toGenerator(options.rng);
  }

  /** The blur radius sigma >= 0 of the next estimates; 0 is the objective itself. */
  get sigma(): number {
    return this.radius;
  }

  /**
   * Changes the radius, e.g. between the stages of {@link blurSchedule}.
   *
   * @throws {@link ValueError} unless `value` is a finite number >= 0 (the radius is kept)
   */
  set sigma(value: number) {
    this.radius = checkNumber("sigma", value, { min: 0 });
  }

  /**
   * A Monte Carlo estimate of J_sigma(theta): the mean of J over the perturbed points.
   *
   * @throws {@link ValueError} when `theta` is not a Tensor of this runtime
   * @throws {@link ShapeError} when `theta` is not f32 or f64
   * @throws {@link DisposedError} when `theta` or the runtime was disposed
   * @throws whatever the objective throws
   */
  value(theta: Tensor): number {
    checkFloatTensor("theta", theta, this.runtime);
    return this.estimate(theta, null);
  }

  /**
   * Estimates J_sigma(theta) and writes the estimate of its gradient into `grad` (overwriting).
   *
   * @returns the estimate of J_sigma(theta)
   * @throws {@link ValueError} when `theta` or `grad` is not a Tensor of this runtime, when they overlap, or for the 'score' estimator at sigma = 0
   * @throws {@link ShapeError} for a dtype other than f32/f64, or a `grad` whose dtype or length differs from theta's
   * @throws {@link DisposedError} when a tensor or the runtime was disposed
   * @throws whatever the objective throws
   */
  valueAndGrad(theta: Tensor, grad: Tensor): number {
    checkFloatTensor("theta", theta, this.runtime);
    checkFloatTensor("grad", grad, this.runtime);
    if (grad.dtype !== theta.dtype || grad.length !== theta.length) {
      throw new ShapeError(`${grad.describe()} cannot hold the gradient of ${theta.describe()}`);
    }
    checkNoOverlap("GaussianBlur.valueAndGrad", [["grad", grad]], [["theta", theta]]);
    if (this.gradient === "score" && this.radius === 0) {
      throw new ValueError("Invalid sigma: 0 (the score-function gradient needs sigma > 0; use 'pathwise')");
    }
    return this.estimate(theta, grad);
  }

  private estimate(theta: Tensor, grad: Tensor | null): number {
    const rt = this.runtime;
    const n = theta.length;
    if (this.radius === 0) {
      return this.objective(theta, grad);
    }
    const f32 = theta.dtype === "f32";
    const k = rt.kernels;
    const perturb = f32 ? k.f32_philox_perturb : k.f64_philox_perturb;
    const noiseAxpy = f32 ? k.f32_philox_normal_axpy : k.f64_philox_normal_axpy;
    const scaledAdd = f32 ? k.f32_scaled_add : k.f64_scaled_add;
    const signs = this.antithetic ? [1, -1] : [1];
    const draws = this.samples * signs.length;
    const pathwise = grad !== null && this.gradient === "pathwise";
    return rt.scope(() => {
      const x = rt.tensor(theta.shape, { dtype: theta.dtype });
      const g = pathwise ? rt.tensor(theta.shape, { dtype: theta.dtype }) : null;
      // Without antithetic pairs the score estimator subtracts J(theta), a control variate.
      const baseline = grad !== null && !pathwise && !this.antithetic ? this.objective(theta, null) : 0;
      grad?.fill(0);
      let total = 0;
      for (let s = 0; s < this.samples; s++) {
        const pos = this.generator.take(n, 2);
        const key = this.generator.key();
        for (const sign of signs) {
          perturb(x.ptr, theta.ptr, n, ...key, pos, sign * this.radius);
          const f = this.objective(x, g);
          total += f;
          if (pathwise) scaledAdd(grad!.ptr, g!.ptr, n, 1 / draws);
          else if (grad !== null) noiseAxpy(grad.ptr, n, ...key, pos, (sign * (f - baseline)) / (this.radius * draws));
        }
      }
      return total / draws;
    });
  }
}

/**
 * Blur radii for a continuation method: initial, initial r, initial r^2, ... (`stages`
 * values), then 0, the original objective, unless `endAtZero` is false.
 *
 * ```text
 * sigma_i = initial ratio^i,  i = 0 .. stages - 1
 * ```
 *
 * @throws {@link ValueError} for a missing, unknown or out-of-range option
 */
export function blurSchedule(options: {
  /** The first (largest) radius, > 0. */
  initial: number;
  /**
   * Factor between successive radii, in (0, 1).
   * @defaultValue 0.5
   */
  ratio?: number;
  /**
   * Radii before the final 0, an integer >= 1.
   * @defaultValue 5
   */
  stages?: number;
  /**
   * Whether a final 0 (the objective itself) ends the list.
   * @defaultValue true
   */
  endAtZero?: boolean;
}): number[] {
  checkOptions(options, { required: true, of: "blurSchedule", known: ["initial", "ratio", "stages", "endAtZero"] });
  const initial = checkNumber("initial", options.initial, { above: 0 });
  const ratio = checkNumber("ratio", options.ratio ?? 0.5, { above: 0, below: 1 });
  const stages = checkNumber("stages", options.stages ?? 5, { integer: true, min: 1 });
  const sigmas = Array.from({ length: stages }, (_, i) => initial * ratio ** i);
  return options.endAtZero === false ? sigmas : [...sigmas, 0];
}

