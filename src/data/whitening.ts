import { gemm } from "../linalg/gemm";
import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { runtimeOf, type Runtime } from "../runtime/runtime";
import { checkTensor, type Tensor } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { checkFinite } from "../minimize/objectives";

/** 'zca': W = E' D^-1/2 E (symmetric, the whitening closest to the data); 'pca': W = D^-1/2 E (decorrelated principal components). */
export type WhiteningMethod = "zca" | "pca";

/** Options of {@link Whitening}. */
export interface WhiteningOptions {
  /**
   * Which whitening matrix (see {@link WhiteningMethod}).
   * @defaultValue 'zca'
   */
  method?: WhiteningMethod;
  /**
   * Added to every eigenvalue before the inverse square root: W = D_eps^-1/2 ..., D_eps = D + eps I;
   * default 1e-5. It bounds the gain on directions of (near) zero variance, which would otherwise
   * amplify noise without bound. It is in the units of the data's variance: for data of unusual
   * scale choose it relative to the eigenvalues. 0 whitens exactly (and needs a covariance of full
   * rank).
   * @defaultValue 1e-5
   */
  epsilon?: number;
  /**
   * 'pca' only: keep the k components of largest variance (the output is [m, k]); default d.
   * @defaultValue d (all)
   */
  components?: number;
}

const KNOWN = optionNames<WhiteningOptions>({ method: true, epsilon: true, components: true });
const METHODS: readonly WhiteningMethod[] = ["zca", "pca"];
/** Jacobi sweeps allowed; about 6-10 are needed for d in the hundreds. */
const MAX_SWEEPS = 100;

/**
 * PCA or ZCA whitening of a dataset x [n, d] (rows are samples), fitted at construction:
 *
 * ```text
 * mu = mean of the rows,  C = (x - mu)'(x - mu) / (n - 1) = E' D E    (E: eigenvectors as rows)
 * PCA: y = (x - mu) W',  W = D_eps^-1/2 E           (the first k rows: components by decreasing variance)
 * ZCA: y = (x - mu) W,   W = E' D_eps^-1/2 E        (symmetric)
 * ```
 *
 * with D_eps = D + epsilon I, so that the rows of y have covariance D (D + eps I)^-1, which is I for
 * epsilon = 0. ZCA is the whitening that changes the data least: among all W with W C W' = I it
 * minimizes E|y - (x - mu)|^2 (Kessy, Lewin & Strimmer 2018). The inverse maps back:
 * x = y D_eps^1/2 E + mu (PCA), y E' D_eps^1/2 E + mu (ZCA); with k < d, PCA's inverse is the
 * projection onto the kept components.
 *
 * Everything runs in the runtime's kernels: the mean, centering and covariance are GEMMs, the
 * eigendecomposition is cyclic Jacobi in f64 (f64_symeig, v128 rotations), O(d^3) per sweep; d up
 * to a few hundred takes milliseconds to a second. The object owns its tensors (mean, eigenvalues,
 * the forward and inverse matrices) until dispose(); scratch is freed before the constructor
 * returns. Data are f64.
 *
 * @example
 * const white = new Whitening(x, { method: "zca" });   // x: Tensor<"f64"> [n, d]
 * const y = white.transform(x);                          // rows with identity covariance (up to epsilon)
 * const back = white.inverseTransform(y);                // = x
 * white.dispose();
 */
export class Whitening {
  /** The whitening fitted: 'zca' or 'pca'. */
  readonly method: WhiteningMethod;
  /** Added to every eigenvalue before the inverse square root, in the units of the data's variance. */
  readonly epsilon: number;
  /** Features d of the input. */
  readonly features: number;
  /** Outputs k: d for 'zca', `components` for 'pca'. */
  readonly components: number;
  /** The mean row mu, [1, d]. */
  readonly mean: Tensor<"f64">;
  /** Eigenvalues of the covariance, decreasing, [d]. */
  readonly eigenvalues: Tensor<"f64">;
  /** The whitening matrix W, [k, d]: y = (x - mu) W'. */
  readonly matrix: Tensor<"f64">;
  /** The matrix of the inverse, [k, d]: x = y M + mu. */
  readonly inverseMatrix: Tensor<"f64">;
  private readonly runtime: Runtime;
  private readonly bias: Tensor<"f64">;
  private released = false;

