// Kernels of this area, one file per algorithm; each needs its twin in src/reference/averaging/.
export * from "./lerp";
export * from "./swap";
