import type { Heap } from "./heap";
import type { Kernels } from "./kernels";
import { referenceTwins } from "./wasm/reference-twins.generated";

/**
 * The 'js' backend: each reference twin bound to the heap of one runtime. `init` imports it
 * lazily; only `initSync` reaches it directly, so apps that do not call initSync do not carry
 * the twins.
 */
export function referenceKernels(heap: Heap): Kernels {
  const bound: Record<string, unknown> = {};
  for (const [name, twin] of Object.entries(referenceTwins)) {
    bound[name] = (twin as (heap: Heap, ...args: number[]) => void).bind(null, heap);
  }
  return bound as Kernels;
}
