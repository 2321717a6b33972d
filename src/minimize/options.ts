import { ShapeError, ValueError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { CLASSIFY_MAX_N } from "./classify";
import type { GradientRule } from "./finite-differences";
import type { Objective } from "./objectives";

/** The methods of {@link minimize}. */
export type Method = "steepest" | "cg" | "bfgs" | "lbfgs" | "newton" | "coordinate";

/** Line searches: exact (quadratic objectives), Armijo backtracking, More-Thuente strong Wolfe. */
export type LineSearch = "exact" | "armijo" | "strong-wolfe";

/** The beta of nonlinear conjugate gradients (Nocedal & Wright 2006, Sec. 5.2; Hager & Zhang 2005). */
export type CGBeta =
  | "fletcher-reeves"
  | "polak-ribiere"
  | "polak-ribiere+"
  | "hestenes-stiefel"
  | "dai-yuan"
  | "hager-zhang";

/**
 * Why a run stopped. The first three mean convergence (`converged: true`):
 * - 'gtol': max_i |g_i| <= gtol;
 * - 'ftol': (f_prev - f) <= ftol max(|f_prev|, |f|, 1) (the L-BFGS-B test);
 * - 'xtol': max_i |x_i - x_prev_i| <= xtol;
 * and the others do not:
 * - 'max-iter', 'max-eval', 'max-time': a budget ran out;
 * - 'aborted': the AbortSignal fired; 'callback': onIteration returned true;
 * - 'non-finite': f or g is NaN or infinite at the start, or every trial of a step was;
 * - 'line-search-failed': no acceptable step along a descent direction, even after a restart
 *   along -g (often: the gradient does not match f, or f is flat to rounding).
 */
export type Status =
  | "gtol"
  | "ftol"
  | "xtol"
  | "max-iter"
  | "max-eval"
  | "max-time"
  | "aborted"
  | "callback"
  | "non-finite"
  | "line-search-failed";

/**
 * Box constraints l <= x <= u for 'lbfgs' (L-BFGS-B), in either of scipy's two forms:
 * - one `[lower, upper]` pair per variable (scipy's sequence of `(min, max)`), `null` for a side
 *   without a bound (scipy's None);
 * - `{ lower, upper }` (scipy's `Bounds(lb, ub)`), each a number for every variable or one number
 *   per variable; an omitted side is unbounded.
 *
 * -Infinity / Infinity also mean "no bound". lower = upper fixes a variable.
 */
export type Bounds =
  | ReadonlyArray<readonly [number | null, number | null]>
  | {
      /** Lower bounds: one number for every variable, or one per variable. @defaultValue -Infinity (none) */
      lower?: number | ArrayLike<number>;
      /** Upper bounds: one number for every variable, or one per variable. @defaultValue Infinity (none) */
      upper?: number | ArrayLike<number>;
    };

/** Progress passed to `onIteration` after each iteration. */
export interface IterationInfo {
  /** Iterations done (1 after the first). */
  nit: number;
  /** f at the current point. */
  f: number;
  /** max_i |g_i|. */
  gradNorm: number;
  /** The current point: a view valid only during the callback (copy it to keep it). */
  x: Float64Array;
  /** Calls of f so far. */
  nfev: number;
  /** Step length of the iteration (1 for newton and coordinate sweeps). */
  step: number;
}

/**
 * `fg(x, g)`: write the gradient at x into g and return f(x). With the option `gradient`, a
 * function of x alone, `(x) => f(x)`, whose gradient minimize() computes by finite differences.
 */
export type FG = (x: Float64Array, g: Float64Array) => number;

/** Options of {@link minimize}: the method, its line search, stopping tests and budgets. */
export interface MinimizeOptions {
  /**
   * The algorithm (see {@link Method}).
   * @defaultValue 'lbfgs'
   */
  method?: Method;
  /**
   * Default 'strong-wolfe'; 'exact' needs an objective with curvature (quadratic(), diagonalQuadratic(),
   * leastSquares()). 'newton' ignores it (Levenberg-Marquardt steps are accepted by a ratio test).
   * @defaultValue 'strong-wolfe'
   */
  lineSearch?: LineSearch;
  /**
   * Sufficient-decrease constant c1 of Armijo and Wolfe, in (0, 1); default 1e-4.
   * @defaultValue 1e-4
   */
  c1?: number;
  /**
   * Curvature constant c2 of strong Wolfe, in (c1, 1); default 0.9, and 0.4 for 'cg' and 'steepest' (scipy's CG).
   * @defaultValue 0.9
   */
  c2?: number;
  /**
   * Most f/g evaluations per line search; default 20 (scipy, L-BFGS-B maxls).
   * @defaultValue 20
   */
  maxLineSearch?: number;
  /**
   * Stop when max_i |g_i| <= gtol, an absolute test on the gradient as fg returns it (whatever
   * the internal scale): for an objective whose gradients are tiny (1e-160), the default stops at
   * x0; pass a gtol on that scale.
   * @defaultValue 1e-5 (scipy BFGS, L-BFGS-B)
   */
  gtol?: number;
  /**
   * Stop when (f_prev - f) <= ftol max(|f_prev|, |f|, 1); default 0 (off). `LBFGSB_FTOL` (2.22e-9)
   * is scipy L-BFGS-B's default and reproduces its stopping, which can end early in a slow valley
   * (Wood's function: f = 7.88).
   * @defaultValue 0
   */
  ftol?: number;
  /**
   * Stop when max_i |x_i - x_prev_i| <= xtol; default 0 (off).
   * @defaultValue 0
   */
  xtol?: number;
  /**
   * Most iterations; default 15000 (L-BFGS-B's maxiter).
   * @defaultValue 15000
   */
  maxIter?: number;
  /**
   * Most calls of f (nfev), checked before each gradient: finite differences may pass it by up to 2n; default Infinity.
   * @defaultValue Infinity
   */
  maxEval?: number;
  /**
   * Milliseconds before stopping with 'max-time'; default Infinity.
   * @defaultValue Infinity
   */
  maxTime?: number;
  /**
   * Stops the run with 'aborted' when it fires (checked before every evaluation).
   * @defaultValue none
   */
  signal?: AbortSignal;
  /**
   * Called after each iteration; return true to stop with 'callback'.
   * @defaultValue none
   */
  onIteration?: (info: IterationInfo) => boolean | void;
  /**
   * 'cg': the beta formula; default 'polak-ribiere+'.
   * @defaultValue 'polak-ribiere+'
   */
  beta?: CGBeta;
  /**
   * 'cg': restart along -g every `restart` iterations; default n.
   * @defaultValue n
   */
  restart?: number;
  /**
   * 'lbfgs': pairs kept; default 10 (L-BFGS-B maxcor).
   * @defaultValue 10
   */
  memory?: number;
  /**
   * 'newton': fills H (n x n, row-major) with the Hessian at x. An Objective may bring its own.
   * @defaultValue the Objective's, else assembled from `hessp`
   */
  hess?: (x: Float64Array, H: Float64Array) => void;
  /**
   * 'newton', when no `hess` is given: writes the Hessian-vector product Hv at x into out. The
   * Hessian is assembled from n products with the unit vectors (one per row, H being symmetric).
   * @defaultValue none
   */
  hessp?: (x: Float64Array, v: Float64Array, out: Float64Array) => void;
  /**
   * 'newton': the damping alpha of the step d = -[H + alpha I]^-1 g. 'adaptive': Levenberg-Marquardt,
   * alpha adapted by the ratio of actual to predicted reduction, steps that do not reduce f
   * rejected. A number alpha >= 0: that alpha at every step, every step taken (no line search),
   * on the user's scale of f; 0 is the pure Newton iteration, which converges to saddles and
   * maxima as readily as to minima (Goodfellow et al. 2016, Sec. 8.6.1).
   * @defaultValue 'adaptive'
   */
  damping?: "adaptive" | number;
  /**
   * Classify the final point by the second-derivative test (result field `criticalPoint`):
   * Lanczos with n steps on central-difference Hessian-vector products of fg, 2n more gradient
   * evaluations (not counted in nfev). For n <= 1000; not with `gradient` (differences of
   * differences).
   * @defaultValue false
   */
  classify?: boolean;
  /**
   * Set when fg gives f alone, `(x) => f(x)`: the gradient by finite differences, 'forward'
   * (h = sqrt(eps) max(1, |x_i|), n + 1 calls of f per gradient) or 'central'
   * (h = cbrt(eps) max(1, |x_i|), 2n + 1 calls; more accurate). nfev counts every call of f.
   * Not for an Objective (it has its gradient).
   * @defaultValue undefined: fg writes the gradient
   */
  gradient?: GradientRule;
  /**
   * 'lbfgs' only: keep every variable in its box l <= x <= u (see {@link Bounds}), by L-BFGS-B
   * (Byrd, Lu, Nocedal & Zhu 1995, with Morales & Nocedal's 2011 subspace step). f is evaluated
   * only inside the box, finite-difference steps included (one-sided at a bound); an x0 outside
   * starts from its projection onto the box, as in L-BFGS-B and scipy. The gtol test and
   * `gradNorm` then use the projected gradient max_i |P(x - g)_i - x_i|, which is 0 at a
   * constrained minimizer where g is not.
   * @defaultValue none (unconstrained)
   */
  bounds?: Bounds;
  /**
   * Where the vectors live and which backend runs the kernels; see {@link minimize}.
   * @defaultValue the objective's runtime, else a hidden wasm runtime
   */
  runtime?: Runtime;
}

/** Options with every default filled in, after validation. */
export interface Resolved {
  method: Method;
  lineSearch: LineSearch;
  c1: number;
  c2: number;
  maxLineSearch: number;
  gtol: number;
  ftol: number;
  xtol: number;
  maxIter: number;
  maxEval: number;
  maxTime: number;
  signal: AbortSignal | undefined;
  onIteration: ((info: IterationInfo) => boolean | void) | undefined;
  beta: CGBeta;
  restart: number;
  memory: number;
  hess: ((x: Float64Array, H: Float64Array) => void) | undefined;
  hessp: ((x: Float64Array, v: Float64Array, out: Float64Array) => void) | undefined;
  gradient: GradientRule | undefined;
  damping: "adaptive" | number;
  classify: boolean;
  /** The box, or null when none was given or every bound is infinite. */
  bounds: BoxBounds | null;
}

/** Bounds as two arrays of n values (-Infinity / Infinity where a side is free). */
export interface BoxBounds {
  lower: Float64Array;
  upper: Float64Array;
}

/** scipy L-BFGS-B's default ftol, factr = 1e7 times machine epsilon: pass it as `ftol` to stop as scipy does. */
export const LBFGSB_FTOL = 1e7 * Number.EPSILON;

const METHODS: readonly Method[] = ["steepest", "cg", "bfgs", "lbfgs", "newton", "coordinate"];
const LINE_SEARCHES: readonly LineSearch[] = ["exact", "armijo", "strong-wolfe"];
const BETAS: readonly CGBeta[] = [
  "fletcher-reeves",
  "polak-ribiere",
  "polak-ribiere+",
  "hestenes-stiefel",
  "dai-yuan",
  "hager-zhang",
];
const KNOWN = optionNames<MinimizeOptions>({
  method: true, lineSearch: true, c1: true, c2: true, maxLineSearch: true, gtol: true, ftol: true, xtol: true, maxIter: true,
  maxEval: true, maxTime: true, signal: true, onIteration: true, beta: true, restart: true, memory: true, hess: true,
  hessp: true, runtime: true, gradient: true, damping: true, classify: true, bounds: true,
});
const GRADIENT_RULES: readonly GradientRule[] = ["forward", "central"];

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new ValueError(`Invalid ${name}: ${String(value)} (expected one of ${allowed.map((a) => `'${a}'`).join(", ")})`);
  }
  return value as T;
}

