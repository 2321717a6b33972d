import { ShapeError, ValueError } from "../runtime/errors";
import { initSync } from "../runtime/create";
import type { Kernels } from "../runtime/kernels";
import { runtimeOf, type Runtime } from "../runtime/runtime";
import { Tensor, checkTensor } from "../runtime/tensor";
import { checkValues } from "../runtime/validate";
import { LS, LS_CODE, LS_MODE, LS_SLOTS } from "../reference/minimize/linesearch-layout";
import type { CriticalPoint } from "../diagnostics/classify";
import { classifyFinalPoint } from "./classify";
import { finiteDifferenceGradient } from "./finite-differences";
import { checkFinite, checkObjectiveLive, isObjective, type Objective } from "./objectives";
import { BFGS, ConjugateGradient, LBFGS, Steepest, type Direction, type DirectionHost } from "./directions";
import { BoundedLBFGS } from "./lbfgsb";
import { resolveOptions, type FG, type MinimizeOptions, type Resolved, type Status } from "./options";

/** What a run found, under descend's names; {@link MinimizeResult} adds scipy's. */
export interface MinimizeFields {
  /**
   * With `classify: true`: the second-derivative test at x (src/diagnostics'
   * classifyCriticalPoint with minimize's gtol): `kind` ('minimum', 'maximum', 'saddle',
   * 'degenerate' or 'not-critical') and the Hessian's extreme eigenvalues `min`, `max`. Absent
   * otherwise, and when the run ended without a finite f and gradient at x.
   * @defaultValue absent (without `classify`)
   */
  criticalPoint?: CriticalPoint;
  /** The final point (a copy, owned by the caller). */
  x: Float64Array;
  /** f(x), exactly as the last evaluation at x returned it. */
  f: number;
  /** The gradient at x (a copy). */
  grad: Float64Array;
  /** max_i |grad_i|. */
  gradNorm: number;
  /** Iterations (accepted steps; sweeps for 'coordinate'). */
  nit: number;
  /** Calls of f: of fg, of the objective, or of f alone (n + 1 or 2n + 1 per finite-difference gradient). */
  nfev: number;
  /** Gradients computed (equal to nfev, except with finite differences). */
  ngev: number;
  /** Evaluations of the Hessian ('newton'). */
  nhev: number;
  /** True when the status is 'gtol', 'ftol' or 'xtol'. */
  converged: boolean;
  /** Why the run stopped (see {@link Status}). */
  status: Status;
  /** The status in words, for logs. */
  message: string;
  /** The method that ran. */
  method: Resolved["method"];
}

/**
 * The result of {@link minimize}: its fields, plus the same values under the names of scipy's
 * `OptimizeResult` (`fun`, `jac`, `success`, `njev`), so code written against
 * `scipy.optimize.minimize` ports field for field. `jac` is the same array as `grad`.
 */
export interface MinimizeResult extends MinimizeFields {
  /** scipy's name for `f`. */
  fun: number;
  /** scipy's name for `grad` (the same array). */
  jac: Float64Array;
  /** scipy's name for `converged`. */
  success: boolean;
  /** scipy's name for `ngev`. */
  njev: number;
}

function withScipyNames(fields: MinimizeFields): MinimizeResult {
  return { ...fields, fun: fields.f, jac: fields.grad, success: fields.converged, njev: fields.ngev };
}

const MESSAGES: Record<Status, string> = {
  gtol: "Converged: the gradient's largest component is at most gtol",
  ftol: "Converged: the relative reduction of f is at most ftol",
  xtol: "Converged: the step's largest component is at most xtol",
  "max-iter": "Stopped: maxIter iterations reached",
  "max-eval": "Stopped: maxEval function evaluations reached",
  "max-time": "Stopped: maxTime milliseconds elapsed",
  aborted: "Stopped: the AbortSignal fired",
  callback: "Stopped: onIteration returned true",
  "non-finite": "Stopped: f or the gradient is NaN or infinite",
  "line-search-failed":
    "Stopped: the line search found no acceptable step, even along -g (does the gradient match f? is f flat to rounding?)",
};

/** Jacobi sweeps allowed per Hessian for fixed-damping Newton (6-10 suffice up to a few hundred variables). */
const NEWTON_EIGEN_SWEEPS = 100;

const CONVERGED: ReadonlySet<Status> = new Set<Status>(["gtol", "ftol", "xtol"]);

/** minimize()'s own runtime, for calls that name none: created on first use. */
let sharedRuntime: Runtime | null = null;

