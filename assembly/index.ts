// The one entry asc compiles (per target). Every export is a kernel: a pure function of
// pointers (byte addresses into the imported memory) and numbers. Area index files keep
// this list short: add a kernel to its area's index.

export * from "./optim/index";

/** First byte past the module's static data: the facade's allocator must start at or above it. */
export function heap_base(): usize {
  return __heap_base;
}
