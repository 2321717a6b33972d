import { ShapeError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";

/**
 * A layer with explicit forward and backward passes over row-major [batch, features] f32
 * tensors. Not an autodiff framework: each layer keeps what its backward needs.
 *
 * Ownership: a layer owns the tensors it returns (its output and its input gradient) and reuses
 * them from step to step (reallocating only when the batch size changes), so training allocates
 * nothing per step. They stay valid until the layer's next forward/backward; copy what you keep.
 * `backward(dy)` may overwrite `dy`. Parameter gradients accumulate (+=): call zeroGrad() (or
 * the optimizer's) between steps. A layer keeps (`rt.keep`) what it allocates, so it may be
 * built or run inside `rt.scope`; `dispose()` frees it.
 */
export interface Layer {
  forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32">;
  backward(dy: Tensor<"f32">): Tensor<"f32">;
  parameters(): Param<"f32">[];
  dispose(): void;
}

/** Reusable [rows, cols] f32 tensors keyed by name, reallocated only when the shape changes. */
export class Buffers {
  private readonly tensors = new Map<string, Tensor<"f32">>();

  constructor(private readonly rt: Runtime) {}

  get(name: string, rows: number, cols: number): Tensor<"f32"> {
    const current = this.tensors.get(name);
    if (current && current.shape[0] === rows && current.shape[1] === cols) return current;
    current?.dispose();
    const fresh = this.rt.keep(this.rt.tensor([rows, cols]));
    this.tensors.set(name, fresh);
    return fresh;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

/** Checks that x is an f32 [batch, features] matrix, returning the batch size. */
export function checkBatch(layer: string, x: Tensor, features: number): number {
  if (x.dtype !== "f32" || x.shape.length !== 2 || x.shape[1] !== features) {
    throw new ShapeError(`${layer} expects an f32 [batch, ${features}] input, got ${x.describe()}`);
  }
  return x.shape[0]!;
}
