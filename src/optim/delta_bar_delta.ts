import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import {
  BASE_DEFAULTS, Optimizer,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";

export interface DeltaBarDeltaOptions extends BaseHyper {
  /**
   * Additive increase of a rate while the gradient keeps the sign of its average (Jacobs' kappa).
   * @defaultValue 1e-3
   */
  kappa: number;
  /**
   * Fraction a rate loses when the sign flips (Jacobs' phi).
   * @defaultValue 0.1
   */
  phi: number;
  /**
   * Weight of the past in the gradient average delta-bar (Jacobs' theta).
   * @defaultValue 0.7
   */
  theta: number;
}

const DBD_BASE: DeltaBarDeltaOptions = { ...BASE_DEFAULTS, lr: 1e-2, kappa: 1e-3, phi: 0.1, theta: 0.7 };

/** Delta-bar-delta's defaults: one convention, 'book' (Jacobs 1988 as the book describes it). */
export const DELTA_BAR_DELTA_CONVENTIONS
: Conventions<DeltaBarDeltaOptions> = { default: "book", defaults: { book: DBD_BASE } };

/**
 * Delta-bar-delta (Jacobs 1988; Goodfellow et al. 2016, section 8.5): one learning rate
 * per parameter, starting at lr, one fused pass:
 *
 * ```text
 * bar_prev * g > 0:  eta <- eta + kappa         (same sign: grow additively)
 * bar_prev * g < 0:  eta <- (1 - phi) eta       (sign flip: shrink multiplicatively)
 * theta <- theta - eta g
 * bar <- (1 - theta_avg) g + theta_avg bar_prev
 * ```
 *
 * Meant for full-batch gradients: minibatch noise flips signs at random. lr is read once,
 * when a parameter's rates are created; later changes to lr do not affect them. The
 * defaults (kappa = 1e-3, phi = 0.1, theta = 0.7) are ours: Jacobs tunes them per problem.
 *
 * @example
 * const opt = new DeltaBarDelta(rt, [w], { lr: 1e-3, kappa: 1e-4, phi: 0.2 }); // full-batch gradients
 */
export class DeltaBarDelta extends Optimizer<DeltaBarDeltaOptions> {
  readonly name = "DeltaBarDelta";
  protected readonly allBufferNames = ["eta", "bar"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<DeltaBarDeltaOptions>[], options: OptionsOf<DeltaBarDeltaOptions, "book"> = {}) {
    super(runtime, params, DELTA_BAR_DELTA_CONVENTIONS, options);
  }

  protected checkHyper(hyper: DeltaBarDeltaOptions): void {
    checkNumber("kappa", hyper.kappa, { min: 0 });
    checkNumber("phi", hyper.phi, { min: 0, max: 1 });
    checkNumber("theta", hyper.theta, { min: 0, below: 1 });
  }

  protected bufferNames(): readonly string[] {
    return ["eta", "bar"];
  }

  protected override initialValue(buffer: string, group: DeltaBarDeltaOptions): number {
    return buffer === "eta" ? group.lr : 0;
  }

  protected update(param: Param, group: ParamGroup<DeltaBarDeltaOptions>, state: ParamState, prologue: Prologue): void {
    state.step += 1;
    const { eta, bar } = state.buffers;
    this.kernel(param.dtype, "delta_bar_delta_step")(
      param.ptr, param.grad.ptr, eta!.ptr, bar!.ptr, param.length,
      group.kappa, 1 - group.phi, group.theta, 1 - group.theta, ...prologue,
    );
  }
}
