// Batch normalization, Goodfellow et al. (2016), section 8.7.1 (Ioffe & Szegedy 2015), over
// x of shape (N, C, S): S = 1 for (N, C) inputs, S = H * W for NCHW. Per channel c, over the
// M = N * S elements of that channel:
//   mean = (1/M) sum x,   var = (1/M) sum (x - mean)^2            (biased)
//   invstd = 1 / sqrt(var + eps),   xhat = (x - mean) invstd,   y = gamma xhat + beta
// Backward (the compact closed form):
//   dbeta = sum dy,   dgamma = sum dy xhat
//   dx = gamma invstd (dy - dbeta / M - xhat dgamma / M)
// With frozen statistics (evaluation mode) mean and invstd are constants: dx = gamma invstd dy.
//
// Passes: the forward reads x twice (statistics, then normalize) and the backward reads x
// and dy twice (two sums, then dx), processing one channel block at a time so the second
// pass finds its data in cache. Statistics: blocked shifted sums merged in f64
// (segments.ts); the f64 mean enters the f32 passes as hi + lo, so x - mean keeps its
// accuracy for data far from zero.
//
// stats: 5 rows of C f64, [mean | var | invstd | scratch | scratch]. The forward writes the
// first three (what the backward needs); the backward only reads them and uses the scratch
// rows. dgamma and dbeta are accumulated into (+=), never overwritten.
//
// Two layouts: S = 1 reduces down columns of an N x C matrix, so channels go in v128 lanes
// (a lanes-wide channel block, rows inner); S > 1 reduces along rows, channel by channel,
// with v128 along S. Channels left over by the lane blocks take the second path.
// Memory contract: buffers disjoint except y may alias x and dx may alias dy; any alignment.

import { at, lanesOf, vadd, vhighF64, vloadF64As, vloadF64ResidualAs, vlowF64, vmul, vsplat, vsub } from "./lanes";
import { CHUNK, affineSegments, gradSegments, segmentGradSums, segmentMoments, splitHi, splitLo } from "./segments";

const F64: usize = 8;

// Rows of the stats buffer.
const MEAN = 0;
const VAR = 1;
const INVSTD = 2;
const SCRATCH0 = 3;
const SCRATCH1 = 4;

// @ts-ignore: decorator
@inline
function row(stats: usize, C: i32, r: i32, c: i32): usize {
  return stats + (<usize>r * <usize>C + <usize>c) * F64;
}

/** Chan merge of two f64 lanes of chunk sums (shift K, sum, square sum over nb) into rows MEAN/VAR (holding M2). */
// @ts-ignore: decorator
@inline
function mergeColumns(stats: usize, C: i32, c: i32, shift: v128, s: v128, q: v128, count: f64, nb: f64): void {
  const nbV = f64x2.splat(nb);
  const chunkMean = f64x2.add(shift, f64x2.div(s, nbV));
  const chunkM2 = f64x2.max(f64x2.splat(0), f64x2.sub(q, f64x2.div(f64x2.mul(s, s), nbV)));
  const pm = row(stats, C, MEAN, c);
  const pq = row(stats, C, VAR, c);
  const total = count + nb;
  const mean = count > 0 ? v128.load(pm) : f64x2.splat(0);
  const m2 = count > 0 ? v128.load(pq) : f64x2.splat(0);
  const delta = f64x2.sub(chunkMean, mean);
  v128.store(pm, f64x2.add(mean, f64x2.mul(delta, f64x2.splat(nb / total))));
  v128.store(pq, f64x2.add(m2, f64x2.add(chunkM2, f64x2.mul(f64x2.mul(delta, delta), f64x2.splat((count * nb) / total)))));
}

