import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/nn/column_sums.ts: out_j += sum_i x_ij. */
export function f32_add_column_sums(h: Heap, out: number, x: number, rows: number, cols: number): void {
  const f32 = h.f32;
  for (let j = 0; j < cols; j++) {
    let acc = f32[(out >>> 2) + j]!;
    for (let i = 0; i < rows; i++) acc += f32[(x >>> 2) + i * cols + j]!;
    f32[(out >>> 2) + j] = acc;
  }
}
