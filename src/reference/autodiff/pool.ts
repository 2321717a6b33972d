import type { Heap } from "../../runtime/heap";

/** The in-plane indices h W + w of the window at (oh, ow), in row-major order, padding left out. */
function windowOf(oh: number, ow: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number): number[] {
  const at: number[] = [];
  for (let h = oh * sh - ph; h < oh * sh - ph + kh; h++) {
    for (let w = ow * sw - pw; w < ow * sw - pw + kw; w++) if (h >= 0 && h < H && w >= 0 && w < W) at.push(h * W + w);
  }
  return at;
}

/** Reference twin of assembly/autodiff/pool.ts: max over each window; argmax the first largest (the last NaN). */
export function f32_maxpool_forward(
  h: Heap, y: number, argmax: number, x: number, NC: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
): void {
  const f32 = h.f32;
  for (let plane = 0; plane < NC; plane++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const window = windowOf(oh, ow, H, W, kh, kw, sh, sw, ph, pw);
    let [best, where] = [-Infinity, window[0]!];
    for (const at of window) {
      const v = f32[(x >>> 2) + plane * H * W + at]!;
      if (v > best || Number.isNaN(v)) [best, where] = [v, at];
    }
    const o = (plane * OH + oh) * OW + ow;
    f32[(y >>> 2) + o] = best;
    h.i32[(argmax >>> 2) + o] = where;
  }
}

/** Reference twin: dx[plane, argmax] += dy, in output order. */
export function f32_maxpool_backward(h: Heap, dx: number, dy: number, argmax: number, NC: number, HW: number, P: number): void {
  const f32 = h.f32;
  for (let o = 0; o < NC * P; o++) {
    const at = (dx >>> 2) + Math.floor(o / P) * HW + h.i32[(argmax >>> 2) + o]!;
    f32[at] = f32[at]! + f32[(dy >>> 2) + o]!;
  }
}

/** Reference twin: the window's f32 sum, in row-major order, divided by kh kw. */
export function f32_avgpool_forward(
  h: Heap, y: number, x: number, NC: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
): void {
  const f32 = h.f32;
  for (let plane = 0; plane < NC; plane++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let sum = 0;
    for (const at of windowOf(oh, ow, H, W, kh, kw, sh, sw, ph, pw)) sum = Math.fround(sum + f32[(x >>> 2) + plane * H * W + at]!);
    f32[(y >>> 2) + (plane * OH + oh) * OW + ow] = sum / (kh * kw);
  }
}

/** Reference twin: dx += dy / (kh kw) over each window, in output order. */
export function f32_avgpool_backward(
  h: Heap, dx: number, dy: number, NC: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number,
): void {
  const f32 = h.f32;
  for (let plane = 0; plane < NC; plane++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const share = Math.fround(f32[(dy >>> 2) + (plane * OH + oh) * OW + ow]! / (kh * kw));
    for (const at of windowOf(oh, ow, H, W, kh, kw, sh, sw, ph, pw)) {
      const i = (dx >>> 2) + plane * H * W + at;
      f32[i] = f32[i]! + share;
    }
  }
}
