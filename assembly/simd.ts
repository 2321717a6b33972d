// Shared @inline helpers for the v128 kernels. Every kernel walks its arrays in
// 4-lane f32 (or 2-lane f64) blocks and finishes with a scalar tail that performs
// exactly the same IEEE operations as one lane, so a result never depends on
// whether an element fell in a SIMD block or in the tail.

/** Bytes per f32 element. */
export const F32 = 4;

/** Bytes per f64 element. */
export const F64 = 8;

/** a * b + c on four f32 lanes: one fused instruction on relaxed-SIMD builds, mul + add otherwise. */
// @ts-ignore: decorator
@inline
export function maddF32x4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Length of the largest prefix of n elements that splits into whole blocks of `lanes`. */
// @ts-ignore: decorator
@inline
export function blockedLength(n: i32, lanes: i32): i32 {
  return n & ~(lanes - 1);
}
