import { BackendError } from "./errors";
import { kernelNames, type Kernels } from "./kernels";
import { MAX_MEMORY_BYTES, PAGE_BYTES } from "./memory";
import { shareImportedMemory } from "./wasm-sections";

/** What the wasm module exports besides the kernels. */
interface ModuleExtras {
  heap_base(): number;
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where SIMD128 works.
const SIMD_PROBE = /* @__PURE__ */ new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

// The same module with f32x4.relaxed_madd applied to three zero vectors: validates only where
// relaxed SIMD works (Chromium; Node 20 with --experimental-wasm-relaxed-simd).
const RELAXED_SIMD_PROBE = /* @__PURE__ */ new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 253, 133, 2, 11,
]);

/** The SIMD flavours compiled from one source: relaxed (fused multiply-add) and plain SIMD128. */
export type WasmVariant = "relaxed" | "simd";

/** A variant as loaded: for a private memory, or (`-threads`) for a shared one. */
export type WasmTarget = WasmVariant | `${WasmVariant}-threads`;

/**
 * The compiled variants, best first, each with a probe module that validates only on
 * engines able to run it.
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

function variantOf(target: WasmTarget): WasmVariant {
  return target.startsWith("relaxed") ? "relaxed" : "simd";
}

/** The bytes of each variant loaded so far: a variant is fetched, read or decoded once. */
const loaded = new Map<WasmVariant, Uint8Array<ArrayBuffer>>();

/**
 * Node: reads the variant's .wasm file shipped with the package (dist/wasm/, or
 * src/runtime/wasm/ from the sources). Null elsewhere, or when the file is not there (an app
 * bundled into one file), where the bytes come from the lazily imported chunk instead.
 */
function readVariantFile(variant: WasmVariant): Uint8Array<ArrayBuffer> | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("fs") as { readFileSync(path: URL): Uint8Array<ArrayBuffer> } | undefined;
  if (!fs) return null;
  // Beside this module (sources, bundles in dist/) or one folder up (dist/runtime/). The names
  // are assembled so that bundlers do not take them for assets to emit.
  for (const folder of ["./wasm/", "../wasm/"]) {
    try {
      return fs.readFileSync(new URL(folder + "descend-" + variant + ".wasm", import.meta.url));
    } catch {
      // not in this folder
    }
  }
  return null;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Inflates raw DEFLATE data with the engine's own decompressor (browsers, Node, workers). */
async function inflateRaw(deflated: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([deflated]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Imports the chunk that carries one variant: bundlers split each into a file of its own. The
 * chunk holds the module deflated, then base64-encoded, so that it travels (gzipped) about as
 * small as the module itself.
 */
async function importVariant(variant: WasmVariant): Promise<Uint8Array<ArrayBuffer>> {
  const { deflatedWasmBase64 } = variant === "relaxed" ? await import("./wasm/wasm-relaxed.generated") : await import("./wasm/wasm-simd.generated");
  return inflateRaw(decodeBase64(deflatedWasmBase64));
}

function remember(variant: WasmVariant, bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  loaded.set(variant, bytes);
  return bytes;
}

/** The module's bytes for `target`, derived from its variant's (threads: the memory import made shared). */
function targetBytes(target: WasmTarget, bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return target.endsWith("-threads") ? shareImportedMemory(bytes, MAX_MEMORY_BYTES / PAGE_BYTES) : bytes;
}

function variantBytesSync(target: WasmTarget): Uint8Array<ArrayBuffer> {
  const variant = variantOf(target);
  const bytes = loaded.get(variant) ?? readVariantFile(variant);
  if (!bytes) {
    throw new BackendError(
      `initSync() found no ${variant} wasm to load here (no file system): call \`await init()\` once, after which initSync() works too`,
    );
  }
  return targetBytes(target, remember(variant, bytes));
}

async function variantBytes(target: WasmTarget): Promise<Uint8Array<ArrayBuffer>> {
  const variant = variantOf(target);
  const bytes = loaded.get(variant) ?? readVariantFile(variant) ?? (await importVariant(variant));
  return targetBytes(target, remember(variant, bytes));
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

/**
 * Compiles a target synchronously (the module can be sent to worker threads). Its bytes are
 * read from the package's file in Node, or were loaded by an earlier `compileTarget`.
 */
export function compileTargetSync(target: WasmTarget): WebAssembly.Module {
  return new WebAssembly.Module(variantBytesSync(target));
}

/** Compiles a target (async compile: required on browser main threads), loading only its variant. */
export async function compileTarget(target: WasmTarget): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await variantBytes(target));
}

/** Instantiates compiled kernels on `memory`. */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory, heapBase: number, target: WasmTarget): Kernels {
  // The kernels take and return numbers only: the plain instance needs no loader glue.
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  return bind(exports as Record<string, unknown>, target, heapBase);
}
