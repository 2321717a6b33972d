// Moving four f32 lanes to two f64x2 halves and back, for kernels that read and write f32 but
// evaluate in f64 (promotion is exact; demotion rounds each lane once, as a scalar <f32> does).

/** f32 lanes 2 and 3 of v as an f64x2 (lanes 0 and 1: f64x2.promote_low_f32x4). */
// @ts-ignore: decorator
@inline
export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0));
}

/** The f32x4 [fl32(lo0), fl32(lo1), fl32(hi0), fl32(hi1)]. */
// @ts-ignore: decorator
@inline
export function demotePair(lo: v128, hi: v128): v128 {
  return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}
