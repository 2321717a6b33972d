// Layout ops: slice and concat along an axis (strided block copies) and the transpose of the
// last two axes; `accumulate` selects y = x (forward) or y += x (the backward, which adds the
// gradient into the input's). A tensor seen as [outer, axis, inner] has contiguous blocks of
// axis * inner elements, one per outer index:
//   copy_blocks:  y[o yStride + k] (= or +=) x[o xStride + k],  o < outer, k < block
//   transpose:    y[b, j, i] (= or +=) x[b, i, j],  x of batch x rows x cols
// Copies use memory.copy per block; accumulation is v128 with a scalar tail (the same IEEE
// sum per element). Memory contract: y and x are disjoint and hold the extents above.

import { F32, blockedLength } from "../simd";

export function f32_copy_blocks(y: usize, x: usize, outer: i32, block: i32, yStride: i32, xStride: i32, accumulate: i32): void {
  const blocked = blockedLength(block, 4);
  for (let o = 0; o < outer; o++) {
    const dst = y + <usize>(o * yStride) * F32;
    const src = x + <usize>(o * xStride) * F32;
    if (!accumulate) {
      memory.copy(dst, src, <usize>block * F32);
      continue;
    }
    for (let k = 0; k < blocked; k += 4) {
      const at = <usize>k * F32;
      v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
    }
    for (let k = blocked; k < block; k++) {
      const at = <usize>k * F32;
      store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
    }
  }
}

export function f32_transpose(y: usize, x: usize, batch: i32, rows: i32, cols: i32, accumulate: i32): void {
  for (let b = 0; b < batch; b++) {
    const base = <usize>(b * rows * cols) * F32;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const to = y + base + <usize>(j * rows + i) * F32;
        const v = load<f32>(x + base + <usize>(i * cols + j) * F32);
        store<f32>(to, accumulate ? load<f32>(to) + v : v);
      }
    }
  }
}
