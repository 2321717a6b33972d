import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import { checkMomentumForm, momentumCoefficients, type MomentumForm } from "./sgd";
import type { EpsPlacement } from "./adagrad";
import {
  BASE_DEFAULTS, Optimizer, checkBoolean, checkOneOf,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";
import { ValueError } from "../runtime/errors";

export interface RMSPropOptions extends BaseHyper {
  /**
   * Decay of the squared-gradient average (the book's rho; PyTorch alpha, tfjs decay).
   * @defaultValue 0.9 ('book', 'tfjs'); 0.99 ('pytorch')
   */
  rho: number;
  /**
   * The book's delta. 0 is allowed without `centered` (Algorithm 8.6 writes no delta): a
   * coordinate whose r is 0 then does not move (see {@link RMSProp}).
   * @defaultValue 1e-6 ('book'); 1e-8 ('pytorch'); 1e-7 ('tfjs')

   */
  eps: number;
  /**
   * eps inside the root (book, tfjs) or outside (PyTorch).
   * @defaultValue 'inside' ('book', 'tfjs'); 'outside' ('pytorch')
   */
  epsPlacement: EpsPlacement;
  /**
   * Momentum coefficient alpha; 0 keeps no buffer.
   * @defaultValue 0
   */
  momentum: number;
  /**
   * Centered RMSProp (Graves 2013): divide by the root of the variance estimate r - ga^2.
   * @defaultValue false
   */
  centered: boolean;
  /**
   * Nesterov momentum, book Algorithm 8.6 (via the Sutskever change of variables).
   * @defaultValue false
   */
  nesterov: boolean;
  /**
   * lr inside the momentum buffer (book, tfjs), outside (PyTorch), or 'ema':
   * b <- alpha b + (1 - alpha) u; theta <- theta - lr b.
   * @defaultValue 'lr-outside' (PyTorch); 'lr-inside' for the book and tfjs conventions
   */
  momentumForm: MomentumForm;

}

/** Whose defaults RMSProp follows (lr, rho, eps, eps and lr placement). */
export type RMSPropConvention = "book" | "pytorch" | "tfjs";

const RMSPROP_BOOK: RMSPropOptions = {
  ...BASE_DEFAULTS, lr: 1e-3, rho: 0.9, eps: 1e-6, epsPlacement: "inside", momentum: 0, centered: false, nesterov: false, momentumForm: "lr-inside",
};

/**
 * Defaults per convention. Book Alg. 8.5: delta = 1e-6 inside the root, lr inside the
 * velocity (Alg. 8.6), rho = 0.9 (the book gives none; optax's). PyTorch: lr = 1e-2,
 * alpha = 0.99, eps = 1e-8 outside, lr outside the buffer. tfjs: decay = 0.9, eps = 1e-7
 * inside, lr inside the buffer (tfjs requires an lr; we default to 1e-3).
 */
export const RMSPROP_CONVENTIONS: Conventions<RMSPropOptions> = {
  default: "pytorch",
  defaults: {
    book: RMSPROP_BOOK,
    pytorch: { ...RMSPROP_BOOK, lr: 1e-2, rho: 0.99, eps: 1e-8, epsPlacement: "outside", momentumForm: "lr-outside" },
    tfjs: { ...RMSPROP_BOOK, eps: 1e-7 },
  },
};

/**
 * RMSProp, Goodfellow et al. (2016) Algorithms 8.5 and 8.6 (Hinton 2012), one fused pass:
 *
 * ```text
 * r <- rho r + (1 - rho) g * g
 * centered: ga <- rho ga + (1 - rho) g;  v = r - ga^2   (else v = r)
 * u = g / sqrt(v + eps)  ('inside': book, tfjs)   or   g / (sqrt(v) + eps)  ('outside': PyTorch)
 * no momentum:  theta <- theta - lr u
 * 'lr-inside' (book, tfjs):  m <- alpha m + lr u;  theta <- theta - m
 * 'lr-outside' (PyTorch):    b <- alpha b + u;     theta <- theta - lr b
 * Nesterov (book Alg. 8.6):  m as above, theta <- theta - alpha m - lr u (look-ahead iterate)
 * ```
 *
 * ```text
 * 'ema':                     b <- alpha b + (1 - alpha) u; theta <- theta - lr b
 *                            (Nesterov: theta <- theta - lr (alpha b + (1 - alpha) u))
 * ```
 *
 * tfjs' centered RMSProp computes sqrt(r - ga^2 - eps) (eps subtracted: NaN once the
 * variance estimate drops below eps); we add eps as its plain RMSProp and the book do.
 * Algorithm 8.6 writes no delta: `eps: 0` gives it literally, u = g / sqrt(r), and defines
 * u = 0 where r = 0 (0/0 in the formula). In exact arithmetic r >= (1 - rho) g^2, so r = 0
 * means g = 0; in floating point r is also 0 when (1 - rho) g^2 underflows (|g| below about
 * 1e-23 in f32), and that step is 0 as well rather than g / 0 = Infinity. The book's and
 * tfjs' conventions keep their delta; `centered: true` needs eps > 0 (its variance
 * estimate r - ga^2 is 0 for a constant gradient, which would freeze the coordinate).
 *
 * @example
 * const book = new RMSProp(rt, [w], { convention: "book", lr: 1e-3, momentum: 0.9, nesterov: true }); // Alg. 8.6
 * const torch = new RMSProp(rt, [w], { centered: true, momentum: 0.9 }); // torch.optim.RMSprop(centered=True)
 */
export class RMSProp extends Optimizer<RMSPropOptions> {
  readonly name = "RMSProp";
  protected readonly allBufferNames = ["r", "ga", "momentum"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<RMSPropOptions>[], options: OptionsOf<RMSPropOptions, RMSPropConvention> = {}) {
    super(runtime, params, RMSPROP_CONVENTIONS, options);
  }

  protected checkHyper(hyper: RMSPropOptions): void {
    checkNumber("rho", hyper.rho, { min: 0, below: 1 });
    checkNumber("eps", hyper.eps, { min: 0 });
    checkOneOf("epsPlacement", hyper.epsPlacement, ["inside", "outside"] as const);
    checkNumber("momentum", hyper.momentum, { min: 0 });
    checkBoolean("centered", hyper.centered);
    if (hyper.eps === 0 && hyper.centered) {
      throw new ValueError("Invalid eps: 0 (expected > 0 with centered: true; the variance estimate r - ga^2 is 0 for a constant gradient)");
    }
    checkBoolean("nesterov", hyper.nesterov);
    checkMomentumForm(hyper.momentumForm, hyper.momentum);
    if (hyper.nesterov && hyper.momentum <= 0) throw new ValueError(`Invalid nesterov: true (expected momentum > 0, got ${hyper.momentum})`);
  }

  protected bufferNames(group: RMSPropOptions): readonly string[] {
    return ["r", ...(group.centered ? ["ga"] : []), ...(group.momentum > 0 ? ["momentum"] : [])];
  }

  protected update(param: Param, group: ParamGroup<RMSPropOptions>, state: ParamState, prologue: Prologue): void {
    state.step += 1;
    const { lr, rho, eps, momentum, centered } = group;
    const [epsIn, epsOut] = group.epsPlacement === "inside" ? [eps, 0] : [0, eps];
    const coefficients = momentum > 0 ? momentumCoefficients(group.momentumForm, lr, momentum, 1, group.nesterov) : [0, 0, 0, -lr];
    const op = centered
      ? momentum > 0 ? "rmsprop_step_centered_momentum" : "rmsprop_step_centered"
      : momentum > 0 ? "rmsprop_step_momentum" : "rmsprop_step";
    const { r, ga, momentum: b } = state.buffers;
    this.kernel(param.dtype, op)(
      param.ptr, param.grad.ptr, r!.ptr, ga?.ptr ?? 0, b?.ptr ?? 0, param.length,
      rho, 1 - rho, epsIn, epsOut, ...(coefficients as [number, number, number, number]), ...prologue,
    );
  }
}
