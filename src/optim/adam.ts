import type { Param } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";
import type { EpsPlacement } from "./adagrad";
import {
  BASE_DEFAULTS, Optimizer, checkBoolean, checkOneOf,
  type BaseHyper, type Conventions, type OptionsOf, type ParamGroup, type ParamGroupInput, type ParamState, type Prologue,
} from "./optimizer";

export interface AdamOptions extends BaseHyper {
  /**
   * Decay of the first-moment estimate (the book's rho1).
   * @defaultValue 0.9
   */
  beta1: number;
  /**
   * Decay of the second-moment estimate (the book's rho2).
   * @defaultValue 0.999
   */
  beta2: number;
  /**
   * The book's delta, added to sqrt(r_hat) (`epsPlacement: 'outside'`) or to r_hat under the root ('inside').
   * @defaultValue 1e-8 ('book', 'pytorch'); 1e-7 ('tfjs')
   */
  eps: number;
  /**
   * Where eps sits: 'outside' the square root, `s_hat / (sqrt(r_hat) + eps)` (book Alg. 8.7,
   * PyTorch, tfjs), or 'inside', `s_hat / sqrt(r_hat + eps)` (optax's `eps_root` form).
   * @defaultValue 'outside'
   */
  epsPlacement: EpsPlacement;
  /**
   * Divide the moments by their bias corrections 1 - beta1^t and 1 - beta2^t (Kingma & Ba;
   * book Alg. 8.7). false: `theta <- theta - lr s / (sqrt(r) + eps)`, which with `amsgrad: true`
   * is Reddi et al. (2018) Algorithm 2 (constant lr and beta1).
   * @defaultValue true
   */
  biasCorrection: boolean;
  /**
   * AMSGrad (Reddi et al. 2018): divide by the running maximum of the second moment.
   * @defaultValue false
   */
  amsgrad: boolean;

  /**
   * Which maximum AMSGrad keeps: 'raw' r in its own buffer, the bias correction applied after
   * (PyTorch); the bias-corrected r_hat in its own buffer (optax `amsgrad`, 'corrected'); or
   * 'fed-back', `r <- max(beta2 r + (1 - beta2) g^2, r)`: the maximum replaces r itself (one
   * buffer fewer), then the bias correction. They differ in the first ~1/(1 - beta2) steps,
   * and 'fed-back' also later: its r no longer decays from a past maximum.
   * @defaultValue 'raw'
   */
  amsgradMax: "raw" | "corrected" | "fed-back";
}

/** Whose defaults Adam follows: they differ only in eps. */
export type AdamConvention = "book" | "pytorch" | "tfjs";

const ADAM_BASE: AdamOptions = {
  ...BASE_DEFAULTS, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, epsPlacement: "outside", biasCorrection: true, amsgrad: false, amsgradMax: "raw",
};

/** Defaults per convention: the book and PyTorch agree; tfjs uses its backend epsilon 1e-7. */
export const ADAM_CONVENTIONS: Conventions<AdamOptions> = {
  default: "pytorch",
  defaults: { book: ADAM_BASE, pytorch: ADAM_BASE, tfjs: { ...ADAM_BASE, eps: 1e-7 } },
};

/** Default hyperparameters of {@link Adam}: the book's, which PyTorch shares. tfjs uses eps = 1e-7. */
export const ADAM_DEFAULTS: Readonly<AdamOptions> = ADAM_BASE;

/** The betas and eps every Adam-family optimizer checks. */
export function checkBetas(hyper: { beta1: number; beta2: number; eps: number }): void {
  checkNumber("beta1", hyper.beta1, { min: 0, below: 1 });
  checkNumber("beta2", hyper.beta2, { min: 0, below: 1 });
  checkNumber("eps", hyper.eps, { above: 0 });
}

/**
 * Adam, Goodfellow et al. (2016), Algorithm 8.7 (Kingma & Ba, 2015), one fused pass:
 *
 * ```text
 * t <- t + 1
 * s <- beta1 s + (1 - beta1) g
 * r <- beta2 r + (1 - beta2) g * g
 * s_hat = s / (1 - beta1^t),   r_hat = r / (1 - beta2^t)
 * theta <- theta - lr * s_hat / (sqrt(r_hat) + eps)
 * ```
 *
 * eps sits outside the square root, as in the book, PyTorch and tfjs (tfjs with eps = 1e-7
 * by default); `epsPlacement: 'inside'` divides by sqrt(r_hat + eps) instead. t counts per
 * parameter. `biasCorrection: false` drops both corrections. `amsgrad: true` divides by the
 * running maximum of r (PyTorch), of r_hat (`amsgradMax: 'corrected'`, optax), or keeps the
 * maximum in r itself (`amsgradMax: 'fed-back'`):
 *
 * ```text
 * 'raw':       rmax <- max(rmax, r);        denominator sqrt(rmax / (1 - beta2^t)) + eps
 * 'corrected': rmax <- max(rmax, r_hat);    denominator sqrt(rmax) + eps
 * 'fed-back':  r <- max(beta2 r + (1 - beta2) g * g, r);   r_hat, denominator as Adam
 * ```
 *
 * Reddi et al. (2018) Algorithm 2 is `{ amsgrad: true, biasCorrection: false }`.
 * `weightDecayMode: 'decoupled'` is AdamW (see {@link AdamW}).
 *
 * @example
 * const rt = initSync();
 * const w = rt.param([2], { values: [1, -1] });
 * const opt = new Adam(rt, [w], { lr: 0.01 });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step(); // first step moves each weight by lr against the sign of its gradient
 */
