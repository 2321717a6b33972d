import { checkRuntime, type Runtime } from "./runtime";
import type { DType, Tensor } from "./tensor";

/**
 * Named tensors an object owns and reuses from call to call (a layer's output, a module's
 * gradient buffer): `get` hands back the same tensor while the shape and dtype stay the same,
 * and reallocates otherwise, or when the tensor was disposed behind the owner's back. The
 * tensors are kept out of scopes (`rt.keep`); `dispose()` frees them.
 */
export class Workspace {
  private readonly tensors = new Map<string, Tensor>();

  constructor(private readonly runtime: Runtime) {
    checkRuntime(runtime);
  }

  get<D extends DType = "f32">(name: string, shape: readonly number[], dtype: D = "f32" as D): Tensor<D> {
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
    const have = this.tensors.get(name);
    return have && !have.disposed ? have : null;
  }

  dispose(): void {
    for (const t of this.tensors.values()) if (!t.disposed) t.dispose();
    this.tensors.clear();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
