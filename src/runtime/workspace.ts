import { DisposedError } from "./errors";
import { checkRuntime, type Runtime } from "./runtime";
import type { DType, Tensor } from "./tensor";

/**
 * Named tensors an object owns and reuses from call to call (a layer's output, a module's
 * gradient buffer): `get` hands back the same tensor while the shape and dtype stay the same,
 * and reallocates otherwise, or when the tensor was disposed behind the owner's back. The
 * tensors are kept out of scopes (`rt.keep`); `dispose()` frees them, and afterwards `get` and
 * `find` throw DisposedError.
 */
export class Workspace {
  private readonly tensors = new Map<string, Tensor>();
  private isDisposed = false;

  /** @throws {@link ValueError} when `runtime` is not a live Runtime */
  constructor(private readonly runtime: Runtime) {
    checkRuntime(runtime);
  }

  /**
   * The tensor named `name`, with this shape and dtype: the one from the last call when it
   * still matches and is live, else a new one (the old one is freed). Its contents are
   * whatever was last written into it (zeros when new).
   *
   * @throws {@link DisposedError} after dispose(), or when a new tensor is needed and the runtime was disposed
   * @throws {@link ShapeError} for a shape the runtime cannot allocate (the old tensor is kept)
   * @throws {@link ValueError} for an unknown dtype (the old tensor is kept)
   * @throws {@link OutOfMemoryError} when memory cannot grow (the old tensor is kept)
   */
  get<D extends DType = "f32">(name: string, shape: readonly number[], dtype: D = "f32" as D): Tensor<D> {
    this.assertLive("get()");
    const have = this.tensors.get(name);
    if (have && !have.disposed && have.dtype === dtype && sameShape(have.shape, shape)) return have as Tensor<D>;
    // The new tensor first: a bad shape or dtype, or no memory, throws before the old one is freed.
    const fresh = this.runtime.keep(this.runtime.tensor(shape, { dtype }));
    if (have && !have.disposed) have.dispose();
    this.tensors.set(name, fresh);
    return fresh;
  }

  /**
   * The live tensor named `name`, or null if it was never made or has been freed.
   *
   * @throws {@link DisposedError} after dispose()
   */
  find(name: string): Tensor | null {
    this.assertLive("find()");
    const have = this.tensors.get(name);
    return have && !have.disposed ? have : null;
  }

  /** Frees every tensor; idempotent. */
  dispose(): void {
    for (const t of this.tensors.values()) if (!t.disposed) t.dispose();
    this.tensors.clear();
    this.isDisposed = true;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  private assertLive(call: string): void {
    if (this.isDisposed) throw new DisposedError(`Workspace.${call} after dispose()`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
