import { ValueError } from "../runtime/errors";
import type { Tensor } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { Philox } from "../random/philox";
import { HessianVectorProduct, valuesOf } from "./hessian-vector";

/** Options of {@link hessianEigenvalues}. */
export interface LanczosOptions {
  /**
   * Lanczos steps m, the dimension of the Krylov subspace; at most n. Default min(n, 30). Each
   * step costs one Hessian-vector product (two gradient evaluations) and keeps one more vector of
   * n f64. With m = n the Ritz values are the eigenvalues (up to the products' error).
   * @defaultValue min(n, 30)
   */
  steps?: number;
  /**
   * Seed of the Philox stream drawing the random start vector; default 0.
   * @defaultValue 0
   */
  seed?: number;
}

/** What {@link hessianEigenvalues} returns. */
export interface HessianSpectrum {
  /** The Ritz values theta_i (eigenvalues of the Lanczos tridiagonal T), in decreasing order. */
  values: Float64Array;
  /**
   * |H y_i - theta_i y_i| for the Ritz vector y_i of each value, = beta_m |s_mi| (s_i the
   * eigenvector of T); 0 when the Krylov subspace became invariant. Some eigenvalue of H lies
   * within residuals[i] of values[i].
   */
  residuals: Float64Array;
  /** The largest Ritz value: a lower bound on the largest eigenvalue of H (up to the products' error). */
  max: number;
  /** The smallest Ritz value: an upper bound on the smallest eigenvalue of H. */
  min: number;
  /**
   * max |theta| / min |theta| over the Ritz values (Infinity when one is 0): the condition number
   * of a definite H once the extreme values have converged; a lower bound otherwise.
   */
  condition: number;
  /** Lanczos steps taken: `steps`, or fewer when the Krylov subspace became invariant. */
  steps: number;
}

const KNOWN = optionNames<LanczosOptions>({ steps: true, seed: true });
const MAX_SWEEPS = 100;

/**
 * Extreme eigenvalues of the Hessian at x by the Lanczos method with full reorthogonalization
 * (Golub & Van Loan 2013, Alg. 10.1.1 and Sec. 10.3.1): from a random unit q_1,
 *
 * ```text
 * w = H q_j - beta_{j-1} q_{j-1},  alpha_j = q_j' w,  w -= alpha_j q_j,
 * w -= Q_j (Q_j' w) twice,         beta_j = |w|,      q_{j+1} = w / beta_j,
 * ```
 *
 * then the eigenvalues of the tridiagonal T = tridiag(beta, alpha, beta) by Jacobi (f64_symeig).
 * The second Gram-Schmidt pass ("twice is enough", Parlett 1998, Sec. 6.9) keeps the q_j
 * orthogonal to working precision, which plain Lanczos loses as soon as a Ritz value converges
 * (ghost copies of it appear); the price is O(n m^2) work and m + 1 vectors of n f64, which is why
 * it suits the small m (tens of steps) that extreme eigenvalues need. The run stops early when
 * beta_j falls below sqrt(eps) |T| (an invariant subspace: the Ritz values are eigenvalues).
 *
 * H v comes from `hvp` (central differences of gradients), so every value carries its error,
 * O(h^2) relative to the third derivatives. Everything allocated is freed before returning.
 *
 * @example
 * const hvp = new HessianVectorProduct(rt, rosen, 2);
 * const { max, min, condition } = hessianEigenvalues(hvp, [1, 1]);  // 1001.6, 0.3994, 2508
 *
 * @throws {@link ValueError} for bad options, an hvp that is not a HessianVectorProduct, or x of the wrong length or with non-finite values.
 */
export function hessianEigenvalues(hvp: HessianVectorProduct, x: ArrayLike<number> | Tensor, options: LanczosOptions = {}): HessianSpectrum {
  checkHvp(hvp);
  const { steps, seed } = resolveLanczos(options, hvp.n);
  hvp.checkPoint("x", x);
  const rt = hvp.runtime;
  return rt.scope(() => {
    const point = rt.tensor([hvp.n], { dtype: "f64" }).set(valuesOf(x));
    return lanczos(hvp, point, steps, seed);
  });
}

