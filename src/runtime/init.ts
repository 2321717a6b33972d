import { wasmKernels, wasmKernelsSync } from "./backend-wasm";
import { referenceKernels } from "./kernels";
import { Heap } from "./heap";
import { MAX_MEMORY_BYTES, PAGE_BYTES } from "./memory";
import { Runtime, type Backend } from "./runtime";
import { checkNumber } from "./validate";
import { ValueError } from "./errors";

export interface InitOptions {
  /** 'wasm' (default): the SIMD kernels. 'js': the plain-TypeScript reference twins. */
  backend?: Backend;
  /** Upper bound of the linear memory in bytes; default and maximum 4 GiB (wasm32). */
  maxMemoryBytes?: number;
}

/** Allocations start here, above the wasm module's static data (checked at load). */
const HEAP_BASE = PAGE_BYTES;

function createHeap(options: InitOptions): { heap: Heap; maxBytes: number } {
  const maxBytes = checkNumber("maxMemoryBytes", options.maxMemoryBytes ?? MAX_MEMORY_BYTES, {
    min: 2 * PAGE_BYTES,
    max: MAX_MEMORY_BYTES,
  });
  const maximum = Math.floor(maxBytes / PAGE_BYTES);
  return { heap: new Heap(new WebAssembly.Memory({ initial: 2, maximum })), maxBytes: maximum * PAGE_BYTES };
}

function checkBackend(backend: unknown): Backend {
  if (backend !== "wasm" && backend !== "js") {
    throw new ValueError(`Invalid backend: ${String(backend)} (expected 'wasm' or 'js')`);
  }
  return backend;
}

/**
 * Creates a runtime synchronously: Node, workers, and tests. On a browser main thread
 * prefer `await init()`, which compiles asynchronously.
 */
export function initSync(options: InitOptions = {}): Runtime {
  const backend = checkBackend(options.backend ?? "wasm");
  const { heap, maxBytes } = createHeap(options);
  const kernels = backend === "wasm" ? wasmKernelsSync(heap.memory, HEAP_BASE) : referenceKernels(heap);
  return new Runtime(backend, heap, kernels, HEAP_BASE, maxBytes);
}

/** Creates a runtime; works everywhere (Node, browsers, workers). */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  const backend = checkBackend(options.backend ?? "wasm");
  const { heap, maxBytes } = createHeap(options);
  const kernels = backend === "wasm" ? await wasmKernels(heap.memory, HEAP_BASE) : referenceKernels(heap);
  return new Runtime(backend, heap, kernels, HEAP_BASE, maxBytes);
}