/** Column statistics of channels c..c+lanes-1 of an (N, C) matrix into rows MEAN and VAR (as M2). */
function columnMoments<T>(x: usize, stats: usize, N: i32, C: i32, c: i32): void {
  let count: f64 = 0;
  for (let r0 = 0; r0 < N; r0 += CHUNK) {
    const r1 = min(N, r0 + CHUNK);
    const shift = v128.load(at<T>(x, <i64>r0 * C + c));
    let s0 = vsplat<T>(<T>0);
    let s1 = s0;
    let q0 = s0;
    let q1 = s0;
    let r = r0;
    for (; r + 1 < r1; r += 2) {
      const d0 = vsub<T>(v128.load(at<T>(x, <i64>r * C + c)), shift);
      const d1 = vsub<T>(v128.load(at<T>(x, <i64>(r + 1) * C + c)), shift);
      s0 = vadd<T>(s0, d0);
      s1 = vadd<T>(s1, d1);
      q0 = vadd<T>(q0, vmul<T>(d0, d0));
      q1 = vadd<T>(q1, vmul<T>(d1, d1));
    }
    if (r < r1) {
      const d0 = vsub<T>(v128.load(at<T>(x, <i64>r * C + c)), shift);
      s0 = vadd<T>(s0, d0);
      q0 = vadd<T>(q0, vmul<T>(d0, d0));
    }
    const s = vadd<T>(s0, s1);
    const q = vadd<T>(q0, q1);
    const nb = <f64>(r1 - r0);
    mergeColumns(stats, C, c, vlowF64<T>(shift), vlowF64<T>(s), vlowF64<T>(q), count, nb);
    if (sizeof<T>() == 4) mergeColumns(stats, C, c + 2, vhighF64(shift), vhighF64(s), vhighF64(q), count, nb);
    count += nb;
  }
}

/** var = M2 / M and invstd = 1 / sqrt(var + eps) of channel c, from rows MEAN and VAR (holding M2). */
// @ts-ignore: decorator
@inline
function finishMoments(stats: usize, C: i32, c: i32, M: f64, eps: f64): void {
  const variance = load<f64>(row(stats, C, VAR, c)) / M;
  store<f64>(row(stats, C, VAR, c), variance);
  store<f64>(row(stats, C, INVSTD, c), 1 / Math.sqrt(variance + eps));
}

/** y = ((x - hi) - lo) * (gamma invstd) + beta for channels c..c+lanes-1 of an (N, C) matrix. */
function columnAffine<T>(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, c: i32): void {
  const hi = vloadF64As<T>(row(stats, C, MEAN, c));
  const lo = vloadF64ResidualAs<T>(row(stats, C, MEAN, c));
  const a = vmul<T>(v128.load(at<T>(gamma, c)), vloadF64As<T>(row(stats, C, INVSTD, c)));
  const b = v128.load(at<T>(beta, c));
  for (let r = 0; r < N; r++) {
    const off = <i64>r * C + c;
    const xc = vsub<T>(vsub<T>(v128.load(at<T>(x, off)), hi), lo);
    v128.store(at<T>(y, off), vadd<T>(vmul<T>(xc, a), b));
  }
}

/** The same for one channel c of an (N, C, S) tensor. */
function channelAffine<T>(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, c: i32): void {
  const mean = load<f64>(row(stats, C, MEAN, c));
  const a = load<T>(at<T>(gamma, c)) * <T>load<f64>(row(stats, C, INVSTD, c));
  const off = <i64>c * S;
  affineSegments<T>(at<T>(x, off), at<T>(y, off), N, C * S, S, splitHi<T>(mean), splitLo<T>(mean), a, load<T>(at<T>(beta, c)));
}

/** Channels handled together from channel c: a lane block of columns when S = 1, else one. */
// @ts-ignore: decorator
@inline
function blockWidth<T>(C: i32, S: i32, c: i32): i32 {
  return S == 1 && c + lanesOf<T>() <= C ? lanesOf<T>() : 1;
}

/** Normalizes channels c..c+width-1 with the statistics in rows MEAN and INVSTD. */
// @ts-ignore: decorator
@inline
function normalizeBlock<T>(
  x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, c: i32, width: i32,
): void {
  if (width > 1) columnAffine<T>(x, y, gamma, beta, stats, N, C, c);
  else channelAffine<T>(x, y, gamma, beta, stats, N, C, S, c);
}

/** Training forward: batch statistics into stats rows MEAN, VAR, INVSTD, then y. */
function batchnormForward<T>(
  x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64,
): void {
  const M = <f64>N * <f64>S;
  for (let c = 0, width = 1; c < C; c += width) {
    width = blockWidth<T>(C, S, c);
    if (width > 1) columnMoments<T>(x, stats, N, C, c);
    else {
      const moments = segmentMoments<T>(at<T>(x, <i64>c * S), N, C * S, S);
      store<f64>(row(stats, C, MEAN, c), f64x2.extract_lane(moments, 0));
      store<f64>(row(stats, C, VAR, c), f64x2.extract_lane(moments, 1));
    }
    for (let l = 0; l < width; l++) finishMoments(stats, C, c + l, M, eps);
    normalizeBlock<T>(x, y, gamma, beta, stats, N, C, S, c, width);
  }
}

