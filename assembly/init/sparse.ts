// Sparse initialization (Martens, "Deep learning via Hessian-free optimization", ICML 2010,
// section 5): every unit gets exactly k non-zero incoming weights, drawn from N(0, std^2);
// all others are zero. For a weight matrix of `rows` inputs x `cols` units (row-major, the
// layout of x W), column j holds its k non-zeros at rows chosen uniformly without
// replacement by a partial Fisher-Yates shuffle.
// Randomness: value v = j k + t (column j, t-th non-zero) uses Philox block pos / 4 + v:
// words 0, 1 pick the row (Lemire multiply-shift on 64 bits), words 2, 3 the normal (AS 241).
// Memory contract: out holds rows cols elements (overwritten), rowsScratch rows u32; pos is a
// multiple of 4; disjoint buffers.

import { bounded, normalQuantile, openUniform52, philoxBlock, word } from "../random/core";

// @ts-ignore: decorator
@inline
function sparseFill<T>(out: usize, rows: i32, cols: i32, k: i32, rowsScratch: usize, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, std: f64): void {
  memory.fill(out, 0, <usize>rows * <usize>cols * sizeof<T>());
  let block = <u64>pos >> 2;
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) store<u32>(rowsScratch + (<usize>i << 2), <u32>i);
    for (let t = 0; t < k; t++, block++) {
      philoxBlock(<u32>block, <u32>(block >> 32), s0, s1, k0, k1);
      const pick = <usize>t + <usize>bounded(word(0), word(1), <u64>(rows - t));
      const a = rowsScratch + (<usize>t << 2);
      const b = rowsScratch + (pick << 2);
      const row = load<u32>(b);
      store<u32>(b, load<u32>(a));
      store<u32>(a, row);
      const value = std * normalQuantile(openUniform52(word(2), word(3)));
      store<T>(out + (<usize>row * <usize>cols + <usize>j) * sizeof<T>(), <T>value);
    }
  }
}

/** Exactly k non-zeros N(0, std^2) per column of a rows x cols f32 matrix. */
export function f32_sparse(out: usize, rows: i32, cols: i32, k: i32, rowsScratch: usize, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, std: f64): void {
  sparseFill<f32>(out, rows, cols, k, rowsScratch, k0, k1, s0, s1, pos, std);
}

/** Exactly k non-zeros N(0, std^2) per column of a rows x cols f64 matrix. */
export function f64_sparse(out: usize, rows: i32, cols: i32, k: i32, rowsScratch: usize, k0: u32, k1: u32, s0: u32, s1: u32, pos: f64, std: f64): void {
  sparseFill<f64>(out, rows, cols, k, rowsScratch, k0, k1, s0, s1, pos, std);
}
