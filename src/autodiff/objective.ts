import type { Objective } from "../minimize/objectives";
import { DisposedError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import { Workspace } from "../runtime/workspace";
import { hessianVectorProduct } from "./hessian-vector";
import type { Ops } from "./ops";
import { valueAndGrad } from "./tape";

/**
 * The loss of a tape function as an {@link Objective} of its parameters, laid end to end in the
 * order of `params` (n = the sum of their lengths), on fixed `inputs`. `evaluate` gives the
 * value and gradient through the tape; `hessianVector` the exact product of
 * {@link hessianVectorProduct}, which {@link HessianVectorProduct} uses in place of differences,
 * so that Lanczos ({@link hessianEigenvalues}) and {@link classifyCriticalPoint} see the
 * network's exact curvature. Every call puts x into the parameters (rounded to f32), runs, and
 * puts their values and gradients back: the parameters and gradients are unchanged afterwards.
 *
 * @example
 * const objective = tapeObjective(rt, (ops, x, y) => ops.mse(ops.matmul(x, w), y), [w], x, y);
 * const hvp = new HessianVectorProduct(rt, objective, w.length);
 * hessianEigenvalues(hvp, w.data).condition;
 *
 * @throws {ValueError} as {@link hessianVectorProduct} for a bad runtime, function or params.
 */
export function tapeObjective<A extends unknown[]>(
  rt: Runtime,
  fn: (ops: Ops, ...inputs: A) => Tensor,
  params: readonly Param[],
  ...inputs: A
): Objective {
  const hvp = hessianVectorProduct(rt, fn, params);
  const gradient = valueAndGrad(rt, fn);
  const buffers = new Workspace(rt);
  const saved = params.map((p, i) => ({ values: buffers.get(`values ${i}`, p.shape), grad: buffers.get(`grad ${i}`, p.shape) }));
  const directions = params.map((p, i) => buffers.get(`direction ${i}`, p.shape));
  const n = params.reduce((total, p) => total + p.length, 0);
  let released = false;

  const f64At = (ptr: number) => new Float64Array(rt.heap.buffer as ArrayBuffer, ptr, n);
  /** Runs `body` with the parameters at x (f64 at byte address x), then puts values and gradients back. */
  const at = <T>(x: number, body: () => T): T => {
    if (released) throw new DisposedError("The objective was used after dispose()");
    params.forEach((p, i) => {
      saved[i]!.values.data.set(p.data as Float32Array);
      saved[i]!.grad.data.set(p.grad.data as Float32Array);
    });
    scatter(f64At(x), params.map((p) => p.data));
    try {
      return body();
    } finally {
      params.forEach((p, i) => {
        (p.data as Float32Array).set(saved[i]!.values.data);
        (p.grad.data as Float32Array).set(saved[i]!.grad.data);
      });
    }
  };

  return {
    runtime: rt,
    n,
    get disposed() {
      return released;
    },
    evaluate(x, g) {
      return at(x, () => {
        for (const p of params) p.zeroGrad();
        const value = gradient(...inputs);
        gather(params.map((p) => p.grad.data), f64At(g));
        return value;
      });
    },
    hessianVector(x, v, out) {
      at(x, () => {
        scatter(f64At(v), directions.map((d) => d.data));
        hvp(directions, ...inputs);
        gather(hvp.products.map((t) => t.data), f64At(out));
      });
    },
    dispose() {
      if (released) return;
      released = true;
      hvp.dispose();
      gradient.dispose();
      buffers.dispose();
    },
  };
}

/** Copies consecutive parts of `flat` into `parts` (each view read after any allocation). */
function scatter(flat: Float64Array, parts: readonly ArrayLike<number>[]): void {
  let offset = 0;
  for (const part of parts as Float32Array[]) {
    part.set(flat.subarray(offset, offset + part.length));
    offset += part.length;
  }
}

/** Copies `parts` end to end into `flat`. */
function gather(parts: readonly ArrayLike<number>[], flat: Float64Array): void {
  let offset = 0;
  for (const part of parts as Float32Array[]) {
    flat.set(part, offset);
    offset += part.length;
  }
}
