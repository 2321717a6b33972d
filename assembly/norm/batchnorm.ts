// Batch normalization, Goodfellow et al. (2016), section 8.7.1 (Ioffe & Szegedy 2015), over
// x of shape (N, C, S): S = 1 for (N, C) inputs, S = H * W for NCHW. Per channel c, over the
// M = N * S elements of that channel:
//   mean = (1/M) sum x,   var = (1/M) sum (x - mean)^2            (biased)
//   invstd = 1 / sqrt(var + eps),   xhat = (x - mean) invstd,   y = gamma xhat + beta
//   book form (Goodfellow et al. 2016, eq. 8.35; `book` != 0): invstd = 1 / (sqrt(var) + eps)
// Backward (the compact closed form):
//   dbeta = sum dy,   dgamma = sum dy xhat
//   dx = gamma invstd (dy - dbeta / M - xhat dgamma / M) = A (dy + B (x - mean) + D)
//   with A = gamma invstd, B = -K dgamma / M, D = -dbeta / M (A factored out so that
//   B (x - mean) stays in range in T where A invstd would not; see segments.ts, gradSegment).
//   K = 2 d(1/invstd)/d(var) = invstd; in the book form 1 / sqrt(var), and 0 where var = 0
//   (then x - mean = 0 and dgamma = 0: the sqrt's infinite slope multiplies nothing).
// With frozen statistics (evaluation mode) mean and invstd are constants: dx = A dy (B = D = 0).
//
// Passes: the forward reads x twice (statistics, then normalize), the backward reads x and
// dy twice (two sums, then dx). Both walk memory in order, so every pass streams: the
// channel of an NCHW batch is N planes spread over the whole tensor, and visiting them
// channel by channel would stride by C * S elements (4 KiB-aliased for the usual sizes).
//  - S = 1: rows of C channels, v128 across channels; per-channel partial sums live in T
//    arrays (scratch slots), a chunk of up to CHUNK rows at a time, four rows per sweep.
//  - S > 1: each (sample, channel) plane is a contiguous segment, v128 along S.
// Statistics: blocked shifted sums merged in f64 (segments.ts; f32 sums that overflow are
// redone in f64). The f64 mean enters the T passes split as hi + lo (hi = T(mean)), so
// x - mean keeps its accuracy far from zero.
//
// stats: 10 rows of C f64: [mean | var | invstd | acc0 | acc1 | 4 scratch slots | K].
// The forward writes mean, var, invstd and K (what the backward needs), keeping the low part of its
// two-part running mean in acc0; the backward reads them and uses the rest. dgamma and dbeta are accumulated into (+=), never overwritten.
// Memory contract: buffers disjoint except y may alias x and dx may alias dy; any alignment.

import { at, lanesOf, vadd, vmul, vsub } from "./lanes";
import {
  CHUNK, PerRun, affineSegment, gradSegment, mergeMoments, segmentGradSums, segmentMoments, splitHi, splitLo,
  squaresMayUnderflow, statsAt,
} from "./segments";

// Rows of the stats buffer.
const MEAN = 0;
const VAR = 1;
const INVSTD = 2;
const ACC0 = 3;
const ACC1 = 4;
const SLOT0 = 5;
const CURVATURE = 9;
// The facade allocates 10 rows of C f64 for `stats` (BATCH_NORM_STATS_ROWS in src/norm/batchnorm.ts).

/** invstd and K of a channel of variance `variance`, in the standard or the book form. */
// @ts-ignore: decorator
@inline
function storeScales(stats: usize, C: i32, c: i32, variance: f64, eps: f64, book: i32): void {
  if (book) {
    const sigma = Math.sqrt(variance);
    store<f64>(statsAt(stats, C, INVSTD, c), 1 / (sigma + eps));
    store<f64>(statsAt(stats, C, CURVATURE, c), sigma > 0 ? 1 / sigma : 0);
  } else {
    const invstd = 1 / Math.sqrt(variance + eps);
    store<f64>(statsAt(stats, C, INVSTD, c), invstd);
    store<f64>(statsAt(stats, C, CURVATURE, c), invstd);
  }
}

/** Scratch slot i (0..3) of the stats buffer, used as an array of C elements of T. */
// @ts-ignore: decorator
@inline
function slot(stats: usize, C: i32, i: i32): usize {
  return statsAt(stats, C, SLOT0 + i, 0);
}

// @ts-ignore: decorator
@inline
function fillZero<T>(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n * sizeof<T>());
}

