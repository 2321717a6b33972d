import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/autodiff/layout.ts: y[o yStride + k] (= or +=) x[o xStride + k]. */
export function f32_copy_blocks(
  h: Heap, y: number, x: number, outer: number, block: number, yStride: number, xStride: number, accumulate: number,
): void {
  const f32 = h.f32;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < block; k++) {
      const [to, from] = [(y >>> 2) + o * yStride + k, (x >>> 2) + o * xStride + k];
      f32[to] = accumulate ? f32[to]! + f32[from]! : f32[from]!;
    }
  }
}

/** Reference twin: y[b, j, i] (= or +=) x[b, i, j]. */
export function f32_transpose(h: Heap, y: number, x: number, batch: number, rows: number, cols: number, accumulate: number): void {
  const f32 = h.f32;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const to = (y >>> 2) + b * rows * cols + j * rows + i;
        const v = f32[(x >>> 2) + b * rows * cols + i * cols + j]!;
        f32[to] = accumulate ? f32[to]! + v : v;
      }
    }
  }
}