/** Validates every option (throwing ValueError before anything runs) and fills in defaults. */
export function resolveOptions(options: MinimizeOptions, n: number, objective: Objective | null): Resolved {
  checkOptions(options, { required: true, of: "minimize", known: KNOWN });
  const method = oneOf("method", options.method ?? "lbfgs", METHODS);
  const lineSearch = oneOf("lineSearch", options.lineSearch ?? "strong-wolfe", LINE_SEARCHES);
  if (lineSearch === "exact" && !objective?.curvature && method !== "newton") {
    throw new ValueError(
      "Invalid lineSearch: exact (expected an objective with curvature: quadratic(), diagonalQuadratic() or leastSquares())",
    );
  }
  const c1 = checkNumber("c1", options.c1 ?? 1e-4, { above: 0, below: 1 });
  const c2 = checkNumber("c2", options.c2 ?? (method === "cg" || method === "steepest" ? 0.4 : 0.9), { above: c1, below: 1 });
  const maxEval = options.maxEval ?? Infinity;
  if (maxEval !== Infinity) checkNumber("maxEval", maxEval, { min: 1, integer: true });
  const maxTime = options.maxTime ?? Infinity;
  if (maxTime !== Infinity) checkNumber("maxTime", maxTime, { min: 0 });
  if (options.signal !== undefined && !(typeof options.signal === "object" && options.signal !== null && "aborted" in options.signal)) {
    throw new ValueError(`Invalid signal: ${String(options.signal)} (expected an AbortSignal)`);
  }
  if (options.onIteration !== undefined && typeof options.onIteration !== "function") {
    throw new ValueError(`Invalid onIteration: ${String(options.onIteration)} (expected a function)`);
  }
  if (options.hess !== undefined && typeof options.hess !== "function") {
    throw new ValueError(`Invalid hess: ${String(options.hess)} (expected a function (x, H) => void)`);
  }
  if (options.hessp !== undefined && typeof options.hessp !== "function") {
    throw new ValueError(`Invalid hessp: ${String(options.hessp)} (expected a function (x, v, out) => void)`);
  }
  if (method === "newton" && !options.hess && !options.hessp && !objective?.hessian) {
    throw new ValueError("Invalid method: newton (expected a hess(x, H) or hessp(x, v, out) option, or an objective with a Hessian)");
  }
  const gradient = options.gradient === undefined ? undefined : oneOf("gradient", options.gradient, GRADIENT_RULES);
  if (gradient && objective) {
    throw new ValueError(`Invalid gradient: ${gradient} (an Objective computes its own gradient; finite differences are for a function (x) => f)`);
  }
  const damping = options.damping ?? "adaptive";
  if (damping !== "adaptive") {
    if (typeof damping !== "number") throw new ValueError(`Invalid damping: ${String(damping)} (expected 'adaptive' or a finite number >= 0)`);
    checkNumber("damping", damping, { min: 0 });
  }
  if (options.damping !== undefined && method !== "newton") {
    throw new ValueError(`Invalid damping: ${String(damping)} (only 'newton' is damped; method is '${method}')`);
  }
  const classify = options.classify ?? false;
  if (typeof classify !== "boolean") throw new ValueError(`Invalid classify: ${String(classify)} (expected true or false)`);
  if (classify && gradient) throw new ValueError("Invalid classify: true (not with finite-difference gradients: its Hessian would be differences of differences)");
  if (classify && n > CLASSIFY_MAX_N) throw new ShapeError(`classify: n = ${n} is too large (at most ${CLASSIFY_MAX_N})`);
  if (method === "newton" && n > 20000) {
    throw new ShapeError(`newton keeps a dense n x n Hessian; n = ${n} is too large (at most 20000)`);
  }
  if (method === "bfgs" && n > 20000) {
    throw new ShapeError(`bfgs keeps a dense n x n inverse Hessian; n = ${n} is too large (use 'lbfgs')`);
  }
  const bounds = options.bounds === undefined ? null : resolveBounds(options.bounds, n);
  if (options.bounds !== undefined && method !== "lbfgs") {
    throw new ValueError(`Invalid bounds: only 'lbfgs' takes bounds (L-BFGS-B); method is '${method}'`);
  }
  if (bounds && lineSearch === "exact") {
    throw new ValueError("Invalid lineSearch: exact (its step may leave the box; use 'strong-wolfe' or 'armijo' with bounds)");
  }
  return {
    bounds,
    method,
    lineSearch,
    c1,
    c2,
    maxLineSearch: checkNumber("maxLineSearch", options.maxLineSearch ?? 20, { min: 1, integer: true }),
    gtol: checkNumber("gtol", options.gtol ?? 1e-5, { min: 0 }),
    ftol: checkNumber("ftol", options.ftol ?? 0, { min: 0, below: 1 }),
    xtol: checkNumber("xtol", options.xtol ?? 0, { min: 0 }),
    maxIter: checkNumber("maxIter", options.maxIter ?? 15000, { min: 0, integer: true }),
    maxEval,
    maxTime,
    signal: options.signal,
    onIteration: options.onIteration,
    beta: oneOf("beta", options.beta ?? "polak-ribiere+", BETAS),
    restart: checkNumber("restart", options.restart ?? Math.max(n, 1), { min: 1, integer: true }),
    memory: checkNumber("memory", options.memory ?? 10, { min: 1, max: 1000, integer: true }),
    hess: options.hess,
    hessp: options.hessp,
    gradient,
    damping,
    classify,
  };
}

