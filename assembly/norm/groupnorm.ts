// Group normalization (Wu & He 2018) over x of shape (N, G * Cg, S): each of the R = N * G
// rows (sample n, group g) holds L = Cg * S contiguous elements and is normalized by its own
// statistics; gamma and beta have one entry per channel (G * Cg of them). The same kernel
// is layer normalization (G = 1, Cg = the D trailing features, S = 1: gamma per feature)
// and instance normalization (G = C, Cg = 1, S = H * W). Per row:
//   mean = (1/L) sum x,  var = (1/L) sum (x - mean)^2,  invstd = 1 / sqrt(var + eps)
//   xhat = (x - mean) invstd,  y = gamma[ch] xhat + beta[ch]
// Backward, with dxhat = gamma[ch] dy:
//   dbeta[ch] += sum over its elements of dy,  dgamma[ch] += sum dy xhat
//   dx = invstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))      (means over the row)
// written as dx = invstd (gamma[ch] dy + B xc + D) with xc = x - mean,
//   B = -invstd^2 sum(dxhat xc) / L,  D = -sum(dxhat) / L
// (invstd factored out: B xc stays in range where invstd^3 alone would not; segments.ts).
//
// Passes: forward reads each row twice (statistics, then normalize), backward reads x and
// dy of each row twice (sums, then dx); a row is finished before the next starts, so the
// second read hits cache. Statistics as in segments.ts (blocked shifted sums, f64 merge).
// When S = 1, gamma varies along the row and is loaded in v128 lanes beside x; otherwise
// each channel is a run of S elements with a scalar gamma.
//
// stats: 3 rows of R f64, [mean | var | invstd], written by the forward and read by the
// backward, then 4 rows of C = G * Cg f64 of backward scratch (3 R + 4 C f64 in all).
// dgamma and dbeta are accumulated into (+=): the batch's totals gather in f64 first.
// Memory contract: buffers disjoint except y may alias x and dx may alias dy; any alignment.

import { at, lanesOf, vadd, vmul, vsplat, vsub, vsumF64 } from "./lanes";
import {
  CHUNK, PerElement, PerRun, affineSegment, gradSegment, segmentGradSums, segmentMoments, splitHi, splitLo, statsAt,
} from "./segments";

const MEAN = 0;
const VAR = 1;
const INVSTD = 2;

/**
 * f64x2(sum dy gamma, sum dy gamma xc) over len elements with gamma elementwise, chunked
 * like segments.ts (a chunk whose f32 sums overflow is summed again in f64); on the way the
 * T partial sums dgamma += dy (xc invstd) and dbeta += dy, elementwise (xc invstd = xhat
 * first: dy xc can overflow f32 where dy xhat does not).
 */
function elementwiseGradSums<T>(
  x: usize, dy: usize, gamma: usize, dgamma: usize, dbeta: usize, len: i32, hi: T, lo: T, invstd: T,
): v128 {
  const W = lanesOf<T>();
  const hiV = vsplat<T>(hi);
  const loV = vsplat<T>(lo);
  const invstdV = vsplat<T>(invstd);
  const blocked = len & ~(W - 1);
  let s1: f64 = 0;
  let s2: f64 = 0;
  for (let i0 = 0; i0 < len; i0 += CHUNK) {
    const i1 = min(len, i0 + CHUNK);
    const blockedEnd = min(i1, blocked);
    let a1 = vsplat<T>(<T>0);
    let a2 = a1;
    let t1: T = <T>0;
    let t2: T = <T>0;
    let i = i0;
    for (; i < blockedEnd; i += W) {
      const g = v128.load(at<T>(dy, i));
      const xc = vsub<T>(vsub<T>(v128.load(at<T>(x, i)), hiV), loV);
      const gg = vmul<T>(g, v128.load(at<T>(gamma, i)));
      a1 = vadd<T>(a1, gg);
      a2 = vadd<T>(a2, vmul<T>(gg, xc));
      const pg = at<T>(dgamma, i);
      const pb = at<T>(dbeta, i);
      v128.store(pg, vadd<T>(v128.load(pg), vmul<T>(g, vmul<T>(xc, invstdV))));
      v128.store(pb, vadd<T>(v128.load(pb), g));
    }
    for (; i < i1; i++) {
      const g = load<T>(at<T>(dy, i));
      const xc = load<T>(at<T>(x, i)) - hi - lo;
      const gg = g * load<T>(at<T>(gamma, i));
      t1 += gg;
      t2 += gg * xc;
      store<T>(at<T>(dgamma, i), load<T>(at<T>(dgamma, i)) + g * (xc * invstd));
      store<T>(at<T>(dbeta, i), load<T>(at<T>(dbeta, i)) + g);
    }
    const c1 = vsumF64<T>(a1) + <f64>t1;
    const c2 = vsumF64<T>(a2) + <f64>t2;
    if (sizeof<T>() == 4 && !isFinite(c1 + c2)) {
      const sums = weightedSumsInF64<T>(at<T>(x, i0), at<T>(dy, i0), at<T>(gamma, i0), i1 - i0, hi, lo);
      s1 += f64x2.extract_lane(sums, 0);
      s2 += f64x2.extract_lane(sums, 1);
    } else {
      s1 += c1;
      s2 += c2;
    }
  }
  return f64x2.replace_lane(f64x2.splat(s1), 1, s2);
}