  /**
   * @param x - The data [n, d], f64, n >= 2 samples as rows.
   * @throws {ShapeError} when `x` is not a non-empty f64 matrix or has fewer than 2 rows.
   * @throws {ValueError} when `x` is not a Tensor or holds a non-finite value, `method` or
   *   `epsilon` is invalid, `components` is not an integer in [1, d] (or not d for 'zca'), an
   *   option is unknown, or a kept eigenvalue plus `epsilon` is not positive (rank-deficient data).
   * @throws {DisposedError} when `x` was disposed.
   */
  constructor(x: Tensor<"f64">, options: WhiteningOptions = {}) {
    const data = checkMatrix("x", x, null);
    const [n, d] = data.shape as [number, number];
    if (n < 2) throw new ShapeError(`x has ${n} row (expected at least 2 samples for a covariance)`);
    checkOptions(options, { of: "Whitening", known: KNOWN });
    const method = options.method ?? "zca";
    if (!METHODS.includes(method)) throw new ValueError(`Invalid method: ${String(method)} (expected 'zca' or 'pca')`);
    const epsilon = checkNumber("epsilon", options.epsilon ?? 1e-5, { min: 0 });
    const k = checkNumber("components", options.components ?? d, { min: 1, max: d, integer: true });
    if (method === "zca" && k !== d) throw new ValueError(`Invalid components: ${k} (ZCA keeps all ${d}; use method 'pca')`);
    checkFinite("x", data);
    const rt = runtimeOf(data);
    this.runtime = rt;
    this.method = method;
    this.epsilon = epsilon;
    this.features = d;
    this.components = k;
    [this.mean, this.eigenvalues, this.matrix, this.inverseMatrix, this.bias] = rt.allocateOwned(() => fit(rt, data, method, epsilon, k));
  }

  /**
   * y = (x - mu) W' for x [m, d] (f64, this runtime), into `out` [m, k] (a new tensor, owned by
   * the caller, when omitted); returns y.
   * @throws {ShapeError} when `x` or `out` is not an f64 matrix of the right shape.
   * @throws {ValueError} when `x` or `out` is not a Tensor of this runtime, or `out` overlaps `x`.
   * @throws {DisposedError} after dispose(), or when `x` or `out` was disposed.
   */
  transform(x: Tensor<"f64">, out?: Tensor<"f64">): Tensor<"f64">{
    return this.apply("x", x, this.features, out, this.components, this.matrix, true, this.bias);
  }

  /**
   * x = y M + mu for y [m, k], into `out` [m, d] (new when omitted); returns x.
   * @throws {ShapeError} when `y` or `out` is not an f64 matrix of the right shape.
   * @throws {ValueError} when `y` or `out` is not a Tensor of this runtime, or `out` overlaps `y`.
   * @throws {DisposedError} after dispose(), or when `y` or `out` was disposed.
   */
  inverseTransform(y: Tensor<"f64">, out?: Tensor<"f64">): Tensor<"f64">{
    return this.apply("y", y, this.components, out, this.features, this.inverseMatrix, false, this.mean);
  }

  /** Whether dispose() has run. */
  get disposed(): boolean {
    return this.released;
  }

  /**
   * Frees the owned tensors; any later call throws DisposedError.
   * @throws {DisposedError} when already disposed.
   */
  dispose(): void {
    this.assertLive();
    this.released = true;
    for (const t of [this.mean, this.eigenvalues, this.matrix, this.inverseMatrix, this.bias]) t.dispose();
  }

  private assertLive(): void {
    if (this.released) throw new DisposedError("Whitening was used after dispose()");
  }