/**
 * For rows r0..r1-1 of (N, C) matrices a and b, and every channel c:
 *   accU[c] += sum (a - kA[c]),   accUV[c] += sum (a - kA[c]) (b - kB[c])
 * in T, four rows per sweep over the channels (v128 across channels, scalar leftovers).
 * With SQUARES, bits[c] becomes nonzero once any a - kA[c] is nonzero (see channelSums).
 */
// @ts-ignore: decorator
@inline
function columnSums<T>(
  a: usize, b: usize, kA: usize, kB: usize, r0: i32, r1: i32, C: i32, accU: usize, accUV: usize, bits: usize, SQUARES: bool,
): void {
  const W = lanesOf<T>();
  const Cv = C & ~(W - 1);
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const a0 = at<T>(a, <i64>r * C);
    const b0 = at<T>(b, <i64>r * C);
    const step = at<T>(0, C);
    let c = 0;
    for (; c < Cv; c += W) {
      const o = at<T>(0, c);
      const ka = v128.load(kA + o);
      const kb = v128.load(kB + o);
      const u0 = vsub<T>(v128.load(a0 + o), ka);
      const u1 = vsub<T>(v128.load(a0 + step + o), ka);
      const u2 = vsub<T>(v128.load(a0 + 2 * step + o), ka);
      const u3 = vsub<T>(v128.load(a0 + 3 * step + o), ka);
      const v0 = vsub<T>(v128.load(b0 + o), kb);
      const v1 = vsub<T>(v128.load(b0 + step + o), kb);
      const v2 = vsub<T>(v128.load(b0 + 2 * step + o), kb);
      const v3 = vsub<T>(v128.load(b0 + 3 * step + o), kb);
      const su = vadd<T>(vadd<T>(u0, u1), vadd<T>(u2, u3));
      const suv = vadd<T>(vadd<T>(vmul<T>(u0, v0), vmul<T>(u1, v1)), vadd<T>(vmul<T>(u2, v2), vmul<T>(u3, v3)));
      v128.store(accU + o, vadd<T>(v128.load(accU + o), su));
      v128.store(accUV + o, vadd<T>(v128.load(accUV + o), suv));
      if (SQUARES) v128.store(bits + o, v128.or(v128.load(bits + o), v128.or(v128.or(u0, u1), v128.or(u2, u3))));
    }
    for (; c < C; c++) {
      const o = at<T>(0, c);
      const ka = load<T>(kA + o);
      const kb = load<T>(kB + o);
      let su: T = <T>0;
      let suv: T = <T>0;
      for (let k = 0; k < 4; k++) {
        const u = load<T>(a0 + <usize>k * step + o) - ka;
        su += u;
        suv += u * (load<T>(b0 + <usize>k * step + o) - kb);
        if (SQUARES && u != 0) store<u8>(bits + o, 1);
      }
      store<T>(accU + o, load<T>(accU + o) + su);
      store<T>(accUV + o, load<T>(accUV + o) + suv);
    }
  }
  for (; r < r1; r++) {
    const a0 = at<T>(a, <i64>r * C);
    const b0 = at<T>(b, <i64>r * C);
    let c = 0;
    for (; c < Cv; c += W) {
      const o = at<T>(0, c);
      const u = vsub<T>(v128.load(a0 + o), v128.load(kA + o));
      const v = vsub<T>(v128.load(b0 + o), v128.load(kB + o));
      v128.store(accU + o, vadd<T>(v128.load(accU + o), u));
      v128.store(accUV + o, vadd<T>(v128.load(accUV + o), vmul<T>(u, v)));
      if (SQUARES) v128.store(bits + o, v128.or(v128.load(bits + o), u));
    }
    for (; c < C; c++) {
      const o = at<T>(0, c);
      const u = load<T>(a0 + o) - load<T>(kA + o);
      if (SQUARES && u != 0) store<u8>(bits + o, 1);
      store<T>(accU + o, load<T>(accU + o) + u);
      store<T>(accUV + o, load<T>(accUV + o) + u * (load<T>(b0 + o) - load<T>(kB + o)));
    }
  }
}

/**
 * columnSums for one channel c in f64 (scalar): f64x2(sum (a - kA), sum (a - kA) (b - kB))
 * over rows r0..r1-1. The fallback for f32 channels whose sums overflowed (segments.ts).
 */
