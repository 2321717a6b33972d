// 2-D convolution of NCHW images as one gemm over a column buffer (im2col), and the moves
// around it. For x [N, C, H, W], a kernel of kh x kw, stride (sh, sw), zero padding (ph, pw)
// and dilation (dh, dw), the output is OH x OW with OH = (H + 2 ph - dh (kh - 1) - 1) / sh + 1
// (rounded down), OW likewise, and P = OH OW positions per image:
//   cols [C kh kw, N P]:  cols[(c kh + i) kw + j][n P + oh OW + ow] = x[n, c, oh sh - ph + i dh, ow sw - pw + j dw]
//                         (0 where the index falls in the padding)
//   t = W [F, C kh kw] cols        (the facade's gemm)
//   y[n, f, p] = t[f, n P + p] + bias[f]
// Backward: g [N, F, P] goes back to t's layout (and its sums per f are dbias), then
// dW += gT colsᵀ and dcols = Wᵀ gT (gemm), and col2im adds each column entry back into the
// input position it was read from: dx += col2im(dcols).
// Rows of an image are contiguous along ow when sw = 1: those runs move in v128 blocks; a
// stride sw > 1 gathers scalar. Every addition is one IEEE f32 add per element, in the same
// order as the twin, so the results agree bit for bit.
// Memory contract: buffers disjoint; any alignment; bias / dbias may be 0 (none).

import { F32, blockedLength } from "../simd";

/** First ow whose input column ow sw - pw + j dw is >= 0, clamped to [0, OW]. */
// @ts-ignore: decorator
@inline
function firstInside(offset: i32, sw: i32, OW: i32): i32 {
  // offset = j dw - pw; need ow sw + offset >= 0.
  if (offset >= 0) return 0;
  return min((-offset + sw - 1) / sw, OW);
}

/** One past the last ow whose input column is < W, clamped to [lo, OW]. */
// @ts-ignore: decorator
@inline
function endInside(offset: i32, sw: i32, W: i32, OW: i32, lo: i32): i32 {
  // need ow sw + offset <= W - 1.
  const room = W - 1 - offset;
  if (room < 0) return lo;
  return max(lo, min(room / sw + 1, OW));
}

// @ts-ignore: decorator
@inline
function zero(p: usize, n: i32): void {
  if (n > 0) memory.fill(p, 0, <usize>n * F32);
}

/** dst[k] = src[k sw] for k < n (v128 blocks when sw = 1). */
// @ts-ignore: decorator
@inline
function gather(dst: usize, src: usize, n: i32, sw: i32): void {
  if (sw == 1) {
    const blocked = blockedLength(n, 4);
    for (let k = 0; k < blocked; k += 4) v128.store(dst + <usize>k * F32, v128.load(src + <usize>k * F32));
    for (let k = blocked; k < n; k++) store<f32>(dst + <usize>k * F32, load<f32>(src + <usize>k * F32));
  } else {
    for (let k = 0; k < n; k++) store<f32>(dst + <usize>k * F32, load<f32>(src + <usize>(k * sw) * F32));
  }
}

/** dst[k sw] += src[k] for k < n (v128 blocks when sw = 1). */
// @ts-ignore: decorator
@inline
function scatterAdd(dst: usize, src: usize, n: i32, sw: i32): void {
  if (sw == 1) {
    const blocked = blockedLength(n, 4);
    for (let k = 0; k < blocked; k += 4) {
      const at = <usize>k * F32;
      v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
    }
    for (let k = blocked; k < n; k++) {
      const at = <usize>k * F32;
      store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
    }
  } else {
    for (let k = 0; k < n; k++) {
      const to = dst + <usize>(k * sw) * F32;
      store<f32>(to, load<f32>(to) + load<f32>(src + <usize>k * F32));
    }
  }
}

/** Fills cols [C kh kw, N OH OW] from x [N, C, H, W] (see the header). */
export function f32_im2col(
  cols: usize, x: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
): void {
  const P = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = (c * kh + i) * kw + j;
        const offset = j * dw - pw;
        const lo = firstInside(offset, sw, OW);
        const hi = endInside(offset, sw, W, OW, lo);
        for (let n = 0; n < N; n++) {
          const plane = x + <usize>((n * C + c) * H) * W * F32;
          for (let oh = 0; oh < OH; oh++) {
            const dst = cols + (<usize>(row * N + n) * P + <usize>(oh * OW)) * F32;
            const ih = oh * sh - ph + i * dh;
            if (ih < 0 || ih >= H) {
              zero(dst, OW);
              continue;
            }
            zero(dst, lo);
            gather(dst + <usize>lo * F32, plane + <usize>(ih * W + lo * sw + offset) * F32, hi - lo, sw);
            zero(dst + <usize>hi * F32, OW - hi);
          }
        }
      }
    }
  }
}

/** dx [N, C, H, W] += the column entries of cols [C kh kw, N OH OW] at the positions im2col read them from. */
export function f32_col2im(
  dx: usize, cols: usize, N: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, OH: i32, OW: i32,
): void {
  const P = OH * OW;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = (c * kh + i) * kw + j;
        const offset = j * dw - pw;
        const lo = firstInside(offset, sw, OW);
        const hi = endInside(offset, sw, W, OW, lo);
        for (let n = 0; n < N; n++) {
          const plane = dx + <usize>((n * C + c) * H) * W * F32;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * sh - ph + i * dh;
            if (ih < 0 || ih >= H) continue;
            const src = cols + (<usize>(row * N + n) * P + <usize>(oh * OW + lo)) * F32;
            scatterAdd(plane + <usize>(ih * W + lo * sw + offset) * F32, src, hi - lo, sw);
          }
        }
      }
    }
  }
}

/** y[n, f, p] = t[f, n P + p] + bias[f] (no bias when bias = 0): the gemm's result in NCHW. */
export function f32_conv_output(y: usize, t: usize, bias: usize, N: i32, F: i32, P: i32): void {
  const blocked = blockedLength(P, 4);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const b: f32 = bias ? load<f32>(bias + <usize>f * F32) : 0;
      const bv = f32x4.splat(b);
      const src = t + (<usize>(f * N + n) * P) * F32;
      const dst = y + (<usize>(n * F + f) * P) * F32;
      for (let p = 0; p < blocked; p += 4) v128.store(dst + <usize>p * F32, f32x4.add(v128.load(src + <usize>p * F32), bv));
      for (let p = blocked; p < P; p++) store<f32>(dst + <usize>p * F32, load<f32>(src + <usize>p * F32) + b);
    }
  }
}

/**
 * The backward of f32_conv_output: t[f, n P + p] = g[n, f, p], and dbias[f] += sum_{n, p} g[n, f, p]
 * (the sum in f64, in order, rounded once) unless dbias = 0.
 */
export function f32_conv_output_backward(t: usize, g: usize, dbias: usize, N: i32, F: i32, P: i32): void {
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) gather(t + (<usize>(f * N + n) * P) * F32, g + (<usize>(n * F + f) * P) * F32, P, 1);
  }
  if (!dbias) return;
  for (let f = 0; f < F; f++) {
    let sum: f64 = 0;
    for (let n = 0; n < N; n++) {
      const src = g + (<usize>(n * F + f) * P) * F32;
      for (let p = 0; p < P; p++) sum += <f64>load<f32>(src + <usize>p * F32);
    }
    const at = dbias + <usize>f * F32;
    store<f32>(at, <f32>(<f64>load<f32>(at) + sum));
  }
}
