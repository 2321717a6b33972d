import { DisposedError, NonFiniteError, ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { Tensor, checkTensor, type Values } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { checkFinite, isObjective, type Objective } from "../minimize/objectives";
import type { FG } from "../minimize/options";

/** Options of {@link HessianVectorProduct}. */
export interface HessianVectorOptions {
  /**
   * The relative step r of the central difference: h = r (1 + |x|) / |v| (Euclidean norms).
   * Default cbrt(machine epsilon) = 6.06e-6, which balances the O(h^2) truncation error of a
   * central difference against its O(eps / h) rounding error.
   * @defaultValue cbrt(machine epsilon) = 6.06e-6
   */
  relativeStep?: number;
}

const KNOWN = optionNames<HessianVectorOptions>({ relativeStep: true });

/** cbrt(2^-52): the central-difference step that balances truncation and rounding. */
export const CENTRAL_DIFFERENCE_STEP = Math.cbrt(Number.EPSILON);

/**
 * Hessian-vector products of any gradient function by central differences of gradients:
 *
 * ```text
 * H(x) v ~ (g(x + h v) - g(x - h v)) / (2h),   h = r (1 + |x|) / |v|,   r = cbrt(eps) by default
 * ```
 *
 * (Nocedal & Wright 2006, Sec. 8.1: central differences have error O(h^2) from truncation and
 * O(eps / h) from rounding, balanced at h ~ eps^(1/3); the factor (1 + |x|) / |v| makes the
 * perturbation h v small relative to x whatever the scale of v, the usual scaling for
 * difference-of-gradient products in Hessian-free Newton methods, their Sec. 7.1).
 * Two gradient evaluations per product, no Hessian ever formed; the error is O(h^2 |f'''|) where
 * the gradient is smooth (zero for a quadratic, up to rounding).
 *
 * `grad` is what {@link minimize} takes: a callback `fg(x, g)` that writes the gradient into g
 * (its return value is ignored here), or an {@link Objective}; an objective with an exact
 * `hessianVector` (a {@link tapeObjective}) gives its exact products instead of differences. Every buffer (the trial point and
 * the two gradients, f64 in the runtime's memory) is allocated once by the constructor and
 * reused by each product; `dispose()` frees them.
 *
 * @example
 * const hvp = new HessianVectorProduct(rt, rosen, 2);
 * hvp.apply([1, 1], [1, 0]);  // ~ [802, -400], the first column of the Hessian at (1, 1)
 * minimize(rosen, [-1.2, 1], { method: "newton", hessp: hvp.hessp, runtime: rt });
 * hvp.dispose();
 */
export class HessianVectorProduct {
  /** Step factor r of h = r (1 + |x|) / |v|. */
  readonly relativeStep: number;
  /** Gradient evaluations so far: two per product by differences, one per exact product of an objective that has them. */
  evaluations = 0;
  private readonly x: Tensor<"f64">;
  private readonly v: Tensor<"f64">;
  private readonly trial: Tensor<"f64">;
  private readonly gPlus: Tensor<"f64">;
  private readonly gMinus: Tensor<"f64">;
  private readonly product: Tensor<"f64">;
  private readonly objective: Objective | null;
  private readonly fg: FG | null;
  private released = false;

  /**
   * @param grad - The gradient: a callback `fg(x, g)` writing g, or an {@link Objective} of this runtime.
   * @throws {ValueError} when `runtime` is not a Runtime, `grad` is neither a function nor an
   *   Objective (or lives in another runtime), `n` is not an integer >= 1, `relativeStep` is
   *   outside (0, 1], or an option is unknown.
   * @throws {ShapeError} when an Objective has other than n variables.
   */
  constructor(
    /** The runtime whose memory holds the trial point and the gradients. */
    readonly runtime: Runtime,
    grad: FG | Objective,
    /** Number of variables. */
    readonly n: number,
    options: HessianVectorOptions = {},
  ) {
    checkRuntime(runtime);
    const objective = isObjective(grad) ? grad : null;
    if (!objective && typeof grad !== "function") {
      throw new ValueError(`Invalid grad: ${String(grad)} (expected a function (x, g) => f or an Objective)`);
    }
    checkNumber("n", n, { min: 1, integer: true });
    if (objective && objective.runtime !== runtime) throw new ValueError("Invalid grad: the objective lives in another runtime");
    if (objective && objective.n !== n) throw new ShapeError(`n is ${n} but the objective has ${objective.n} variables`);
    checkOptions(options, { of: "HessianVectorProduct", known: KNOWN });
    this.relativeStep = checkNumber("relativeStep", options.relativeStep ?? CENTRAL_DIFFERENCE_STEP, { above: 0, max: 1 });
    this.objective = objective;
    this.fg = objective ? null : (grad as FG);
    const vec = () => runtime.tensor([n], { dtype: "f64" });
    [this.x, this.v, this.trial, this.gPlus, this.gMinus, this.product] = runtime.allocateOwned(() => [vec(), vec(), vec(), vec(), vec(), vec()]);
  }

  /**
   * H(x) v into `out` (a new Float64Array when omitted), which is returned. x and v are arrays
   * of n finite numbers or tensors of this runtime; v = 0 gives 0 without evaluating anything.
   * Throws NonFiniteError, `out` unchanged, when a gradient at x +- h v is NaN or infinite.
   * @throws {NonFiniteError} when a gradient at x +- h v is NaN or infinite (`out` unchanged).
   * @throws {ValueError} when x or v holds a non-finite value or is a tensor of another runtime.
   * @throws {ShapeError} when x or v does not hold n values, or `out` is not a Float64Array of length n.
   * @throws {DisposedError} after dispose(), or when x or v is a disposed tensor.
   */
  apply(x: Values, v: Values, out?: Float64Array): Float64Array {
    this.assertLive();
    this.checkPoint("x", x);
    this.checkPoint("v", v);
    if (out !== undefined && !(out instanceof Float64Array && out.length === this.n)) {
      throw new ShapeError(`out must be a Float64Array of length ${this.n}`);
    }
    this.x.set(valuesOf(x));
    this.v.set(valuesOf(v));
    this.productAt(this.x.ptr, this.v.ptr, this.product.ptr);
    const result = out ?? new Float64Array(this.n);
    result.set(this.product.data);
    return result;
  }

  /**
   * `hessp(x, v, out)` as {@link minimize} takes it for method 'newton' (and as scipy names it):
   * H(x) v written into out.
   */
  readonly hessp = (x: Float64Array, v: Float64Array, out: Float64Array): void => {
    this.apply(x, v, out);
  };

  /**
   * @internal H(x) v at byte addresses of n f64 in this runtime; out must not alias the product's
   * own buffers (x and v may be anything else). Throws NonFiniteError before writing out.
   */
  productAt(x: number, v: number, out: number): void {
    const k = this.runtime.kernels;
    const n = this.n;
    if (this.objective?.hessianVector) {
      this.evaluations += 1;
      this.objective.hessianVector(x, v, this.gPlus.ptr);
      if (!Number.isFinite(k.f64_norm_inf(this.gPlus.ptr, n))) throw new NonFiniteError("the exact Hessian-vector product is not finite");
      k.f64_axpby(out, 1, this.gPlus.ptr, 0, this.gPlus.ptr, n);
      return;
    }
    const vNorm = k.f64_nrm2(v, n);
    if (vNorm === 0) {
      k.f64_axpby(out, 0, v, 0, v, n);
      return;
    }
    const h = (this.relativeStep * (1 + k.f64_nrm2(x, n))) / vNorm;
    k.f64_axpby(this.trial.ptr, 1, x, h, v, n);
    this.gradientAt(this.trial.ptr, this.gPlus.ptr);
    k.f64_axpby(this.trial.ptr, 1, x, -h, v, n);
    this.gradientAt(this.trial.ptr, this.gMinus.ptr);
    for (const [sign, g] of [["+", this.gPlus], ["-", this.gMinus]] as const) {
      if (!Number.isFinite(k.f64_norm_inf(g.ptr, n))) throw new NonFiniteError(`the gradient at x ${sign} h v is not finite (h = ${h})`);
    }
    k.f64_axpby(out, 0.5 / h, this.gPlus.ptr, -0.5 / h, this.gMinus.ptr, n);
  }

  /** @internal The gradient at x (byte address) into g; counted. */
  gradientAt(x: number, g: number): void {
    this.evaluations += 1;
    if (this.objective) {
      this.objective.evaluate(x, g);
      return;
    }
    // Views made per call: the callback may allocate and grow the memory, detaching older ones.
    const buffer = this.runtime.heap.buffer as ArrayBuffer;
    this.fg!(new Float64Array(buffer, x, this.n), new Float64Array(buffer, g, this.n));
  }

  /** Whether dispose() has run. */
  get disposed(): boolean {
    return this.released;
  }

  /**
   * Frees the buffers; any later call throws DisposedError.
   * @throws {DisposedError} when already disposed.
   */
  dispose(): void {
    this.assertLive();
    this.released = true;
    for (const t of [this.x, this.v, this.trial, this.gPlus, this.gMinus, this.product]) t.dispose();
  }

  /** @internal */
  assertLive(): void {
    if (this.released) throw new DisposedError("HessianVectorProduct was used after dispose()");
  }

  /** @internal Length n and finite values (ValueError, ShapeError; a tensor must be live and of this runtime). */
  checkPoint(name: string, values: Values): void {
    if (values instanceof Tensor) checkTensor(name, values, this.runtime);
    checkFinite(name, values);
    const length = valuesOf(values).length;
    if (length !== this.n) throw new ShapeError(`${name} has ${length} values (expected ${this.n})`);
  }
}

/** @internal The numbers of an array or tensor. */
export function valuesOf(values: Values): ArrayLike<number> {
  return values instanceof Tensor ? values.data : values;
}