  /** out = input op(matrix) + bias, every shape checked first. */
  private apply(
    name: string, input: Tensor<"f64">, inputColumns: number, out: Tensor<"f64"> | undefined, outputColumns: number,
    matrix: Tensor<"f64">, transB: boolean, bias: Tensor<"f64">,
  ): Tensor<"f64"> {
    this.assertLive();
    const source = checkMatrix(name, input, this.runtime);
    const rows = source.shape[0]!;
    if (source.shape[1] !== inputColumns) throw new ShapeError(`${name} has ${source.shape[1]} columns (expected ${inputColumns})`);
    if (out !== undefined) {
      const target = checkMatrix("out", out, this.runtime);
      if (target.shape[0] !== rows || target.shape[1] !== outputColumns) {
        throw new ShapeError(`out has shape [${target.shape.join(", ")}] (expected [${rows}, ${outputColumns}])`);
      }
      if (target.ptr < source.ptr + source.byteLength && source.ptr < target.ptr + target.byteLength) {
        throw new ValueError(`out overlaps ${name} (the transform cannot run in place)`);
      }
    }
    // In a scope, so that a new result is freed if the product runs out of memory for its workspace.
    return this.runtime.scope(() => gemm(source, matrix, out ?? this.runtime.tensor([rows, outputColumns], { dtype: "f64" }), { transB, bias }));
  }
}

/** A live rank-2 f64 tensor (of `runtime` when given). */
function checkMatrix(name: string, value: unknown, runtime: Runtime | null): Tensor<"f64"> {
  const t = checkTensor(name, value, runtime ?? undefined);
  if (t.dtype !== "f64") throw new ShapeError(`Invalid ${name}: ${t.describe()} (expected dtype 'f64')`);
  if (t.shape.length !== 2 || t.length === 0) throw new ShapeError(`Invalid ${name}: ${t.describe()} (expected a non-empty matrix [rows, columns])`);
  return t as Tensor<"f64">;
}

/** The fitted tensors [mean, eigenvalues, W, M, -mu W']; scratch is freed by the caller's scope. */
function fit(rt: Runtime, x: Tensor<"f64">, method: WhiteningMethod, epsilon: number, k: number) {
  const [n, d] = x.shape as [number, number];
  const f64 = (shape: number[]) => rt.tensor(shape, { dtype: "f64" });
  const kernels = rt.kernels;
  const ones = f64([n, 1]).fill(1);
  const mean = gemm(ones, x, f64([1, d]), { transA: true, alpha: 1 / n });
  const centered = f64([n, d]);
  kernels.f64_axpby(centered.ptr, 1, x.ptr, 0, x.ptr, n * d);
  gemm(ones, mean, centered, { alpha: -1, beta: 1 });
  const covariance = gemm(centered, centered, f64([d, d]), { transA: true, alpha: 1 / (n - 1) });
  const eigenvalues = f64([d]);
  const vectors = f64([d, d]);
  kernels.f64_symeig(covariance.ptr, eigenvalues.ptr, vectors.ptr, d, MAX_SWEEPS);
  checkRank(eigenvalues.data, k, epsilon);
  const whiten = f64([k, d]);
  const color = f64([k, d]);
  kernels.f64_eigvec_scale(whiten.ptr, vectors.ptr, eigenvalues.ptr, k, d, epsilon, 1);
  kernels.f64_eigvec_scale(color.ptr, vectors.ptr, eigenvalues.ptr, k, d, epsilon, 0);
  const [matrix, inverse] = method === "pca" ? [whiten, color] : [gemm(vectors, whiten, f64([d, d]), { transA: true }), gemm(vectors, color, f64([d, d]), { transA: true })];
  const bias = gemm(mean, matrix, f64([1, k]), { transB: true, alpha: -1 });
  return [mean, eigenvalues, matrix, inverse, bias] as const;
}

/** ValueError when a kept eigenvalue plus epsilon is not clearly positive (rank-deficient data, epsilon 0). */
function checkRank(eigenvalues: Float64Array, k: number, epsilon: number): void {
  const floor = eigenvalues.length * Number.EPSILON * Math.max(eigenvalues[0]!, 0);
  const weakest = eigenvalues[k - 1]! + epsilon;
  if (!(weakest > floor)) {
    throw new ValueError(
      `Invalid epsilon: ${epsilon} (the covariance's eigenvalue ${k} is ${eigenvalues[k - 1]}: the data have fewer than ${k} independent directions; use epsilon > 0 or fewer components)`,
    );
  }
}