/** Evaluation forward: running statistics copied into stats rows MEAN, VAR, INVSTD, then y. */
function batchnormForwardEval<T>(
  x: usize, y: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, stats: usize,
  N: i32, C: i32, S: i32, eps: f64,
): void {
  for (let c = 0; c < C; c++) {
    const variance = <f64>load<T>(at<T>(runVar, c));
    store<f64>(row(stats, C, MEAN, c), <f64>load<T>(at<T>(runMean, c)));
    store<f64>(row(stats, C, VAR, c), variance);
    store<f64>(row(stats, C, INVSTD, c), 1 / Math.sqrt(variance + eps));
  }
  for (let c = 0, width = 1; c < C; c += width) {
    width = blockWidth<T>(C, S, c);
    normalizeBlock<T>(x, y, gamma, beta, stats, N, C, S, c, width);
  }
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
    store<T>(pm, <T>(keep * <f64>load<T>(pm) + take * load<f64>(row(stats, C, MEAN, c))));
    store<T>(pv, <T>(keep * <f64>load<T>(pv) + take * (varScale * load<f64>(row(stats, C, VAR, c)))));
  }
}

/** Adds two f64 lanes of column sums into the scratch rows at channel c. */
// @ts-ignore: decorator
@inline
function addColumns(stats: usize, C: i32, c: i32, sdy: v128, sdyxc: v128): void {
  const p0 = row(stats, C, SCRATCH0, c);
  const p1 = row(stats, C, SCRATCH1, c);
  v128.store(p0, f64x2.add(v128.load(p0), sdy));
  v128.store(p1, f64x2.add(v128.load(p1), sdyxc));
}

/** sum dy and sum dy * xc of channels c..c+lanes-1 of an (N, C) matrix into the scratch rows. */
function columnGradSums<T>(x: usize, dy: usize, stats: usize, N: i32, C: i32, c: i32): void {
  const W = lanesOf<T>();
  for (let l = 0; l < W; l++) {
    store<f64>(row(stats, C, SCRATCH0, c + l), 0);
    store<f64>(row(stats, C, SCRATCH1, c + l), 0);
  }
  const hi = vloadF64As<T>(row(stats, C, MEAN, c));
  const lo = vloadF64ResidualAs<T>(row(stats, C, MEAN, c));
  for (let r0 = 0; r0 < N; r0 += CHUNK) {
    const r1 = min(N, r0 + CHUNK);
    let s0 = vsplat<T>(<T>0);
    let s1 = s0;
    let q0 = s0;
    let q1 = s0;
    let r = r0;
    for (; r + 1 < r1; r += 2) {
      const off0 = <i64>r * C + c;
      const off1 = off0 + C;
      const g0 = v128.load(at<T>(dy, off0));
      const g1 = v128.load(at<T>(dy, off1));
      s0 = vadd<T>(s0, g0);
      s1 = vadd<T>(s1, g1);
      q0 = vadd<T>(q0, vmul<T>(g0, vsub<T>(vsub<T>(v128.load(at<T>(x, off0)), hi), lo)));
      q1 = vadd<T>(q1, vmul<T>(g1, vsub<T>(vsub<T>(v128.load(at<T>(x, off1)), hi), lo)));
    }
    if (r < r1) {
      const off0 = <i64>r * C + c;
      const g0 = v128.load(at<T>(dy, off0));
      s0 = vadd<T>(s0, g0);
      q0 = vadd<T>(q0, vmul<T>(g0, vsub<T>(vsub<T>(v128.load(at<T>(x, off0)), hi), lo)));
    }
    const s = vadd<T>(s0, s1);
    const q = vadd<T>(q0, q1);
    addColumns(stats, C, c, vlowF64<T>(s), vlowF64<T>(q));
    if (sizeof<T>() == 4) addColumns(stats, C, c + 2, vhighF64(s), vhighF64(q));
  }
}

/**
 * Channel c's parameter gradients from its sums (scratch rows: sum dy, sum dy * xc), added
 * into dgamma and dbeta; then the scratch rows receive the coefficients B and D of
 * dx = A dy + B xc + D (A = gamma invstd is formed in T by the caller).
 */
