// descend/js: the plain-TypeScript reference backend, `initSync({ backend: jsBackend })`.
export { jsBackend } from "./runtime/backend-js";
export type { JsBackend } from "./runtime/create";
