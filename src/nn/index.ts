export type { Layer } from "./layer";
export { Linear, type LinearOptions } from "./linear";
export { ReLU } from "./relu";
export { SoftmaxCrossEntropy } from "./loss";
export { Sequential } from "./sequential";