/**
 * Memory the shared runtime may keep between calls. A run that grew it beyond this lets it go,
 * so the garbage collector can reclaim the memory (a new one costs about 2 ms).
 */
const SHARED_RUNTIME_KEEP_BYTES = 64 * 2 ** 20;

/** @internal The shared runtime minimize() uses when given no runtime, if it holds one now (for tests). */
export function sharedMinimizeRuntime(): Runtime | null {
  return sharedRuntime;
}

/**
 * Minimizes f from x0 (Goodfellow et al. 2016, Sec. 8.6; Nocedal & Wright 2006).
 *
 * `fg` is either a callback `fg(x, g)` that writes the gradient into `g` and returns f(x), or an
 * {@link Objective} whose value and gradient are computed by a wasm kernel. The callback's x and
 * g (and those of `hess`, `hessp`, `onIteration`) are plain Float64Arrays owned by this call: they
 * stay valid whatever the callback does (allocating, even a nested minimize()), hold their values
 * only during the call, and every component of g must be written (a component left unwritten
 * throws ValueError).
 *
 * The vectors live in `options.runtime`; default: the objective's runtime, else the runtime of
 * x0 when x0 is a Tensor, else one shared wasm runtime created on first use (released after a
 * call that grew it past 64 MiB). Everything minimize() allocates is freed before it returns.
 * `x0` is copied before anything is allocated; the result holds copies.
 *
 * Bad options throw ValueError (ShapeError for lengths) before any evaluation; a disposed
 * objective throws DisposedError. A signal that has already fired returns status 'aborted'
 * without evaluating anything (nfev 0, f and grad NaN, x a copy of x0).
 *
 * @example
 * const rosen: FG = (x, g) => {
 *   const t = x[1] - x[0] * x[0];
 *   g[0] = -400 * t * x[0] - 2 * (1 - x[0]);
 *   g[1] = 200 * t;
 *   return 100 * t * t + (1 - x[0]) ** 2;
 * };
 * minimize(rosen, [-1.2, 1], { method: 'lbfgs' }); // { x: [1, 1], status: 'gtol', ... }
 *
 * @throws {@link ValueError} for bad options, an x0 that is not finite numbers, or a callback that misbehaves (e.g. leaves a gradient component unwritten).
 * @throws {@link ShapeError} when x0 and the objective or hess differ in length.
 * @throws {@link DisposedError} when the objective or runtime was disposed.
 */
export function minimize(fg: FG | Objective, x0: ArrayLike<number> | Tensor, options: MinimizeOptions = {}): MinimizeResult {
  const objective = isObjective(fg) ? fg : null;
  if (!objective && typeof fg !== "function") {
    throw new ValueError(`Invalid fg: ${String(fg)} (expected a function (x, g) => f or an Objective)`);
  }
  if (objective) checkObjectiveLive(objective);
  const n = x0 instanceof Tensor ? checkTensor("x0", x0).length : checkValues("x0", x0).length;
  if (n < 1) throw new ShapeError("x0 is empty (expected at least one variable)");
  if (objective && objective.n !== n) throw new ShapeError(`x0 has ${n} values but the objective has ${objective.n} variables`);
  const opts = resolveOptions(options, n, objective);
  checkFinite("x0", x0);
  // Copied before anything is allocated: allocating may grow the memory x0's view lies in.
  const start = Float64Array.from(x0 instanceof Tensor ? x0.data : x0);
  if (opts.signal?.aborted) return notStarted(start, opts.method);
  const rt = pickRuntime(options.runtime, objective, x0);
  try {
    const result = rt.scope(() => new Solver(rt, n, objective, objective ? null : (fg as FG), opts).run(start));
    if (opts.classify && Number.isFinite(result.f) && Number.isFinite(result.gradNorm)) {
      result.criticalPoint = classifyFinalPoint(rt, fg, result.x, opts.gtol);
    }
    return result;
  } finally {
    // Freed memory stays with its runtime: let a shared runtime that grew large go, so it can be collected.
    if (rt === sharedRuntime && rt.memoryStats().capacityBytes > SHARED_RUNTIME_KEEP_BYTES) sharedRuntime = null;
  }
}

/** The result of a run stopped before its first evaluation (the signal had already fired). */
function notStarted(x: Float64Array, method: Resolved["method"]): MinimizeResult {
  const n = x.length;
  return withScipyNames({
    x, f: NaN, grad: new Float64Array(n).fill(NaN), gradNorm: NaN, nit: 0, nfev: 0, ngev: 0, nhev: 0,
    converged: false, status: "aborted", message: MESSAGES.aborted, method,
  });
}

