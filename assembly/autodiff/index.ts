export * from "./elementwise";
export * from "./reductions";
export * from "./activations";
