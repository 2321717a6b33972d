import { ShapeError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import { checkTensor, type Param, type Tensor } from "../runtime/tensor";

/**
 * A layer with explicit forward and backward passes over row-major [batch, features] f32
 * tensors. Not an autodiff framework: each layer keeps what its backward needs.
 *
 * Ownership: a layer owns the tensors it returns (its output and its input gradient) and reuses
 * them from step to step (a Workspace: reallocated only when the batch size changes), so training allocates
 * nothing per step. They stay valid until the layer's next forward/backward; copy what you keep.
 * `backward(dy)` may overwrite `dy`. Calling backward() before forward() throws StateError; every
 * method but dispose() throws DisposedError after dispose(). Parameter gradients accumulate (+=): call zeroGrad() (or
 * the optimizer's) between steps. A layer keeps (`rt.keep`) what it allocates, so it may be
 * built or run inside `rt.scope`; `dispose()` frees it.
 */
export interface Layer {
  /** The layer's output for x (layer-owned), kept with x for backward(); `training` selects the mode of layers that have one. */
  forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32">;
  /** Gradient of the last forward(): accumulates the parameter gradients and returns dx (layer-owned). */
  backward(dy: Tensor<"f32">): Tensor<"f32">;
  /** The shape forward() returns for an input of `shape` in that mode; throws (ShapeError, ...) as forward() would for that shape. */
  outputShape(shape: readonly number[], options?: { training: boolean }): number[];
  /** The learnable Params, for an optimizer. */
  parameters(): Param<"f32">[];
  /** Frees the parameters and buffers the layer owns. */
  dispose(): void;
}

/**
 * Checks that `x` (the argument `name`) is a live f32 [batch, features] matrix of `rt`,
 * returning the batch size: ValueError for a non-tensor or a tensor of another runtime,
 * DisposedError, ShapeError for another dtype or shape.
 */
export function checkBatch(layer: string, name: string, x: unknown, rt: Runtime, features: number): number {
  const t = checkTensor(name, x, rt);
  if (t.dtype !== "f32" || t.shape.length !== 2 || t.shape[1] !== features) {
    throw new ShapeError(`${layer} expects an f32 [batch, ${features}] input, got ${t.describe()}`);
  }
  return t.shape[0]!;
}
