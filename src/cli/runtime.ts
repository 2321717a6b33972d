// The command line's runtime: `--backend js` binds the reference twins, which the CLI bundle
// carries anyway (the library's initSync reaches them only through "descend/js").
import { jsBackend } from "../runtime/backend-js";
import { initSync } from "../runtime/create";
import type { Backend, Runtime } from "../runtime/runtime";

/** A runtime on the backend named by `--backend`. */
export function runtimeOn(backend: Backend): Runtime {
  return initSync({ backend: backend === "js" ? jsBackend : backend });
}
