// Plain-TypeScript twins of every wasm kernel: same export names, same arguments after a
// leading Heap. They are the 'js' backend and the test oracle, written for clarity, never tuned.
// Add a kernel to its area's index, beside its twin in assembly/<area>/.
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
