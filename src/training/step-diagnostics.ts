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
  /** g^T H g, the curvature along the gradient (central differences of gradients). */
  gHg: number;
  /** The second-order prediction of the loss change of a gradient step of size eps: eps^2/2 g^T H g - eps g^T g. */
  predicted: number;
  /** The loss change the optimizer's step actually made on the same minibatch. */
  observed: number;
}

/** cbrt of f32's machine epsilon: the central-difference step that balances truncation and rounding in f32. */
const F32_STEP = Math.cbrt(2 ** -23);

/**
 * Measures, around one optimizer step, the quantities of the book's ill-conditioning argument:
 * a gradient step -eps g changes the loss by about
 *
 * ```
 * eps^2 / 2  g^T H g  -  eps g^T g
 * ```
 *
 * so the step makes things worse once eps^2/2 g^T H g exceeds eps g^T g. g^T H g comes from two
 * more gradients at theta +- h g (H g ~ (g(theta + h g) - g(theta - h g)) / 2h, h = r (1 + |theta|) / |g|,
 * r = cbrt(eps_f32)); the observed change is the loss on the same minibatch after the step minus
 * before. Everything the probes change (params, their gradients, `buffers` such as BatchNorm's
 * running statistics) is put back before the real step: training is not altered. Costs three
 * more forward/backward passes per step.
 */
export class StepProbe {
  private readonly theta: TensorSnapshot;
  private readonly grads: TensorSnapshot;
  private readonly state: TensorSnapshot;

  constructor(
    rt: Runtime,
    private readonly params: readonly Param[],
    buffers: readonly Tensor[] = [],
  ) {
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
    const theta = this.params.map((p) => Float64Array.from(p.data));
    const gg = sumOf(g, (gi) => gi * gi);
    const gradNorm = Math.sqrt(gg);
    const thetaNorm = Math.sqrt(sumOf(theta, (t) => t * t));
    let gHg = 0;
    if (gradNorm > 0) {
      const h = (F32_STEP * (1 + thetaNorm)) / gradNorm;
      const gradientAt = (sign: number) => {
        this.params.forEach((p, k) => p.data.set(theta[k]!.map((t, i) => t + sign * h * g[k]![i]!)));
        lossAndGrad();
        this.state.restore();
        restoreExtra();
        return this.params.map((p) => Float64Array.from(p.grad.data));
      };
      const plus = gradientAt(1);
      const minus = gradientAt(-1);
      gHg = g.reduce((s, gk, k) => s + gk.reduce((t, gi, i) => t + (gi * (plus[k]![i]! - minus[k]![i]!)) / (2 * h), 0), 0);
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
}

function sumOf(arrays: readonly Float64Array[], term: (v: number) => number): number {
  return arrays.reduce((s, a) => s + a.reduce((t, v) => t + term(v), 0), 0);
}
