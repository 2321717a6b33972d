import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/autodiff/gather.ts: dtable[idx[r], :] += g[r, :], rows in order. */
export function f32_scatter_add_rows(h: Heap, dtable: number, g: number, idx: number, count: number, cols: number): void {
  const [f32, i32] = [h.f32, h.i32];
  for (let r = 0; r < count; r++) {
    const dst = (dtable >>> 2) + i32[(idx >>> 2) + r]! * cols;
    for (let j = 0; j < cols; j++) f32[dst + j] = f32[dst + j]! + f32[(g >>> 2) + r * cols + j]!;
  }
}
