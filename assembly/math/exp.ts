// exp(x) on v128 lanes (f32x4 and f64x2) and the scalar twins of each that perform the same IEEE
// operations, so a kernel's SIMD blocks and its scalar tail agree bit for bit:
//   k = nearest(x / ln 2),  r = (x - k ln2_hi) - k ln2_lo,  |r| <= ln 2 / 2   (Cody and Waite)
//   exp(r) = 1 + (r + r^2 q(r)),  q(r) ~ (e^r - 1 - r) / r^2   (Chebyshev fit, degree 9 / 4;
//   the f64 q by Estrin's scheme, which shortens the chain of dependent operations)
//   exp(x) = (exp(r) 2^k1) 2^k2,  k1 = floor(k / 2),  k2 = k - k1
// The f64 version builds 2^k1 from the low bits of k1 + 1.5 * 2^52 (plus the exponent bias,
// shifted into place), avoiding float-to-i64 conversions and the 64-bit arithmetic shift that
// x86 SIMD lacks.
// ln2_hi has trailing zero bits, so k ln2_hi is exact for every k reached. Splitting 2^k into two
// normal powers of two lets one last rounding produce overflow to +Inf and gradual underflow
// (subnormals, then 0). x is first clamped to a range whose ends already round to 0 and +Inf
// with pmin/pmax (one x86 instruction each, unlike min/max), which keep a NaN x, so
// NaN -> NaN, -Inf -> 0, +Inf -> +Inf.
// Measured against Math.exp on a dense grid plus edge values (test/math/exp.test.ts):
// f64 within 2 ulp, f32 within 1 ulp of the correctly rounded f32 result.

const LOG2E: f64 = 1.4426950408889634;
const LN2_HI_F64: f64 = 0.6931471803691238; // 0x3fe62e42fee00000: 21 trailing zero bits
const LN2_LO_F64: f64 = 1.9082149292705877e-10;
/** 1.5 * 2^52: k + SHIFTER holds the integer k in its low mantissa bits, for |k| < 2^51. */
const SHIFTER: f64 = 6755399441055744;
const MIN_F64: f64 = -746; // e^-746 < 2^-1075: rounds to 0
const MAX_F64: f64 = 710; // e^710 > f64 max: rounds to +Inf
const LN2_HI_F32: f32 = 0.693359375; // 0x3f318000: 12 trailing zero bits
const LN2_LO_F32: f32 = -2.12194440e-4;
const MIN_F32: f32 = -104; // e^-104 < 2^-150: rounds to 0
const MAX_F32: f32 = 89; // e^89 > f32 max: rounds to +Inf

// q(r) for f64, degree 9 (fit error 1.0e-16 on q, so 1.3e-17 relative on e^r).
const Q0: f64 = 0.5000000000000001;
const Q1: f64 = 0.16666666666666669;
const Q2: f64 = 0.041666666666624164;
const Q3: f64 = 0.008333333333330065;
const Q4: f64 = 0.0013888888917196719;
const Q5: f64 = 0.00019841269863040545;
const Q6: f64 = 2.4801521322368692e-05;
const Q7: f64 = 2.7557268480310024e-06;
const Q8: f64 = 2.7620075879983367e-07;
const Q9: f64 = 2.5100375832561234e-08;

// q(r) for f32, degree 4 (fit error 6.5e-8 on q, so 8e-9 relative on e^r).
const P0: f32 = 0.5;
const P1: f32 = 0.16666577756404877;
const P2: f32 = 0.041666556149721146;
const P3: f32 = 0.008363173343241215;
const P4: f32 = 0.0013926175888627768;

/** x clamped to [lo, hi] by the comparisons of pmax(x, lo) then pmin(., hi): a NaN x stays NaN. */
// @ts-ignore: decorator
@inline
function clamp<T>(x: T, lo: T, hi: T): T {
  const above = x < lo ? lo : x;
  return hi < above ? hi : above;
}