function columnSumsInF64<T>(a: usize, b: usize, kA: T, kB: T, r0: i32, r1: i32, C: i32, c: i32): v128 {
  let su: f64 = 0;
  let suv: f64 = 0;
  for (let r = r0; r < r1; r++) {
    const u = <f64>load<T>(at<T>(a, <i64>r * C + c)) - <f64>kA;
    su += u;
    suv += u * (<f64>load<T>(at<T>(b, <i64>r * C + c)) - <f64>kB);
  }
  return f64x2.replace_lane(f64x2.splat(su), 1, suv);
}

/** Channel c's two sums of a columnSums chunk, as f64x2, summed again in f64 when they overflowed in f32. */
// @ts-ignore: decorator
@inline
function channelSums<T>(accU: usize, accUV: usize, a: usize, b: usize, kA: T, kB: T, r0: i32, r1: i32, C: i32, c: i32): v128 {
  const su = <f64>load<T>(at<T>(accU, c));
  const suv = <f64>load<T>(at<T>(accUV, c));
  if (sizeof<T>() == 4 && !isFinite(su + suv)) return columnSumsInF64<T>(a, b, kA, kB, r0, r1, C, c);
  return f64x2.replace_lane(f64x2.splat(su), 1, suv);
}

/** out = (a - k) * m + d over the rows of (N, C) matrices, with k, m, d arrays of C (T). */
function columnAffine<T>(a: usize, out: usize, k: usize, m: usize, d: usize, N: i32, C: i32): void {
  const W = lanesOf<T>();
  const Cv = C & ~(W - 1);
  for (let r = 0; r < N; r++) {
    const pa = at<T>(a, <i64>r * C);
    const po = at<T>(out, <i64>r * C);
    let c = 0;
    for (; c < Cv; c += W) {
      const o = at<T>(0, c);
      v128.store(po + o, vadd<T>(vmul<T>(vsub<T>(v128.load(pa + o), v128.load(k + o)), v128.load(m + o)), v128.load(d + o)));
    }
    for (; c < C; c++) {
      const o = at<T>(0, c);
      store<T>(po + o, (load<T>(pa + o) - load<T>(k + o)) * load<T>(m + o) + load<T>(d + o));
    }
  }
}

/** dx = A (dy + B (x - hi) + D) over the rows of (N, C) matrices, with hi, A, B, D arrays of C (T). */
function columnGrad<T>(x: usize, dy: usize, dx: usize, hi: usize, A: usize, B: usize, D: usize, N: i32, C: i32): void {
  const W = lanesOf<T>();
  const Cv = C & ~(W - 1);
  for (let r = 0; r < N; r++) {
    const off = <i64>r * C;
    const px = at<T>(x, off);
    const pdy = at<T>(dy, off);
    const pdx = at<T>(dx, off);
    let c = 0;
    for (; c < Cv; c += W) {
      const o = at<T>(0, c);
      const xc = vsub<T>(v128.load(px + o), v128.load(hi + o));
      const g = vmul<T>(v128.load(A + o), vadd<T>(v128.load(pdy + o), vadd<T>(vmul<T>(v128.load(B + o), xc), v128.load(D + o))));
      v128.store(pdx + o, g);
    }
    for (; c < C; c++) {
      const o = at<T>(0, c);
      const xc = load<T>(px + o) - load<T>(hi + o);
      store<T>(pdx + o, load<T>(A + o) * (load<T>(pdy + o) + (load<T>(B + o) * xc + load<T>(D + o))));
    }
  }
}

/** Rows MEAN and VAR (holding M2) of every channel from the S = 1 layout, chunk by chunk. */
function columnMoments<T>(x: usize, stats: usize, N: i32, C: i32): void {
  const accU = slot(stats, C, 0);
  const accUV = slot(stats, C, 1);
  const bits = slot(stats, C, 2);
  for (let r0 = 0; r0 < N; r0 += CHUNK) {
    const r1 = min(N, r0 + CHUNK);
    const shift = at<T>(x, <i64>r0 * C); // the chunk's first row: it contributes zeros
    fillZero<T>(accU, C);
    fillZero<T>(accUV, C);
    fillZero<T>(bits, C);
    columnSums<T>(x, x, shift, shift, r0 + 1, r1, C, accU, accUV, bits, sizeof<T>() == 4);
    const nb = <f64>(r1 - r0);
    for (let c = 0; c < C; c++) {
      const k = load<T>(at<T>(shift, c));
      let sums = channelSums<T>(accU, accUV, x, x, k, k, r0 + 1, r1, C, c);
      const varies = sizeof<T>() == 4 && load<u32>(at<T>(bits, c)) != 0;
      if (varies && squaresMayUnderflow<T>(f64x2.extract_lane(sums, 1), nb)) sums = columnSumsInF64<T>(x, x, k, k, r0 + 1, r1, C, c);
      const s = f64x2.extract_lane(sums, 0);
      const chunkM2 = max<f64>(0, f64x2.extract_lane(sums, 1) - (s * s) / nb);
      mergeMoments(statsAt(stats, C, MEAN, c), statsAt(stats, C, ACC0, c), statsAt(stats, C, VAR, c), <f64>r0, <f64>k, s / nb, chunkM2, nb);
    }
  }
}

