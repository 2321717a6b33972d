import { f32Elements, f64Elements, shiftedMoments, twin, type Elements } from "./elements";

/**
 * Reference twins of assembly/norm/batchnorm.ts: batch normalization over x of shape
 * (N, C, S), per channel over its M = N * S elements, written for clarity in f64 with a
 * two-pass mean and biased variance, shifted by the channel's first value (shiftedMoments):
 * ```text
 * y = gamma (x - mean) / sqrt(var + eps) + beta
 * dgamma += sum dy xhat,  dbeta += sum dy,
 * dx = gamma invstd (dy - dbeta/M - xhat dgamma/M)   (batch statistics; else gamma invstd dy)
 * ```
 * Book form (book != 0): invstd = 1 / (sqrt(var) + eps), and the variance term of dx uses
 * 1 / sqrt(var) (0 where var = 0) in place of invstd:
 * ```text
 * dx = gamma invstd (dy - dbeta/M - (x - mean) K dgamma/M),   K = 1 / sqrt(var)   (invstd in the standard form)
 * ```
 * stats: f64 rows of C each, [mean | var | invstd | kernel scratch... | K] (row 9 holds K, the
 * factor of that term; the twins leave the scratch rows alone).
 */

/** invstd and K of a channel (see the kernel's storeScales). */
function storeScales(st: Float64Array, St: number, C: number, c: number, variance: number, eps: number, book: number): void {
  const sigma = Math.sqrt(variance);
  st[St + 2 * C + c] = book ? 1 / (sigma + eps) : 1 / Math.sqrt(variance + eps);
  st[St + 9 * C + c] = book ? (sigma > 0 ? 1 / sigma : 0) : st[St + 2 * C + c]!;
}

/** Index of element (n, c, s) of an (N, C, S) tensor starting at index base. */
const index = (base: number, C: number, S: number, n: number, c: number, s: number) => base + (n * C + c) * S + s;

function normalize(e: Elements, x: number, y: number, gamma: number, beta: number, stats: number, N: number, C: number, S: number): void {
  const { data, stats: st } = e;
  const [X, Y, Gm, Bt, St] = [e.at(x), e.at(y), e.at(gamma), e.at(beta), stats >>> 3];
  for (let c = 0; c < C; c++) {
    const mean = st[St + c]!;
    const invstd = st[St + 2 * C + c]!;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const xhat = (data[index(X, C, S, n, c, s)]! - mean) * invstd;
        data[index(Y, C, S, n, c, s)] = data[Gm + c]! * xhat + data[Bt + c]!;
      }
    }
  }
}

function forward(
  e: Elements, x: number, y: number, gamma: number, beta: number, stats: number, N: number, C: number, S: number, eps: number, book: number,
): void {
  const { data, stats: st } = e;
  const X = e.at(x);
  const St = stats >>> 3;
  for (let c = 0; c < C; c++) {
    const values: number[] = [];
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) values.push(data[index(X, C, S, n, c, s)]!);
    const { mean, variance } = shiftedMoments(values);
    st[St + c] = mean;
    st[St + C + c] = variance;
    storeScales(st, St, C, c, variance, eps, book);
  }
  normalize(e, x, y, gamma, beta, stats, N, C, S);
}

function forwardEval(
  e: Elements, x: number, y: number, gamma: number, beta: number, runMean: number, runVar: number, stats: number,
  N: number, C: number, S: number, eps: number, book: number,
): void {
  const { data, stats: st } = e;
  const [Rm, Rv, St] = [e.at(runMean), e.at(runVar), stats >>> 3];
  for (let c = 0; c < C; c++) {
    st[St + c] = data[Rm + c]!;
    st[St + C + c] = data[Rv + c]!;
    storeScales(st, St, C, c, data[Rv + c]!, eps, book);
  }
  normalize(e, x, y, gamma, beta, stats, N, C, S);
}

function updateRunning(e: Elements, runMean: number, runVar: number, stats: number, C: number, keep: number, take: number, varScale: number): void {
  const { data, stats: st } = e;
  const [Rm, Rv, St] = [e.at(runMean), e.at(runVar), stats >>> 3];
  for (let c = 0; c < C; c++) {
    data[Rm + c] = keep * data[Rm + c]! + take * st[St + c]!;
    data[Rv + c] = keep * data[Rv + c]! + take * (varScale * st[St + C + c]!);
  }
}

function backward(
  e: Elements, x: number, dy: number, dx: number, gamma: number, stats: number, dgamma: number, dbeta: number,
  N: number, C: number, S: number, batchStats: number,
): void {
  const { data, stats: st } = e;
  const [X, Dy, Dx, Gm, Dg, Db, St] = [e.at(x), e.at(dy), e.at(dx), e.at(gamma), e.at(dgamma), e.at(dbeta), stats >>> 3];
  const M = N * S;
  for (let c = 0; c < C; c++) {
    const mean = st[St + c]!;
    const invstd = st[St + 2 * C + c]!;
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = index(0, C, S, n, c, s);
        sumDy += data[Dy + i]!;
        sumDyXhat += data[Dy + i]! * (data[X + i]! - mean) * invstd;
      }
    }
    data[Dg + c] = data[Dg + c]! + sumDyXhat;
    data[Db + c] = data[Db + c]! + sumDy;
    const scale = data[Gm + c]! * invstd;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = index(0, C, S, n, c, s);
        const centered = (data[X + i]! - mean) * st[St + 9 * C + c]!; // xhat in the standard form
        data[Dx + i] = batchStats ? scale * (data[Dy + i]! - sumDy / M - (centered * sumDyXhat) / M) : scale * data[Dy + i]!;
      }
    }
  }
}

// The twins, same names and arguments as the wasm exports after the leading Heap.
export const f32_batchnorm_forward = twin(f32Elements, forward);
export const f64_batchnorm_forward = twin(f64Elements, forward);
export const f32_batchnorm_forward_eval = twin(f32Elements, forwardEval);
export const f64_batchnorm_forward_eval = twin(f64Elements, forwardEval);
export const f32_batchnorm_update_running = twin(f32Elements, updateRunning);
export const f64_batchnorm_update_running = twin(f64Elements, updateRunning);
export const f32_batchnorm_backward = twin(f32Elements, backward);
export const f64_batchnorm_backward = twin(f64Elements, backward);
