import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import {
  BASE_DEFAULTS, Optimizer, checkOneOf,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";

export interface AdaDeltaOptions extends BaseHyper {
  /**
   * Decay of both running averages.
   * @defaultValue 0.95 ('book', 'tfjs'); 0.9 ('pytorch')
   */
  rho: number;
  /**
   * Added inside both square roots.
   * @defaultValue 1e-6 ('book', 'pytorch'); 1e-7 ('tfjs')
   */
  eps: number;
  /**
   * Which E[g^2] divides: the one just updated with g ('current': Zeiler's Algorithm 1,
   * PyTorch) or the one before it ('previous': what tfjs 4.22 computes).
   * @defaultValue 'current' ('book', 'pytorch'); 'previous' ('tfjs')
   */

  denominator: "current" | "previous";
}

/** Whose defaults AdaDelta follows (rho, eps, and which E[g^2] divides). */
export type AdaDeltaConvention = "book" | "pytorch" | "tfjs";

const ADADELTA_PAPER: AdaDeltaOptions = { ...BASE_DEFAULTS, lr: 1, rho: 0.95, eps: 1e-6, denominator: "current" };

/**
 * Defaults per convention. 'book': Zeiler (2012), which the book cites (no lr: lr = 1,
 * rho = 0.95, eps = 1e-6). PyTorch: lr = 1, rho = 0.9, eps = 1e-6. tfjs: lr = 1e-3,
 * rho = 0.95, eps = 1e-7 and the previous E[g^2] in the denominator.
 */
export const ADADELTA_CONVENTIONS: Conventions<AdaDeltaOptions> = {
  default: "pytorch",
  defaults: {
    book: ADADELTA_PAPER,
    pytorch: { ...ADADELTA_PAPER, rho: 0.9 },
    tfjs: { ...ADADELTA_PAPER, lr: 1e-3, eps: 1e-7, denominator: "previous" },
  },
};

/**
 * AdaDelta (Zeiler 2012), one fused pass:
 *
 * ```text
 * E[g^2] <- rho E[g^2] + (1 - rho) g^2
 * dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g
 * E[dx^2] <- rho E[dx^2] + (1 - rho) dx^2
 * theta <- theta - lr dx
 * ```
 *
 * @example
 * const opt = new AdaDelta(rt, [w]); // PyTorch: lr 1, rho 0.9, eps 1e-6
 */
export class AdaDelta extends Optimizer<AdaDeltaOptions> {
  readonly name = "AdaDelta";
  protected readonly allBufferNames = ["eg", "edx"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<AdaDeltaOptions>[], options: OptionsOf<AdaDeltaOptions, AdaDeltaConvention> = {}) {
    super(runtime, params, ADADELTA_CONVENTIONS, options);
  }

  protected checkHyper(hyper: AdaDeltaOptions): void {
    checkNumber("rho", hyper.rho, { min: 0, below: 1 });
    checkNumber("eps", hyper.eps, { above: 0 });
    checkOneOf("denominator", hyper.denominator, ["current", "previous"] as const);
  }

  protected bufferNames(): readonly string[] {
    return ["eg", "edx"];
  }

  protected update(param: Param, group: ParamGroup<AdaDeltaOptions>, state: ParamState, prologue: Prologue): void {
    state.step += 1;
    const { eg, edx } = state.buffers;
    this.kernel(param.dtype, "adadelta_step")(
      param.ptr, param.grad.ptr, eg!.ptr, edx!.ptr, param.length,
      group.lr, group.rho, 1 - group.rho, group.eps, group.denominator === "previous" ? 1 : 0, ...prologue,
    );
  }
}
