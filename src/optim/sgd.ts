import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import {
  BASE_DEFAULTS, Optimizer, checkBoolean, checkOneOf,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";
import { ValueError } from "../runtime/errors";

/**
 * Where the learning rate sits in a momentum buffer, and how the buffer averages:
 * - 'lr-inside': v <- mu v - lr g; theta <- theta + v (the book, tfjs RMSProp): a changed lr
 *   affects only new gradients;
 * - 'lr-outside': b <- mu b + g; theta <- theta - lr b (PyTorch, tfjs momentum): a changed
 *   lr rescales the whole buffer. Same iterates while lr is constant.
 * - 'ema': v <- beta v + (1 - beta) g from v = 0; theta <- theta - lr v, with beta = momentum
 *   < 1: an exponential moving average of the gradients, whose steps are (1 - beta) times
 *   those of 'lr-outside' for the same lr. Nesterov: theta <- theta - lr (beta v + (1 - beta) g).
 */
export type MomentumForm = "lr-inside" | "lr-outside" | "ema";

export interface SGDOptions extends BaseHyper {
  /**
   * Momentum coefficient (the book's alpha); 0 is plain SGD, with no buffer.
   * @defaultValue 0
   */
  momentum: number;
  /**
   * PyTorch's dampening: the new gradient enters the buffer scaled by 1 - dampening.
   * @defaultValue 0
   */
  dampening: number;
  /**
   * Nesterov momentum (book Alg. 8.3 via the Sutskever change of variables).
   * @defaultValue false
   */
  nesterov: boolean;
  /**
   * Where lr sits relative to the momentum buffer, or 'ema' for the moving-average form (see {@link MomentumForm}).
   * @defaultValue 'lr-outside' ('lr-inside' for the book convention)
   */
  momentumForm: MomentumForm;

}

/** Whose defaults SGD follows (where lr sits relative to the momentum buffer). */
export type SGDConvention = "book" | "pytorch" | "tfjs";

const SGD_BASE: SGDOptions = { ...BASE_DEFAULTS, lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, momentumForm: "lr-outside" };

/** Defaults per convention. lr: PyTorch's 1e-3 (tfjs and the book require one). */
export const SGD_CONVENTIONS: Conventions<SGDOptions> = {
  default: "pytorch",
  defaults: {
    book: { ...SGD_BASE, momentumForm: "lr-inside" },
    pytorch: SGD_BASE,
    tfjs: SGD_BASE,
  },
};

/** Default hyperparameters of {@link SGD} (PyTorch's). */
export const SGD_DEFAULTS: Readonly<SGDOptions> = SGD_BASE;

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, Goodfellow et al. (2016)
 * Algorithms 8.1-8.3, one fused pass per parameter:
 *
 * ```text
 * plain:                 theta <- theta - lr g
 * 'lr-outside' (PyTorch, tfjs):  b <- mu b + (1 - dampening) g   (b = g on the first step)
 *                                theta <- theta - lr b,  Nesterov: theta <- theta - lr (g + mu b)
 * 'lr-inside' (book):    v <- mu v - lr g;  theta <- theta + v,  Nesterov: theta <- theta + mu v - lr g
 * 'ema':                 v <- mu v + (1 - mu) g (from v = 0);  theta <- theta - lr v,
 *                        Nesterov: theta <- theta - lr (mu v + (1 - mu) g)
 * ```
 *
 * Nesterov evaluates no gradient at a look-ahead point: as in PyTorch, tfjs and optax the
 * stored parameters are the look-ahead iterates theta + mu v of Algorithm 8.3.
 *
 * @example
 * const rt = initSync();
 * const w = rt.param([3], { values: [1, 2, 3] });
 * const opt = new SGD(rt, [w], { lr: 0.1, momentum: 0.9 });
 * w.grad.data.set([1, 1, 1]);
 * opt.step(); // w = [0.9, 1.9, 2.9]
 */
export class SGD extends Optimizer<SGDOptions> {
  readonly name = "SGD";
  protected readonly allBufferNames = ["momentum"];

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<SGDOptions>[], options: OptionsOf<SGDOptions, SGDConvention> = {}) {
    super(runtime, params, SGD_CONVENTIONS, options);
  }

  protected checkHyper(hyper: SGDOptions): void {
    checkNumber("momentum", hyper.momentum, { min: 0 });
    checkNumber("dampening", hyper.dampening, { min: 0, max: 1 });
    checkBoolean("nesterov", hyper.nesterov);
    checkMomentumForm(hyper.momentumForm, hyper.momentum);
    if (hyper.momentumForm === "ema" && hyper.dampening !== 0) {
      throw new ValueError(`Invalid dampening: ${hyper.dampening} (momentumForm 'ema' weighs the gradient by 1 - momentum; expected 0)`);
    }
    if (hyper.nesterov && (hyper.momentum <= 0 || hyper.dampening !== 0)) {
      throw new ValueError(`Invalid nesterov: true (expected momentum > 0 and dampening = 0, got ${hyper.momentum} and ${hyper.dampening})`);
    }
  }

  protected bufferNames(group: SGDOptions): readonly string[] {
    return group.momentum > 0 ? ["momentum"] : [];
  }

  protected update(param: Param, group: ParamGroup<SGDOptions>, state: ParamState, prologue: Prologue, fresh: ReadonlySet<string>): void {
    state.step += 1;
    const { lr, momentum: mu, nesterov } = group;
    if (mu === 0) {
      this.kernel(param.dtype, "sgd_step")(param.ptr, param.grad.ptr, param.length, -lr, ...prologue);
      return;
    }
    const coefficients = momentumCoefficients(group.momentumForm, lr, mu, 1 - group.dampening, nesterov, fresh.has("momentum"));
    this.kernel(param.dtype, "momentum_step")(param.ptr, param.grad.ptr, state.buffers.momentum!.ptr, param.length, ...coefficients, ...prologue);
  }
}

/** Checks momentumForm, and momentum < 1 for 'ema' (whose gradient weight 1 - momentum must be > 0). */
export function checkMomentumForm(form: unknown, momentum: number): void {
  checkOneOf("momentumForm", form, ["lr-inside", "lr-outside", "ema"] as const);
  if (form === "ema") checkNumber("momentum", momentum, { min: 0, below: 1 });
}

/**
 * (mu, k, a, c) of the fused momentum update b <- mu b + k u; theta <- theta + a b + c u
 * (assembly/optim/sgd.ts, rmsprop.ts). `firstFromGradient`: PyTorch SGD's b = u on the
 * buffer's first step (tfjs reaches the same from b = 0 without dampening). 'ema' starts
 * from b = 0 and ignores `gain`; its Nesterov step is the look-ahead iterate of
 * theta <- theta - lr v with the gradient taken at theta - lr mu v:
 * theta <- theta - lr (mu b + (1 - mu) u), as in 'lr-outside' with dampening = mu.
 */
export function momentumCoefficients(
  form: MomentumForm, lr: number, mu: number, gain: number, nesterov: boolean, firstFromGradient = false,
): [mu: number, k: number, a: number, c: number] {
  if (form === "lr-inside") return [mu, -lr * gain, nesterov ? mu : 1, nesterov ? -lr : 0];
  if (form === "ema") return [mu, 1 - mu, nesterov ? -lr * mu : -lr, nesterov ? -lr * (1 - mu) : 0];
  const [m, k] = firstFromGradient ? [0, 1] : [mu, gain];
  return [m, k, nesterov ? -lr * mu : -lr, nesterov ? -lr : 0];
}
