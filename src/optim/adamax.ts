import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import { checkBetas } from "./adam";
import {
  BASE_DEFAULTS, Optimizer, checkOneOf,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";

export interface AdamaxOptions extends BaseHyper {
  /**
   * Decay of the first moment m.
   * @defaultValue 0.9
   */
  beta1: number;
  /**
   * Decay of the infinity norm u = max(beta2 u, |g|).
   * @defaultValue 0.999
   */
  beta2: number;
  /**
   * Keeps the division finite (see epsPlacement).
   * @defaultValue 1e-8 ('pytorch'); 1e-7 ('tfjs')
   */
  eps: number;
  /**
   * Where eps goes: into the max, u = max(beta2 u, |g| + eps) (PyTorch), or the denominator m / (u + eps) (tfjs).
   * @defaultValue 'max' ('pytorch'); 'denominator' ('tfjs')
   */
  epsPlacement: "max" | "denominator";
  /**
   * tfjs' `decay`: lr_t = lr / (1 + lrDecay (t - 1)).
   * @defaultValue 0
   */
  lrDecay: number;

}

/** Whose defaults Adamax follows (eps and its placement). */
export type AdamaxConvention = "pytorch" | "tfjs";

const ADAMAX_BASE: AdamaxOptions = { ...BASE_DEFAULTS, lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, epsPlacement: "max", lrDecay: 0 };

/** Adamax's defaults per convention. */
export const ADAMAX_CONVENTIONS: Conventions<AdamaxOptions> = {
  default: "pytorch",
  defaults: { pytorch: ADAMAX_BASE, tfjs: { ...ADAMAX_BASE, eps: 1e-7, epsPlacement: "denominator" } },
};

/**
 * Adamax (Kingma & Ba 2015, Algorithm 2): Adam with the infinity norm, one fused pass:
 *
 * ```text
 * m <- beta1 m + (1 - beta1) g
 * PyTorch: u <- max(beta2 u, |g| + eps);  theta <- theta - lr_t / (1 - beta1^t) * m / u
 * tfjs:    u <- max(beta2 u, |g|);        theta <- theta - lr_t / (1 - beta1^t) * m / (u + eps)
 * ```
 *
 * with lr_t = lr / (1 + lrDecay (t - 1)). The paper has no eps (tfjs with eps = 0).
 *
 * @example
 * const opt = new Adamax(rt, [w], { convention: "tfjs", lr: 0.002 }); // tf.train.adamax(0.002)
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  readonly name = "Adamax";
  protected readonly allBufferNames = ["m", "u"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<AdamaxOptions>[], options: OptionsOf<AdamaxOptions, AdamaxConvention> = {}) {
    super(runtime, params, ADAMAX_CONVENTIONS, options);
  }

  protected checkHyper(hyper: AdamaxOptions): void {
    checkBetas(hyper);
    checkOneOf("epsPlacement", hyper.epsPlacement, ["max", "denominator"] as const);
    checkNumber("lrDecay", hyper.lrDecay, { min: 0 });
  }

  protected bufferNames(): readonly string[] {
    return ["m", "u"];
  }

  protected update(param: Param, group: ParamGroup<AdamaxOptions>, state: ParamState, prologue: Prologue): void {
    const t = (state.step += 1);
    const lr = group.lr / (1 + group.lrDecay * (t - 1));
    const [epsIn, epsOut] = group.epsPlacement === "max" ? [group.eps, 0] : [0, group.eps];
    const { m, u } = state.buffers;
    this.kernel(param.dtype, "adamax_step")(
      param.ptr, param.grad.ptr, m!.ptr, u!.ptr, param.length,
      lr / (1 - group.beta1 ** t), 1 - group.beta1, group.beta2, epsIn, epsOut, ...prologue,
    );
  }
}
