// The search directions of the line-search methods: steepest descent, nonlinear conjugate
// gradients, BFGS and L-BFGS. Each fills the solver's d (via kernels) and keeps whatever state its
// method needs; the solver runs the line search and calls update() after every accepted step.
import type { Runtime } from "../runtime/runtime";
import type { Tensor } from "../runtime/tensor";
import type { Resolved } from "./options";

/** L-BFGS-B's test for keeping a pair: y's > eps y'y (Byrd, Lu, Nocedal & Zhu 1995). */
const CURVATURE_EPS = 2.220446049250313e-16;

type Vec = Tensor<"f64">;

/** What a direction needs from the solver: the vectors (byte addresses) and the options. */
export interface DirectionHost {
  readonly rt: Runtime;
  readonly n: number;
  readonly o: Resolved;
  /** The direction, written by compute(). */
  readonly d: Vec;
  /** Current point and gradient; after an accepted step and before update(), the trial is in xt, gt. */
  readonly xPtr: number;
  readonly gPtr: number;
  /** The trial point and gradient; right after a step they hold the previous x and g. */
  readonly xtPtr: number;
  readonly gtPtr: number;
  readonly nit: number;
  /** A first trial step for directions without a natural scale. */
  firstStep(first: boolean, gd: number): number;
}

/** The search direction of a line-search method: filled into d; returns the first trial step. */
export interface Direction {
  compute(): number;
  /** After an accepted step, before x/xt and g/gt swap: update from s = xt - x, y = gt - g. */
  update(step: number): void;
  /** Forget curvature information, so the next direction is -g; false if it already was. */
  reset(): boolean;
  /** The longest step along d the method allows (read after compute()); unlimited when absent. */
  maxStep?(): number;
}

/** d = -g. */
export class Steepest implements Direction {
  private first = true;
  constructor(private readonly s: DirectionHost) {}
  compute(): number {
    const { d, n } = this.s;
    this.s.rt.kernels.f64_axpby(d.ptr, -1, this.s.gPtr, 0, this.s.gPtr, n);
    const gd = this.s.rt.kernels.f64_dot(this.s.gPtr, d.ptr, n);
    return this.s.firstStep(this.first, gd);
  }
  update(): void {
    this.first = false;
  }
  reset(): boolean {
    return false;
  }
}

/**
 * Nonlinear conjugate gradients, d = -g + beta d_prev, with y = g - g_prev (Nocedal & Wright
 * 2006, Sec. 5.2; Hager & Zhang 2006, "A survey of nonlinear conjugate gradient methods"):
 * ```text
 * FR  g'g / g_p'g_p              PR  g'y / g_p'g_p          PR+  max(0, PR)
 * HS  g'y / d'y                  DY  g'g / d'y
 * HZ  (y - 2 d |y|^2 / d'y)'g / d'y, bounded below by -1 / (|d| min(0.01, |g_p|)) (CG_DESCENT)
 * ```
 * Every dot product comes from kernels over g, g_prev and d; y is never formed. Restarts along
 * -g every `restart` iterations and whenever d is not a descent direction.
 */
export class ConjugateGradient implements Direction {
  private gPrevNorm2 = NaN;
  private gdPrev = NaN;
  private sinceRestart = 0;
  private fresh = true;
  constructor(private readonly s: DirectionHost) {}

  compute(): number {
    const { d, n, rt } = this.s;
    const k = rt.kernels;
    const g = this.s.gPtr;
    const gPrev = this.s.gtPtr; // after the swap, gt holds the previous gradient
    const gg = k.f64_dot(g, g, n);
    let beta = 0;
    if (!this.fresh && this.sinceRestart < this.s.o.restart) {
      const ggPrev = k.f64_dot(gPrev, g, n);
      const dg = k.f64_dot(d.ptr, g, n);
      const dy = dg - this.gdPrev;
      const gy = gg - ggPrev;
      switch (this.s.o.beta) {
        case "fletcher-reeves":
          beta = gg / this.gPrevNorm2;
          break;
        case "polak-ribiere":
          beta = gy / this.gPrevNorm2;
          break;
        case "polak-ribiere+":
          beta = Math.max(0, gy / this.gPrevNorm2);
          break;
        case "hestenes-stiefel":
          beta = gy / dy;
          break;
        case "dai-yuan":
          beta = gg / dy;
          break;
        case "hager-zhang": {
          const yy = gg - 2 * ggPrev + this.gPrevNorm2;
          const lower = -1 / (k.f64_nrm2(d.ptr, n) * Math.min(0.01, Math.sqrt(this.gPrevNorm2)));
          beta = Math.max((gy - (2 * yy * dg) / dy) / dy, lower);
          break;
        }
      }
      if (!Number.isFinite(beta)) beta = 0;
    }
    if (beta === 0) {
      this.sinceRestart = 0;
      k.f64_axpby(d.ptr, -1, g, 0, g, n); // not 0 * d: d may hold non-finite values after a failure
    } else {
      k.f64_axpby(d.ptr, -1, g, beta, d.ptr, n);
    }
    this.gPrevNorm2 = gg;
    this.gdPrev = k.f64_dot(g, d.ptr, n);
    const t0 = this.s.firstStep(this.fresh && this.s.nit === 0, this.gdPrev);
    return t0;
  }
  update(): void {
    this.fresh = false;
    this.sinceRestart += 1;
  }
  reset(): boolean {
    const was = this.fresh;
    this.fresh = true;
    return !was;
  }
}