function pickRuntime(given: Runtime | undefined, objective: Objective | null, x0: unknown): Runtime {
  if (objective) {
    if (given && given !== objective.runtime) {
      throw new ValueError("Invalid runtime: the objective lives in another runtime (expected options.runtime to be objective.runtime)");
    }
    return objective.runtime;
  }
  if (given) {
    if (typeof given !== "object" || typeof (given as Runtime).scope !== "function") {
      throw new ValueError(`Invalid runtime: ${String(given)} (expected a Runtime from init() or initSync())`);
    }
    return given;
  }
  if (x0 instanceof Tensor) return runtimeOf(x0);
  sharedRuntime ??= initSync();
  return sharedRuntime;
}

/** A NaN whose payload no arithmetic produces: marks the outputs a callback has yet to write. */
const UNWRITTEN = 0x7ff4dead0000beefn;

const bitsOf = (a: Float64Array) => new BigUint64Array(a.buffer, a.byteOffset, a.length);

/** Marks every component of `out` unwritten (before a callback fills it). */
function markUnwritten(out: Float64Array): void {
  bitsOf(out).fill(UNWRITTEN);
}

/**
 * Throws ValueError naming the first component of `out` a callback left unwritten. One native
 * pass (includes(NaN)); the bits are looked at only when some component is NaN.
 */
function checkWritten(out: Float64Array, what: string, advice = ""): void {
  if (!out.includes(NaN)) return;
  const i = bitsOf(out).indexOf(UNWRITTEN);
  if (i >= 0) throw new ValueError(`${what}: component ${i} was never written (write every component into the array it is given${advice})`);
}

type Vec = Tensor<"f64">;

/** Lower and upper bounds, -Infinity / Infinity where a side is free. */
type Box = { lower: Vec; upper: Vec };

/**
 * The quantum of the internal scale: f and g are scaled by 2^-E with E a multiple of 500, chosen
 * so that max(|f|, max_i |g_i|) at x0 lies within [2^-250, 2^250] (E = 0 there, the usual case).
 * Products the methods form (g'd, s'y, y'y, differences of f) then stay far from overflow and
 * underflow across the whole finite f64 range, and a problem multiplied by 2^(500 j) runs exactly
 * the same iterations.
 */
const SCALE_QUANTUM = 500;

/** The exponent E of the internal scale 2^-E for values of magnitude `size` (0 when not finite or 0). */
function scaleExponent(size: number): number {
  if (!(size > 0 && size < Infinity)) return 0;
  return SCALE_QUANTUM * Math.round(Math.log2(size) / SCALE_QUANTUM);
}

/** The JS-owned arrays callbacks get; `unused` is the g handed to a function of x alone. */
type HostVectors = { x: Float64Array; g: Float64Array; unused: Float64Array };

/** What a line search ends with: an accepted step (its point is in xt, gt), or why not. */
type SearchResult = { ok: true; step: number; f: number } | { ok: false; status: Status };

class Solver implements DirectionHost {
  private readonly k: Kernels;
  private x: Vec;
  private g: Vec;
  private xt: Vec;
  private gt: Vec;
  readonly d: Vec;
  private readonly state: Vec;
  /** The box l <= x <= u ('lbfgs' with bounds), or null. */
  private readonly bounds: Box | null;
  /** JS-owned copies handed to callbacks (see hostVectors): allocating inside a callback cannot detach them. */
  private host: HostVectors | null = null;
  private readonly started = performance.now();
  /** f and g of the run are the user's times `scale` (a power of two; see SCALE_QUANTUM). */
  private scale = 1;
  /** 1 / scale, exact: the user's f = f * unscale. */
  private unscale = 1;
  /** f and fPrev on the internal scale. */
  f = NaN;
  fPrev = NaN;
  /** The optimality measure on the user's scale: max_i |g_i|, or with bounds max_i |P(x - g)_i - x_i|. */
  gnorm = NaN;
  nit = 0;
  /** Calls of f (n + 1 or 2n + 1 per gradient with finite differences) and gradients. */
  nfev = 0;
  ngev = 0;
  nhev = 0;

