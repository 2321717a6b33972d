// Lane helpers generic over the element type T of a kernel: f32 (4 lanes per v128) or f64
// (2 lanes). The normalization kernels are written once as generic functions and
// instantiated for both types; every branch here is on sizeof<T>(), a compile-time
// constant, so each instance keeps only its own instructions.

/** Elements of T in one v128. */
// @ts-ignore: decorator
@inline
export function lanesOf<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

/** Byte address of element i of an array of T at p. */
// @ts-ignore: decorator
@inline
export function at<T>(p: usize, i: i64): usize {
  return p + <usize>(i * <i64>sizeof<T>());
}

// @ts-ignore: decorator
@inline
export function vsplat<T>(x: T): v128 {
  if (sizeof<T>() == 4) return f32x4.splat(<f32>x);
  return f64x2.splat(<f64>x);
}

// @ts-ignore: decorator
@inline
export function vadd<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.add(a, b);
  return f64x2.add(a, b);
}

// @ts-ignore: decorator
@inline
export function vsub<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.sub(a, b);
  return f64x2.sub(a, b);
}

// @ts-ignore: decorator
@inline
export function vmul<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.mul(a, b);
  return f64x2.mul(a, b);
}

/** The lanes of v summed in f64. */
// @ts-ignore: decorator
@inline
export function vsumF64<T>(v: v128): f64 {
  if (sizeof<T>() == 4) {
    return (
      <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) +
      (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3))
    );
  }
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Lanes 0 and 1 of v as an f64x2. */
// @ts-ignore: decorator
@inline
export function vlowF64<T>(v: v128): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v);
  return v;
}

/** Lanes 2 and 3 of an f32x4 as an f64x2 (f32 only: an f64x2 has no such lanes). */
// @ts-ignore: decorator
@inline
export function vhighF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** The lanesOf<T>() f64 values at p, each rounded to T, as one vector of T. */
// @ts-ignore: decorator
@inline
export function vloadF64As<T>(p: usize): v128 {
  if (sizeof<T>() == 8) return v128.load(p);
  return f32x4.shuffle(f32x4.demote_f64x2_zero(v128.load(p)), f32x4.demote_f64x2_zero(v128.load(p, 16)), 0, 1, 4, 5);
}

/**
 * What rounding the f64 values at p to T left behind, v - T(v), as a vector of T: the low
 * half of a two-term (hi, lo) split, so that (x - hi) - lo subtracts an f64 mean from f32
 * data to about f64 accuracy. Zero for T = f64.
 */
// @ts-ignore: decorator
@inline
export function vloadF64ResidualAs<T>(p: usize): v128 {
  if (sizeof<T>() == 8) return f64x2.splat(0);
  const a = v128.load(p);
  const b = v128.load(p, 16);
  const ra = f64x2.sub(a, f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(a)));
  const rb = f64x2.sub(b, f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(b)));
  return f32x4.shuffle(f32x4.demote_f64x2_zero(ra), f32x4.demote_f64x2_zero(rb), 0, 1, 4, 5);
}
