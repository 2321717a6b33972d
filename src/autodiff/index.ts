export { valueAndGrad, type GradStep } from "./tape";
export type { Ops, MatmulOpOptions, GeluOpOptions, DropoutOpOptions } from "./ops";