  constructor(
    readonly rt: Runtime,
    readonly n: number,
    private readonly objective: Objective | null,
    private readonly fg: FG | null,
    readonly o: Resolved,
  ) {
    this.k = rt.kernels;
    const vec = () => rt.tensor([n], { dtype: "f64" });
    this.x = vec();
    this.g = vec();
    this.xt = vec();
    this.gt = vec();
    this.d = vec();
    this.state = rt.tensor([LS_SLOTS], { dtype: "f64" });
    this.bounds = o.bounds && { lower: rt.fromArray(o.bounds.lower, [n], { dtype: "f64" }), upper: rt.fromArray(o.bounds.upper, [n], { dtype: "f64" }) };
  }

  run(x0: Float64Array): MinimizeResult {
    this.x.set(x0); // checked finite by minimize() before anything was allocated
    this.project(this.x.ptr); // x0 outside the box starts from its projection, as in L-BFGS-B
    const status = this.solve();
    const x = this.x.data.slice();
    const grad = this.g.data.slice();
    if (this.unscale !== 1) for (let i = 0; i < grad.length; i++) grad[i]! *= this.unscale;
    return withScipyNames({
      x,
      f: this.f * this.unscale,
      grad,
      gradNorm: this.gnorm,
      nit: this.nit,
      nfev: this.nfev,
      ngev: this.ngev,
      nhev: this.nhev,
      converged: CONVERGED.has(status),
      status,
      message: MESSAGES[status],
      method: this.o.method,
    });
  }

  private solve(): Status {
    this.f = this.evaluate(this.x.ptr, this.g.ptr);
    const gInf = this.k.f64_norm_inf(this.g.ptr, this.n);
    if (!Number.isFinite(this.f) || !Number.isFinite(gInf)) {
      this.gnorm = gInf;
      return "non-finite";
    }
    this.chooseScale(gInf);
    this.gnorm = this.gradientNorm();
    if (this.gnorm <= this.o.gtol) return "gtol";
    if (this.nit >= this.o.maxIter) return "max-iter";
    switch (this.o.method) {
      case "newton":
        return this.o.damping === "adaptive" ? this.newton() : this.fixedNewton(this.o.damping);
      case "coordinate":
        return this.objective?.coordinateSweep ? this.exactCoordinate() : this.coordinate();
      case "steepest":
        return this.descend(new Steepest(this));
      case "cg":
        return this.descend(new ConjugateGradient(this));
      case "bfgs":
        return this.descend(new BFGS(this));
      case "lbfgs":
        return this.descend(this.bounds ? new BoundedLBFGS(this, this.bounds) : new LBFGS(this));
    }
  }

  // ---- shared machinery -------------------------------------------------------------------

  /**
   * Fixes the internal scale from the first evaluation (f, g at x, on the user's scale so far)
   * and rescales them. A power of two: exact, so the user's numbers come back unchanged.
   */
  private chooseScale(gInf: number): void {
    const exponent = scaleExponent(Math.max(Math.abs(this.f), gInf));
    if (exponent === 0) return;
    this.scale = 2 ** -exponent;
    this.unscale = 2 ** exponent;
    this.f *= this.scale;
    this.rescale(this.g.ptr, this.n, this.scale);
  }

  /**
   * The optimality measure at x on the user's scale: max_i |g_i|, or with bounds L-BFGS-B's
   * max_i |P(x - g)_i - x_i| (g on the user's scale: the projection mixes x's units and g's),
   * NaN or Infinity when g is not finite.
   */
  private gradientNorm(): number {
    const gInf = this.k.f64_norm_inf(this.g.ptr, this.n) * this.unscale;
    if (!this.bounds || !Number.isFinite(gInf)) return gInf;
    const { lower, upper } = this.bounds;
    return this.k.f64_projected_gradient_inf(this.x.ptr, this.g.ptr, lower.ptr, upper.ptr, this.n, this.unscale);
  }

  /** v *= factor for the `count` f64 at byte address v. */
  private rescale(v: number, count: number, factor: number): void {
    this.k.f64_axpby(v, factor, v, 0, v, count);
  }

  /**
   * f at x (byte address), gradient into g, both on the internal scale; counted. Every value of
   * the user's f and g passes through here. A callback gets x and g as JS-owned arrays (x copied
   * out, g copied in after the call): they cannot detach when the callback allocates in the
   * runtime and grows its memory.
   */
  evaluate(x: number, g: number): number {
    this.ngev += 1;
    let f: number;
    if (this.objective) {
      this.nfev += 1;
      f = this.objective.evaluate(x, g);
    } else {
      const host = this.hostAt(x);
      f = this.o.gradient ? this.differentiate(host) : this.callFG(host);
      this.rt.heap.f64.set(host.g, g >>> 3); // the heap view is re-read: the call may have grown the memory
    }
    if (this.scale === 1) return f;
    this.rescale(g, this.n, this.scale);
    return f * this.scale;
  }

