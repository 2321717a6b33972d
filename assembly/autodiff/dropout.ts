// Inverted dropout with a counter-based mask: element i is kept when u_i >= p, where
// u_i = (w_i >>> 8) 2^-24 is the f32 uniform of word i of the Philox stream (key k0:k1,
// stream s0:s1) -- the value Philox.uniform draws at position i -- so the mask depends only on
// (seed, stream, i), on both backends and for any n. Kept elements are scaled by
// scale = 1 / (1 - p), so the expected output equals the input:
//   mask_i = u_i >= p ? scale : 0,   y_i = x_i mask_i,   backward dx_i += g_i mask_i
// The mask is written for the backward (f32_add_product). Four Philox blocks per v128 pass.
// Memory contract: y, mask, x hold n f32 each; y may alias x; mask is disjoint from both.

import { F32 } from "../simd";
import { refill, word, WORDS } from "../random/core";

export function f32_dropout(y: usize, mask: usize, x: usize, n: i32, k0: u32, k1: u32, s0: u32, s1: u32, p: f32, scale: f32): void {
  const pV = f32x4.splat(p);
  const scaleV = f32x4.splat(scale);
  const unit = f32x4.splat(5.9604644775390625e-8); // 2^-24
  let w: u64 = 0;
  for (let i = 0; i < n; ) {
    const first = <i32>(w & 3);
    const count = min(refill(w, n - i, k0, k1, s0, s1), n - i);
    const at = <usize>i * F32;
    if (count == 16) {
      for (let v = 0; v < 64; v += 16) {
        const u = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(v128.load(WORDS + v), 8)), unit);
        const m = v128.and(f32x4.ge(u, pV), scaleV);
        v128.store(mask + at + v, m);
        v128.store(y + at + v, f32x4.mul(v128.load(x + at + v), m));
      }
    } else {
      for (let j = 0; j < count; j++) {
        const u = <f32>(word(first + j) >>> 8) * 5.9604644775390625e-8;
        const m: f32 = u >= p ? scale : 0;
        const to = at + <usize>j * F32;
        store<f32>(mask + to, m);
        store<f32>(y + to, load<f32>(x + to) * m);
      }
    }
    i += count;
    w += <u64>count;
  }
}
