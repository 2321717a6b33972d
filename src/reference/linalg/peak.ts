import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/linalg/peak.ts: 48 accumulators acc_j = j / 4 (rounded down), acc <- acc * a + b. */
export function f32_madd_peak(h: Heap, out: number, iterations: number, a: number, b: number): void {
  const f32 = h.f32;
  for (let j = 0; j < 48; j++) {
    let acc = Math.floor(j / 4);
    for (let i = 0; i < iterations; i++) acc = Math.fround(Math.fround(acc * a) + b);
    f32[(out >>> 2) + j] = acc;
  }
}