  /** fg at host.x, its gradient into host.g, every component checked written. A non-number result reads as NaN. */
  private callFG(host: HostVectors): number {
    this.nfev += 1;
    markUnwritten(host.g);
    const f = this.fg!(host.x, host.g);
    // Where f is not finite the point is rejected whatever g holds, so g may be left alone there.
    if (Number.isFinite(f)) checkWritten(host.g, "fg(x, g): g", "; for a function of x alone, pass gradient: 'forward' or 'central'");
    return typeof f === "number" ? f : NaN;
  }

  /** f at host.x, and its finite-difference gradient (option `gradient`) into host.g. */
  private differentiate(host: HostVectors): number {
    const f = this.callF(host.x);
    if (Number.isFinite(f)) finiteDifferenceGradient(this.o.gradient!, this.callF, host.x, f, host.g, this.o.bounds);
    else host.g.fill(NaN);
    return f;
  }

  /** f alone at x (a function of x given with the option `gradient`); counted. */
  private readonly callF = (x: Float64Array): number => {
    this.nfev += 1;
    const f = this.fg!(x, this.host!.unused);
    return typeof f === "number" ? f : NaN;
  };

  /** The host vectors with x holding the n f64 at byte address `x`. */
  private hostAt(x: number): HostVectors {
    this.host ??= { x: new Float64Array(this.n), g: new Float64Array(this.n), unused: new Float64Array(this.n) };
    this.host.x.set(this.rt.heap.f64.subarray(x >>> 3, (x >>> 3) + this.n));
    return this.host;
  }

  /** Projects the point at byte address x onto the box, if there is one. */
  private project(x: number): void {
    if (this.bounds) this.k.f64_box_project(x, this.bounds.lower.ptr, this.bounds.upper.ptr, this.n);
  }

  /** The budget status that stops the run now, if any (abort, evaluations, time). */
  budget(): Status | null {
    if (this.o.signal?.aborted) return "aborted";
    if (this.nfev >= this.o.maxEval) return "max-eval";
    if (performance.now() - this.started > this.o.maxTime) return "max-time";
    return null;
  }

  /** After an accepted step: progress callback, convergence and budget tests. */
  private afterStep(stepInf: number, step: number): Status | null {
    this.nit += 1;
    this.gnorm = this.gradientNorm();
    if (this.o.onIteration) {
      const stop = this.o.onIteration({
        nit: this.nit, f: this.f * this.unscale, gradNorm: this.gnorm, x: this.hostAt(this.x.ptr).x,
        nfev: this.nfev, step,
      });
      if (stop === true) return "callback";
    }
    if (!Number.isFinite(this.gnorm) || !Number.isFinite(this.f)) return "non-finite";
    if (this.gnorm <= this.o.gtol) return "gtol";
    const { ftol, xtol } = this.o;
    // The user's test (f_prev - f) <= ftol max(|f_prev|, |f|, 1), divided through by unscale.
    const fSize = Math.max(Math.abs(this.fPrev), Math.abs(this.f), this.scale);
    if (ftol > 0 && this.fPrev - this.f <= ftol * fSize) return "ftol";
    if (xtol > 0 && stepInf <= xtol) return "xtol";
    if (this.nit >= this.o.maxIter) return "max-iter";
    return this.budget();
  }

  /** Makes the trial point (xt, gt, fTrial) the current one. */
  private accept(fTrial: number): void {
    [this.x, this.xt] = [this.xt, this.x];
    [this.g, this.gt] = [this.gt, this.g];
    this.fPrev = this.f;
    this.f = fTrial;
  }

  get xPtr(): number {
    return this.x.ptr;
  }
  get gPtr(): number {
    return this.g.ptr;
  }
  get xtPtr(): number {
    return this.xt.ptr;
  }
  get gtPtr(): number {
    return this.gt.ptr;
  }

