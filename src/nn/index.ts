export type { Layer } from "./layer";
export { Module, type StateTensor, type StateLayout, type StateDictOptions, type LoadStateDictOptions } from "./module";
export { Linear, type LinearOptions } from "./linear";
export { ReLU } from "./relu";
export { SoftmaxCrossEntropy } from "./loss";
export { Sequential } from "./sequential";
export { Residual } from "./residual";
