import type { Heap } from "./heap";
import * as reference from "../reference/index";

type WithoutHeap<F> = F extends (heap: Heap, ...args: infer A) => infer R ? (...args: A) => R : never;

/**
 * The kernel table both backends implement: one entry per kernel, named
 * `<dtype>_<op>[_<variant>]`, taking byte addresses and numbers. Derived from the
 * reference twins, so a kernel exists for the facade exactly when its twin does; the
 * wasm backend checks at load time that its module exports every name.
 */
export type Kernels = { readonly [K in keyof typeof reference]: WithoutHeap<(typeof reference)[K]> };

export type KernelName = keyof Kernels;

/** Every kernel name, in a stable order. */
export const kernelNames = Object.keys(reference).sort() as KernelName[];

/** The 'js' backend: each reference twin bound to the heap of one runtime. */
export function referenceKernels(heap: Heap): Kernels {
  const bound: Record<string, unknown> = {};
  for (const name of kernelNames) {
    bound[name] = (reference[name] as (heap: Heap, ...args: number[]) => void).bind(null, heap);
  }
  return bound as Kernels;
}
