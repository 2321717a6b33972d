// Shared pieces of the GEMM kernels: the epilogue flags the microkernels understand, the
// f64 multiply-add, and the tile and cache-block sizes of the driver.

/** out is overwritten: its old contents (even NaN) are never read (BLAS beta = 0). */
export const BETA_ZERO: i32 = 1;
/** A bias row (NR values at the bias pointer) is added after alpha * acc + beta * out. */
export const ADD_BIAS: i32 = 2;
/** max(x, 0) is applied last. */
export const RELU: i32 = 4;

/** a * b + c on two f64 lanes: fused on relaxed-SIMD builds, mul + add otherwise. */
// @ts-ignore: decorator
@inline
export function maddF64x2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** Rounds a byte count up to a multiple of 16, so every packed buffer starts v128-aligned. */
// @ts-ignore: decorator
@inline
export function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}