/**
 * BFGS on the dense inverse Hessian H (Nocedal & Wright 2006, Alg. 6.1): d = -H g; after each
 * step the update of eq. 6.17 in a kernel, skipped when the curvature condition y's > eps y'y
 * fails. H starts as the identity (d = -g, first trial step min(1, 1/|g|)) and is set to
 * (y's / y'y) I just before the first update (eq. 6.20).
 */
export class BFGS implements Direction {
  private readonly H: Vec;
  private readonly sv: Vec;
  private readonly yv: Vec;
  private readonly u: Vec;
  private initialized = false;
  constructor(private readonly s: DirectionHost) {
    const { rt, n } = s;
    this.H = rt.tensor([n * n], { dtype: "f64" });
    this.sv = rt.tensor([n], { dtype: "f64" });
    this.yv = rt.tensor([n], { dtype: "f64" });
    this.u = rt.tensor([n], { dtype: "f64" });
  }
  compute(): number {
    const { d, n, rt } = this.s;
    const k = rt.kernels;
    if (!this.initialized) {
      k.f64_axpby(d.ptr, -1, this.s.gPtr, 0, this.s.gPtr, n);
      return Math.min(1, 1 / k.f64_nrm2(this.s.gPtr, n));
    }
    k.f64_gemv(d.ptr, this.H.ptr, this.s.gPtr, n, n, -1);
    return 1;
  }
  update(): void {
    const { n, rt } = this.s;
    const k = rt.kernels;
    k.f64_axpby(this.sv.ptr, 1, this.s.xtPtr, -1, this.s.xPtr, n);
    k.f64_axpby(this.yv.ptr, 1, this.s.gtPtr, -1, this.s.gPtr, n);
    const sy = k.f64_dot(this.sv.ptr, this.yv.ptr, n);
    const yy = k.f64_dot(this.yv.ptr, this.yv.ptr, n);
    if (!(sy > CURVATURE_EPS * yy)) return;
    if (!this.initialized) {
      k.f64_scaled_identity(this.H.ptr, n, sy / yy);
      this.initialized = true;
    }
    k.f64_bfgs_update(this.H.ptr, this.sv.ptr, this.yv.ptr, this.u.ptr, n, 1 / sy);
  }
  reset(): boolean {
    const was = this.initialized;
    this.initialized = false;
    return was;
  }
}

/**
 * L-BFGS (Nocedal & Wright 2006, Alg. 7.5) with the two-loop recursion in one kernel call: the
 * `memory` newest pairs (s, y) in ring buffers, H0 = (s'y / y'y) I from the newest pair, pairs
 * with y's <= eps y'y skipped. First trial step 1, or min(1, 1/|g|) with no pairs yet.
 */
export class LBFGS implements Direction {
  protected readonly S: Vec;
  protected readonly Y: Vec;
  private readonly rho: Vec;
  private readonly alpha: Vec;
  protected readonly m: number;
  protected count = 0;
  protected newest = 0;
  protected gamma = 1;
  constructor(protected readonly s: DirectionHost) {
    const { rt, n } = s;
    this.m = s.o.memory;
    this.S = rt.tensor([this.m * n], { dtype: "f64" });
    this.Y = rt.tensor([this.m * n], { dtype: "f64" });
    this.rho = rt.tensor([this.m], { dtype: "f64" });
    this.alpha = rt.tensor([this.m], { dtype: "f64" });
  }
  compute(): number {
    const { d, n, rt } = this.s;
    const k = rt.kernels;
    k.f64_lbfgs_direction(
      d.ptr, this.s.gPtr, this.S.ptr, this.Y.ptr, this.rho.ptr, this.alpha.ptr,
      this.m, this.count, this.newest, n, this.gamma,
    );
    return this.count === 0 ? Math.min(1, 1 / k.f64_nrm2(this.s.gPtr, n)) : 1;
  }
  update(): void {
    const { n, rt } = this.s;
    const k = rt.kernels;
    const row = (this.newest + 1) % this.m;
    const sRow = this.S.ptr + row * n * 8;
    const yRow = this.Y.ptr + row * n * 8;
    k.f64_axpby(sRow, 1, this.s.xtPtr, -1, this.s.xPtr, n);
    k.f64_axpby(yRow, 1, this.s.gtPtr, -1, this.s.gPtr, n);
    const sy = k.f64_dot(sRow, yRow, n);
    const yy = k.f64_dot(yRow, yRow, n);
    if (!(sy > CURVATURE_EPS * yy)) return;
    rt.heap.f64[(this.rho.ptr >>> 3) + row] = 1 / sy;
    this.newest = row;
    this.count = Math.min(this.count + 1, this.m);
    this.gamma = sy / yy;
    this.stored(row);
  }
  /** Called when the pair in ring row `row` was stored (s and y of the step just taken). */
  protected stored(_row: number): void {}
  reset(): boolean {
    const was = this.count > 0;
    this.count = 0;
    this.gamma = 1;
    return was;
  }
}
