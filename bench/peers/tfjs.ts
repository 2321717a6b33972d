// TensorFlow.js as a benchmark peer, loaded on demand: its 'wasm' backend (XNNPACK, SIMD)
// and its 'cpu' backend (plain JS). The wasm backend is pinned to one thread by default so a
// single-threaded descend kernel is compared with a single-threaded peer; pass
// TFJS_WASM_THREADS=n in the environment to change that. A peer that cannot load is reported as skipped with the
// reason, never a crash.
import { createRequire } from "node:module";
import { dirname } from "node:path";

export type Tf = typeof import("@tensorflow/tfjs-core");
export type TfBackend = "wasm" | "cpu";

export type TfjsPeer = {
  tf: Tf;
  backends: TfBackend[];
  skipped: Partial<Record<TfBackend, string>>;
  /** Threads of the tfjs wasm backend (1 unless TFJS_WASM_THREADS says otherwise). */
  wasmThreads: number;
};

let loading: Promise<TfjsPeer | { skipped: string }> | null = null;

/** Loads tfjs-core with whichever of its wasm and cpu backends are installed. */
export function loadTfjs(): Promise<TfjsPeer | { skipped: string }> {
  loading ??= (async () => {
    let tf: Tf;
    try {
      tf = await import("@tensorflow/tfjs-core");
      // tfjs-core's Node bundle registers no gradients; the union package (same core) does.
      await import("@tensorflow/tfjs");
    } catch (error) {
      return { skipped: `@tensorflow/tfjs-core not installed (${String(error)})` };
    }
    const backends: TfBackend[] = [];
    const skipped: Partial<Record<TfBackend, string>> = {};
    try {
      await import("@tensorflow/tfjs-backend-cpu");
      backends.push("cpu");
    } catch (error) {
      skipped.cpu = String(error);
    }
    try {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      const require = createRequire(import.meta.url);
      const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm");
      wasm.setWasmPaths(`${dirname(wasmFile)}/`);
      wasm.setThreadsCount(Number(process.env.TFJS_WASM_THREADS ?? 1));
      if (await tf.setBackend("wasm")) backends.push("wasm");
      else skipped.wasm = "setBackend('wasm') returned false";
    } catch (error) {
      skipped.wasm = String(error);
    }
    return { tf, backends, skipped, wasmThreads: Number(process.env.TFJS_WASM_THREADS ?? 1) };
  })();
  return loading;
}

/** Switches tfjs to `backend` (awaiting its initialization). */
export async function useTfBackend(tf: Tf, backend: TfBackend): Promise<void> {
  if (tf.getBackend() !== backend) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialize`);
  }
  await tf.ready();
}
