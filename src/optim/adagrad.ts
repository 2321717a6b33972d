import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import {
  BASE_DEFAULTS, Optimizer, checkOneOf,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";

/** eps inside the square root, sqrt(r + eps) (tfjs, optax), or outside, sqrt(r) + eps (book, PyTorch). */
export type EpsPlacement = "inside" | "outside";

export interface AdaGradOptions extends BaseHyper {
  /**
   * The book's delta.
   * @defaultValue 1e-7 ('book', 'tfjs'); 1e-10 ('pytorch')
   */
  eps: number;
  /**
   * eps inside the square root, sqrt(r + eps) (tfjs), or outside, sqrt(r) + eps (book, PyTorch).
   * @defaultValue 'outside' ('book', 'pytorch'); 'inside' ('tfjs')
   */
  epsPlacement: EpsPlacement;
  /**
   * Value the accumulator r starts from.
   * @defaultValue 0 ('book', 'pytorch'); 0.1 ('tfjs')
   */
  initialAccumulator: number;
  /**
   * PyTorch's lr_decay: lr_t = lr / (1 + (t - 1) lrDecay).
   * @defaultValue 0
   */
  lrDecay: number;

}

/** Whose defaults AdaGrad follows (eps, its placement, the initial accumulator). */
export type AdaGradConvention = "book" | "pytorch" | "tfjs";

const ADAGRAD_BASE: AdaGradOptions = { ...BASE_DEFAULTS, lr: 1e-2, eps: 1e-10, epsPlacement: "outside", initialAccumulator: 0, lrDecay: 0 };

/** Defaults per convention: book delta 1e-7 outside; PyTorch eps 1e-10 outside; tfjs eps 1e-7 inside, r0 = 0.1. */
export const ADAGRAD_CONVENTIONS: Conventions<AdaGradOptions> = {
  default: "pytorch",
  defaults: {
    book: { ...ADAGRAD_BASE, eps: 1e-7 },
    pytorch: ADAGRAD_BASE,
    tfjs: { ...ADAGRAD_BASE, eps: 1e-7, epsPlacement: "inside", initialAccumulator: 0.1 },
  },
};

/**
 * AdaGrad, Goodfellow et al. (2016), Algorithm 8.4 (Duchi et al. 2011), one fused pass:
 *
 * ```text
 * r <- r + g * g
 * theta <- theta - lr_t g / (eps + sqrt(r))      ('outside': book, PyTorch)
 * theta <- theta - lr_t g / sqrt(r + eps)        ('inside': tfjs)
 * ```
 *
 * with lr_t = lr / (1 + (t - 1) lrDecay) and r starting at initialAccumulator.
 *
 * @example
 * const opt = new AdaGrad(rt, [w], { convention: "tfjs", lr: 0.1 }); // eps 1e-7 inside, r0 = 0.1
 */
export class AdaGrad extends Optimizer<AdaGradOptions> {
  readonly name = "AdaGrad";
  protected readonly allBufferNames = ["r"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<AdaGradOptions>[], options: OptionsOf<AdaGradOptions, AdaGradConvention> = {}) {
    super(runtime, params, ADAGRAD_CONVENTIONS, options);
  }

  protected checkHyper(hyper: AdaGradOptions): void {
    checkNumber("eps", hyper.eps, { above: 0 });
    checkOneOf("epsPlacement", hyper.epsPlacement, ["inside", "outside"] as const);
    checkNumber("initialAccumulator", hyper.initialAccumulator, { min: 0 });
    checkNumber("lrDecay", hyper.lrDecay, { min: 0 });
  }

  protected bufferNames(): readonly string[] {
    return ["r"];
  }

  protected override initialValue(_buffer: string, group: AdaGradOptions): number {
    return group.initialAccumulator;
  }

  protected update(param: Param, group: ParamGroup<AdaGradOptions>, state: ParamState, prologue: Prologue): void {
    const t = (state.step += 1);
    const lr = group.lr / (1 + (t - 1) * group.lrDecay);
    const [epsIn, epsOut] = group.epsPlacement === "inside" ? [group.eps, 0] : [0, group.eps];
    this.kernel(param.dtype, "adagrad_step")(param.ptr, param.grad.ptr, state.buffers.r!.ptr, param.length, lr, epsIn, epsOut, ...prologue);
  }
}
