// Reductions and elementwise passes over "segments": `rows` runs of `len` contiguous
// elements of T, run r starting `stride` elements after run r - 1. A batch-norm channel of
// an (N, C, S) tensor is N segments of S elements, C * S apart; a group-norm row is one
// segment. Shared by batchnorm.ts and groupnorm.ts.
//
// Accuracy scheme (blocked shifted sums merged in f64): the elements are cut into chunks of
// at most CHUNK elements. Within a chunk, partial sums run in T, in v128 lanes, of values
// shifted by the chunk's first element K (so data around 1e4 with spread 1e-2 sums its
// deviations, not its offset). Each chunk's sums then leave T: its mean K + S1/n and
// centered square sum S2 - S1^2/n are formed in f64 and merged into the running (count,
// mean, M2) by Chan et al.'s pairwise update. So rounding in T grows with the chunk size,
// not with N*H*W, and the merge is exact up to f64 rounding.

import { at, lanesOf, vadd, vmul, vsplat, vsub, vsumF64 } from "./lanes";

/** Elements per chunk: partial sums in T cover at most this many elements. */
export const CHUNK: i32 = 1024;

/**
 * f64x2(sum u, sum u * v) over rows r0..r1-1, columns s0..s1-1 of the segments at a (u)
 * and b (v), where u = a - shiftA and v = (b - shiftB) - loB, summed in T with two
 * accumulators per sum.
 */
// @ts-ignore: decorator
@inline
function chunkSums<T>(
  a: usize, b: usize, r0: i32, r1: i32, stride: i32, s0: i32, s1: i32, shiftA: T, shiftB: T, loB: T,
): v128 {
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
  const n = s1 - s0;
  const pairs = n & ~(2 * W - 1);
  const blocked = n & ~(W - 1);
  for (let r = r0; r < r1; r++) {
    const off = <i64>r * stride + s0;
    const pa = at<T>(a, off);
    const pb = at<T>(b, off);
    let i = 0;
    for (; i < pairs; i += 2 * W) {
      const ia = at<T>(pa, i);
      const ib = at<T>(pb, i);
      const u0 = vsub<T>(v128.load(ia), shiftAV);
      const u1 = vsub<T>(v128.load(ia, 16), shiftAV);
      const v0 = vsub<T>(vsub<T>(v128.load(ib), shiftBV), loBV);
      const v1 = vsub<T>(vsub<T>(v128.load(ib, 16), shiftBV), loBV);
      su0 = vadd<T>(su0, u0);
      su1 = vadd<T>(su1, u1);
      suv0 = vadd<T>(suv0, vmul<T>(u0, v0));
      suv1 = vadd<T>(suv1, vmul<T>(u1, v1));
    }
    for (; i < blocked; i += W) {
      const u0 = vsub<T>(v128.load(at<T>(pa, i)), shiftAV);
      const v0 = vsub<T>(vsub<T>(v128.load(at<T>(pb, i)), shiftBV), loBV);
      su0 = vadd<T>(su0, u0);
      suv0 = vadd<T>(suv0, vmul<T>(u0, v0));
    }
    for (; i < n; i++) {
      const u = load<T>(at<T>(pa, i)) - shiftA;
      const v = load<T>(at<T>(pb, i)) - shiftB - loB;
      su += u;
      suv += u * v;
    }
  }
  const sumU = vsumF64<T>(vadd<T>(su0, su1)) + <f64>su;
  const sumUV = vsumF64<T>(vadd<T>(suv0, suv1)) + <f64>suv;
  return f64x2.replace_lane(f64x2.splat(sumU), 1, sumUV);
}

/** Rows per chunk and columns per chunk for segments of `len` elements. */
// @ts-ignore: decorator
@inline
function rowsPerChunk(len: i32): i32 {
  return len >= CHUNK ? 1 : CHUNK / len;
}

/**
 * f64x2(mean, M2) of the `rows` segments of `len` elements at x (M2 = sum of squared
 * deviations from the mean), by blocked shifted sums merged in f64 (see the file head).
 */
