export * from "./elementwise";
export * from "./reductions";
export * from "./activations";
export * from "./broadcast";
export * from "./gelu";
export * from "./softmax";
export * from "./dropout";
export * from "./gather";
