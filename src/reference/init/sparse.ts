import type { Heap } from "../../runtime/heap";
import { bounded, normalQuantile, openUniform52, philoxBlock } from "../random/core";

// Reference twin of assembly/init/sparse.ts (Martens 2010): exactly k non-zero N(0, std^2)
// weights per column, rows picked by a partial Fisher-Yates shuffle; value v = j k + t uses
// Philox block pos / 4 + v (words 0, 1: the row; words 2, 3: the normal).

function sparse(h: Heap, out: Float32Array | Float64Array, o: number, rows: number, cols: number, k: number, rowsScratch: number, k0: number, k1: number, s0: number, s1: number, pos: number, std: number): void {
  out.fill(0, o, o + rows * cols);
  const u32 = h.u32;
  const scratch = rowsScratch >>> 2;
  const words = new Uint32Array(4);
  let block = pos / 4;
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) u32[scratch + i] = i;
    for (let t = 0; t < k; t++, block++) {
      philoxBlock(block >>> 0, Math.floor(block / 4294967296) >>> 0, s0 >>> 0, s1 >>> 0, k0 >>> 0, k1 >>> 0, words);
      const pick = t + bounded(words[0]!, words[1]!, rows - t);
      const row = u32[scratch + pick]!;
      u32[scratch + pick] = u32[scratch + t]!;
      u32[scratch + t] = row;
      out[o + row * cols + j] = std * normalQuantile(openUniform52(words[2]!, words[3]!));
    }
  }
}

/** Exactly k non-zeros N(0, std^2) per column of a rows x cols f32 matrix. */
export function f32_sparse(h: Heap, out: number, rows: number, cols: number, k: number, rowsScratch: number, k0: number, k1: number, s0: number, s1: number, pos: number, std: number): void {
  sparse(h, h.f32, out >>> 2, rows, cols, k, rowsScratch, k0, k1, s0, s1, pos, std);
}

/** Exactly k non-zeros N(0, std^2) per column of a rows x cols f64 matrix. */
export function f64_sparse(h: Heap, out: number, rows: number, cols: number, k: number, rowsScratch: number, k0: number, k1: number, s0: number, s1: number, pos: number, std: number): void {
  sparse(h, h.f64, out >>> 3, rows, cols, k, rowsScratch, k0, k1, s0, s1, pos, std);
}