/** f64x2(sum dy gamma, sum dy gamma xc) over n elements in f64 (scalar): the fallback for f32 chunks that overflowed. */
function weightedSumsInF64<T>(x: usize, dy: usize, gamma: usize, n: i32, hi: T, lo: T): v128 {
  let s1: f64 = 0;
  let s2: f64 = 0;
  for (let i = 0; i < n; i++) {
    const gg = <f64>load<T>(at<T>(dy, i)) * <f64>load<T>(at<T>(gamma, i));
    s1 += gg;
    s2 += gg * (<f64>load<T>(at<T>(x, i)) - <f64>hi - <f64>lo);
  }
  return f64x2.replace_lane(f64x2.splat(s1), 1, s2);
}

function groupnormForward<T>(
  x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, G: i32, Cg: i32, S: i32, eps: f64,
): void {
  const L = Cg * S;
  const R = N * G;
  const meanLo = statsAt(stats, R, 3, 0); // the low part of a row's two-part mean (backward scratch)
  for (let r = 0; r < R; r++) {
    const base = <i64>r * L;
    // An empty row (S = 0) has mean 0 and variance 0, so its backward adds nothing (not NaN).
    store<f64>(statsAt(stats, R, MEAN, r), 0);
    store<f64>(meanLo, 0);
    store<f64>(statsAt(stats, R, VAR, r), 0);
    segmentMoments<T>(at<T>(x, base), L, statsAt(stats, R, MEAN, r), meanLo, statsAt(stats, R, VAR, r), 0);
    const mean = load<f64>(statsAt(stats, R, MEAN, r)) + load<f64>(meanLo);
    const variance = L > 0 ? load<f64>(statsAt(stats, R, VAR, r)) / <f64>L : 0;
    store<f64>(statsAt(stats, R, MEAN, r), mean);
    const invstd = 1 / Math.sqrt(variance + eps);
    store<f64>(statsAt(stats, R, VAR, r), variance);
    store<f64>(statsAt(stats, R, INVSTD, r), invstd);
    const hi = splitHi<T>(mean);
    const lo = splitLo<T>(mean);
    const ch0 = <i64>(r % G) * Cg;
    if (S == 1) {
      affineSegment<T, PerElement>(at<T>(x, base), at<T>(y, base), L, hi, lo, at<T>(gamma, ch0), at<T>(beta, ch0), <T>invstd, <T>0);
    } else {
      for (let j = 0; j < Cg; j++) {
        const off = base + <i64>j * S;
        const a = load<T>(at<T>(gamma, ch0 + j)) * <T>invstd;
        affineSegment<T, PerRun>(at<T>(x, off), at<T>(y, off), S, hi, lo, 0, 0, a, load<T>(at<T>(beta, ch0 + j)));
      }
    }
  }
}

/** acc[c] += part[c] (f64 += T) and part[c] = 0, for c < C: moves T partial sums into f64. */
function flushPartials<T>(acc: usize, part: usize, C: i32): void {
  for (let c = 0; c < C; c++) {
    store<f64>(at<f64>(acc, c), load<f64>(at<f64>(acc, c)) + <f64>load<T>(at<T>(part, c)));
    store<T>(at<T>(part, c), <T>0);
  }
}

