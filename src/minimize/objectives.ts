import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, runtimeOf, type Runtime } from "../runtime/runtime";
import { Tensor, checkTensor, pinValues, type Values } from "../runtime/tensor";
import { checkNumber, checkValues } from "../runtime/validate";

/**
 * An objective whose data lives in a runtime's linear memory and whose value and gradient are
 * computed by a kernel: passed to {@link minimize} instead of a callback, a whole iteration runs in
 * wasm (on the 'wasm' backend) and crosses into JS only for `onIteration`. Pointers are byte
 * addresses of n f64 in the same runtime. Create with quadratic(), diagonalQuadratic(),
 * leastSquares(), logisticRegression() or extendedRosenbrock(). An objective owns copies of its
 * data: they outlive any `rt.scope` it is created in, and dispose() frees them; after dispose()
 * every method (and minimize() with it) throws DisposedError.
 */
export interface Objective {
  /** The runtime holding the objective's data; minimize() evaluates x in its memory. */
  readonly runtime: Runtime;
  /** Number of variables. */
  readonly n: number;
  /** True once dispose() has run. */
  readonly disposed: boolean;
  /** Writes the gradient at x into g and returns f(x). */
  evaluate(x: number, g: number): number;
  /** d' Hessian d: the curvature the 'exact' line search divides by (quadratic objectives). */
  curvature?(d: number): number;
  /** Writes the dense Hessian at x (n x n row-major) at H, for 'newton'. */
  hessian?(x: number, H: number): void;
  /**
   * Writes the exact H(x) v at `out` (byte addresses of n f64): {@link HessianVectorProduct} uses
   * it in place of differences of gradients ({@link tapeObjective} has it).
   */
  hessianVector?(x: number, v: number, out: number): void;
  /** One sweep of exact coordinate minimization with g current; returns the largest step (for 'coordinate'). */
  coordinateSweep?(x: number, g: number): number;
  /** Frees the objective's data. Idempotent. */
  dispose(): void;
}

/** True for the objectives of this module (as opposed to a plain fg callback). */
export function isObjective(value: unknown): value is Objective {
  return typeof value === "object" && value !== null && typeof (value as Objective).evaluate === "function";
}

/** Throws DisposedError when `objective` has been disposed. */
export function checkObjectiveLive(objective: Objective): void {
  if (objective.disposed) throw new DisposedError("The objective was used after dispose()");
}

/** The kernels behind an objective; the optional ones enable methods of minimize(). */
type Kernels = Pick<Objective, "evaluate" | "curvature" | "hessian" | "coordinateSweep">;

/** An objective over kernels and the tensors they read; every method checks it is still live. */
class KernelObjective implements Objective {
  readonly curvature?: (d: number) => number;
  readonly hessian?: (x: number, H: number) => void;
  readonly coordinateSweep?: (x: number, g: number) => number;
  private released = false;

  constructor(
    readonly runtime: Runtime,
    readonly n: number,
    private readonly owned: Tensor[],
    private readonly kernels: Kernels,
  ) {
    const { curvature, hessian, coordinateSweep } = kernels;
    if (curvature) this.curvature = this.guarded(curvature);
    if (hessian) this.hessian = this.guarded(hessian);
    if (coordinateSweep) this.coordinateSweep = this.guarded(coordinateSweep);
  }

  get disposed(): boolean {
    return this.released;
  }

  evaluate(x: number, g: number): number {
    checkObjectiveLive(this);
    return this.kernels.evaluate(x, g);
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.owned) if (!t.disposed) t.dispose();
  }

  /** `kernel` behind a liveness check: after dispose() its tensors' memory belongs to others. */
  private guarded<A extends unknown[], R>(kernel: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      checkObjectiveLive(this);
      return kernel(...args);
    };
  }
}

/** The numbers of `values`: a live tensor's data, or an array-like (ValueError otherwise, also for a stale view). */
function valuesOf(name: string, values: Values): ArrayLike<number> {
  if (values instanceof Tensor) return checkTensor(name, values).data;
  return checkValues(name, values);
}

/**
 * `values` readable after allocations in `rt`: a tensor's data is re-read when asked (its view
 * may have been detached meanwhile); an array-like is pinned (a view of rt's memory is copied now).
 */
function sourceOf(name: string, values: Values, rt: Runtime): () => ArrayLike<number> {
  if (values instanceof Tensor) {
    const tensor = checkTensor(name, values);
    return () => tensor.data;
  }
  const pinned = pinValues(name, values, rt);
  return () => pinned;
}