  /**
   * Searches along d from x with directional derivative gd < 0, first trial t0, steps at most
   * maxStep. On success the accepted point is in (xt, gt). The state machine runs in the kernel;
   * this loop only evaluates where it asks. With bounds every trial point is projected onto the
   * box (a no-op but for rounding: maxStep keeps the steps inside), so f is never evaluated outside.
   */
  private search(gd: number, t0: number, maxStep = Infinity): SearchResult {
    const { k, n } = this;
    if (this.o.lineSearch === "exact") return this.exactSearch(gd);
    const base = this.state.ptr >>> 3;
    let s = this.rt.heap.f64;
    s[base + LS.STP] = t0;
    s[base + LS.F] = this.f;
    s[base + LS.G] = gd;
    s[base + LS.FTOL] = this.o.c1;
    s[base + LS.GTOL] = this.o.c2;
    s[base + LS.XTOL] = 1e-14;
    s[base + LS.STPMIN] = 0;
    s[base + LS.STPMAX] = Math.min(maxStep, 1e20);
    s[base + LS.TASK] = 0;
    s[base + LS.MODE] = this.o.lineSearch === "armijo" ? LS_MODE.ARMIJO : LS_MODE.STRONG_WOLFE;
    let code = k.f64_linesearch_step(this.state.ptr);
    let evals = 0;
    let step = NaN;
    let fTrial = NaN;
    let gdTrial = NaN;
    let anyFinite = false;
    while (code === LS_CODE.EVALUATE && evals < this.o.maxLineSearch) {
      const stop = this.budget();
      if (stop) return { ok: false, status: stop };
      step = this.rt.heap.f64[base + LS.STP]!;
      k.f64_axpby(this.xt.ptr, 1, this.x.ptr, step, this.d.ptr, n);
      this.project(this.xt.ptr);
      fTrial = this.evaluate(this.xt.ptr, this.gt.ptr);
      gdTrial = k.f64_dot(this.gt.ptr, this.d.ptr, n);
      evals += 1;
      anyFinite ||= Number.isFinite(fTrial) && Number.isFinite(gdTrial);
      s = this.rt.heap.f64; // the callback may have grown the memory
      s[base + LS.F] = fTrial;
      s[base + LS.G] = gdTrial;
      code = k.f64_linesearch_step(this.state.ptr);
    }
    if (code === LS_CODE.CONVERGED) return { ok: true, step, f: fTrial };
    // A warning or too many trials: the last trial still serves if it decreased f.
    if (evals > 0 && Number.isFinite(gdTrial) && fTrial < this.f) return { ok: true, step, f: fTrial };
    return { ok: false, status: evals > 0 && !anyFinite ? "non-finite" : "line-search-failed" };
  }

  /** The exact step along d for a quadratic, eps* = -g'd / d'Qd (for d = -g the book's g'g / g'Hg, Sec. 4.3.1). */
  private exactSearch(gd: number): SearchResult {
    const stop = this.budget();
    if (stop) return { ok: false, status: stop };
    const curvature = this.objective!.curvature!(this.d.ptr) * this.scale;
    if (!(curvature > 0)) return { ok: false, status: "line-search-failed" };
    const step = -gd / curvature;
    this.k.f64_axpby(this.xt.ptr, 1, this.x.ptr, step, this.d.ptr, this.n);
    const fTrial = this.evaluate(this.xt.ptr, this.gt.ptr);
    if (!Number.isFinite(fTrial)) return { ok: false, status: "non-finite" };
    return { ok: true, step, f: fTrial };
  }

  // ---- line-search methods ----------------------------------------------------------------

  private descend(direction: Direction): Status {
    const { k, n } = this;
    let retried = false;
    for (;;) {
      let t0 = direction.compute();
      let gd = k.f64_dot(this.g.ptr, this.d.ptr, n);
      if (!(gd < 0) && direction.reset()) {
        // Not a descent direction: restart along -g (Nocedal & Wright, Sec. 5.2).
        t0 = direction.compute();
        gd = k.f64_dot(this.g.ptr, this.d.ptr, n);
      }
      if (!(gd < 0)) return Number.isFinite(gd) ? "line-search-failed" : "non-finite";
      const maxStep = direction.maxStep?.() ?? Infinity;
      const result = this.search(gd, Math.min(t0, maxStep), maxStep);
      if (!result.ok) {
        if (result.status === "line-search-failed" || result.status === "non-finite") {
          // Once more along -g with fresh curvature information, as L-BFGS-B does.
          if (!retried && direction.reset()) {
            retried = true;
            continue;
          }
        }
        return result.status;
      }
      retried = false;
      direction.update(result.step);
      const stepInf = Math.abs(result.step) * k.f64_norm_inf(this.d.ptr, n);
      this.accept(result.f);
      const status = this.afterStep(stepInf, result.step);
      if (status) return status;
    }
  }

