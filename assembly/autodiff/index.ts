export * from "./elementwise";
export * from "./reductions";
export * from "./activations";
export * from "./conv";
export * from "./pool";