/** mean = hi + lo (rows MEAN + ACC0), var = M2 / M, invstd and K of every channel. */
function finishMoments(stats: usize, C: i32, M: f64, eps: f64, book: i32): void {
  for (let c = 0; c < C; c++) {
    store<f64>(statsAt(stats, C, MEAN, c), load<f64>(statsAt(stats, C, MEAN, c)) + load<f64>(statsAt(stats, C, ACC0, c)));
    const variance = load<f64>(statsAt(stats, C, VAR, c)) / M;
    store<f64>(statsAt(stats, C, VAR, c), variance);
    storeScales(stats, C, c, variance, eps, book);
  }
}

/** y = gamma (x - mean) invstd + beta from the statistics rows. */
function normalize<T>(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32): void {
  if (S == 1) {
    // y = (x - hi) a + (beta - lo a), per-channel coefficients in slots 0..2
    const hi = slot(stats, C, 0);
    const a = slot(stats, C, 1);
    const b = slot(stats, C, 2);
    for (let c = 0; c < C; c++) {
      const mean = load<f64>(statsAt(stats, C, MEAN, c));
      const ac = load<T>(at<T>(gamma, c)) * <T>load<f64>(statsAt(stats, C, INVSTD, c));
      store<T>(at<T>(hi, c), splitHi<T>(mean));
      store<T>(at<T>(a, c), ac);
      store<T>(at<T>(b, c), <T>(<f64>load<T>(at<T>(beta, c)) - <f64>splitLo<T>(mean) * <f64>ac));
    }
    columnAffine<T>(x, y, hi, a, b, N, C);
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mean = load<f64>(statsAt(stats, C, MEAN, c));
      const a = load<T>(at<T>(gamma, c)) * <T>load<f64>(statsAt(stats, C, INVSTD, c));
      const off = (<i64>n * C + c) * S;
      affineSegment<T, PerRun>(at<T>(x, off), at<T>(y, off), S, splitHi<T>(mean), splitLo<T>(mean), 0, 0, a, load<T>(at<T>(beta, c)));
    }
  }
}

/** Training forward: batch statistics into stats rows MEAN, VAR, INVSTD, then y. */
function batchnormForward<T>(
  x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64, book: i32,
): void {
  if (S == 1) columnMoments<T>(x, stats, N, C);
  else {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const off = (<i64>n * C + c) * S;
        segmentMoments<T>(at<T>(x, off), S, statsAt(stats, C, MEAN, c), statsAt(stats, C, ACC0, c), statsAt(stats, C, VAR, c), <f64>n * <f64>S);
      }
    }
  }
  finishMoments(stats, C, <f64>N * <f64>S, eps, book);
  normalize<T>(x, y, gamma, beta, stats, N, C, S);
}

/** Evaluation forward: running statistics copied into stats rows MEAN, VAR, INVSTD, then y. */
function batchnormForwardEval<T>(
  x: usize, y: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, stats: usize,
  N: i32, C: i32, S: i32, eps: f64, book: i32,
): void {
  for (let c = 0; c < C; c++) {
    const variance = <f64>load<T>(at<T>(runVar, c));
    store<f64>(statsAt(stats, C, MEAN, c), <f64>load<T>(at<T>(runMean, c)));
    store<f64>(statsAt(stats, C, VAR, c), variance);
    storeScales(stats, C, c, variance, eps, book);
  }
  normalize<T>(x, y, gamma, beta, stats, N, C, S);
}

/**
 * running <- keep * running + take * batch, for the mean and for varScale * var, in f64.
 * PyTorch: keep = 1 - momentum, take = momentum, varScale = M / (M - 1) (unbiased);
 * Keras / TensorFlow.js: keep = momentum, take = 1 - momentum, varScale = 1 (biased).
 */
