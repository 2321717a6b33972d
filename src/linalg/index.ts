// Public API of this area; src/index.ts re-exports it.
export { gemm, matmul, type GemmOptions, type MatmulOptions } from "./gemm";
// How many threads a runtime's gemm uses (init({ threads })). It belongs to the runtime;
// exported here until src/index.ts re-exports it from src/runtime/pool.ts.
export { threadCount } from "../runtime/pool";
