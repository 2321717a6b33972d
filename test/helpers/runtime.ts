// Runtimes for tests and benchmarks, which name their backend: 'js' binds the reference twins
// directly. The package's initSync reaches the twins only through jsBackend ("descend/js"), so
// that apps using the wasm kernels do not bundle them.
import { jsBackend } from "../../src/runtime/backend-js";
import { initSync, type InitOptions } from "../../src/runtime/create";
import type { Runtime } from "../../src/runtime/runtime";

/** initSync, with `backend: 'js'` meaning the reference twins, linked in here. */
export function initSyncWithTwins(options: InitOptions = {}): Runtime {
  const js = typeof options === "object" && options !== null && options.backend === "js";
  return initSync(js ? { ...options, backend: jsBackend } : options);
}
