import { compileTarget, compileTargetSync, instantiateKernels, selectTarget, type WasmTarget, type WasmVariant } from "./backend-wasm";
import type { Kernels } from "./kernels";
import { Heap } from "./heap";
import { MAX_MEMORY_BYTES, PAGE_BYTES } from "./memory";
import { Runtime, type Backend } from "./runtime";
import { checkNumber, checkOptions, optionNames } from "./validate";
import { BackendError, ValueError } from "./errors";
import { ThreadPool, attachPool, controlBytes, poolOf } from "./pool";

/**
 * The plain-TypeScript reference backend, imported from "descend/js" (`jsBackend`) so that apps
 * which do not use it do not bundle it.
 */
/** The plain-TypeScript reference backend, as `jsBackend` from "descend/js" gives it. */
export interface JsBackend {
  /** Always 'js'. */
  readonly name: "js";
  /** @internal Binds the reference twins to a runtime's heap. */
  readonly kernels: (heap: Heap) => Kernels;
}

/** Options of {@link init} and {@link initSync}. */
export interface InitOptions {
  /**
   * 'wasm': the SIMD kernels. The plain-TypeScript reference twins: `jsBackend` from
   * "descend/js" (both init and initSync), or 'js' with `await init()`, which imports them lazily.
   * @defaultValue 'wasm'
   */
  backend?: Backend | JsBackend;
  /**
   * Upper bound of the linear memory in bytes; default and maximum 4 GiB (wasm32).
   * @defaultValue 4 GiB
   */
  maxMemoryBytes?: number;
  /**
   * Threads that run the kernels which split their work (gemm), counting the calling
   * thread; default 1. More than 1 puts the memory in a SharedArrayBuffer and starts
   * `threads - 1` workers: Node worker_threads, or in browsers Web Workers, which need a
   * cross-origin isolated page (COOP/COEP headers) and `await init()`. Results are
   * bit-identical for every thread count. Only the 'wasm' backend has threads.
   * @defaultValue 1
   */
  threads?: number;
  /**
   * Which SIMD build to load: 'auto' (default) picks 'relaxed' (fused multiply-add, via
   * relaxed SIMD) where the engine validates it, else 'simd'. 'simd' gives the same
   * results on every engine; 'relaxed' may round differently from engine to engine.
   * @defaultValue 'auto'
   */
  wasmVariant?: WasmVariant | "auto";
  /**
   * Seed of the default seeds: a layer made without a seed (`new Linear(rt, ...)`) gets the
   * k-th seed derived from this one, so layers differ from each other and a model built the
   * same way on a fresh runtime with the same seed is identical. An integer in [0, 2^53); default 0.
   * @defaultValue 0
   */
  seed?: number;
}

const INIT_OPTIONS = optionNames<InitOptions>({ backend: true, maxMemoryBytes: true, threads: true, wasmVariant: true, seed: true });

/** Allocations start here, above the wasm module's static data (checked at load). */
const HEAP_BASE = PAGE_BYTES;

interface Plan {
  backend: Backend;
  /** The reference kernels, when given as `jsBackend` (else init loads them, initSync cannot). */
  jsKernels: JsBackend["kernels"] | null;
  heap: Heap;
  maxBytes: number;
  threads: number;
  variant: WasmVariant | "auto";
  seed: number;
}

