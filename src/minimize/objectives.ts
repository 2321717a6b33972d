import { ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { Tensor, checkTensor } from "../runtime/tensor";
import { checkNumber } from "../runtime/validate";

/**
 * An objective whose data lives in a runtime's linear memory and whose value and gradient are
 * computed by a kernel: passed to {@link minimize} instead of a callback, a whole iteration runs in
 * wasm (on the 'wasm' backend) and crosses into JS only for `onIteration`. Pointers are byte
 * addresses of n f64 in the same runtime. Create with quadratic(), diagonalQuadratic(),
 * leastSquares(), logisticRegression() or extendedRosenbrock(); dispose() frees the copied data.
 */
export interface Objective {
  readonly runtime: Runtime;
  /** Number of variables. */
  readonly n: number;
  /** Writes the gradient at x into g and returns f(x). */
  evaluate(x: number, g: number): number;
  /** d' Hessian d: the curvature the 'exact' line search divides by (quadratic objectives). */
  curvature?(d: number): number;
  /** Writes the dense Hessian at x (n x n row-major) at H, for 'newton'. */
  hessian?(x: number, H: number): void;
  /** One sweep of exact coordinate minimization with g current; returns the largest step (for 'coordinate'). */
  coordinateSweep?(x: number, g: number): number;
  dispose(): void;
}

/** True for the objectives of this module (as opposed to a plain fg callback). */
export function isObjective(value: unknown): value is Objective {
  return typeof value === "object" && value !== null && typeof (value as Objective).evaluate === "function";
}

type Values = ArrayLike<number> | Tensor;

/** The numbers of `values`: a live tensor's data, or an array-like (ValueError otherwise). */
function valuesOf(name: string, values: Values): ArrayLike<number> {
  if (values instanceof Tensor) return checkTensor(name, values).data;
  if (values === null || typeof values !== "object" || typeof (values as ArrayLike<number>).length !== "number") {
    throw new ValueError(`Invalid ${name}: ${String(values)} (expected an array of numbers or a Tensor)`);
  }
  return values;
}

/**
 * Throws ValueError naming the first NaN or infinite entry of `values`. An f64 tensor is
 * scanned by a kernel in place; anything else is scanned here, as it is copied here anyway.
 * Runs before anything is allocated, so a rejected input leaves the memory as it was.
 */
export function checkFinite(name: string, values: Values): void {
  const data = valuesOf(name, values);
  if (values instanceof Tensor && values.dtype === "f64" && Number.isFinite(values.runtime.kernels.f64_norm_inf(values.ptr, values.length))) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ValueError(`Invalid ${name}[${i}]: ${data[i]} (expected a finite number)`);
  }
}

/**
 * An objective's tensors: each (name, values, length) copied into a new f64 tensor, then f64
 * scratch buffers of the given lengths. Every length and value is checked first (ShapeError,
 * ValueError), so a rejected input allocates nothing; out of memory part-way frees what was made.
 */
function allocate(rt: Runtime, inputs: Array<[string, Values, number]>, scratch: number[] = []): Tensor<"f64">[] {
  for (const [name, values, length] of inputs) {
    const n = valuesOf(name, values).length;
    if (n !== length) throw new ShapeError(`${name} has ${n} values (expected ${length})`);
  }
  for (const [name, values] of inputs) checkFinite(name, values);
  const copies: Tensor<"f64">[] = [];
  try {
    for (const [name, values, length] of inputs) copies.push(rt.fromArray(valuesOf(name, values), [length], { dtype: "f64" }));
    for (const length of scratch) copies.push(rt.tensor([Math.max(length, 1)], { dtype: "f64" }));
  } catch (error) {
    disposeAll(copies);
    throw error;
  }
  return copies;
}

/** Frees tensors that are still live (an objective's data). */
function disposeAll(tensors: Tensor[]): void {
  for (const t of tensors) if (!t.disposed) t.dispose();
}

/**
 * f(x) = 1/2 x'Ax - b'x with A symmetric n x n (row-major, copied in; symmetry is the caller's
 * promise), g = Ax - b. Supports every method and the 'exact' line search; the minimizer solves
 * Ax = b when A is positive definite.
 */