function batchnormUpdateRunning<T>(runMean: usize, runVar: usize, stats: usize, C: i32, keep: f64, take: f64, varScale: f64): void {
  for (let c = 0; c < C; c++) {
    const pm = at<T>(runMean, c);
    const pv = at<T>(runVar, c);
    store<T>(pm, <T>(keep * <f64>load<T>(pm) + take * load<f64>(statsAt(stats, C, MEAN, c))));
    store<T>(pv, <T>(keep * <f64>load<T>(pv) + take * (varScale * load<f64>(statsAt(stats, C, VAR, c)))));
  }
}

/**
 * From rows ACC0 = sum dy and ACC1 = sum dy (x - mean) of every channel: adds dgamma and
 * dbeta into the gradients, then overwrites ACC0, ACC1 with B and D of dx = A (dy + B xc + D).
 */
function finishGrads<T>(stats: usize, gamma: usize, dgamma: usize, dbeta: usize, C: i32, M: f64, batchStats: i32): void {
  for (let c = 0; c < C; c++) {
    const sumDy = load<f64>(statsAt(stats, C, ACC0, c));
    const invstd = load<f64>(statsAt(stats, C, INVSTD, c));
    const gradGamma = load<f64>(statsAt(stats, C, ACC1, c)) * invstd;
    store<T>(at<T>(dgamma, c), load<T>(at<T>(dgamma, c)) + <T>gradGamma);
    store<T>(at<T>(dbeta, c), load<T>(at<T>(dbeta, c)) + <T>sumDy);
    store<f64>(statsAt(stats, C, ACC0, c), batchStats ? (-gradGamma / M) * load<f64>(statsAt(stats, C, CURVATURE, c)) : 0);
    store<f64>(statsAt(stats, C, ACC1, c), batchStats ? -sumDy / M : 0);
  }
}

/** Backward, S = 1 layout: sums down the columns, then dx row by row. */
function columnBackward<T>(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize, N: i32, C: i32, M: f64, batchStats: i32,
): void {
  const zero = slot(stats, C, 0);
  const hi = slot(stats, C, 1);
  const accU = slot(stats, C, 2);
  const accUV = slot(stats, C, 3);
  fillZero<T>(zero, C);
  for (let c = 0; c < C; c++) {
    store<T>(at<T>(hi, c), splitHi<T>(load<f64>(statsAt(stats, C, MEAN, c))));
    store<f64>(statsAt(stats, C, ACC0, c), 0);
    store<f64>(statsAt(stats, C, ACC1, c), 0);
  }
  for (let r0 = 0; r0 < N; r0 += CHUNK) {
    const r1 = min(N, r0 + CHUNK);
    fillZero<T>(accU, C);
    fillZero<T>(accUV, C);
    columnSums<T>(dy, x, zero, hi, r0, r1, C, accU, accUV, 0, false);
    for (let c = 0; c < C; c++) {
      const sums = channelSums<T>(accU, accUV, dy, x, <T>0, load<T>(at<T>(hi, c)), r0, r1, C, c);
      const p0 = statsAt(stats, C, ACC0, c);
      const p1 = statsAt(stats, C, ACC1, c);
      store<f64>(p0, load<f64>(p0) + f64x2.extract_lane(sums, 0));
      store<f64>(p1, load<f64>(p1) + f64x2.extract_lane(sums, 1));
    }
  }
  // The sums were of dy (x - hi); sum dy (x - mean) = sum dy (x - hi) - lo sum dy.
  for (let c = 0; c < C; c++) {
    const lo = <f64>splitLo<T>(load<f64>(statsAt(stats, C, MEAN, c)));
    store<f64>(statsAt(stats, C, ACC1, c), load<f64>(statsAt(stats, C, ACC1, c)) - lo * load<f64>(statsAt(stats, C, ACC0, c)));
  }
  finishGrads<T>(stats, gamma, dgamma, dbeta, C, M, batchStats);
  // dx = A (dy + B (x - hi) + (D - B lo)): slots 0 = A, 1 = hi, 2 = B, 3 = D - B lo
  const A = zero;
  const B = accU;
  const D = accUV;
  for (let c = 0; c < C; c++) {
    const Bc = load<f64>(statsAt(stats, C, ACC0, c));
    const lo = <f64>splitLo<T>(load<f64>(statsAt(stats, C, MEAN, c)));
    store<T>(at<T>(A, c), load<T>(at<T>(gamma, c)) * <T>load<f64>(statsAt(stats, C, INVSTD, c)));
    store<T>(at<T>(B, c), <T>Bc);
    store<T>(at<T>(D, c), <T>(load<f64>(statsAt(stats, C, ACC1, c)) - Bc * lo));
  }
  columnGrad<T>(x, dy, dx, hi, A, B, D, N, C);
}

