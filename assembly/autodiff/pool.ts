// 2-D max and average pooling over the planes of an NCHW tensor: x holds NC planes of H x W,
// y NC planes of OH x OW, with windows of kh x kw at stride (sh, sw) and padding (ph, pw)
// (OH = (H + 2 ph - kh) / sh + 1, rounded down). The facade keeps ph <= kh / 2 and pw <= kw / 2,
// so every window holds at least one input element.
//   max:     y = the largest element of the window (padding never wins); argmax keeps its index
//            h W + w in the plane for the backward, dx[argmax] += dy. Ties go to the first
//            largest element in row-major window order; a NaN wins over any number (the last
//            NaN of the window), so NaN propagates as in PyTorch.
//   average: y = (sum of the window's input elements) / (kh kw): padding counts as zeros in
//            the divisor (PyTorch's count_include_pad = true); dx += dy / (kh kw) over the window.
// Windows of a strided pooling are not contiguous: the loops are scalar. The backward adds in
// output order, as the twin does, so results agree bit for bit.
// Memory contract: buffers disjoint; argmax is i32; any alignment.

import { F32 } from "../simd";

// @ts-ignore: decorator
@inline
function windowStart(o: i32, s: i32, p: i32): i32 {
  return o * s - p;
}

export function f32_maxpool_forward(
  y: usize, argmax: usize, x: usize, NC: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  for (let plane = 0; plane < NC; plane++) {
    const src = x + <usize>(plane * H) * W * F32;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = windowStart(oh, sh, ph);
      const h1 = min(h0 + kh, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = windowStart(ow, sw, pw);
        const w1 = min(w0 + kw, W);
        let best: f32 = -Infinity;
        let where: i32 = max(h0, 0) * W + max(w0, 0);
        for (let h = max(h0, 0); h < h1; h++) {
          for (let w = max(w0, 0); w < w1; w++) {
            const v = load<f32>(src + <usize>(h * W + w) * F32);
            if (v > best || isNaN(v)) {
              best = v;
              where = h * W + w;
            }
          }
        }
        const o = <usize>((plane * OH + oh) * OW + ow);
        store<f32>(y + o * F32, best);
        store<i32>(argmax + o * 4, where);
      }
    }
  }
}

/** dx[plane, argmax] += dy for every output element, in output order. */
export function f32_maxpool_backward(dx: usize, dy: usize, argmax: usize, NC: i32, HW: i32, P: i32): void {
  for (let plane = 0; plane < NC; plane++) {
    const dst = dx + <usize>(plane * HW) * F32;
    for (let p = 0; p < P; p++) {
      const o = <usize>(plane * P + p);
      const at = dst + <usize>load<i32>(argmax + o * 4) * F32;
      store<f32>(at, load<f32>(at) + load<f32>(dy + o * F32));
    }
  }
}

export function f32_avgpool_forward(
  y: usize, x: usize, NC: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  const count = <f32>(kh * kw);
  for (let plane = 0; plane < NC; plane++) {
    const src = x + <usize>(plane * H) * W * F32;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = windowStart(oh, sh, ph);
      const h1 = min(h0 + kh, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = windowStart(ow, sw, pw);
        const w1 = min(w0 + kw, W);
        let sum: f32 = 0;
        for (let h = max(h0, 0); h < h1; h++) {
          for (let w = max(w0, 0); w < w1; w++) sum += load<f32>(src + <usize>(h * W + w) * F32);
        }
        store<f32>(y + <usize>((plane * OH + oh) * OW + ow) * F32, sum / count);
      }
    }
  }
}

export function f32_avgpool_backward(
  dx: usize, dy: usize, NC: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, OH: i32, OW: i32,
): void {
  const count = <f32>(kh * kw);
  for (let plane = 0; plane < NC; plane++) {
    const dst = dx + <usize>(plane * H) * W * F32;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = windowStart(oh, sh, ph);
      const h1 = min(h0 + kh, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = windowStart(ow, sw, pw);
        const w1 = min(w0 + kw, W);
        const share = load<f32>(dy + <usize>((plane * OH + oh) * OW + ow) * F32) / count;
        for (let h = max(h0, 0); h < h1; h++) {
          for (let w = max(w0, 0); w < w1; w++) {
            const at = dst + <usize>(h * W + w) * F32;
            store<f32>(at, load<f32>(at) + share);
          }
        }
      }
    }
  }
}
