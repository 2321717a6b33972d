import type { Heap } from "../../runtime/heap";

// Reference twin of assembly/init/gather.ts.

/** out[r, :] = src[idx[r], :] for r < count, f32 rows of `cols` elements. */
export function f32_gather_rows(h: Heap, out: number, src: number, idx: number, count: number, cols: number): void {
  const [f32, u32] = [h.f32, h.u32];
  for (let r = 0; r < count; r++) {
    const from = (src >>> 2) + u32[(idx >>> 2) + r]! * cols;
    f32.copyWithin((out >>> 2) + r * cols, from, from + cols);
  }
}

/** out[r, :] = src[idx[r], :] for r < count, f64 rows of `cols` elements. */
export function f64_gather_rows(h: Heap, out: number, src: number, idx: number, count: number, cols: number): void {
  const [f64, u32] = [h.f64, h.u32];
  for (let r = 0; r < count; r++) {
    const from = (src >>> 3) + u32[(idx >>> 2) + r]! * cols;
    f64.copyWithin((out >>> 3) + r * cols, from, from + cols);
  }
}

/** out[i] = start + i as u32. */
export function u32_range(h: Heap, out: number, n: number, start: number): void {
  const u32 = h.u32;
  for (let i = 0; i < n; i++) u32[(out >>> 2) + i] = start + i;
}
