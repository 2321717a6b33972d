import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import { checkBetas } from "./adam";
import {
  BASE_DEFAULTS, Optimizer, checkBoolean,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";

export interface NAdamOptions extends BaseHyper {
  /**
   * Decay of the first moment (mu, before the momentum schedule).
   * @defaultValue 0.9
   */
  beta1: number;
  /**
   * Decay of the second moment.
   * @defaultValue 0.999
   */
  beta2: number;
  /**
   * Added to sqrt(r_hat), outside the square root.
   * @defaultValue 1e-8
   */
  eps: number;
  /**
   * Dozat's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)) (PyTorch); false: mu_t = beta1 (optax).
   * @defaultValue true ('pytorch'); false ('optax')
   */
  momentumSchedule: boolean;
  /**
   * psi of the schedule (PyTorch's momentum_decay).
   * @defaultValue 4e-3
   */
  momentumDecay: number;

}

/** Whose defaults NAdam follows: PyTorch with Dozat's momentum schedule, optax without. */
export type NAdamConvention = "pytorch" | "optax";

const NADAM_BASE: NAdamOptions = { ...BASE_DEFAULTS, lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentumSchedule: true, momentumDecay: 4e-3 };

/** NAdam's defaults per convention. */
export const NADAM_CONVENTIONS: Conventions<NAdamOptions> = {
  default: "pytorch",
  defaults: { pytorch: NADAM_BASE, optax: { ...NADAM_BASE, momentumSchedule: false } },
};

/**
 * NAdam (Dozat 2016): Adam with Nesterov momentum, one fused pass:
 *
 * ```text
 * s, r as in Adam;  denom = sqrt(r / (1 - beta2^t)) + eps
 * PyTorch (momentumSchedule): mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), P_t = mu_1 ... mu_t
 *   theta <- theta - lr [ mu_{t+1} s / (1 - P_t mu_{t+1}) + (1 - mu_t) g / (1 - P_t) ] / denom
 * optax (no schedule):
 *   theta <- theta - lr [ beta1 s / (1 - beta1^(t+1)) + (1 - beta1) g / (1 - beta1^t) ] / denom
 * ```
 *
 * Neither the book nor tfjs has NAdam. The product P_t is kept per parameter in the state.
 *
 * @example
 * const opt = new NAdam(rt, [w], { lr: 2e-3, weightDecay: 1e-2, weightDecayMode: "decoupled" });
 */
export class NAdam extends Optimizer<NAdamOptions> {
  readonly name = "NAdam";
  protected readonly allBufferNames = ["s", "r"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<NAdamOptions>[], options: OptionsOf<NAdamOptions, NAdamConvention> = {}) {
    super(runtime, params, NADAM_CONVENTIONS, options);
  }

  protected checkHyper(hyper: NAdamOptions): void {
    checkBetas(hyper);
    checkBoolean("momentumSchedule", hyper.momentumSchedule);
    checkNumber("momentumDecay", hyper.momentumDecay, { min: 0 });
  }

  protected bufferNames(): readonly string[] {
    return ["s", "r"];
  }

  protected override initialScalars(): Record<string, number> {
    return { muProduct: 1 };
  }

  protected update(param: Param, group: ParamGroup<NAdamOptions>, state: ParamState, prologue: Prologue): void {
    const t = (state.step += 1);
    const { lr, beta1, beta2 } = group;
    let stepSize: number;
    let gCoef: number;
    if (group.momentumSchedule) {
      const mu = beta1 * (1 - 0.5 * 0.96 ** (t * group.momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * group.momentumDecay));
      const product = (state.scalars.muProduct! *= mu);
      stepSize = (lr * muNext) / (1 - product * muNext);
      gCoef = (lr * (1 - mu)) / (1 - product);
    } else {
      stepSize = (lr * beta1) / (1 - beta1 ** (t + 1));
      gCoef = (lr * (1 - beta1)) / (1 - beta1 ** t);
    }
    const { s, r } = state.buffers;
    this.kernel(param.dtype, "nadam_step")(
      param.ptr, param.grad.ptr, s!.ptr, r!.ptr, param.length,
      stepSize, gCoef, 1 - beta1, 1 - beta2, group.eps, 1 / Math.sqrt(1 - beta2 ** t), ...prologue,
    );
  }
}
