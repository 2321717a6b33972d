// Kernels of this area, one file per algorithm; each needs its twin in src/reference/norm/.
export * from "./batchnorm";
export * from "./groupnorm";
export * from "./weight_norm";