/** @internal Validated options with defaults. */
export function resolveLanczos(
  options: LanczosOptions, n: number, { of = "hessianEigenvalues", known = KNOWN }: { of?: string; known?: readonly string[] } = {},
): { steps: number; seed: number } {
  checkOptions(options, { of, known });
  return {
    steps: checkNumber("steps", options.steps ?? Math.min(n, 30), { min: 1, max: n, integer: true }),
    seed: checkNumber("seed", options.seed ?? 0, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
  };
}

/** @internal Throws ValueError unless `hvp` is a HessianVectorProduct, DisposedError if disposed. */
export function checkHvp(hvp: unknown): asserts hvp is HessianVectorProduct {
  if (!(hvp instanceof HessianVectorProduct)) throw new ValueError(`Invalid hvp: ${String(hvp)} (expected a HessianVectorProduct)`);
  hvp.assertLive();
}

/** @internal The Lanczos run at the f64 point x (a tensor of hvp's runtime); call inside a scope. */
export function lanczos(hvp: HessianVectorProduct, x: Tensor<"f64">, m: number, seed: number): HessianSpectrum {
  const rt = hvp.runtime;
  const k = rt.kernels;
  const n = hvp.n;
  const basis = rt.tensor([m + 1, n], { dtype: "f64" });
  const w = rt.tensor([n], { dtype: "f64" });
  const q = (j: number) => basis.ptr + j * n * 8;
  new Philox(seed).normal(w);
  k.f64_axpby(q(0), 1 / k.f64_nrm2(w.ptr, n), w.ptr, 0, w.ptr, n);
  const alpha: number[] = [];
  const beta: number[] = [];
  let scale = 0;
  for (let j = 0; j < m; j++) {
    hvp.productAt(x.ptr, q(j), w.ptr);
    if (j > 0) k.f64_axpby(w.ptr, 1, w.ptr, -beta[j - 1]!, q(j - 1), n);
    alpha.push(k.f64_dot(q(j), w.ptr, n));
    k.f64_axpby(w.ptr, 1, w.ptr, -alpha[j]!, q(j), n);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) k.f64_axpby(w.ptr, 1, w.ptr, -k.f64_dot(q(i), w.ptr, n), q(i), n);
    }
    const b = k.f64_nrm2(w.ptr, n);
    scale = Math.max(scale, Math.abs(alpha[j]!) + b + (j > 0 ? beta[j - 1]! : 0));
    if (b <= Math.sqrt(Number.EPSILON) * scale || j === n - 1) {
      beta.push(0);
      break;
    }
    beta.push(b);
    k.f64_axpby(q(j + 1), 1 / b, w.ptr, 0, w.ptr, n);
  }
  return ritzValues(hvp, alpha, beta);
}

/** Eigenvalues of T = tridiag(beta, alpha, beta) and the residual estimates beta_m |s_mi|. */
function ritzValues(hvp: HessianVectorProduct, alpha: number[], beta: number[]): HessianSpectrum {
  const rt = hvp.runtime;
  const m = alpha.length;
  const T = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    T[j * m + j] = alpha[j]!;
    if (j + 1 < m) T[j * m + j + 1] = T[(j + 1) * m + j] = beta[j]!;
  }
  const t = rt.fromArray(T, [m, m], { dtype: "f64" });
  const theta = rt.tensor([m], { dtype: "f64" });
  const s = rt.tensor([m, m], { dtype: "f64" });
  // Jacobi converges quadratically (a few sweeps); MAX_SWEEPS only bounds the loop.
  rt.kernels.f64_symeig(t.ptr, theta.ptr, s.ptr, m, MAX_SWEEPS);
  const values = theta.data.slice();
  const last = beta[m - 1]!;
  const S = s.data;
  const residuals = Float64Array.from({ length: m }, (_, i) => Math.abs(last * S[i * m + m - 1]!));
  const magnitudes = Array.from(values, Math.abs);
  const smallest = Math.min(...magnitudes);
  return {
    values,
    residuals,
    max: values[0]!,
    min: values[m - 1]!,
    condition: smallest === 0 ? Infinity : Math.max(...magnitudes) / smallest,
    steps: m,
  };
}