export class Adam extends Optimizer<AdamOptions> {
  readonly name: string = "Adam";
  protected readonly allBufferNames = ["s", "r", "rmax"];
  /** States saved before epsPlacement and biasCorrection existed: eps outside, bias-corrected. */
  protected override readonly addedHyperparameters: Partial<AdamOptions> = { epsPlacement: "outside", biasCorrection: true };
  /** Where the defaults come from; AdamW names its own. */
  protected static readonly conventions: Conventions<AdamOptions> = ADAM_CONVENTIONS;

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<AdamOptions>[], options: OptionsOf<AdamOptions, AdamConvention> = {}) {
    super(runtime, params, (new.target as typeof Adam).conventions, options);
  }

  protected checkHyper(hyper: AdamOptions): void {
    checkBetas(hyper);
    checkOneOf("epsPlacement", hyper.epsPlacement, ["outside", "inside"] as const);
    checkBoolean("biasCorrection", hyper.biasCorrection);
    checkBoolean("amsgrad", hyper.amsgrad);
    checkOneOf("amsgradMax", hyper.amsgradMax, ["raw", "corrected", "fed-back"] as const);
  }

  protected bufferNames(group: AdamOptions): readonly string[] {
    return group.amsgrad && group.amsgradMax !== "fed-back" ? ["s", "r", "rmax"] : ["s", "r"];
  }

  protected update(param: Param, group: ParamGroup<AdamOptions>, state: ParamState, prologue: Prologue): void {
    const t = (state.step += 1);
    const [bc1, bc2] = group.biasCorrection ? [1 - group.beta1 ** t, 1 - group.beta2 ** t] : [1, 1];
    // The kernel divides by sqrt(r + epsIn) * invSqrtBc2 + epsOut, with r the raw second moment
    // (or, for 'corrected', the maximum of r_hat, which needs no further correction).
    const corrected = group.amsgrad && group.amsgradMax === "corrected";
    const rScale = corrected ? 1 : bc2;
    const [epsIn, epsOut] = group.epsPlacement === "inside" ? [group.eps * rScale, 0] : [0, group.eps];
    const { s, r, rmax } = state.buffers;
    const args = [group.lr / bc1, 1 - group.beta1, 1 - group.beta2, epsIn, epsOut, 1 / Math.sqrt(rScale)] as const;
    if (!group.amsgrad) {
      this.kernel(param.dtype, "adam_step")(param.ptr, param.grad.ptr, s!.ptr, r!.ptr, param.length, ...args, ...prologue);
    } else if (group.amsgradMax === "fed-back") {
      this.kernel(param.dtype, "adam_step_amsgrad_fed_back")(param.ptr, param.grad.ptr, s!.ptr, r!.ptr, param.length, ...args, ...prologue);
    } else {
      this.kernel(param.dtype, "adam_step_amsgrad")(
        param.ptr, param.grad.ptr, s!.ptr, r!.ptr, rmax!.ptr, param.length, ...args, corrected ? 1 / bc2 : 1, ...prologue,
      );
    }
  }
}

/** Whose defaults AdamW follows: they differ only in weightDecay. */
export type AdamWConvention
 = "pytorch" | "optax";

/** AdamW defaults: PyTorch's weight decay 1e-2, optax's 1e-4; both decoupled and scaled by lr. */
export const ADAMW_CONVENTIONS: Conventions<AdamOptions> = {
  default: "pytorch",
  defaults: {
    pytorch: { ...ADAM_BASE, weightDecay: 1e-2, weightDecayMode: "decoupled" },
    optax: { ...ADAM_BASE, weightDecay: 1e-4, weightDecayMode: "decoupled" },
  },
};

/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay,
 *
 * ```text
 * theta <- theta (1 - lr lambda) - lr s_hat / (sqrt(r_hat) + eps),
 * ```
 *
 * in the same fused pass. lambda = weightDecay (PyTorch default 1e-2, optax 1e-4).
 *
 * @example
 * const opt = new AdamW(rt, [w], { lr: 1e-3 }); // torch.optim.AdamW defaults
 */
export class AdamW extends Adam {
  override readonly name: string = "AdamW";
  protected static override readonly conventions: Conventions<AdamOptions> = ADAMW_CONVENTIONS;

  /**
   * @throws {@link ValueError} when `runtime` is not a Runtime, for an unknown convention or option, a hyperparameter out of range (in the options or a group), or params that are not distinct Params of this runtime (nothing is made)
   * @throws {@link DisposedError} when the runtime or a parameter was disposed
   */
  constructor(runtime: Runtime, params: Param[] | ParamGroupInput<AdamOptions>[], options: OptionsOf<AdamOptions, AdamWConvention> = {}) {
    super(runtime, params, options as OptionsOf<AdamOptions, AdamConvention>);
  }
}
