// Reductions and elementwise passes over one "segment": `len` contiguous elements of T,
// such as a (sample, channel) plane of an NCHW batch or a group-norm row. Shared by
// batchnorm.ts and groupnorm.ts.
//
// Accuracy scheme (blocked shifted sums merged in f64): a segment is cut into chunks of at
// most CHUNK elements. Within a chunk, partial sums run in T, in v128 lanes, of values
// shifted by the chunk's first element K (so data around 1e4 with spread 1e-2 sums its
// deviations, not its offset). Each chunk's sums then leave T: its mean K + S1/n and
// centered square sum S2 - S1^2/n are formed in f64 and merged into the running (count,
// mean, M2) by Chan, Golub & LeVeque's pairwise update (mergeMoments). So rounding in T
// grows with the chunk size, not with N*H*W, and the merges are exact up to f64 rounding.
// Range: in f32, squares and products overflow once deviations pass about 1.8e19 (data
// around 1e30 are finite, their variance is not an f32); a chunk whose f32 sums come out
// non-finite is summed again in f64 (sumsInF64), so finite data give finite statistics.

import { at, lanesOf, vadd, vmul, vsplat, vsub, vsumF64 } from "./lanes";

/** Elements per chunk: partial sums in T cover at most this many elements. */
export const CHUNK: i32 = 1024;

/**
 * Address of entry i of row k of a statistics buffer: rows of `width` f64 each (mean,
 * var, invstd, ... for `width` channels or normalized rows).
 */
// @ts-ignore: decorator
@inline
export function statsAt(stats: usize, width: i32, k: i32, i: i32): usize {
  return stats + (<usize>k * <usize>width + <usize>i) * 8;
}

/**
 * Chan et al.'s update: merges a chunk of nb values with mean shift + offset and centered
 * square sum chunkM2 into the (mean, M2) stored as f64 at pMean, pLo and pM2, which summarize
 * `count` values (nothing is read when count = 0). The mean is kept in two parts, hi (pMean)
 * + lo (pLo): for nearly constant data (spread 1e-11 of the offset) the chunk means differ
 * from each other by less than a thousand ulps of the offset, and a one-part mean rounded at
 * each merge puts a relative error of up to 1e-4 into delta and so into M2.
 */
// @ts-ignore: decorator
@inline
export function mergeMoments(pMean: usize, pLo: usize, pM2: usize, count: f64, shift: f64, offset: f64, chunkM2: f64, nb: f64): void {
  if (count == 0) {
    store<f64>(pMean, shift);
    store<f64>(pLo, offset);
    store<f64>(pM2, chunkM2);
    return;
  }
  const total = count + nb;
  const hi = load<f64>(pMean);
  const lo = load<f64>(pLo);
  const delta = (shift - hi) + (offset - lo);
  // (hi, lo) += delta nb / total, renormalized by Knuth's TwoSum: sum + err = hi + tail exactly.
  const tail = lo + delta * (nb / total);
  const sum = hi + tail;
  const back = sum - hi;
  store<f64>(pMean, sum);
  store<f64>(pLo, (hi - (sum - back)) + (tail - back));
  store<f64>(pM2, load<f64>(pM2) + chunkM2 + delta * delta * ((count * nb) / total));
}

/**
 * f64x2(sum u, sum u * v) over n elements at a (u) and b (v), u = a - shiftA and
 * v = (b - shiftB) - loB, summed in T with two accumulators per sum. f32 sums that overflowed,
 * and with SQUARES (u = v) f32 sums of squares that may have underflowed, are redone in f64.
 */
// @ts-ignore: decorator
@inline
function chunkSums<T>(a: usize, b: usize, n: i32, shiftA: T, shiftB: T, loB: T, SQUARES: bool): v128 {
  const W = lanesOf<T>();
  const shiftAV = vsplat<T>(shiftA);
  const shiftBV = vsplat<T>(shiftB);
  const loBV = vsplat<T>(loB);
  let su0 = vsplat<T>(<T>0);
  let su1 = su0;
  let suv0 = su0;
  let suv1 = su0;
  let su: T = <T>0;
  let suv: T = <T>0;
  let bits = v128.splat<i32>(0); // OR of every u's bits: zero iff each u is +0 (a constant chunk)
  const pairs = n & ~(2 * W - 1);
  const blocked = n & ~(W - 1);
  let i = 0;
  for (; i < pairs; i += 2 * W) {
    const ia = at<T>(a, i);
    const ib = at<T>(b, i);
    const u0 = vsub<T>(v128.load(ia), shiftAV);
    const u1 = vsub<T>(v128.load(ia, 16), shiftAV);
    const v0 = vsub<T>(vsub<T>(v128.load(ib), shiftBV), loBV);
    const v1 = vsub<T>(vsub<T>(v128.load(ib, 16), shiftBV), loBV);
    su0 = vadd<T>(su0, u0);
    su1 = vadd<T>(su1, u1);
    suv0 = vadd<T>(suv0, vmul<T>(u0, v0));
    suv1 = vadd<T>(suv1, vmul<T>(u1, v1));
    if (SQUARES) bits = v128.or(bits, v128.or(u0, u1));
  }
  for (; i < blocked; i += W) {
    const u0 = vsub<T>(v128.load(at<T>(a, i)), shiftAV);
    const v0 = vsub<T>(vsub<T>(v128.load(at<T>(b, i)), shiftBV), loBV);
    su0 = vadd<T>(su0, u0);
    suv0 = vadd<T>(suv0, vmul<T>(u0, v0));
    if (SQUARES) bits = v128.or(bits, u0);
  }
  for (; i < n; i++) {
    const u = load<T>(at<T>(a, i)) - shiftA;
    const v = load<T>(at<T>(b, i)) - shiftB - loB;
    su += u;
    suv += u * v;
    if (SQUARES) bits = v128.or(bits, vsplat<T>(u));
  }
  const sumU = vsumF64<T>(vadd<T>(su0, su1)) + <f64>su;
  const sumUV = vsumF64<T>(vadd<T>(suv0, suv1)) + <f64>suv;
  const underflow = SQUARES && squaresMayUnderflow<T>(sumUV, <f64>n) && v128.any_true(bits);
  if (sizeof<T>() == 4 && (!isFinite(sumU + sumUV) || underflow)) return sumsInF64<T>(a, b, n, shiftA, shiftB, loB);
  return f64x2.replace_lane(f64x2.splat(sumU), 1, sumUV);
}