function groupnormBackward<T>(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize,
  N: i32, G: i32, Cg: i32, S: i32,
): void {
  const L = Cg * S;
  const R = N * G;
  const C = G * Cg;
  // Parameter gradients gather in f64 (accGamma, accBeta); with S = 1 each row adds one term
  // per channel, so rows first add into T partial sums (partGamma, partBeta) that move to f64
  // every CHUNK rows. Only the totals reach dgamma and dbeta.
  const accGamma = statsAt(stats, R, 3, 0);
  const accBeta = accGamma + <usize>C * 8;
  const partGamma = accBeta + <usize>C * 8;
  const partBeta = partGamma + <usize>C * 8;
  memory.fill(accGamma, 0, <usize>C * 32);
  for (let r = 0; r < R; r++) {
    const base = <i64>r * L;
    const mean = load<f64>(statsAt(stats, R, MEAN, r));
    const invstd = load<f64>(statsAt(stats, R, INVSTD, r));
    const hi = splitHi<T>(mean);
    const lo = splitLo<T>(mean);
    const ch0 = <i64>(r % G) * Cg;
    let sumG: f64 = 0; // sum dxhat
    let sumGX: f64 = 0; // sum dxhat xc
    if (S == 1) {
      const sums = elementwiseGradSums<T>(
        at<T>(x, base), at<T>(dy, base), at<T>(gamma, ch0), at<T>(partGamma, ch0), at<T>(partBeta, ch0), L, hi, lo, <T>invstd,
      );
      sumG = f64x2.extract_lane(sums, 0);
      sumGX = f64x2.extract_lane(sums, 1);
      if ((r + 1) % CHUNK == 0) {
        flushPartials<T>(accGamma, partGamma, C);
        flushPartials<T>(accBeta, partBeta, C);
      }
    } else {
      for (let j = 0; j < Cg; j++) {
        const off = base + <i64>j * S;
        const sums = segmentGradSums<T>(at<T>(x, off), at<T>(dy, off), S, hi, lo);
        const sumDy = f64x2.extract_lane(sums, 0);
        const sumDyX = f64x2.extract_lane(sums, 1);
        const pb = at<f64>(accBeta, ch0 + j);
        const pg = at<f64>(accGamma, ch0 + j);
        store<f64>(pb, load<f64>(pb) + sumDy);
        store<f64>(pg, load<f64>(pg) + sumDyX * invstd);
        const g = <f64>load<T>(at<T>(gamma, ch0 + j));
        sumG += g * sumDy;
        sumGX += g * sumDyX;
      }
    }
    const B = <T>(((-invstd * sumGX) / <f64>L) * invstd);
    const D = <T>(-sumG / <f64>L);
    if (S == 1) {
      gradSegment<T, PerElement>(at<T>(x, base), at<T>(dy, base), at<T>(dx, base), L, hi, lo, at<T>(gamma, ch0), <T>0, <T>invstd, B, D);
    } else {
      for (let j = 0; j < Cg; j++) {
        const off = base + <i64>j * S;
        const g = load<T>(at<T>(gamma, ch0 + j));
        gradSegment<T, PerRun>(at<T>(x, off), at<T>(dy, off), at<T>(dx, off), S, hi, lo, 0, g, <T>invstd, B, D);
      }
    }
  }
  flushPartials<T>(accGamma, partGamma, C);
  flushPartials<T>(accBeta, partBeta, C);
  for (let c = 0; c < C; c++) {
    store<T>(at<T>(dgamma, c), <T>(<f64>load<T>(at<T>(dgamma, c)) + load<f64>(at<f64>(accGamma, c))));
    store<T>(at<T>(dbeta, c), <T>(<f64>load<T>(at<T>(dbeta, c)) + load<f64>(at<f64>(accBeta, c))));
  }
}

// The kernels: pointers are byte addresses; N, G, Cg, S element counts; stats is f64 (3 N G + 4 G Cg).

export function f32_groupnorm_forward(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, G: i32, Cg: i32, S: i32, eps: f64): void {
  groupnormForward<f32>(x, y, gamma, beta, stats, N, G, Cg, S, eps);
}

export function f64_groupnorm_forward(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, G: i32, Cg: i32, S: i32, eps: f64): void {
  groupnormForward<f64>(x, y, gamma, beta, stats, N, G, Cg, S, eps);
}

export function f32_groupnorm_backward(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize, N: i32, G: i32, Cg: i32, S: i32,
): void {
  groupnormBackward<f32>(x, dy, dx, gamma, stats, dgamma, dbeta, N, G, Cg, S);
}

export function f64_groupnorm_backward(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize, N: i32, G: i32, Cg: i32, S: i32,
): void {
  groupnormBackward<f64>(x, dy, dx, gamma, stats, dgamma, dbeta, N, G, Cg, S);
}
