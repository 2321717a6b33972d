import { hessianVectorProduct, type HessianVectorStep } from "../autodiff/hessian-vector";
import type { Ops } from "../autodiff/ops";
import { ValueError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import { TensorSnapshot } from "./snapshot";

/** One training step seen through the second-order Taylor expansion (Goodfellow et al. 2016, Sec. 8.2.1). */
export interface StepDiagnostics {
  step: number;
  /** The minibatch loss before the step. */
  loss: number;
  /** The learning rate eps of the step. */
  lr: number;
  /** ||g||, the gradient's Euclidean norm. */
  gradNorm: number;
  /** g^T H g, the curvature along the gradient (by the probe's {@link CurvatureMethod}). */
  gHg: number;
  /** The second-order prediction of the loss change of a gradient step of size eps: eps^2/2 g^T H g - eps g^T g. */
  predicted: number;
  /** The loss change the optimizer's step actually made on the same minibatch. */
  observed: number;
}

/**
 * How g^T H g is measured: 'exact', one Hessian-vector product through the tape (Pearlmutter's
 * R-operator, {@link hessianVectorProduct}); 'central-differences', of two more gradients.
 */
export type CurvatureMethod = "exact" | "central-differences";

/** H v, one f32 tensor per parameter, for directions v of the parameters' shapes; parameters and gradients unchanged. */
export type HessianVector = (directions: readonly Tensor<"f32">[]) => readonly Tensor<"f32">[];

/** cbrt of f32's machine epsilon: the central-difference step that balances truncation and rounding in f32. */
const F32_STEP = Math.cbrt(2 ** -23);

/**
 * Measures, around one optimizer step, the quantities of the book's ill-conditioning argument:
 * a gradient step -eps g changes the loss by about
 *
 * ```text
 * eps^2 / 2  g^T H g  -  eps g^T g
 * ```
 *
 * so the step makes things worse once eps^2/2 g^T H g exceeds eps g^T g. Given `hessianVector`,
 * g^T H g is g^T (H g) from one exact product; without it, it comes from two more gradients at
 * theta +- h g (H g ~ (g(theta + h g) - g(theta - h g)) / 2h, h = r (1 + |theta|) / |g|, r =
 * cbrt(eps_f32)). The observed change is the loss on the same minibatch after the step minus
 * before. Everything the probes change (params, their gradients, `buffers` such as BatchNorm's
 * running statistics) is put back before the real step: training is not altered. Costs one
 * more forward/backward pass per step and the curvature's (an exact product, about three
 * passes; or two gradients).
 */
export class StepProbe {
  /** How this probe measures g^T H g. */
  readonly method: CurvatureMethod;
  private readonly theta: TensorSnapshot;
  private readonly grads: TensorSnapshot;
  private readonly state: TensorSnapshot;

  constructor(
    rt: Runtime,
    private readonly params: readonly Param[],
    buffers: readonly Tensor[] = [],
    private readonly hessianVector?: HessianVector,
  ) {
    this.method = hessianVector ? "exact" : "central-differences";
    this.theta = new TensorSnapshot(rt, params);
    this.grads = new TensorSnapshot(rt, params.map((p) => p.grad));
    this.state = new TensorSnapshot(rt, buffers);
  }

  /**
   * With the gradient of the current minibatch in the params' grad and its loss: probes the
   * curvature, runs `step()` (the optimizer's), then measures the loss again with `lossAndGrad` (which zeroes
   * the gradients, then runs forward and backward on the same minibatch). `restoreExtra` puts back what lossAndGrad changed outside the buffers (counters).
   */
  measure(step: number, loss: number, lr: number, lossAndGrad: () => number, takeStep: () => void, restoreExtra: () => void = () => {}): StepDiagnostics {
    this.theta.capture();
    this.grads.capture();
    this.state.capture();
    const g = this.params.map((p) => Float64Array.from(p.grad.data));
    const gg = sumOf(g, (gi) => gi * gi);
    const gradNorm = Math.sqrt(gg);
    let gHg = 0;
    if (gradNorm > 0) {
      gHg = this.hessianVector ? this.exactCurvature(g) : this.differenceCurvature(g, gradNorm, () => {
        lossAndGrad();
        this.state.restore();
        restoreExtra();
      });
      this.theta.restore();
      this.grads.restore();
    }
    takeStep();
    const after = lossAndGrad();
    this.state.restore();
    restoreExtra();
    return { step, loss, lr, gradNorm, gHg, predicted: (lr * lr * gHg) / 2 - lr * gg, observed: after - loss };
  }

  dispose(): void {
    for (const s of [this.theta, this.grads, this.state]) s.dispose();
  }

  /** g^T (H g), H g from one exact product in the direction of the captured gradient. */
  private exactCurvature(g: readonly Float64Array[]): number {
    const products = this.hessianVector!(this.grads.saved as Tensor<"f32">[]);
    return g.reduce((s, gk, k) => {
      const hg = products[k]!.data;
      return s + gk.reduce((t, gi, i) => t + gi * hg[i]!, 0);
    }, 0);
  }

  /** g^T (g(theta + h g) - g(theta - h g)) / 2h; `gradient` writes the gradient at the params' values into their grads. */
  private differenceCurvature(g: readonly Float64Array[], gradNorm: number, gradient: () => void): number {
    const theta = this.params.map((p) => Float64Array.from(p.data));
    const h = (F32_STEP * (1 + Math.sqrt(sumOf(theta, (t) => t * t)))) / gradNorm;
    const gradientAt = (sign: number) => {
      this.params.forEach((p, k) => p.data.set(theta[k]!.map((t, i) => t + sign * h * g[k]![i]!)));
      gradient();
      return this.params.map((p) => Float64Array.from(p.grad.data));
    };
    const plus = gradientAt(1);
    const minus = gradientAt(-1);
    return g.reduce((s, gk, k) => s + gk.reduce((t, gi, i) => t + (gi * (plus[k]![i]! - minus[k]![i]!)) / (2 * h), 0), 0);
  }
}

/** An exact Hessian-vector product of a tape function, or why there is none. */
export type ExactHessianVector =
  | { hessianVector: HessianVector; dispose(): void }
  | { hessianVector: null; reason: string };

/** The message of the ValueError hessianVectorProduct throws for an op without an R-operator rule. */
const NO_RULE = /^ops\.(\w+) has no exact Hessian-vector rule/;

/**
 * The exact Hessian-vector product of `fn` on `inputs` (read at each call, so they may be
 * refilled between calls) when every op it runs has an R-operator rule ({@link CURVATURE_OPS});
 * else `hessianVector: null` and the reason, naming the first op without one. Finds out by
 * running the product once, in the direction of the params' gradients: nothing changes.
 * @throws the errors of `fn` other than an op without a rule, and of {@link hessianVectorProduct}.
 */
export function exactHessianVector<A extends unknown[]>(
  rt: Runtime, fn: (ops: Ops, ...inputs: A) => Tensor, params: readonly Param[], ...inputs: A
): ExactHessianVector {
  const step: HessianVectorStep<A> = hessianVectorProduct(rt, fn, params);
  try {
    step(params.map((p) => p.grad as Tensor<"f32">), ...inputs);
  } catch (error) {
    step.dispose();
    const op = error instanceof ValueError ? NO_RULE.exec(error.message)?.[1] : undefined;
    if (op === undefined) throw error;
    return { hessianVector: null, reason: `ops.${op} has no exact Hessian-vector rule` };
  }
  return {
    hessianVector: (directions) => {
      step(directions, ...inputs);
      return step.products;
    },
    dispose: () => step.dispose(),
  };
}

function sumOf(arrays: readonly Float64Array[], term: (v: number) => number): number {
  return arrays.reduce((s, a) => s + a.reduce((t, v) => t + term(v), 0), 0);
}
