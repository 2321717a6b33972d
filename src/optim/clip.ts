import { ValueError } from "../runtime/errors";
import { Param } from "../runtime/tensor";

/**
 * The global L2 norm of the gradients of `params`: sqrt of the sum over every element of
 * every gradient, accumulated in f64 by one fused kernel per tensor (the pass optimizers run
 * for `clipGlobalNorm`). NaN when a gradient holds NaN or an infinity. For logging and
 * for gradient accumulation; optimizers clip inside their update, with no extra pass.
 *
 * @example
 * const norm = gradNorm([w, b]); // as torch.nn.utils.get_total_norm
 */
export function gradNorm(params: readonly Param[]): number {
  let total = 0;
  for (const param of params) {
    if (!(param instanceof Param)) throw new ValueError(`Invalid param: ${String(param)} (expected a Param from rt.param())`);
    param.grad.assertLive();
    const kernels = param.runtime.kernels;
    total += (param.dtype === "f64" ? kernels.f64_sumsq : kernels.f32_sumsq)(param.grad.ptr, param.length);
  }
  return Math.sqrt(total);
}