/**
 * Throws ValueError naming the first NaN or infinite entry of `values`. An f64 tensor is
 * scanned by a kernel in place; anything else is scanned here, as it is copied here anyway.
 * Runs before anything is allocated, so a rejected input leaves the memory as it was.
 */
export function checkFinite(name: string, values: Values): void {
  const data = valuesOf(name, values);
  if (values instanceof Tensor && values.dtype === "f64" && Number.isFinite(runtimeOf(values).kernels.f64_norm_inf(values.ptr, values.length))) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ValueError(`Invalid ${name}[${i}]: ${data[i]} (expected a finite number)`);
  }
}

/**
 * An objective's tensors: each (name, values, length) copied into a new f64 tensor, then f64
 * scratch buffers of the given lengths. Every length and value is checked and every input read
 * or pinned first (ShapeError, ValueError), so a rejected input allocates nothing and growing the
 * memory cannot detach an input; the tensors are owned (kept out of scopes), and running out of
 * memory part-way frees what was made.
 */
function allocate(rt: Runtime, inputs: Array<[string, Values, number]>, scratch: number[] = []): Tensor<"f64">[] {
  const sources = inputs.map(([name, values, length]) => {
    const source = sourceOf(name, values, rt);
    const n = source().length;
    if (n !== length) throw new ShapeError(`${name} has ${n} values (expected ${length})`);
    return source;
  });
  for (const [name, values] of inputs) checkFinite(name, values);
  return rt.allocateOwned(() => [
    ...inputs.map(([, , length], i) => rt.tensor([length], { dtype: "f64" }).set(sources[i]!())),
    ...scratch.map((length) => rt.tensor([Math.max(length, 1)], { dtype: "f64" })),
  ]);
}

/**
 * f(x) = 1/2 x'Ax - b'x with A symmetric n x n (row-major, copied in; symmetry is the caller's
 * promise), g = Ax - b. Supports every method and the 'exact' line search; the minimizer solves
 * Ax = b when A is positive definite.
 *
 * @throws {@link ValueError} when `rt` is not a Runtime, or for values that are not finite numbers
 * @throws {@link ShapeError} when the lengths do not fit (A must hold n x n values, n = b's length)
 * @throws {@link DisposedError} when `rt` or a tensor given as values was disposed
 * @throws {@link OutOfMemoryError} when the copies do not fit (nothing stays allocated)
 */
export function quadratic(rt: Runtime, A: Values, b: Values): Objective {
  checkRuntime(rt);
  const n = valuesOf("b", b).length;
  const [a, bb, scratch] = allocate(rt, [["A", A, n * n], ["b", b, n]], [n]) as [Tensor<"f64">, Tensor<"f64">, Tensor<"f64">];
  const k = rt.kernels;
  return new KernelObjective(rt, n, [a, bb, scratch], {
    evaluate: (x, g) => k.f64_quadratic_fg(x, g, a.ptr, bb.ptr, n),
    curvature: (d) => {
      k.f64_gemv(scratch.ptr, a.ptr, d, n, n, 1);
      return k.f64_dot(d, scratch.ptr, n);
    },
    hessian: (_x, H) => k.f64_axpby(H, 1, a.ptr, 0, a.ptr, n * n),
    coordinateSweep: (x, g) => k.f64_quadratic_coordinate_sweep(x, g, a.ptr, n),
  });
}

/**
 * f(x) = 1/2 sum a_i x_i^2 - b'x, g = a * x - b (a separable quadratic, O(n) per evaluation).
 *
 * @throws {@link ValueError} when `rt` is not a Runtime, or for values that are not finite numbers
 * @throws {@link ShapeError} when the lengths do not fit (a and b must have the same length)
 * @throws {@link DisposedError} when `rt` or a tensor given as values was disposed
 * @throws {@link OutOfMemoryError} when the copies do not fit (nothing stays allocated)
 */
export function diagonalQuadratic(rt: Runtime, a: Values, b: Values): Objective {
  checkRuntime(rt);
  const n = valuesOf("b", b).length;
  const [aa, bb] = allocate(rt, [["a", a, n], ["b", b, n]]) as [Tensor<"f64">, Tensor<"f64">];
  const k = rt.kernels;
  return new KernelObjective(rt, n, [aa, bb], {
    evaluate: (x, g) => k.f64_diag_quadratic_fg(x, g, aa.ptr, bb.ptr, n),
    curvature: (d) => k.f64_diag_dot(aa.ptr, d, d, n),
  });
}