  /** A first trial step for methods without a natural scale: 1/|g|_2 at first, then N&W eq. 3.60. */
  firstStep(first: boolean, gd: number): number {
    if (first || !(this.fPrev > this.f)) return Math.min(1, 1 / this.k.f64_nrm2(this.g.ptr, this.n));
    const t = (1.01 * 2 * (this.f - this.fPrev)) / gd;
    return Number.isFinite(t) && t > 0 ? t : 1;
  }

  // ---- Newton with Levenberg-Marquardt damping ----------------------------------------------

  /**
   * Newton steps d = -(H + lambda I)^-1 g, accepted by the ratio of actual to predicted reduction
   * rho = (f - f(x + d)) / (-g'd/2 + lambda d'd/2) and lambda adapted by Nielsen's rule (Madsen,
   * Nielsen & Tingleff 2004, eq. 3.16): accepted (rho > 1e-4): lambda *= max(1/3, 1 - (2 rho - 1)^3);
   * rejected: lambda *= nu, nu *= 2. lambda starts at 0 (a pure Newton step) and jumps to
   * 1e-3 max|H_ij| when H is not positive definite.
   */
  private newton(): Status {
    const { k, n, rt } = this;
    const H = rt.tensor([n * n], { dtype: "f64" });
    const L = rt.tensor([n * n], { dtype: "f64" });
    let lambda = 0;
    let nu = 2;
    for (;;) {
      this.hessianAt(H.ptr);
      const floor = 1e-3 * Math.max(k.f64_norm_inf(H.ptr, n * n), 1e-12);
      if (!Number.isFinite(floor)) return "non-finite";
      for (;;) {
        const stop = this.budget();
        if (stop) return stop;
        while (k.f64_cholesky_damped(L.ptr, H.ptr, n, lambda) !== 0) {
          lambda = lambda === 0 ? floor : lambda * 4;
          if (!Number.isFinite(lambda)) return "non-finite";
        }
        k.f64_cholesky_solve(this.d.ptr, L.ptr, this.g.ptr, n);
        k.f64_axpby(this.d.ptr, -1, this.d.ptr, 0, this.d.ptr, n);
        const gd = k.f64_dot(this.g.ptr, this.d.ptr, n);
        const predicted = -0.5 * gd + 0.5 * lambda * k.f64_dot(this.d.ptr, this.d.ptr, n);
        k.f64_axpby(this.xt.ptr, 1, this.x.ptr, 1, this.d.ptr, n);
        const fTrial = this.evaluate(this.xt.ptr, this.gt.ptr);
        const rho = (this.f - fTrial) / predicted;
        if (Number.isFinite(fTrial) && rho > 1e-4 && Number.isFinite(k.f64_norm_inf(this.gt.ptr, n))) {
          lambda *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
          nu = 2;
          const stepInf = k.f64_norm_inf(this.d.ptr, n);
          this.accept(fTrial);
          const status = this.afterStep(stepInf, 1);
          if (status) return status;
          break;
        }
        lambda = lambda === 0 ? floor : lambda * nu;
        nu *= 2;
        if (!Number.isFinite(lambda)) return "line-search-failed";
      }
    }
  }

  /**
   * Newton with a fixed damping alpha >= 0 (Goodfellow et al. 2016, Sec. 8.6.1): every step is
   * x <- x - [H + alpha I]^-1 g, taken whatever f does there (no line search, no ratio test).
   * alpha = 0 is the pure Newton iteration, which jumps to the critical point of the local
   * quadratic model: a saddle as readily as a minimum. H + alpha I may be indefinite, so the
   * system is solved through the eigendecomposition H + alpha I = E' diag(w + alpha) E (Jacobi,
   * f64_symeig): d = -E' diag(1 / (w_i + alpha)) E g. A singular H + alpha I gives 'non-finite'.
   */
  private fixedNewton(alpha: number): Status {
    const { k, n, rt } = this;
    const H = rt.tensor([n * n], { dtype: "f64" });
    const E = rt.tensor([n * n], { dtype: "f64" });
    const w = rt.tensor([n], { dtype: "f64" });
    const t = rt.tensor([n], { dtype: "f64" });
    const shift = alpha * this.scale; // alpha is on the user's scale, H on the internal one
    for (;;) {
      const stop = this.budget();
      if (stop) return stop;
      this.hessianAt(H.ptr);
      k.f64_symeig(H.ptr, w.ptr, E.ptr, n, NEWTON_EIGEN_SWEEPS);
      k.f64_gemv(t.ptr, E.ptr, this.g.ptr, n, n, 1);
      const heap = rt.heap.f64;
      for (let i = 0; i < n; i++) heap[(t.ptr >>> 3) + i] = -heap[(t.ptr >>> 3) + i]! / (heap[(w.ptr >>> 3) + i]! + shift);
      this.d.fill(0);
      for (let i = 0; i < n; i++) k.f64_scaled_add(this.d.ptr, E.ptr + i * n * 8, n, rt.heap.f64[(t.ptr >>> 3) + i]!);
      const stepInf = k.f64_norm_inf(this.d.ptr, n);
      if (!Number.isFinite(stepInf)) return "non-finite";
      k.f64_axpby(this.xt.ptr, 1, this.x.ptr, 1, this.d.ptr, n);
      const fTrial = this.evaluate(this.xt.ptr, this.gt.ptr);
      this.accept(fTrial);
      const status = this.afterStep(stepInf, 1);
      if (status) return status;
    }
  }