export function segmentMoments<T>(x: usize, rows: i32, stride: i32, len: i32): v128 {
  const rowStep = rowsPerChunk(len);
  const colStep = min(len, CHUNK);
  let count: f64 = 0;
  let mean: f64 = 0;
  let m2: f64 = 0;
  for (let r0 = 0; r0 < rows; r0 += rowStep) {
    const r1 = min(rows, r0 + rowStep);
    for (let s0 = 0; s0 < len; s0 += colStep) {
      const s1 = min(len, s0 + colStep);
      const shift = load<T>(at<T>(x, <i64>r0 * stride + s0));
      const sums = chunkSums<T>(x, x, r0, r1, stride, s0, s1, shift, shift, <T>0);
      const nb = <f64>(r1 - r0) * <f64>(s1 - s0);
      const s = f64x2.extract_lane(sums, 0);
      const chunkMean = <f64>shift + s / nb;
      const chunkM2 = max<f64>(0, f64x2.extract_lane(sums, 1) - (s * s) / nb);
      const total = count + nb;
      const delta = chunkMean - mean;
      mean += delta * (nb / total);
      m2 += chunkM2 + delta * delta * ((count * nb) / total);
      count = total;
    }
  }
  return f64x2.replace_lane(f64x2.splat(mean), 1, m2);
}

/**
 * f64x2(sum dy, sum dy * xc) over the `rows` segments of `len` elements at x and dy, where
 * xc = (x - hi) - lo is x centered on the mean hi + lo; T partial sums per chunk, f64 across.
 */
export function segmentGradSums<T>(x: usize, dy: usize, rows: i32, stride: i32, len: i32, hi: T, lo: T): v128 {
  const rowStep = rowsPerChunk(len);
  const colStep = min(len, CHUNK);
  let sums = f64x2.splat(0);
  for (let r0 = 0; r0 < rows; r0 += rowStep) {
    const r1 = min(rows, r0 + rowStep);
    for (let s0 = 0; s0 < len; s0 += colStep) {
      const s1 = min(len, s0 + colStep);
      sums = f64x2.add(sums, chunkSums<T>(dy, x, r0, r1, stride, s0, s1, <T>0, hi, lo));
    }
  }
  return sums;
}

/** y = ((x - hi) - lo) * a + b over the segments: the normalize-scale-shift pass. */
export function affineSegments<T>(x: usize, y: usize, rows: i32, stride: i32, len: i32, hi: T, lo: T, a: T, b: T): void {
  const W = lanesOf<T>();
  const hiV = vsplat<T>(hi);
  const loV = vsplat<T>(lo);
  const aV = vsplat<T>(a);
  const bV = vsplat<T>(b);
  const blocked = len & ~(W - 1);
  for (let r = 0; r < rows; r++) {
    const off = <i64>r * stride;
    const px = at<T>(x, off);
    const py = at<T>(y, off);
    let i = 0;
    for (; i < blocked; i += W) {
      const xc = vsub<T>(vsub<T>(v128.load(at<T>(px, i)), hiV), loV);
      v128.store(at<T>(py, i), vadd<T>(vmul<T>(xc, aV), bV));
    }
    for (; i < len; i++) store<T>(at<T>(py, i), (load<T>(at<T>(px, i)) - hi - lo) * a + b);
  }
}

/** dx = A * dy + B * ((x - hi) - lo) + D over the segments: the input-gradient pass. */
export function gradSegments<T>(
  x: usize, dy: usize, dx: usize, rows: i32, stride: i32, len: i32, hi: T, lo: T, A: T, B: T, D: T,
): void {
  const W = lanesOf<T>();
  const hiV = vsplat<T>(hi);
  const loV = vsplat<T>(lo);
  const AV = vsplat<T>(A);
  const BV = vsplat<T>(B);
  const DV = vsplat<T>(D);
  const blocked = len & ~(W - 1);
  for (let r = 0; r < rows; r++) {
    const off = <i64>r * stride;
    const px = at<T>(x, off);
    const pdy = at<T>(dy, off);
    const pdx = at<T>(dx, off);
    let i = 0;
    for (; i < blocked; i += W) {
      const xc = vsub<T>(vsub<T>(v128.load(at<T>(px, i)), hiV), loV);
      const g = vadd<T>(vmul<T>(AV, v128.load(at<T>(pdy, i))), vadd<T>(vmul<T>(BV, xc), DV));
      v128.store(at<T>(pdx, i), g);
    }
    for (; i < len; i++) {
      const xc = load<T>(at<T>(px, i)) - hi - lo;
      store<T>(at<T>(pdx, i), A * load<T>(at<T>(pdy, i)) + (B * xc + D));
    }
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
