import { ShapeError, ValueError } from "../runtime/errors";
import { initSync } from "../runtime/init";
import type { Kernels } from "../runtime/kernels";
import type { Runtime } from "../runtime/runtime";
import { Tensor } from "../runtime/tensor";
import { LS, LS_CODE, LS_MODE, LS_SLOTS } from "../reference/minimize/linesearch-layout";
import { checkFinite, isObjective, type Objective } from "./objectives";
import { BFGS, ConjugateGradient, LBFGS, Steepest, type Direction, type DirectionHost } from "./directions";
import { resolveOptions, type FG, type MinimizeOptions, type Resolved, type Status } from "./options";

/** What {@link minimize} returns; the fields of scipy's OptimizeResult, in camelCase. */
export interface MinimizeResult {
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
  /** Evaluations of f (each also computed the gradient). */
  nfev: number;
  /** Evaluations of the gradient (equal to nfev: fg computes both). */
  ngev: number;
  /** Evaluations of the Hessian ('newton'). */
  nhev: number;
  /** True when the status is 'gtol', 'ftol' or 'xtol'. */
  converged: boolean;
  status: Status;
  message: string;
  method: Resolved["method"];
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

const CONVERGED: ReadonlySet<Status> = new Set<Status>(["gtol", "ftol", "xtol"]);

let sharedRuntime: Runtime | null = null;

/**
 * Minimizes f from x0 (Goodfellow et al. 2016, Sec. 8.6; Nocedal & Wright 2006).
 *
 * `fg` is either a callback `fg(x, g)` that writes the gradient into `g` and returns f(x) (x and
 * g are Float64Array views into the runtime's memory, valid only during the call: copy to keep),
 * or an {@link Objective} whose value and gradient are computed by a wasm kernel.
 *
 * The vectors live in `options.runtime`; default: the objective's runtime, else the runtime of
 * x0 when x0 is a Tensor, else one shared wasm runtime created on first use. Everything
 * minimize() allocates is freed before it returns. `x0` is copied; the result holds copies.
 *
 * Bad options throw ValueError (ShapeError for lengths) before any evaluation.
 *
 * @example
 * const rosen: FG = (x, g) => {
 *   const t = x[1] - x[0] * x[0];
 *   g[0] = -400 * t * x[0] - 2 * (1 - x[0]);
 *   g[1] = 200 * t;
 *   return 100 * t * t + (1 - x[0]) ** 2;
 * };
 * minimize(rosen, [-1.2, 1], { method: 'lbfgs' }); // { x: [1, 1], status: 'gtol', ... }
 */
export function minimize(fg: FG | Objective, x0: ArrayLike<number> | Tensor, options: MinimizeOptions = {}): MinimizeResult {
  const objective = isObjective(fg) ? fg : null;
  if (!objective && typeof fg !== "function") {
    throw new ValueError(`Invalid fg: ${String(fg)} (expected a function (x, g) => f or an Objective)`);
  }
  const start = x0 instanceof Tensor ? x0.data : x0;
  if (start === null || typeof start !== "object" || typeof start.length !== "number") {
    throw new ValueError(`Invalid x0: ${String(x0)} (expected an array of numbers or a Tensor)`);
  }
  const n = start.length;
  if (n < 1) throw new ShapeError("x0 is empty (expected at least one variable)");
  if (objective && objective.n !== n) throw new ShapeError(`x0 has ${n} values but the objective has ${objective.n} variables`);
  const opts = resolveOptions(options, n, objective);
  checkFinite("x0", x0);
  const rt = pickRuntime(options.runtime, objective, x0);
  return rt.scope(() => new Solver(rt, n, objective, objective ? null : (fg as FG), opts).run(start));
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
  if (x0 instanceof Tensor) return x0.runtime;
  sharedRuntime ??= initSync();
  return sharedRuntime;
}

type Vec = Tensor<"f64">;

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
  private readonly started = performance.now();
  f = NaN;
  fPrev = NaN;
  gnorm = NaN;
  nit = 0;
  nfev = 0;
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
  }

  run(x0: ArrayLike<number>): MinimizeResult {
    this.x.set(x0); // checked finite by minimize() before anything was allocated
    const status = this.solve();
    const x = this.x.data.slice();
    return {
      x,
      f: this.f,
      grad: this.g.data.slice(),
      gradNorm: this.gnorm,
      nit: this.nit,
      nfev: this.nfev,
      ngev: this.nfev,
      nhev: this.nhev,
      converged: CONVERGED.has(status),
      status,
      message: MESSAGES[status],
      method: this.o.method,
    };
  }

  private solve(): Status {
    this.f = this.evaluate(this.x.ptr, this.g.ptr);
    this.gnorm = this.k.f64_norm_inf(this.g.ptr, this.n);
    if (!Number.isFinite(this.f) || !Number.isFinite(this.gnorm)) return "non-finite";
    if (this.gnorm <= this.o.gtol) return "gtol";
    if (this.nit >= this.o.maxIter) return "max-iter";
    switch (this.o.method) {
      case "newton":
        return this.newton();
      case "coordinate":
        return this.objective?.coordinateSweep ? this.exactCoordinate() : this.coordinate();
      case "steepest":
        return this.descend(new Steepest(this));
      case "cg":
        return this.descend(new ConjugateGradient(this));
      case "bfgs":
        return this.descend(new BFGS(this));
      case "lbfgs":
        return this.descend(new LBFGS(this));
    }
  }

  // ---- shared machinery -------------------------------------------------------------------

  /** f at x (byte address), gradient into g; counted. A non-number result reads as NaN. */
  evaluate(x: number, g: number): number {
    this.nfev += 1;
    if (this.objective) return this.objective.evaluate(x, g);
    const buffer = this.rt.heap.buffer as ArrayBuffer;
    const f = this.fg!(new Float64Array(buffer, x, this.n), new Float64Array(buffer, g, this.n));
    return typeof f === "number" ? f : NaN;
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
    this.gnorm = this.k.f64_norm_inf(this.g.ptr, this.n);
    if (this.o.onIteration) {
      const stop = this.o.onIteration({
        nit: this.nit, f: this.f, gradNorm: this.gnorm, x: this.x.data, nfev: this.nfev, step,
      });
      if (stop === true) return "callback";
    }
    if (!Number.isFinite(this.gnorm) || !Number.isFinite(this.f)) return "non-finite";
    if (this.gnorm <= this.o.gtol) return "gtol";
    const { ftol, xtol } = this.o;
    if (ftol > 0 && this.fPrev - this.f <= ftol * Math.max(Math.abs(this.fPrev), Math.abs(this.f), 1)) return "ftol";
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
   * Searches along d from x with directional derivative gd < 0, first trial t0. On success the
   * accepted point is in (xt, gt). The state machine runs in the kernel; this loop only
   * evaluates where it asks.
   */
  private search(gd: number, t0: number): SearchResult {
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
    s[base + LS.STPMAX] = 1e20;
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
    const curvature = this.objective!.curvature!(this.d.ptr);
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
      const result = this.search(gd, t0);
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

  private hessianAt(H: number): void {
    const { n } = this;
    const view = (ptr: number, length: number) => new Float64Array(this.rt.heap.buffer as ArrayBuffer, ptr, length);
    this.nhev += 1;
    if (this.o.hess) {
      this.o.hess(view(this.x.ptr, n), view(H, n * n));
    } else if (this.o.hessp) {
      // Row i of a symmetric H is H e_i; the trial buffer xt serves as e_i (it is free here).
      const e = this.xt;
      e.fill(0);
      for (let i = 0; i < n; i++) {
        e.data[i] = 1;
        this.o.hessp(view(this.x.ptr, n), view(e.ptr, n), view(H + i * n * 8, n));
        e.data[i] = 0;
      }
    } else {
      this.objective!.hessian!(this.x.ptr, H);
    }
  }

  // ---- coordinate descent -----------------------------------------------------------------

  /** Gauss-Seidel sweeps of exact coordinate minimization, in one kernel call each. */
  private exactCoordinate(): Status {
    for (;;) {
      const stop = this.budget();
      if (stop) return stop;
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