/**
 * chunkSums in f64 (scalar): f64x2(sum u, sum u * v) with u = a - shiftA, v = (b - shiftB) - loB.
 * The fallback for f32 chunks whose sums overflowed or underflowed; f32 products are exact in f64.
 */
export function sumsInF64<T>(a: usize, b: usize, n: i32, shiftA: T, shiftB: T, loB: T): v128 {
  let su: f64 = 0;
  let suv: f64 = 0;
  for (let i = 0; i < n; i++) {
    const u = <f64>load<T>(at<T>(a, i)) - <f64>shiftA;
    su += u;
    suv += u * (<f64>load<T>(at<T>(b, i)) - <f64>shiftB - <f64>loB);
  }
  return f64x2.replace_lane(f64x2.splat(su), 1, suv);
}

/**
 * Whether an f32 sum of n squared deviations may have lost accuracy to underflow: squares below
 * 2^-126 are subnormal or 0 in f32 (data around 1e-30 square to 1e-60), so a sum under
 * n 2^-100 is redone in f64, unless every deviation is exactly 0 (a constant chunk), which the
 * callers check.
 */
// @ts-ignore: decorator
@inline
export function squaresMayUnderflow<T>(sumSquares: f64, n: f64): bool {
  return sizeof<T>() == 4 && sumSquares < n * 7.888609052210118e-31; // 2^-100
}

/**
 * Merges the len elements at x into the (mean hi + lo, M2) at pMean, pLo, pM2 that summarize
 * `count` values, chunk by chunk (see the file head and mergeMoments).
 */
export function segmentMoments<T>(x: usize, len: i32, pMean: usize, pLo: usize, pM2: usize, count: f64): void {
  for (let s0 = 0; s0 < len; s0 += CHUNK) {
    const n = min(len - s0, CHUNK);
    const p = at<T>(x, s0);
    const shift = load<T>(p);
    const nb = <f64>n;
    const sums = chunkSums<T>(p, p, n, shift, shift, <T>0, true);
    const s = f64x2.extract_lane(sums, 0);
    const chunkM2 = max<f64>(0, f64x2.extract_lane(sums, 1) - (s * s) / nb);
    mergeMoments(pMean, pLo, pM2, count, <f64>shift, s / nb, chunkM2, nb);
    count += nb;
  }
}

/**
 * f64x2(sum dy, sum dy * xc) over the len elements at x and dy, xc = (x - hi) - lo being x
 * centered on the mean hi + lo; T partial sums per chunk, f64 across chunks.
 */
export function segmentGradSums<T>(x: usize, dy: usize, len: i32, hi: T, lo: T): v128 {
  let sums = f64x2.splat(0);
  for (let s0 = 0; s0 < len; s0 += CHUNK) {
    sums = f64x2.add(sums, chunkSums<T>(at<T>(dy, s0), at<T>(x, s0), min(len - s0, CHUNK), <T>0, hi, lo, false));
  }
  return sums;
}

/**
 * Where the scale, weight and shift of the elementwise passes come from. PerRun: one value
 * for the whole segment (a channel's gamma invstd in batch and group norm). PerElement: an
 * array entry per element (layer norm's gamma[k] invstd as the scale, gamma[k] as the weight,
 * beta[k] as the shift). Passed as a
 * type argument and called on a null reference of a final class with inline methods, so the
 * choice costs nothing at run time.
 */
