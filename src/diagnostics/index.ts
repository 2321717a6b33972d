// Public API of this area; src/index.ts re-exports it.
export { HessianVectorProduct, CENTRAL_DIFFERENCE_STEP, type HessianVectorOptions } from "./hessian-vector";
export { hessianEigenvalues, type LanczosOptions, type HessianSpectrum } from "./lanczos";
export { classifyCriticalPoint, type CriticalPointKind, type ClassifyOptions, type CriticalPoint } from "./classify";
