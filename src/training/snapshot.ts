import type { Runtime } from "../runtime/runtime";
import type { Tensor } from "../runtime/tensor";

/** dst <- src, byte for byte (same length and dtype): one memmove in the linear memory. */
export function copyBytes(rt: Runtime, src: Tensor, dst: Tensor): void {
  rt.heap.u8.copyWithin(dst.ptr, src.ptr, src.ptr + src.byteLength);
}

/**
 * Owned copies of some tensors, taken at construction (and by capture()) and put back by restore(): what a
 * procedure that trains on trial (the learning-rate range test) needs to leave the model as it
 * found it, bit for bit.
 */
export class TensorSnapshot {
  private readonly copies: Tensor[];

  constructor(
    private readonly runtime: Runtime,
    private readonly tensors: readonly Tensor[],
  ) {
    this.copies = runtime.allocateOwned(() => tensors.map((t) => runtime.tensor(t.shape, { dtype: t.dtype })));
    this.capture();
  }

  /** The owned copies, as the last capture() left them. */
  get saved(): readonly Tensor[] {
    return this.copies;
  }

  /** Copies the tensors' bytes as they are now (again). */
  capture(): void {
    this.tensors.forEach((t, i) => copyBytes(this.runtime, t, this.copies[i]!));
  }

  /** Writes the saved bytes back into the tensors. */
  restore(): void {
    this.tensors.forEach((t, i) => copyBytes(this.runtime, this.copies[i]!, t));
  }

  dispose(): void {
    for (const t of this.copies) t.dispose();
  }
}
