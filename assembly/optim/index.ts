// Fused optimizer kernels: one file per rule, each exporting an f32 and an f64 variant, and
// the helpers around the update (the gradient sum of squares, the bandwidth probe).
export * from "./sgd";
export * from "./adam";
export * from "./adamax";
export * from "./adagrad";
export * from "./adadelta";
export * from "./rmsprop";
export * from "./delta_bar_delta";
export { f32_sumsq, f64_sumsq } from "./clip";
export { f32_stream, f64_stream } from "./stream";
