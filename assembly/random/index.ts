// Kernels of this area, one file per algorithm; each needs its twin in src/reference/random/.
export * from "./philox";
