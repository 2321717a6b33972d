// Public API of this area; src/index.ts re-exports it.
export { HessianVectorProduct, CENTRAL_DIFFERENCE_STEP, type HessianVectorOptions } from "./hessian-vector";
