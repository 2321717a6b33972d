import { DisposedError, StateError, ValueError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import { Workspace } from "../runtime/workspace";
import type { Layer } from "../nn/layer";
import { Linear } from "../nn/linear";

/**
 * Weight normalization (Salimans & Kingma 2016) of a {@link Linear} layer: its weight is
 * reparameterized per output unit j (column j of the [in, out] weight) as
 *
 * ```
 * w_:j = g_j v_:j / ||v_:j||
 * ```
 *
 * and the optimizer trains v ([in, out]) and g ([out]) instead of w. Backward maps the
 * layer's dw to
 *
 * ```
 * dg_j = w_hat_:j . dw_:j,   dv_:j = (g_j / ||v_:j||) (dw_:j - w_hat_:j dg_j),   w_hat = v / ||v||
 * ```
 *
 * v starts as the layer's weight and g as its column norms, so the layer computes the same
 * function until the first step. One fused kernel each way (f64 sums). A column of v that
 * becomes all zeros has no direction: its weights are NaN, as in PyTorch.
 *
 * The module owns the Linear it wraps (dispose() frees both); `parameters()` are v, g and the
 * bias; the Linear's own weight holds w, recomputed by every forward().
 *
 * @example
 * const layer = new WeightNorm(rt, new Linear(rt, 784, 256, { relu: true }));
 * const opt = new Adam(rt, layer.parameters());
 * const y = layer.forward(x, { training: true }); // ... loss ...
 * layer.backward(dy); opt.step();
 */
export class WeightNorm implements Layer {
  /** The direction parameter v, [in, out]. */
  readonly v: Param<"f32">;
  /** The length parameter g, one per output unit. */
  readonly g: Param<"f32">;
  private readonly buffers: Workspace;
  private forwarded = false;
  private disposedModule = false;

  /**
   * @throws ValueError when `linear` is not a live Linear of `rt`.
   * @throws DisposedError when the Linear was disposed.
   */
  constructor(
    private readonly rt: Runtime,
    /** The wrapped layer; its weight holds w = g v / ||v||, rewritten by every forward(). */
    readonly linear: Linear,
  ) {
    if (!(linear instanceof Linear)) throw new ValueError(`Invalid linear: ${String(linear)} (expected a Linear layer)`);
    if (linear.disposed) throw new DisposedError("WeightNorm: the Linear was used after dispose()");
    const weight = linear.weight;
    if (weight.runtime !== rt) throw new ValueError("WeightNorm: the Linear belongs to another runtime");
    const [rows, cols] = [linear.inFeatures, linear.outFeatures];
    [this.v, this.g] = rt.allocateOwned(() => [rt.param([rows, cols], { values: weight.data }), rt.param([cols])] as const);
    this.buffers = new Workspace(rt);
    try {
      // g = ||v_:j||: the forward then reproduces the Linear's weight (to rounding).
      const norms = this.buffers.get("norms", [cols], "f64");
      rt.scope(() => rt.kernels.f32_weight_norm_forward(this.v.ptr, this.g.ptr, rt.tensor([rows, cols]).ptr, norms.ptr, rows, cols));
      this.g.set(norms.data);
    } catch (error) {
      this.buffers.dispose();
      this.v.dispose();
      this.g.dispose();
      throw error;
    }
  }

  /**
   * Writes w = g v / ||v|| into the Linear's weight, then runs its forward.
   * @throws DisposedError after dispose(); whatever {@link Linear.forward} throws for x.
   */
  forward(x: Tensor<"f32">, _options?: { training: boolean }): Tensor<"f32"> {
    this.assertUsable();
    this.linear.outputShape(x.shape); // the Linear's shape check, before w changes
    const norms = this.buffers.get("norms", [this.linear.outFeatures], "f64");
    this.rt.kernels.f32_weight_norm_forward(this.v.ptr, this.g.ptr, this.linear.weight.ptr, norms.ptr, this.linear.inFeatures, this.linear.outFeatures);
    const y = this.linear.forward(x);
    this.forwarded = true;
    return y;
  }

  /**
   * The Linear's backward (dx, the bias gradient and dw), then dv += ..., dg += ... from dw.
   * @throws StateError before a forward(); DisposedError after dispose(); whatever {@link Linear.backward} throws for dy.
   */
  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    this.assertUsable();
    if (!this.forwarded) throw new StateError("WeightNorm.backward() needs a forward() first");
    const weight = this.linear.weight;
    const dx = this.linear.backward(dy);
    const [rows, cols] = [this.linear.inFeatures, this.linear.outFeatures];
    const norms = this.buffers.get("norms", [cols], "f64");
    const dots = this.buffers.get("dots", [cols], "f64");
    this.rt.kernels.f32_weight_norm_backward(this.v.ptr, this.g.ptr, norms.ptr, weight.grad.ptr, dots.ptr, this.v.grad.ptr, this.g.grad.ptr, rows, cols);
    weight.zeroGrad(); // dw is consumed: the next backward starts from 0
    return dx;
  }

  /**
   * The Linear's output shape for `shape`.
   * @throws {ShapeError} when the Linear cannot take an input of `shape`.
   * @throws {DisposedError} after dispose().
   */
  outputShape(shape: readonly number[]): number[] {
    this.assertUsable();
    return this.linear.outputShape(shape);
  }

  /**
   * v, g and the Linear's bias: what an optimizer trains.
   * @throws {DisposedError} after dispose().
   */
  parameters(): Param<"f32">[] {
    this.assertUsable();
    return this.linear.bias ? [this.v, this.g, this.linear.bias] : [this.v, this.g];
  }

  /** Frees v, g, the buffers and the wrapped Linear. Idempotent. */
  dispose(): void {
    if (this.disposedModule) return;
    this.disposedModule = true;
    this.buffers.dispose();
    for (const p of [this.v, this.g]) if (!p.disposed) p.dispose();
    this.linear.dispose();
  }

  private assertUsable(): void {
    if (this.disposedModule) throw new DisposedError("WeightNorm was used after dispose()");
    for (const p of [this.v, this.g]) {
      if (p.disposed || p.grad.disposed) throw new DisposedError(`WeightNorm: ${p.describe()} was used after dispose()`);
    }
  }
}