@final
export class PerRun {
  // @ts-ignore: decorator
  @inline scale<T>(p: usize, i: i32, s: v128): v128 {
    return s;
  }
  // @ts-ignore: decorator
  @inline scaleAt<T>(p: usize, i: i32, s: T): T {
    return s;
  }
  // @ts-ignore: decorator
  @inline weight<T>(p: usize, i: i32, w: v128): v128 {
    return w;
  }
  // @ts-ignore: decorator
  @inline weightAt<T>(p: usize, i: i32, w: T): T {
    return w;
  }
  // @ts-ignore: decorator
  @inline shift<T>(p: usize, i: i32, b: v128): v128 {
    return b;
  }
  // @ts-ignore: decorator
  @inline shiftAt<T>(p: usize, i: i32, b: T): T {
    return b;
  }
}

@final
export class PerElement {
  // @ts-ignore: decorator
  @inline scale<T>(p: usize, i: i32, s: v128): v128 {
    return vmul<T>(v128.load(at<T>(p, i)), s);
  }
  // @ts-ignore: decorator
  @inline scaleAt<T>(p: usize, i: i32, s: T): T {
    return load<T>(at<T>(p, i)) * s;
  }
  // @ts-ignore: decorator
  @inline weight<T>(p: usize, i: i32, w: v128): v128 {
    return v128.load(at<T>(p, i));
  }
  // @ts-ignore: decorator
  @inline weightAt<T>(p: usize, i: i32, w: T): T {
    return load<T>(at<T>(p, i));
  }
  // @ts-ignore: decorator
  @inline shift<T>(p: usize, i: i32, b: v128): v128 {
    return v128.load(at<T>(p, i));
  }
  // @ts-ignore: decorator
  @inline shiftAt<T>(p: usize, i: i32, b: T): T {
    return load<T>(at<T>(p, i));
  }
}

/**
 * y = ((x - hi) - lo) * scale + shift over len elements: the normalize-scale-shift pass.
 * P = PerRun: scale = a, shift = b. P = PerElement: scale = scales[i] * a, shift = shifts[i].
 */
export function affineSegment<T, P>(
  x: usize, y: usize, len: i32, hi: T, lo: T, scales: usize, shifts: usize, a: T, b: T,
): void {
  const policy = changetype<P>(0);
  const W = lanesOf<T>();
  const hiV = vsplat<T>(hi);
  const loV = vsplat<T>(lo);
  const aV = vsplat<T>(a);
  const bV = vsplat<T>(b);
  const blocked = len & ~(W - 1);
  let i = 0;
  for (; i < blocked; i += W) {
    const xc = vsub<T>(vsub<T>(v128.load(at<T>(x, i)), hiV), loV);
    v128.store(at<T>(y, i), vadd<T>(vmul<T>(xc, policy.scale<T>(scales, i, aV)), policy.shift<T>(shifts, i, bV)));
  }
  for (; i < len; i++) {
    const xc = load<T>(at<T>(x, i)) - hi - lo;
    store<T>(at<T>(y, i), xc * policy.scaleAt<T>(scales, i, a) + policy.shiftAt<T>(shifts, i, b));
  }
}

/**
 * dx = K (w dy + B ((x - hi) - lo) + D) over len elements: the input-gradient pass.
 * P = PerRun: w is the run's scalar. P = PerElement: w = weights[i].
 * K (a multiple of invstd) is factored out so that B, of the size of invstd mean(dy xhat),
 * stays in range in T: the unfactored coefficient of xc is of order invstd^2, which underflows
 * f32 for data around 1e30 (and overflows it around 1e-30) while dx itself is an ordinary number.
 */
export function gradSegment<T, P>(
  x: usize, dy: usize, dx: usize, len: i32, hi: T, lo: T, weights: usize, w: T, K: T, B: T, D: T,
): void {
  const policy = changetype<P>(0);
  const W = lanesOf<T>();
  const hiV = vsplat<T>(hi);
  const loV = vsplat<T>(lo);
  const wV = vsplat<T>(w);
  const KV = vsplat<T>(K);
  const BV = vsplat<T>(B);
  const DV = vsplat<T>(D);
  const blocked = len & ~(W - 1);
  let i = 0;
  for (; i < blocked; i += W) {
    const xc = vsub<T>(vsub<T>(v128.load(at<T>(x, i)), hiV), loV);
    const wdy = vmul<T>(policy.weight<T>(weights, i, wV), v128.load(at<T>(dy, i)));
    v128.store(at<T>(dx, i), vmul<T>(KV, vadd<T>(wdy, vadd<T>(vmul<T>(BV, xc), DV))));
  }
  for (; i < len; i++) {
    const xc = load<T>(at<T>(x, i)) - hi - lo;
    store<T>(at<T>(dx, i), K * (policy.weightAt<T>(weights, i, w) * load<T>(at<T>(dy, i)) + (B * xc + D)));
  }
}

/** The two-term split of an f64 value for T: hi = T(v); lo = T(v - hi) (0 for f64). */
// @ts-ignore: decorator
@inline
export function splitHi<T>(v: f64): T {
  return <T>v;
}

// @ts-ignore: decorator
@inline
export function splitLo<T>(v: f64): T {
  return <T>(v - <f64>(<T>v));
}
