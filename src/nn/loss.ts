import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { checkNoOverlap } from "../runtime/overlap";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkTensor, type Tensor } from "../runtime/tensor";
import { Workspace } from "../runtime/workspace";

/**
 * Mean softmax cross-entropy of logits [batch, classes] against integer labels [batch]:
 * ```text
 * L = -(1/B) sum_i log softmax(z_i)[y_i],   dL/dz = (softmax(z) - onehot(y)) / B
 * ```
 * computed in one fused kernel (stable: shifted by each row's maximum).
 * Aliasing: logits and labels must not overlap the gradient it returns (its own buffer).
 */
export class SoftmaxCrossEntropy {
  private readonly buffers: Workspace;
  private disposedLoss = false;

  /** @throws {ValueError} when `rt` is not a Runtime. */
  constructor(private readonly rt: Runtime) {
    this.buffers = new Workspace(checkRuntime(rt));
  }

  /**
   * The mean loss, the gradient of the logits (owned, reused), and the count of correct argmaxes.
   * @throws {ShapeError} when logits are not f32 [batch, classes] or labels not i32 [batch].
   * @throws {ValueError} when a tensor is not of this runtime, overlaps the returned gradient, or a
   *   label is outside [0, classes).
   * @throws {DisposedError} after dispose(), or when logits or labels were disposed.
   */
  forward(logits: Tensor<"f32">, labels: Tensor<"i32">): {
    /** The mean cross-entropy over the batch, in nats. */
    loss: number;
    /** dL/dz, [batch, classes]: owned by the loss and overwritten by its next forward(). */
    grad: Tensor<"f32">;
    /** Rows whose largest logit is at the label. */
    correct: number;
  } {
    if (this.disposedLoss) throw new DisposedError("SoftmaxCrossEntropy was used after dispose()");
    checkTensor("logits", logits, this.rt);
    checkTensor("labels", labels, this.rt);
    const [batch, classes] = logits.shape as [number, number];
    if (logits.dtype !== "f32" || logits.shape.length !== 2 || labels.dtype !== "i32" || labels.length !== batch) {
      throw new ShapeError(`SoftmaxCrossEntropy expects f32 [batch, classes] logits and [batch] i32 labels, got ${logits.describe()} and ${labels.describe()}`);
    }
    checkNoOverlap("SoftmaxCrossEntropy.forward", [["grad", this.buffers.find("dz")]], [["logits", logits], ["labels", labels]]);
    // The kernel reads logit [i, label_i]: a label outside [0, classes) would read another row
    // (or past the tensor). One O(batch) pass, against the kernel's O(batch classes).
    const bad = labels.data.findIndex((label) => !(label >= 0 && label < classes));
    if (bad >= 0) throw new ValueError(`Invalid label ${labels.data[bad]} at row ${bad} (expected 0 <= label < ${classes})`);
    const grad = this.buffers.get("dz", [batch, classes]);
    const k = this.rt.kernels;
    const loss = k.f32_softmax_cross_entropy(logits.ptr, labels.ptr, grad.ptr, batch, classes, 1 / batch) / batch;
    return { loss, grad, correct: k.f32_count_correct(logits.ptr, labels.ptr, batch, classes) };
  }

  /** Frees the gradient buffer; afterwards forward() throws DisposedError. Idempotent. */
  dispose(): void {
    this.disposedLoss = true;
    this.buffers.dispose();
  }

  /** Whether dispose() has run. */
  get disposed(): boolean {
    return this.disposedLoss;
  }
}
