import type { Param, Tensor } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import { Optimizer, type BaseHyper, type ParamGroup, type ParamGroupInput } from "./optimizer";

export interface AdamOptions extends BaseHyper {
  /** Decay of the first-moment estimate (the book's rho1). */
  beta1: number;
  /** Decay of the second-moment estimate (the book's rho2). */
  beta2: number;
  /** The book's delta: added to sqrt(r_hat), outside the square root. */
  eps: number;
}

/** Default hyperparameters of {@link Adam}: the book's, which PyTorch shares. tfjs uses eps = 1e-7. */
export const ADAM_DEFAULTS: Readonly<AdamOptions> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface AdamState {
  /** Steps taken for this parameter (t in the bias corrections). */
  step: number;
  /** First moment s. */
  s: Tensor<"f32">;
  /** Second moment r. */
  r: Tensor<"f32">;
}

/**
 * Adam, Goodfellow et al. (2016), Algorithm 8.7 (Kingma & Ba, 2015), one fused pass:
 *
 *   t <- t + 1
 *   s <- beta1 s + (1 - beta1) g
 *   r <- beta2 r + (1 - beta2) g * g
 *   s_hat = s / (1 - beta1^t),   r_hat = r / (1 - beta2^t)
 *   theta <- theta - lr * s_hat / (sqrt(r_hat) + eps)
 *
 * eps sits outside the square root, as in the book and PyTorch (TensorFlow.js also, but
 * with eps = 1e-7 by default). t counts per parameter.
 *
 * @example
 * const rt = initSync();
 * const w = rt.param([2], { values: [1, -1] });
 * const opt = new Adam(rt, [w], { lr: 0.01 });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step(); // first step moves each weight by lr against the sign of its gradient
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    super(runtime, params, { ...ADAM_DEFAULTS, ...options });
  }

  protected checkHyper(hyper: AdamOptions): void {
    checkNumber("lr", hyper.lr, { min: 0 });
    checkNumber("beta1", hyper.beta1, { min: 0, below: 1 });
    checkNumber("beta2", hyper.beta2, { min: 0, below: 1 });
    checkNumber("eps", hyper.eps, { above: 0 });
  }

  protected createState(param: Param): AdamState {
    return { step: 0, s: this.runtime.tensor(param.shape), r: this.runtime.tensor(param.shape) };
  }

  protected disposeState(state: AdamState): void {
    state.s.dispose();
    state.r.dispose();
  }

  protected update(param: Param, group: ParamGroup<AdamOptions>, state: AdamState): void {
    state.step += 1;
    const bc1 = 1 - group.beta1 ** state.step;
    const bc2 = 1 - group.beta2 ** state.step;
    this.runtime.kernels.f32_adam_step(
      param.ptr, param.grad.ptr, state.s.ptr, state.r.ptr, param.length,
      group.lr / bc1, 1 - group.beta1, 1 - group.beta2, group.eps, 1 / Math.sqrt(bc2), 1,
    );
  }
}