export function quadratic(rt: Runtime, A: Values, b: Values): Objective {
  checkRuntime(rt);
  const n = valuesOf("b", b).length;
  const [a, bb, scratch] = allocate(rt, [["A", A, n * n], ["b", b, n]], [n]) as [Tensor<"f64">, Tensor<"f64">, Tensor<"f64">];
  const k = rt.kernels;
  return {
    runtime: rt,
    n,
    evaluate: (x, g) => k.f64_quadratic_fg(x, g, a.ptr, bb.ptr, n),
    curvature: (d) => {
      k.f64_gemv(scratch.ptr, a.ptr, d, n, n, 1);
      return k.f64_dot(d, scratch.ptr, n);
    },
    hessian: (_x, H) => k.f64_axpby(H, 1, a.ptr, 0, a.ptr, n * n),
    coordinateSweep: (x, g) => k.f64_quadratic_coordinate_sweep(x, g, a.ptr, n),
    dispose: () => disposeAll([a, bb, scratch]),
  };
}

/** f(x) = 1/2 sum a_i x_i^2 - b'x, g = a * x - b (a separable quadratic, O(n) per evaluation). */
export function diagonalQuadratic(rt: Runtime, a: Values, b: Values): Objective {
  checkRuntime(rt);
  const n = valuesOf("b", b).length;
  const [aa, bb] = allocate(rt, [["a", a, n], ["b", b, n]]) as [Tensor<"f64">, Tensor<"f64">];
  const k = rt.kernels;
  return {
    runtime: rt,
    n,
    evaluate: (x, g) => k.f64_diag_quadratic_fg(x, g, aa.ptr, bb.ptr, n),
    curvature: (d) => k.f64_diag_dot(aa.ptr, d, d, n),
    dispose: () => disposeAll([aa, bb]),
  };
}

/** f(x) = 1/2 |Ax - b|^2 with A m x n (row-major), g = A'(Ax - b), Hessian A'A. */
export function leastSquares(rt: Runtime, A: Values, b: Values, n: number): Objective {
  checkRuntime(rt);
  checkNumber("n", n, { min: 1, integer: true });
  const m = valuesOf("b", b).length;
  const [a, bb, r, ones] = allocate(rt, [["A", A, m * n], ["b", b, m]], [m, m]) as [Tensor<"f64">, Tensor<"f64">, Tensor<"f64">, Tensor<"f64">];
  ones.fill(1);
  const k = rt.kernels;
  return {
    runtime: rt,
    n,
    evaluate: (x, g) => k.f64_least_squares_fg(x, g, a.ptr, bb.ptr, r.ptr, m, n),
    hessian: (_x, H) => k.f64_weighted_gram(H, a.ptr, ones.ptr, m, n, 0),
    // d'A'Ad = |Ad|^2.
    curvature: (d) => {
      k.f64_gemv(r.ptr, a.ptr, d, m, n, 1);
      return k.f64_dot(r.ptr, r.ptr, m);
    },
    dispose: () => disposeAll([a, bb, r, ones]),
  };
}

/**
 * L2-regularized logistic regression: f(w) = sum_i log(1 + exp(z_i)) - y_i z_i + lambda/2 |w|^2
 * with z = A w, A m x n (row-major features), labels y_i in {0, 1}. Hessian A' diag(p (1 - p)) A +
 * lambda I with p = sigmoid(z), so 'newton' works on it too.
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
  return {
    runtime: rt,
    n,
    evaluate: (x, g) => k.f64_logistic_fg(x, g, a.ptr, yy.ptr, z.ptr, m, n, lambda),
    // A' diag(p (1 - p)) A + lambda I; z (scratch of fg) holds the weights meanwhile.
    hessian: (x, H) => {
      k.f64_logistic_weights(z.ptr, a.ptr, x, m, n);
      k.f64_weighted_gram(H, a.ptr, z.ptr, m, n, lambda);
    },
    dispose: () => disposeAll([a, yy, z]),
  };
}

/** The extended Rosenbrock function (More, Garbow & Hillstrom 1981, problem 21), n even; minimum 0 at ones. */
export function extendedRosenbrock(rt: Runtime, n: number): Objective {
  checkRuntime(rt);
  checkNumber("n", n, { min: 2, integer: true });
  if (n % 2 !== 0) throw new ShapeError(`extendedRosenbrock needs an even n, got ${n}`);
  const k = rt.kernels;
  return { runtime: rt, n, evaluate: (x, g) => k.f64_rosenbrock_fg(x, g, n), dispose: () => {} };
}
