// Public API of this area; src/index.ts re-exports it.
export { gemm, matmul, type GemmOptions, type MatmulOptions } from "./gemm";
