export { valueAndGrad, type GradStep } from "./tape";
export { hessianVectorProduct, CURVATURE_OPS, type HessianVectorStep } from "./hessian-vector";
export { tapeObjective } from "./objective";
export type { Ops, MatmulOpOptions, GeluOpOptions, DropoutOpOptions } from "./ops";
export type { Conv2dOpOptions, Pool2dOpOptions, Size2d } from "./spatial";
export type { NormOpOptions, BatchNormOpOptions } from "./norm";
