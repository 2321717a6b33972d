import { DisposedError, ShapeError, StateError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkShape, checkTensor, type Param, type Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";
import { Workspace } from "../runtime/workspace";
import type { Ops } from "../autodiff/ops";
import { isOps, Module } from "./module";

/**
 * y = max(x, 0) elementwise; backward dx = dy * [y > 0] (written into dy, which it returns).
 * Aliasing: x may be this layer's own output (applied in place); dy may be the output y.
 */
export class ReLU extends Module implements Layer {
  private readonly buffers: Workspace;
  private output: Tensor<"f32"> | null = null;

  /** @throws {ValueError} when `rt` is not a Runtime. */
  constructor(private readonly rt: Runtime) {
    super();
    this.buffers = new Workspace(checkRuntime(rt));
  }

  /**
   * max(x, 0): through the tape (`forward(ops, x)`) as `ops.relu`, hand-wired (`forward(x)`)
   * into the layer's own output.
   * @throws {ShapeError} for an input that is not f32 of rank >= 1.
   * @throws {ValueError} for a tensor of another runtime.
   * @throws {DisposedError} once the layer or the input was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;
  override forward(x: Tensor<"f32">, options?: { training: boolean }): Tensor<"f32">;
  override forward(first: Ops | Tensor<"f32">, second?: unknown): Tensor<"f32"> {
    this.assertUsable();
    if (isOps(first)) return first.relu(second as Tensor<"f32">);
    const x = first;
    const input = checkTensor("x", x, this.rt);
    if (input.dtype !== "f32") throw new ShapeError(`ReLU expects an f32 input of rank >= 1, got ${input.describe()}`);
    const y = this.buffers.get("y", this.outputShape(input.shape));
    this.rt.kernels.f32_relu(y.ptr, input.ptr, input.length);
    this.output = y;
    return y;
  }

  /**
   * [batch, features] for an input [batch, ...] of rank >= 1.
   * @throws {ShapeError} for a scalar shape, or one that is not a list of sizes.
   * @throws {DisposedError} after dispose().
   */
  outputShape(shape: readonly number[]): number[] {
    this.assertUsable();
    checkShape(shape);
    if (shape.length === 0) throw new ShapeError("ReLU expects an f32 input of rank >= 1, got a scalar");
    const size = shape.reduce((a, b) => a * b, 1);
    return [shape[0]!, size / shape[0]! || 0];
  }

  /**
   * dx = dy * [y > 0], written into dy, which it returns.
   * @throws {StateError} before any forward().
   * @throws {ShapeError} when dy is not f32 with as many elements as the forward output.
   * @throws {ValueError} when dy is not a Tensor of this runtime.
   * @throws {DisposedError} after dispose(), or when dy or the forward output was disposed.
   */
  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    this.assertUsable();
    const y = this.output;
    if (y === null) throw new StateError("ReLU.backward() needs a forward() first");
    if (y.disposed) throw new DisposedError("ReLU.backward(): the output of forward() was disposed; run forward() again");
    const grad = checkTensor("dy", dy, this.rt);
    if (grad.dtype !== "f32" || grad.length !== y.length) {
      throw new ShapeError(`Invalid dy: ${grad.describe()} (expected the forward output's shape [${y.shape.join(", ")}])`);
    }
    this.rt.kernels.f32_relu_backward(grad.ptr, y.ptr, grad.length);
    return dy;
  }

  /**
   * Always [] (ReLU has no parameters).
   * @throws {DisposedError} after dispose().
   */
  override parameters(): Param<"f32">[] {
    this.assertUsable();
    return [];
  }

  /** Frees the buffers; afterwards every method but dispose() throws DisposedError. Idempotent. */
  override dispose(): void {
    this.markDisposed();
    this.buffers.dispose();
    this.output = null;
  }

  private assertUsable(): void {
    if (this.disposed) throw new DisposedError("ReLU was used after dispose()");
  }
}
