// Reference twins of assembly/linalg/, same names and signatures after a leading Heap.
export { f32_gemm, f32_gemm_workspace, f64_gemm, f64_gemm_workspace } from "./gemm";
export { f32_madd_peak } from "./peak";
export { f64_symeig, f64_eigvec_scale } from "./symeig";
