import type { Heap } from "./heap";
import type * as reference from "../reference/index";
import { generatedKernelNames } from "./wasm/kernel-names.generated";

type WithoutHeap<F> = F extends (heap: Heap, ...args: infer A) => infer R ? (...args: A) => R : never;

/**
 * The kernel table both backends implement: one entry per kernel, named
 * `<dtype>_<op>[_<variant>]`, taking byte addresses and numbers. Derived from the
 * reference twins, so a kernel exists for the facade exactly when its twin does; the
 * wasm backend checks at load time that its module exports every name.
 */
export type Kernels = { readonly [K in keyof typeof reference]: WithoutHeap<(typeof reference)[K]> };

export type KernelName = keyof Kernels;

/**
 * Every kernel name, in a stable order: the wasm modules' exports, listed at build time so
 * that the wasm backend does not load the reference twins (test/runtime/module.test.ts checks
 * that they are the same names).
 */
export const kernelNames: readonly KernelName[] = generatedKernelNames;