/**
 * f(x) = 1/2 |Ax - b|^2 with A m x n (row-major), g = A'(Ax - b), Hessian A'A.
 *
 * @throws {@link ValueError} when `rt` is not a Runtime, or for values that are not finite numbers, or n not an integer >= 1
 * @throws {@link ShapeError} when the lengths do not fit (A must hold m x n values, m = b's length)
 * @throws {@link DisposedError} when `rt` or a tensor given as values was disposed
 * @throws {@link OutOfMemoryError} when the copies do not fit (nothing stays allocated)
 */
export function leastSquares(rt: Runtime, A: Values, b: Values, n: number): Objective {
  checkRuntime(rt);
  checkNumber("n", n, { min: 1, integer: true });
  const m = valuesOf("b", b).length;
  const [a, bb, r, ones] = allocate(rt, [["A", A, m * n], ["b", b, m]], [m, m]) as [Tensor<"f64">, Tensor<"f64">, Tensor<"f64">, Tensor<"f64">];
  ones.fill(1);
  const k = rt.kernels;
  return new KernelObjective(rt, n, [a, bb, r, ones], {
    evaluate: (x, g) => k.f64_least_squares_fg(x, g, a.ptr, bb.ptr, r.ptr, m, n),
    hessian: (_x, H) => k.f64_weighted_gram(H, a.ptr, ones.ptr, m, n, 0),
    // d'A'Ad = |Ad|^2.
    curvature: (d) => {
      k.f64_gemv(r.ptr, a.ptr, d, m, n, 1);
      return k.f64_dot(r.ptr, r.ptr, m);
    },
  });
}

/**
 * L2-regularized logistic regression: f(w) = sum_i log(1 + exp(z_i)) - y_i z_i + lambda/2 |w|^2
 * with z = A w, A m x n (row-major features), labels y_i in {0, 1}. Hessian A' diag(p (1 - p)) A +
 * lambda I with p = sigmoid(z), so 'newton' works on it too.
 *
 * @param lambda - the L2 weight, >= 0
 * @throws {@link ValueError} when `rt` is not a Runtime, or for values that are not finite numbers, n not an integer >= 1, lambda < 0, or a label other than 0 or 1
 * @throws {@link ShapeError} when the lengths do not fit (A must hold m x n values, m = y's length)
 * @throws {@link DisposedError} when `rt` or a tensor given as values was disposed
 * @throws {@link OutOfMemoryError} when the copies do not fit (nothing stays allocated)
 */
export function logisticRegression(rt: Runtime, A: Values, y: Values, n: number, lambda = 0): Objective {
  checkRuntime(rt);
  checkNumber("n", n, { min: 1, integer: true });
  checkNumber("lambda", lambda, { min: 0 });
  const labels = valuesOf("y", y);
  const m = labels.length;
  for (let i = 0; i < m; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new ValueError(`Invalid y[${i}]: ${labels[i]} (expected 0 or 1)`);
  }
  const [a, yy, z] = allocate(rt, [["A", A, m * n], ["y", y, m]], [m]) as [Tensor<"f64">, Tensor<"f64">, Tensor<"f64">];
  const k = rt.kernels;
  return new KernelObjective(rt, n, [a, yy, z], {
    evaluate: (x, g) => k.f64_logistic_fg(x, g, a.ptr, yy.ptr, z.ptr, m, n, lambda),
    // A' diag(p (1 - p)) A + lambda I; z (scratch of fg) holds the weights meanwhile.
    hessian: (x, H) => {
      k.f64_logistic_weights(z.ptr, a.ptr, x, m, n);
      k.f64_weighted_gram(H, a.ptr, z.ptr, m, n, lambda);
    },
  });
}

/**
 * The extended Rosenbrock function (More, Garbow & Hillstrom 1981, problem 21), n even; minimum 0 at ones.
 *
 * @throws {@link ValueError} when `rt` is not a Runtime, or n is not an integer >= 2
 * @throws {@link ShapeError} for an odd n
 * @throws {@link DisposedError} when `rt` was disposed
 */
export function extendedRosenbrock(rt: Runtime, n: number): Objective {
  checkRuntime(rt);
  checkNumber("n", n, { min: 2, integer: true });
  if (n % 2 !== 0) throw new ShapeError(`extendedRosenbrock needs an even n, got ${n}`);
  const k = rt.kernels;
  return new KernelObjective(rt, n, [], { evaluate: (x, g) => k.f64_rosenbrock_fg(x, g, n) });
}
