// init/initSync with every backend built in, for code that runs from this repository (tests,
// benchmarks, the command line): initSync({ backend: 'js' }) binds the reference twins directly.
// The library's entry exports ./create's functions instead, which reach the twins only through
// "descend/js" or init's lazy import, so apps that use the wasm kernels do not bundle them.
import { jsBackend } from "./backend-js";
import { initSync as createSync, type InitOptions } from "./create";
import type { Runtime } from "./runtime";

export { init, type InitOptions, type JsBackend } from "./create";

/** initSync, with `backend: 'js'` meaning the reference twins (see ./create's initSync). */
export function initSync(options: InitOptions = {}): Runtime {
  const js = typeof options === "object" && options !== null && options.backend === "js";
  return createSync(js ? { ...options, backend: jsBackend } : options);
}
