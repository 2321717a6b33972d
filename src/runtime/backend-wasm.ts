import { instantiate, instantiateSync } from "@assemblyscript/loader";
import { BackendError } from "./errors";
import { kernelNames, type Kernels } from "./kernels";
import { wasmBase64, type WasmTarget } from "./wasm-bytes.generated";

/** What the wasm module exports besides the kernels. */
interface ModuleExtras {
  heap_base(): number;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where SIMD128 works.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/**
 * The compiled variants, best first, each with a probe module that validates only on
 * engines able to run it. A new variant (relaxed SIMD, threads) is one more row.
 */
const VARIANTS: ReadonlyArray<{ target: WasmTarget; probe: Uint8Array<ArrayBuffer> }> = [{ target: "simd", probe: SIMD_PROBE }];

/** The best variant this engine can run. */
export function selectTarget(): WasmTarget {
  const variant = VARIANTS.find((v) => WebAssembly.validate(v.probe));
  if (!variant) {
    throw new BackendError("This engine lacks WebAssembly SIMD128; use init({ backend: 'js' })");
  }
  return variant.target;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bind(exports: Record<string, unknown>, target: WasmTarget, heapBase: number): Kernels {
  const missing = kernelNames.filter((name) => typeof exports[name] !== "function");
  if (missing.length) throw new BackendError(`wasm target '${target}' lacks kernels: ${missing.join(", ")}`);
  const moduleHeapBase = (exports as unknown as ModuleExtras).heap_base();
  if (moduleHeapBase > heapBase) {
    throw new BackendError(`wasm static data ends at ${moduleHeapBase}, above the heap base ${heapBase}`);
  }
  return exports as unknown as Kernels;
}

/** Instantiates the wasm kernels on `memory`, synchronously (Node, workers). */
export function wasmKernelsSync(memory: WebAssembly.Memory, heapBase: number): Kernels {
  const target = selectTarget();
  const { exports } = instantiateSync(decodeBase64(wasmBase64[target]), { env: { memory } });
  return bind(exports as Record<string, unknown>, target, heapBase);
}

/** Instantiates the wasm kernels on `memory` (async compile: required on browser main threads). */
export async function wasmKernels(memory: WebAssembly.Memory, heapBase: number): Promise<Kernels> {
  const target = selectTarget();
  const { exports } = await instantiate(decodeBase64(wasmBase64[target]), { env: { memory } });
  return bind(exports as Record<string, unknown>, target, heapBase);
}
