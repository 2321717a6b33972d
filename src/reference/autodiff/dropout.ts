import type { Heap } from "../../runtime/heap";
import { WordStream } from "../random/core";

/** Reference twin of assembly/autodiff/dropout.ts: mask_i = u_i >= p ? scale : 0, y_i = x_i mask_i. */
export function f32_dropout(
  h: Heap, y: number, mask: number, x: number, n: number, k0: number, k1: number, s0: number, s1: number, p: number, scale: number,
): void {
  const f32 = h.f32;
  const words = new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0);
  const [fp, fscale] = [Math.fround(p), Math.fround(scale)];
  for (let i = 0; i < n; i++) {
    const u = (words.at(i) >>> 8) * 5.9604644775390625e-8;
    const m = u >= fp ? fscale : 0;
    f32[(mask >>> 2) + i] = m;
    f32[(y >>> 2) + i] = f32[(x >>> 2) + i]! * m;
  }
}