/** Validates bounds in either form (ValueError, ShapeError for a wrong count); null when every bound is infinite. */
function resolveBounds(bounds: Bounds, n: number): BoxBounds | null {
  const lower = new Float64Array(n).fill(-Infinity);
  const upper = new Float64Array(n).fill(Infinity);
  if (Array.isArray(bounds)) {
    if (bounds.length !== n) throw new ShapeError(`bounds has ${bounds.length} pairs but x0 has ${n} values`);
    bounds.forEach((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ValueError(`Invalid bounds[${i}]: ${String(pair)} (expected a pair [lower, upper], null for no bound)`);
      }
      lower[i] = boundValue(`bounds[${i}][0]`, pair[0], -Infinity);
      upper[i] = boundValue(`bounds[${i}][1]`, pair[1], Infinity);
    });
  } else if (typeof bounds === "object" && bounds !== null) {
    const sides = bounds as Exclude<Bounds, readonly unknown[]>;
    checkOptions(sides, { of: "bounds", known: optionNames<typeof sides>({ lower: true, upper: true }) });
    fillSide("lower", sides.lower, lower);
    fillSide("upper", sides.upper, upper);
  } else {
    throw new ValueError(`Invalid bounds: ${String(bounds)} (expected [lower, upper] pairs or { lower, upper })`);
  }
  for (let i = 0; i < n; i++) {
    if (!(lower[i]! <= upper[i]!) || lower[i] === Infinity || upper[i] === -Infinity) {
      throw new ValueError(`Invalid bounds for variable ${i}: [${lower[i]}, ${upper[i]}] (expected lower <= upper, lower < Infinity, upper > -Infinity)`);
    }
  }
  const unbounded = lower.every((v) => v === -Infinity) && upper.every((v) => v === Infinity);
  return unbounded ? null : { lower, upper };
}

/** One side of { lower, upper }: a number for every variable, or one per variable. */
function fillSide(side: "lower" | "upper", given: number | ArrayLike<number> | undefined, out: Float64Array): void {
  if (given === undefined) return;
  const none = side === "lower" ? -Infinity : Infinity;
  if (typeof given === "number") {
    out.fill(boundValue(`bounds.${side}`, given, none));
    return;
  }
  if (typeof given !== "object" || given === null || typeof given.length !== "number") {
    throw new ValueError(`Invalid bounds.${side}: ${String(given)} (expected a number or one number per variable)`);
  }
  if (given.length !== out.length) throw new ShapeError(`bounds.${side} has ${given.length} values but x0 has ${out.length}`);
  for (let i = 0; i < out.length; i++) out[i] = boundValue(`bounds.${side}[${i}]`, given[i], none);
}

/** A bound: a number (not NaN; infinities allowed), or null / undefined for none. */
function boundValue(name: string, value: unknown, none: number): number {
  if (value === null || value === undefined) return none;
  if (typeof value !== "number" || Number.isNaN(value)) throw new ValueError(`Invalid ${name}: ${String(value)} (expected a number, or null for no bound)`);
  return value;
}
