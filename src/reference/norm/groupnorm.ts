import { f32Elements, f64Elements, shiftedMoments, twin, type Elements } from "./elements";

/**
 * Reference twins of assembly/norm/groupnorm.ts: x of shape (N, G * Cg, S) as R = N * G
 * rows of L = Cg * S elements, each normalized by its own two-pass f64 mean and biased
 * variance (shiftedMoments; an empty row has mean 0 and variance 0); element k of row r = (n, g) belongs to channel g * Cg + floor(k / S).
 *   y = gamma[ch] xhat + beta[ch];  dgamma[ch] += sum dy xhat;  dbeta[ch] += sum dy
 *   dx = invstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),  dxhat = gamma[ch] dy
 * stats: f64 rows [mean | var | invstd] of R each (then kernel scratch the twins leave alone).
 */

function forward(e: Elements, x: number, y: number, gamma: number, beta: number, stats: number, N: number, G: number, Cg: number, S: number, eps: number): void {
  const { data, stats: st } = e;
  const [X, Y, Gm, Bt, St] = [e.at(x), e.at(y), e.at(gamma), e.at(beta), stats >>> 3];
  const L = Cg * S;
  const R = N * G;
  for (let r = 0; r < R; r++) {
    const { mean, variance } = shiftedMoments(Array.from(data.subarray(X + r * L, X + (r + 1) * L)));
    const invstd = 1 / Math.sqrt(variance + eps);
    st[St + r] = mean;
    st[St + R + r] = variance;
    st[St + 2 * R + r] = invstd;
    for (let k = 0; k < L; k++) {
      const ch = (r % G) * Cg + Math.floor(k / S);
      data[Y + r * L + k] = data[Gm + ch]! * (data[X + r * L + k]! - mean) * invstd + data[Bt + ch]!;
    }
  }
}

function backward(
  e: Elements, x: number, dy: number, dx: number, gamma: number, stats: number, dgamma: number, dbeta: number,
  N: number, G: number, Cg: number, S: number,
): void {
  const { data, stats: st } = e;
  const [X, Dy, Dx, Gm, Dg, Db, St] = [e.at(x), e.at(dy), e.at(dx), e.at(gamma), e.at(dgamma), e.at(dbeta), stats >>> 3];
  const L = Cg * S;
  const R = N * G;
  const gradGamma = new Float64Array(G * Cg);
  const gradBeta = new Float64Array(G * Cg);
  for (let r = 0; r < R; r++) {
    const mean = st[St + r]!;
    const invstd = st[St + 2 * R + r]!;
    const channel = (k: number) => (r % G) * Cg + Math.floor(k / S);
    let sumDxhat = 0;
    let sumDxhatXhat = 0;
    for (let k = 0; k < L; k++) {
      const i = r * L + k;
      const xhat = (data[X + i]! - mean) * invstd;
      const dxhat = data[Gm + channel(k)]! * data[Dy + i]!;
      sumDxhat += dxhat;
      sumDxhatXhat += dxhat * xhat;
      gradGamma[channel(k)] = gradGamma[channel(k)]! + data[Dy + i]! * xhat;
      gradBeta[channel(k)] = gradBeta[channel(k)]! + data[Dy + i]!;
    }
    for (let k = 0; k < L; k++) {
      const i = r * L + k;
      const xhat = (data[X + i]! - mean) * invstd;
      const dxhat = data[Gm + channel(k)]! * data[Dy + i]!;
      data[Dx + i] = invstd * (dxhat - sumDxhat / L - (xhat * sumDxhatXhat) / L);
    }
  }
  for (let c = 0; c < G * Cg; c++) {
    data[Dg + c] = data[Dg + c]! + gradGamma[c]!;
    data[Db + c] = data[Db + c]! + gradBeta[c]!;
  }
}

// The twins, same names and arguments as the wasm exports after the leading Heap.
export const f32_groupnorm_forward = twin(f32Elements, forward);
export const f64_groupnorm_forward = twin(f64Elements, forward);
export const f32_groupnorm_backward = twin(f32Elements, backward);
export const f64_groupnorm_backward = twin(f64Elements, backward);
