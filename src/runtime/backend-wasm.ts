import { instantiateSync } from "@assemblyscript/loader";
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

// The same module with f32x4.relaxed_madd applied to three zero vectors: validates only where
// relaxed SIMD works (Chromium; Node 20 with --experimental-wasm-relaxed-simd).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 253, 133, 2, 11,
]);

/** The SIMD flavours compiled from one source: relaxed (fused multiply-add) and plain SIMD128. */
export type WasmVariant = "relaxed" | "simd";

/**
 * The compiled variants, best first, each with a probe module that validates only on
 * engines able to run it. Each variant is built twice: for a private memory (target
 * `<variant>`) and for a shared one (`<variant>-threads`, used by `init({ threads })`).
 */
const VARIANTS: ReadonlyArray<{ variant: WasmVariant; probe: Uint8Array<ArrayBuffer> }> = [
  { variant: "relaxed", probe: RELAXED_SIMD_PROBE },
  { variant: "simd", probe: SIMD_PROBE },
];

/** Whether this engine can run `variant`. */
export function supportsVariant(variant: WasmVariant): boolean {
  return WebAssembly.validate(VARIANTS.find((v) => v.variant === variant)!.probe);
}

/**
 * The target to load: the best variant this engine runs ('auto'), or the one requested,
 * built for a shared memory when `shared`.
 */
export function selectTarget(requested: WasmVariant | "auto" = "auto", shared = false): WasmTarget {
  const variant =
    requested === "auto" ? VARIANTS.find((v) => WebAssembly.validate(v.probe))?.variant : supportsVariant(requested) ? requested : undefined;
  if (!variant) {
    throw new BackendError(
      requested === "auto" || requested === "simd"
        ? "This engine lacks WebAssembly SIMD128; use init({ backend: 'js' })"
        : "This engine lacks relaxed SIMD (Node 20: run with --experimental-wasm-relaxed-simd); use wasmVariant: 'simd'",
    );
  }
  return shared ? `${variant}-threads` : variant;
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

/** Compiles a target synchronously (Node, workers); the module can be sent to worker threads. */
export function compileTargetSync(target: WasmTarget): WebAssembly.Module {
  return new WebAssembly.Module(decodeBase64(wasmBase64[target]));
}

/** Compiles a target (async compile: required on browser main threads). */
export function compileTarget(target: WasmTarget): Promise<WebAssembly.Module> {
  return WebAssembly.compile(decodeBase64(wasmBase64[target]));
}

/** Instantiates compiled kernels on `memory`. */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory, heapBase: number, target: WasmTarget): Kernels {
  const { exports } = instantiateSync(module, { env: { memory } });
  return bind(exports as Record<string, unknown>, target, heapBase);
}

/** Instantiates the wasm kernels on `memory`, synchronously (Node, workers). */
export function wasmKernelsSync(memory: WebAssembly.Memory, heapBase: number, target: WasmTarget = selectTarget()): Kernels {
  return instantiateKernels(compileTargetSync(target), memory, heapBase, target);
}

/** Instantiates the wasm kernels on `memory` (async compile: required on browser main threads). */
export async function wasmKernels(memory: WebAssembly.Memory, heapBase: number, target: WasmTarget = selectTarget()): Promise<Kernels> {
  return instantiateKernels(await compileTarget(target), memory, heapBase, target);
}
