export type { Layer } from "./layer";
export { Module, type StateTensor, type StateLayout, type StateDictOptions, type LoadStateDictOptions } from "./module";
export { Linear, type LinearOptions } from "./linear";
export { ReLU } from "./relu";
export { SoftmaxCrossEntropy } from "./loss";
export { Sequential } from "./sequential";
export { Residual } from "./residual";
export { Conv2d, MaxPool2d, Flatten, type Conv2dOptions } from "./conv2d";