/** Backward: dgamma += sum dy xhat, dbeta += sum dy, dx by the closed form (batchStats != 0) or frozen statistics. */
function batchnormBackward<T>(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize,
  N: i32, C: i32, S: i32, batchStats: i32,
): void {
  const M = <f64>N * <f64>S;
  if (S == 1) {
    columnBackward<T>(x, dy, dx, gamma, stats, dgamma, dbeta, N, C, M, batchStats);
    return;
  }
  for (let c = 0; c < C; c++) {
    store<f64>(statsAt(stats, C, ACC0, c), 0);
    store<f64>(statsAt(stats, C, ACC1, c), 0);
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mean = load<f64>(statsAt(stats, C, MEAN, c));
      const off = (<i64>n * C + c) * S;
      const sums = segmentGradSums<T>(at<T>(x, off), at<T>(dy, off), S, splitHi<T>(mean), splitLo<T>(mean));
      const p0 = statsAt(stats, C, ACC0, c);
      const p1 = statsAt(stats, C, ACC1, c);
      store<f64>(p0, load<f64>(p0) + f64x2.extract_lane(sums, 0));
      store<f64>(p1, load<f64>(p1) + f64x2.extract_lane(sums, 1));
    }
  }
  finishGrads<T>(stats, gamma, dgamma, dbeta, C, M, batchStats);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mean = load<f64>(statsAt(stats, C, MEAN, c));
      const A = load<T>(at<T>(gamma, c)) * <T>load<f64>(statsAt(stats, C, INVSTD, c));
      const B = <T>load<f64>(statsAt(stats, C, ACC0, c));
      const D = <T>load<f64>(statsAt(stats, C, ACC1, c));
      const off = (<i64>n * C + c) * S;
      gradSegment<T, PerRun>(at<T>(x, off), at<T>(dy, off), at<T>(dx, off), S, splitHi<T>(mean), splitLo<T>(mean), 0, <T>1, A, B, D);
    }
  }
}

// The kernels: pointers are byte addresses; N, C, S element counts; stats is f64 (10 rows of C);
// book != 0 selects the book form 1 / (sqrt(var) + eps).

export function f32_batchnorm_forward(
  x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64, book: i32,
): void {
  batchnormForward<f32>(x, y, gamma, beta, stats, N, C, S, eps, book);
}

export function f64_batchnorm_forward(
  x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64, book: i32,
): void {
  batchnormForward<f64>(x, y, gamma, beta, stats, N, C, S, eps, book);
}

export function f32_batchnorm_forward_eval(
  x: usize, y: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64, book: i32,
): void {
  batchnormForwardEval<f32>(x, y, gamma, beta, runMean, runVar, stats, N, C, S, eps, book);
}

export function f64_batchnorm_forward_eval(
  x: usize, y: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64, book: i32,
): void {
  batchnormForwardEval<f64>(x, y, gamma, beta, runMean, runVar, stats, N, C, S, eps, book);
}

export function f32_batchnorm_update_running(runMean: usize, runVar: usize, stats: usize, C: i32, keep: f64, take: f64, varScale: f64): void {
  batchnormUpdateRunning<f32>(runMean, runVar, stats, C, keep, take, varScale);
}

export function f64_batchnorm_update_running(runMean: usize, runVar: usize, stats: usize, C: i32, keep: f64, take: f64, varScale: f64): void {
  batchnormUpdateRunning<f64>(runMean, runVar, stats, C, keep, take, varScale);
}

export function f32_batchnorm_backward(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize, N: i32, C: i32, S: i32, batchStats: i32,
): void {
  batchnormBackward<f32>(x, dy, dx, gamma, stats, dgamma, dbeta, N, C, S, batchStats);
}

export function f64_batchnorm_backward(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize, N: i32, C: i32, S: i32, batchStats: i32,
): void {
  batchnormBackward<f64>(x, dy, dx, gamma, stats, dgamma, dbeta, N, C, S, batchStats);
}
