import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import { Optimizer, type BaseHyper, type ParamGroup, type ParamGroupInput } from "./optimizer";

export interface SGDOptions extends BaseHyper {}

/** Default hyperparameters of {@link SGD} (PyTorch's lr). */
export const SGD_DEFAULTS: Readonly<SGDOptions> = { lr: 1e-3 };

/**
 * Stochastic gradient descent, Goodfellow et al. (2016), Algorithm 8.1:
 *
 *   theta <- theta - lr * g
 *
 * The gradient is whatever the caller wrote into `param.grad` (a minibatch estimate).
 *
 * @example
 * const rt = initSync();
 * const w = rt.param([3], { values: [1, 2, 3] });
 * const opt = new SGD(rt, [w], { lr: 0.1 });
 * w.grad.data.set([1, 1, 1]);
 * opt.step(); // w = [0.9, 1.9, 2.9]
 */
export class SGD extends Optimizer<SGDOptions, null> {
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<SGDOptions>[], options: Partial<SGDOptions> = {}) {
    super(runtime, params, { ...SGD_DEFAULTS, ...options });
  }

  protected checkHyper(hyper: SGDOptions): void {
    checkNumber("lr", hyper.lr, { min: 0 });
  }

  protected createState(): null {
    return null;
  }

  protected disposeState(): void {}

  protected update(param: Param, group: ParamGroup<SGDOptions>): void {
    this.runtime.kernels.f32_sgd_step(param.ptr, param.grad.ptr, param.length, group.lr, 1);
  }
}
