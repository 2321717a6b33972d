import type { JsBackend } from "./create";
import type { Heap } from "./heap";
import type { Kernels } from "./kernels";
import { referenceTwins } from "./wasm/reference-twins.generated";

/** The 'js' backend: each reference twin bound to the heap of one runtime. */
function referenceKernels(heap: Heap): Kernels {
  const bound: Record<string, unknown> = {};
  for (const [name, twin] of Object.entries(referenceTwins)) {
    bound[name] = (twin as (heap: Heap, ...args: number[]) => void).bind(null, heap);
  }
  return bound as Kernels;
}

/**
 * The plain-TypeScript reference backend: `initSync({ backend: jsBackend })` runs every kernel
 * as its reference twin (the test oracle; slower than wasm, and needs no WebAssembly SIMD).
 * Exported by "descend/js" only, so apps that use the wasm kernels do not bundle the twins.
 */
export const jsBackend: JsBackend = Object.freeze({ name: "js", kernels: referenceKernels });
