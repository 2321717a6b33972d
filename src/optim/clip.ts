import { ValueError } from "../runtime/errors";
import { runtimeOf } from "../runtime/runtime";
import { Param, type Tensor } from "../runtime/tensor";

/** 2^-600: f64 values up to the largest (2^1024) scaled by it square to at most 2^848. */
const DOWN = 2 ** -600;

function sumsqKernel(grad: Tensor) {
  const kernels = runtimeOf(grad).kernels;
  return grad.dtype === "f64" ? kernels.f64_sumsq : kernels.f32_sumsq;
}

/**
 * The f64 sum of squares of a gradient, in one fused pass: NaN when it holds NaN or an
 * infinity, +Infinity when finite f64 values overflow the sum (elements above ~1e154).
 */
function squaredNorm(grad: Tensor): number {
  return sumsqKernel(grad)(grad.ptr, grad.length, 1);
}

/**
 * A gradient's L2 norm from its squaredNorm(). Past the f64 range (+Infinity), it is read
 * again with the values scaled by 2^-600, so every finite gradient has its finite norm.
 */
function normFromSquares(grad: Tensor, squared: number): number {
  if (squared !== Number.POSITIVE_INFINITY) return Math.sqrt(squared);
  return Math.sqrt(sumsqKernel(grad)(grad.ptr, grad.length, DOWN)) / DOWN;
}

/**
 * Each gradient's L2 norm and their global norm: one sum-of-squares pass per gradient (and a
 * rescaled second one only where f64 squares overflow). The global norm is sqrt of the total,
 * or hypot of the norms when that total overflows. NaN for a gradient holding NaN or Infinity.
 */
export function gradientNorms(grads: readonly Tensor[]): { norms: number[]; global: number } {
  const squares = grads.map(squaredNorm);
  const norms = grads.map((grad, i) => normFromSquares(grad, squares[i]!));
  const total = squares.reduce((sum, s) => sum + s, 0);
  return { norms, global: total !== Number.POSITIVE_INFINITY ? Math.sqrt(total) : Math.hypot(...norms) };
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
 * @throws {@link ValueError} when `params` is not an array of Params
 * @throws {@link DisposedError} when a gradient or its runtime was disposed
 */
export function gradNorm(params: readonly Param[]): number {
  if (!Array.isArray(params)) throw new ValueError(`Invalid params: ${String(params)} (expected an array of Params)`);
  for (const param of params) {
    if (!(param instanceof Param)) throw new ValueError(`Invalid param: ${String(param)} (expected a Param from rt.param())`);
    param.grad.assertLive();
  }
  return gradientNorms(params.map((param) => param.grad)).global;
}