/** e^x on both f64 lanes of x. */
// @ts-ignore: decorator
@inline
export function expF64x2(x: v128): v128 {
  const xc = f64x2.pmin(f64x2.pmax(x, f64x2.splat(MIN_F64)), f64x2.splat(MAX_F64));
  const kf = f64x2.nearest(f64x2.mul(xc, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(xc, f64x2.mul(kf, f64x2.splat(LN2_HI_F64))), f64x2.mul(kf, f64x2.splat(LN2_LO_F64)));
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const q01 = f64x2.add(f64x2.mul(f64x2.splat(Q1), r), f64x2.splat(Q0));
  const q23 = f64x2.add(f64x2.mul(f64x2.splat(Q3), r), f64x2.splat(Q2));
  const q45 = f64x2.add(f64x2.mul(f64x2.splat(Q5), r), f64x2.splat(Q4));
  const q67 = f64x2.add(f64x2.mul(f64x2.splat(Q7), r), f64x2.splat(Q6));
  const q89 = f64x2.add(f64x2.mul(f64x2.splat(Q9), r), f64x2.splat(Q8));
  const q47 = f64x2.add(f64x2.mul(q67, r2), q45);
  const q49 = f64x2.add(f64x2.mul(q89, r4), q47);
  const q = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(q49, r2), q23), r2), q01);
  const p = f64x2.add(f64x2.splat(1), f64x2.add(r, f64x2.mul(r2, q)));
  const k1 = f64x2.floor(f64x2.mul(kf, f64x2.splat(0.5)));
  const k2 = f64x2.sub(kf, k1);
  const s1 = i64x2.shl(i64x2.add(f64x2.add(k1, f64x2.splat(SHIFTER)), i64x2.splat(1023)), 52);
  const s2 = i64x2.shl(i64x2.add(f64x2.add(k2, f64x2.splat(SHIFTER)), i64x2.splat(1023)), 52);
  return f64x2.mul(f64x2.mul(p, s1), s2);
}

/** e^x, the same operations as one lane of expF64x2. */
// @ts-ignore: decorator
@inline
export function expF64(x: f64): f64 {
  const xc = clamp<f64>(x, MIN_F64, MAX_F64);
  const kf = nearest(xc * LOG2E);
  const r = (xc - kf * LN2_HI_F64) - kf * LN2_LO_F64;
  const r2 = r * r;
  const r4 = r2 * r2;
  const q47 = (Q7 * r + Q6) * r2 + (Q5 * r + Q4);
  const q49 = (Q9 * r + Q8) * r4 + q47;
  const q = (q49 * r2 + (Q3 * r + Q2)) * r2 + (Q1 * r + Q0);
  const p = 1 + (r + r2 * q);
  const k1 = floor(kf * 0.5);
  const k2 = kf - k1;
  const s1 = (reinterpret<i64>(k1 + SHIFTER) + 1023) << 52;
  const s2 = (reinterpret<i64>(k2 + SHIFTER) + 1023) << 52;
  return p * reinterpret<f64>(s1) * reinterpret<f64>(s2);
}

/** e^x on the four f32 lanes of x. */
// @ts-ignore: decorator
@inline
export function expF32x4(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(MIN_F32)), f32x4.splat(MAX_F32));
  const kf = f32x4.nearest(f32x4.mul(xc, f32x4.splat(<f32>LOG2E)));
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(kf, f32x4.splat(LN2_HI_F32))), f32x4.mul(kf, f32x4.splat(LN2_LO_F32)));
  let q = f32x4.add(f32x4.mul(f32x4.splat(P4), r), f32x4.splat(P3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(P2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(P1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(P0));
  const p = f32x4.add(f32x4.splat(1), f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q)));
  const k = i32x4.trunc_sat_f32x4_s(kf);
  const k1 = i32x4.shr_s(k, 1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(k1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(k, k1), bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^x, the same operations as one lane of expF32x4. */
// @ts-ignore: decorator
@inline
export function expF32(x: f32): f32 {
  const xc = clamp<f32>(x, MIN_F32, MAX_F32);
  const kf = nearest(xc * <f32>LOG2E);
  const r = (xc - kf * LN2_HI_F32) - kf * LN2_LO_F32;
  const q = (((P4 * r + P3) * r + P2) * r + P1) * r + P0;
  const p: f32 = 1 + (r + (r * r) * q);
  const k = <i32>kf;
  const k1 = k >> 1;
  return p * reinterpret<f32>((k1 + 127) << 23) * reinterpret<f32>((k - k1 + 127) << 23);
}
