// Public API of descend: named exports only (tree-shakeable). Each area re-exports its own.
export { init, initSync, type InitOptions } from "./runtime/init";
export { Runtime, type Backend, type MemoryStats, type RuntimeInfo, type TensorOptions, type ParamOptions } from "./runtime/runtime";
export { Tensor, Param, type DType, type ArrayFor } from "./runtime/tensor";
export { Workspace } from "./runtime/workspace";
export { kernelNames, type Kernels, type KernelName } from "./runtime/kernels";
export * from "./runtime/errors";
export * from "./optim/index";
export * from "./schedules/index";
export * from "./linalg/index";
export * from "./norm/index";
export * from "./minimize/index";
export * from "./init/index";
export * from "./nn/index";
