import type { Tensor } from "../runtime/tensor";
import { checkNumber, optionNames } from "../runtime/validate";
import type { HessianVectorProduct } from "./hessian-vector";
import { valuesOf } from "./hessian-vector";
import { checkHvp, lanczos, resolveLanczos, type HessianSpectrum, type LanczosOptions } from "./lanczos";

/**
 * What a point is, from the gradient and the extreme Hessian eigenvalues:
 * - 'minimum': every eigenvalue > zero (H positive definite);
 * - 'maximum': every eigenvalue < -zero;
 * - 'saddle': some eigenvalue < -zero and some > zero;
 * - 'degenerate': otherwise: none below -zero or none above zero, and one within zero of 0 (the
 *   second-order test cannot decide: x^4 and -x^4 both have H = 0 at 0);
 * - 'not-critical': the gradient's largest component exceeds gtol.
 */
export type CriticalPointKind = "minimum" | "maximum" | "saddle" | "degenerate" | "not-critical";

/** Options of {@link classifyCriticalPoint}: the Lanczos options, and the tolerances. */
export interface ClassifyOptions extends LanczosOptions {
  /**
   * An eigenvalue counts as zero when |lambda| <= max(atol, tol max(|lambda_min|, |lambda_max|)).
   * tol: default 1e-6, well above the relative error of the central-difference products (about
   * 1e-9 for smooth f).
   * @defaultValue 1e-6
   */
  tol?: number;
  /**
   * The absolute part of the zero test; default 1e-8, above the curvature that the differences
   * see where the true one is 0 (x^4 at 0 gives 4 h^2 ~ 1.5e-10). It is in the units of f / x^2:
   * set it for objectives of unusual scale.
   * @defaultValue 1e-8
   */
  atol?: number;
  /**
   * The point is critical when max_i |g_i| <= gtol; default 1e-5 (minimize's default).
   * @defaultValue 1e-5
   */
  gtol?: number;
}

/** What {@link classifyCriticalPoint} returns: the spectrum estimate and the verdict. */
export interface CriticalPoint extends HessianSpectrum {
  /** The verdict: 'not-critical' when max_i |g_i| > gtol, otherwise from the signs of the extreme eigenvalues. */
  kind: CriticalPointKind;
  /** max_i |g_i| at the point. */
  gradNorm: number;
}

const KNOWN = optionNames<ClassifyOptions>({ steps: true, seed: true, tol: true, atol: true, gtol: true });

/**
 * Classifies x by the second-derivative test (Goodfellow et al. 2016, Sec. 4.3.1): the signs of
 * the Hessian's extreme eigenvalues, estimated by {@link hessianEigenvalues} (Lanczos), with a
 * relative tolerance for zero. Only the extremes matter: the smallest decides "some direction
 * curves down", the largest "some direction curves up". With fewer Lanczos steps than n the
 * extremes are inner estimates (a minimum's smallest eigenvalue may be overestimated): for small
 * n, the default steps = n is exact; otherwise check `residuals`.
 *
 * @example
 * const saddle = new HessianVectorProduct(rt, (x, g) => { g[0] = 2 * x[0]; g[1] = -2 * x[1]; return 0; }, 2);
 * classifyCriticalPoint(saddle, [0, 0]).kind;  // 'saddle'
 *
 * @throws {@link ValueError} for bad options, an hvp that is not a HessianVectorProduct, or x of the wrong length or with non-finite values.
 */
export function classifyCriticalPoint(hvp: HessianVectorProduct, x: ArrayLike<number> | Tensor, options: ClassifyOptions = {}): CriticalPoint {
  checkHvp(hvp);
  const { steps, seed } = resolveLanczos(options, hvp.n, { of: "classifyCriticalPoint", known: KNOWN });
  const tol = checkNumber("tol", options.tol ?? 1e-6, { min: 0, below: 1 });
  const atol = checkNumber("atol", options.atol ?? 1e-8, { min: 0 });
  const gtol = checkNumber("gtol", options.gtol ?? 1e-5, { min: 0 });
  hvp.checkPoint("x", x);
  const rt = hvp.runtime;
  return rt.scope(() => {
    const point = rt.tensor([hvp.n], { dtype: "f64" }).set(valuesOf(x));
    const gradient = rt.tensor([hvp.n], { dtype: "f64" });
    hvp.gradientAt(point.ptr, gradient.ptr);
    const gradNorm = rt.kernels.f64_norm_inf(gradient.ptr, hvp.n);
    const spectrum = lanczos(hvp, point, steps, seed);
    return { ...spectrum, gradNorm, kind: gradNorm > gtol ? "not-critical" : kindOf(spectrum, Math.max(atol, tol * Math.max(Math.abs(spectrum.min), Math.abs(spectrum.max)))) };
  });
}

/** The verdict from the extreme eigenvalues, those within `zero` of 0 counting as 0. */
function kindOf({ min, max }: HessianSpectrum, zero: number): CriticalPointKind {
  if (min > zero) return "minimum";
  if (max < -zero) return "maximum";
  if (min < -zero && max > zero) return "saddle";
  return "degenerate";
}
