export { valueAndGrad, type GradStep } from "./tape";
export type { Ops, MatmulOpOptions } from "./ops";
