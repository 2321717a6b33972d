// Public API of this area; src/index.ts re-exports it.
export { Philox, type PhiloxState, type UniformOptions, type NormalOptions } from "./philox";
