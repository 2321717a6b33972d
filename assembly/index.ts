// The one entry asc compiles (per target). Every export is a kernel: a pure function of
// pointers (byte addresses into the imported memory) and numbers. Each area keeps its own
// index: add a kernel there, beside its twin in src/reference/<area>/.

export * from "./optim/index";
export * from "./averaging/index";
export * from "./linalg/index";
export * from "./norm/index";
export * from "./minimize/index";
export * from "./random/index";
export * from "./nn/index";
export * from "./init/index";
export * from "./data/index";
export * from "./continuation/index";
export * from "./autodiff/index";

/** First byte past the module's static data: the facade's allocator must start at or above it. */
export function heap_base(): usize {
  return __heap_base;
}