function makePlan(options: InitOptions, of: "init" | "initSync"): Plan {
  checkOptions(options, { of, known: INIT_OPTIONS });
  const given = options.backend ?? "wasm";
  const jsKernels = isJsBackend(given) ? given.kernels : null;
  const backend = jsKernels ? "js" : given;
  if (backend !== "wasm" && backend !== "js") {
    throw new ValueError(`Invalid backend: ${String(backend)} (expected 'wasm', 'js' or jsBackend, exported by "descend/js")`);
  }
  if (backend === "js" && !jsKernels && of === "initSync") {
    throw new BackendError(
      `initSync({ backend: 'js' }) needs the reference kernels: pass jsBackend, exported by "descend/js": initSync({ backend: jsBackend }) (or use await init({ backend: 'js' }), which loads them)`,
    );
  }
  const variant = options.wasmVariant ?? "auto";
  if (variant !== "auto" && variant !== "relaxed" && variant !== "simd") {
    throw new ValueError(`Invalid wasmVariant: ${String(variant)} (expected 'auto', 'relaxed' or 'simd')`);
  }
  const threads = checkNumber("threads", options.threads ?? 1, { integer: true, min: 1, max: 256 });
  if (threads > 1 && backend !== "wasm") throw new ValueError(`Invalid threads: ${threads} (only the 'wasm' backend has threads)`);
  const maxBytes = checkNumber("maxMemoryBytes", options.maxMemoryBytes ?? MAX_MEMORY_BYTES, {
    min: 2 * PAGE_BYTES,
    max: MAX_MEMORY_BYTES,
  });
  const maximum = Math.floor(maxBytes / PAGE_BYTES);
  const memory = new WebAssembly.Memory({ initial: 2, maximum, ...(threads > 1 ? { shared: true } : {}) });
  const seed = checkNumber("seed", options.seed ?? 0, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  return { backend, jsKernels, heap: new Heap(memory), maxBytes: maximum * PAGE_BYTES, threads, variant, seed };
}

function isJsBackend(backend: unknown): backend is JsBackend {
  return typeof backend === "object" && backend !== null && (backend as JsBackend).name === "js" && typeof (backend as JsBackend).kernels === "function";
}

/** Threads need workers and shared memory: Node, or a cross-origin isolated browser page. */
function checkThreadSupport(sync: boolean): void {
  const g = globalThis as { process?: { getBuiltinModule?: unknown }; crossOriginIsolated?: boolean; Worker?: unknown };
  if (typeof g.process?.getBuiltinModule === "function") return;
  if (typeof g.Worker !== "function" || g.crossOriginIsolated !== true) {
    throw new BackendError("threads need Node >= 20.16 or a cross-origin isolated page with Web Workers");
  }
  if (sync) throw new BackendError("In browsers, threads need `await init({ threads })` (workers start asynchronously)");
}

/** A runtime on the 'js' backend: the reference twins bound to its heap. */
function createJs(plan: Plan, jsKernels: (heap: Heap) => Kernels): Runtime {
  return new Runtime(plan.backend, plan.heap, jsKernels(plan.heap), HEAP_BASE, plan.maxBytes, plan.seed, { variant: null, threads: 1 });
}

/** A runtime on the compiled wasm `target`, with a thread pool when the plan asks for threads. */
function createWasm(plan: Plan, module: WebAssembly.Module, target: WasmTarget): Runtime {
  const { heap, threads } = plan;
  // With threads, the pool's control block sits at HEAP_BASE and the allocator starts above it.
  const heapBase = threads > 1 ? HEAP_BASE + Math.ceil(controlBytes(threads) / 16) * 16 : HEAP_BASE;
  const kernels: Kernels = instantiateKernels(module, heap.memory, heapBase, target);
  const rt = new Runtime(plan.backend, heap, kernels, heapBase, plan.maxBytes, plan.seed, { variant: target, threads });
  if (threads > 1) attachPool(rt, new ThreadPool(threads, module, heap.memory, HEAP_BASE, kernels));
  return rt;
}

/**
 * Creates a runtime synchronously: Node (which reads the one wasm variant it needs from the
 * package), workers, and tests. Elsewhere (browsers, apps bundled into one file) the wasm
 * bytes come from `await init()`: call it once first, or use it instead; on a browser main
 * thread it also compiles off the main thread. Release it with `rt.dispose()` when done (it
 * stops the worker threads of a runtime made with `threads > 1`).
 *
 * @throws {@link ValueError} for an unknown or out-of-range option.
 * @throws {@link BackendError} when the engine lacks WebAssembly SIMD (or the relaxed SIMD asked for), no wasm can be read synchronously here (browsers: call `await init()` once first), `backend: 'js'` is asked for without `jsBackend`, or threads are not available.
 */
export function initSync(options: InitOptions = {}): Runtime {
  const plan = makePlan(options, "initSync");
  if (plan.jsKernels) return createJs(plan, plan.jsKernels);
  if (plan.threads > 1) checkThreadSupport(true);
  const target = selectTarget(plan.variant, plan.threads > 1);
  return createWasm(plan, compileTargetSync(target), target);
}

/**
 * Creates a runtime; works everywhere (Node, browsers, workers, bundlers). Loads only what
 * the runtime runs: one wasm variant, or the reference kernels for the 'js' backend. Release
 * it with `rt.dispose()`.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option.
 * @throws {@link BackendError} when the engine lacks WebAssembly SIMD or threads are asked for where workers or shared memory are not available.
 */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  const plan = makePlan(options, "init");
  if (plan.backend === "js") return createJs(plan, plan.jsKernels ?? (await import("./backend-js")).jsBackend.kernels);
  if (plan.threads > 1) checkThreadSupport(false);
  const target = selectTarget(plan.variant, plan.threads > 1);
  const rt = createWasm(plan, await compileTarget(target), target);
  await poolOf(rt)?.ready;
  return rt;
}