  /**
   * The Hessian at x into H (byte address). Callbacks write into JS-owned arrays (copied in after
   * each call, as in evaluate()); hessp is called once per row with v = e_i, H being symmetric.
   */
  private hessianAt(H: number): void {
    const { n } = this;
    this.nhev += 1;
    const { hess, hessp } = this.o;
    if (!hess && !hessp) {
      this.objective!.hessian!(this.x.ptr, H);
      if (this.scale !== 1) this.rescale(H, n * n, this.scale);
      return;
    }
    const x = this.hostAt(this.x.ptr).x;
    if (hess) {
      const out = new Float64Array(n * n);
      markUnwritten(out);
      hess(x, out);
      checkWritten(out, "hess(x, H): H");
      this.rt.heap.f64.set(out, H >>> 3);
      if (this.scale !== 1) this.rescale(H, n * n, this.scale);
      return;
    }
    const v = new Float64Array(n);
    const row = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      v[i] = 1;
      markUnwritten(row);
      hessp!(x, v, row);
      checkWritten(row, "hessp(x, v, out): out");
      v[i] = 0;
      this.rt.heap.f64.set(row, (H >>> 3) + i * n);
    }
    if (this.scale !== 1) this.rescale(H, n * n, this.scale);
  }

  // ---- coordinate descent -----------------------------------------------------------------

  /** Gauss-Seidel sweeps of exact coordinate minimization, in one kernel call each. */
  private exactCoordinate(): Status {
    for (;;) {
      const stop = this.budget();
      if (stop) return stop;
      // The sweep keeps g = Ax - b current: it needs g on the objective's own scale.
      if (this.scale !== 1) this.rescale(this.g.ptr, this.n, this.unscale);
      const stepInf = this.objective!.coordinateSweep!(this.x.ptr, this.g.ptr);
      // Re-evaluate so that f and g are exact at x, not accumulated through the sweep.
      const f = this.evaluate(this.x.ptr, this.g.ptr);
      this.fPrev = this.f;
      this.f = f;
      const status = this.afterStep(stepInf, 1);
      if (status) return status;
    }
  }

  /**
   * Cyclic coordinate descent for a general fg: along each axis e_i in turn, a line search on
   * d = -g_i e_i (one evaluation of fg per trial). An iteration is one sweep over all axes.
   */
  private coordinate(): Status {
    const { n } = this;
    const steps = new Float64Array(n).fill(NaN);
    this.d.fill(0);
    for (;;) {
      let stepInf = 0;
      let moved = false;
      const fSweep = this.f;
      for (let i = 0; i < n; i++) {
        const gi = this.g.data[i]!;
        if (gi === 0) continue;
        this.d.data[i] = -gi;
        const t0 = Number.isNaN(steps[i]!) ? Math.min(1, 1 / Math.abs(gi)) : steps[i]!;
        const result = this.search(-gi * gi, t0);
        this.d.data[i] = 0;
        if (!result.ok) {
          if (result.status === "line-search-failed" || result.status === "non-finite") continue;
          return result.status;
        }
        steps[i] = result.step;
        stepInf = Math.max(stepInf, result.step * Math.abs(gi));
        moved = true;
        this.accept(result.f);
      }
      if (!moved) return "line-search-failed";
      this.fPrev = fSweep;
      const status = this.afterStep(stepInf, 1);
      if (status) return status;
    }
  }
}
