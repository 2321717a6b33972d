import type { Heap } from "../../runtime/heap";

/** The input index im2col reads for column row (c, i, j) at output (n, oh, ow), or -1 in the padding. */
function source(
  n: number, c: number, i: number, j: number, oh: number, ow: number,
  C: number, H: number, W: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
): number {
  const ih = oh * sh - ph + i * dh;
  const iw = ow * sw - pw + j * dw;
  return ih < 0 || ih >= H || iw < 0 || iw >= W ? -1 : ((n * C + c) * H + ih) * W + iw;
}

/** Reference twin of assembly/autodiff/conv.ts: cols [C kh kw, N OH OW] from x [N, C, H, W]. */
export function f32_im2col(
  h: Heap, cols: number, x: number, N: number, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number,
): void {
  const f32 = h.f32;
  let k = cols >>> 2;
  for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const at = source(n, c, i, j, oh, ow, C, H, W, sh, sw, ph, pw, dh, dw);
      f32[k++] = at < 0 ? 0 : f32[(x >>> 2) + at]!;
    }
  }
}

/** Reference twin: dx += col2im(cols), entries added in column order. */
export function f32_col2im(
  h: Heap, dx: number, cols: number, N: number, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number,
): void {
  const f32 = h.f32;
  let k = cols >>> 2;
  for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++, k++) {
      const at = source(n, c, i, j, oh, ow, C, H, W, sh, sw, ph, pw, dh, dw);
      if (at >= 0) f32[(dx >>> 2) + at] = f32[(dx >>> 2) + at]! + f32[k]!;
    }
  }
}

/** Reference twin: y[n, f, p] = t[f, n P + p] + bias[f] (bias 0: none). */
export function f32_conv_output(h: Heap, y: number, t: number, bias: number, N: number, F: number, P: number): void {
  const f32 = h.f32;
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) {
    const b = bias ? f32[(bias >>> 2) + f]! : 0;
    for (let p = 0; p < P; p++) f32[(y >>> 2) + (n * F + f) * P + p] = f32[(t >>> 2) + (f * N + n) * P + p]! + b;
  }
}

/** Reference twin: t[f, n P + p] = g[n, f, p]; dbias[f] += the f64 sum of g[., f, .] (dbias 0: none). */
export function f32_conv_output_backward(h: Heap, t: number, g: number, dbias: number, N: number, F: number, P: number): void {
  const f32 = h.f32;
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) {
    for (let p = 0; p < P; p++) f32[(t >>> 2) + (f * N + n) * P + p] = f32[(g >>> 2) + (n * F + f) * P + p]!;
  }
  if (!dbias) return;
  for (let f = 0; f < F; f++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) sum += f32[(g >>> 2) + (n * F + f) * P + p]!;
    f32[(dbias >>> 2) + f] = f32[(dbias >>> 2) + f]! + sum;
  }
}