// @ts-ignore: decorator
@inline
function finishGrads<T>(
  stats: usize, gamma: usize, dgamma: usize, dbeta: usize, C: i32, c: i32, M: f64, batchStats: i32,
): void {
  const sumDy = load<f64>(row(stats, C, SCRATCH0, c));
  const invstd = load<f64>(row(stats, C, INVSTD, c));
  const gradGamma = load<f64>(row(stats, C, SCRATCH1, c)) * invstd;
  store<T>(at<T>(dgamma, c), load<T>(at<T>(dgamma, c)) + <T>gradGamma);
  store<T>(at<T>(dbeta, c), load<T>(at<T>(dbeta, c)) + <T>sumDy);
  const A = <f64>load<T>(at<T>(gamma, c)) * invstd;
  store<f64>(row(stats, C, SCRATCH0, c), batchStats ? (-A * invstd * gradGamma) / M : 0);
  store<f64>(row(stats, C, SCRATCH1, c), batchStats ? (-A * sumDy) / M : 0);
}

/** dx = A dy + B xc + D for channels c..c+lanes-1 of an (N, C) matrix. */
function columnGrad<T>(x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, N: i32, C: i32, c: i32): void {
  const hi = vloadF64As<T>(row(stats, C, MEAN, c));
  const lo = vloadF64ResidualAs<T>(row(stats, C, MEAN, c));
  const A = vmul<T>(v128.load(at<T>(gamma, c)), vloadF64As<T>(row(stats, C, INVSTD, c)));
  const B = vloadF64As<T>(row(stats, C, SCRATCH0, c));
  const D = vloadF64As<T>(row(stats, C, SCRATCH1, c));
  for (let r = 0; r < N; r++) {
    const off = <i64>r * C + c;
    const xc = vsub<T>(vsub<T>(v128.load(at<T>(x, off)), hi), lo);
    v128.store(at<T>(dx, off), vadd<T>(vmul<T>(A, v128.load(at<T>(dy, off))), vadd<T>(vmul<T>(B, xc), D)));
  }
}

/** Backward: dgamma += sum dy xhat, dbeta += sum dy, dx by the closed form (batchStats != 0) or frozen statistics. */
function batchnormBackward<T>(
  x: usize, dy: usize, dx: usize, gamma: usize, stats: usize, dgamma: usize, dbeta: usize,
  N: i32, C: i32, S: i32, batchStats: i32,
): void {
  const M = <f64>N * <f64>S;
  for (let c = 0, width = 1; c < C; c += width) {
    width = blockWidth<T>(C, S, c);
    if (width > 1) {
      columnGradSums<T>(x, dy, stats, N, C, c);
      for (let l = 0; l < width; l++) finishGrads<T>(stats, gamma, dgamma, dbeta, C, c + l, M, batchStats);
      columnGrad<T>(x, dy, dx, gamma, stats, N, C, c);
    } else {
      const mean = load<f64>(row(stats, C, MEAN, c));
      const hi = splitHi<T>(mean);
      const lo = splitLo<T>(mean);
      const off = <i64>c * S;
      const sums = segmentGradSums<T>(at<T>(x, off), at<T>(dy, off), N, C * S, S, hi, lo);
      store<f64>(row(stats, C, SCRATCH0, c), f64x2.extract_lane(sums, 0));
      store<f64>(row(stats, C, SCRATCH1, c), f64x2.extract_lane(sums, 1));
      finishGrads<T>(stats, gamma, dgamma, dbeta, C, c, M, batchStats);
      const A = load<T>(at<T>(gamma, c)) * <T>load<f64>(row(stats, C, INVSTD, c));
      const B = <T>load<f64>(row(stats, C, SCRATCH0, c));
      const D = <T>load<f64>(row(stats, C, SCRATCH1, c));
      gradSegments<T>(at<T>(x, off), at<T>(dy, off), at<T>(dx, off), N, C * S, S, hi, lo, A, B, D);
    }
  }
}

// The kernels: pointers are byte addresses; N, C, S element counts; stats is f64 (5 rows of C).

export function f32_batchnorm_forward(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64): void {
  batchnormForward<f32>(x, y, gamma, beta, stats, N, C, S, eps);
}

export function f64_batchnorm_forward(x: usize, y: usize, gamma: usize, beta: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64): void {
  batchnormForward<f64>(x, y, gamma, beta, stats, N, C, S, eps);
}

export function f32_batchnorm_forward_eval(
  x: usize, y: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64,
): void {
  batchnormForwardEval<f32>(x, y, gamma, beta, runMean, runVar, stats, N, C, S, eps);
}

export function f64_batchnorm_forward_eval(
  x: usize, y: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, stats: usize, N: i32, C: i32, S: i32, eps: f64,
): void {
  batchnormForwardEval<f64>(x, y, gamma, beta, runMean, runVar, stats, N, C, S, eps);
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
