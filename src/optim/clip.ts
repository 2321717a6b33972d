import { ValueError } from "../runtime/errors";
import { Param, type Tensor } from "../runtime/tensor";

/** 2^-600: f64 values up to the largest (2^1024) scaled by it square to at most 2^848. */
const DOWN = 2 ** -600;

function sumsqKernel(grad: Tensor) {
  const kernels = grad.runtime.kernels;
  return grad.dtype === "f64" ? kernels.f64_sumsq : kernels.f32_sumsq;
}

/**
 * The f64 sum of squares of a gradient, in one fused pass: NaN when it holds NaN or an
 * infinity, +Infinity when finite f64 values overflow the sum (elements above ~1e154).
 */
export function squaredNorm(grad: Tensor): number {
  return sumsqKernel(grad)(grad.ptr, grad.length, 1);
}

/**
 * A gradient's L2 norm from its squaredNorm(). Past the f64 range (+Infinity), it is read
 * again with the values scaled by 2^-600, so every finite gradient has its finite norm.
 */
export function normFromSquares(grad: Tensor, squared: number): number {
  if (squared !== Number.POSITIVE_INFINITY) return Math.sqrt(squared);
  return Math.sqrt(sumsqKernel(grad)(grad.ptr, grad.length, DOWN)) / DOWN;
}

/** The global norm of gradients from their squaredNorm()s: sqrt of the total, or hypot of their norms when that overflows. */
export function globalNorm(grads: readonly Tensor[], squares: readonly number[]): number {
  const total = squares.reduce((sum, s) => sum + s, 0);
  if (total !== Number.POSITIVE_INFINITY) return Math.sqrt(total);
  return Math.hypot(...grads.map((grad, i) => normFromSquares(grad, squares[i]!)));
}

/**
 * The global L2 norm of the gradients of `params`: sqrt of the sum over every element of
 * every gradient, accumulated in f64 by one fused kernel per tensor (the pass optimizers run
 * for `clipGlobalNorm`), rescaled where f64 squares overflow. NaN when a gradient holds NaN or
 * an infinity. For logging and for gradient accumulation; optimizers clip inside their
 * update, with no extra pass.
 *
 * @example
 * const norm = gradNorm([w, b]); // as torch.nn.utils.get_total_norm
 */
export function gradNorm(params: readonly Param[]): number {
  for (const param of params) {
    if (!(param instanceof Param)) throw new ValueError(`Invalid param: ${String(param)} (expected a Param from rt.param())`);
    param.grad.assertLive();
  }
  const grads = params.map((param) => param.grad);
  return globalNorm(grads, grads.map(squaredNorm));
}
