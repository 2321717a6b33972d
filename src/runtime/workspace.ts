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

  constructor(private readonly runtime: Runtime) {
    checkRuntime(runtime);
  }

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

  /** The live tensor named `name`, or null if it was never made or has been freed. */
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
