import type { Heap } from "../../runtime/heap";

/**
 * Reference twin of assembly/averaging/lerp.ts: avg <- avg + w (p - avg), in f32 arithmetic
 * (each operation rounded with Math.fround, as the wasm kernel rounds it), so the two agree
 * bit for bit.
 */
export function f32_lerp_toward(h: Heap, avg: number, p: number, n: number, w: number): void {
  const f32 = h.f32;
  const [A, P] = [avg >>> 2, p >>> 2];
  const w32 = Math.fround(w);
  for (let i = 0; i < n; i++) {
    const a = f32[A + i]!;
    f32[A + i] = a + Math.fround(w32 * Math.fround(f32[P + i]! - a));
  }
}

/** Reference twin of assembly/averaging/lerp.ts for f64: avg <- avg + w (p - avg). */
export function f64_lerp_toward(h: Heap, avg: number, p: number, n: number, w: number): void {
  const f64 = h.f64;
  const [A, P] = [avg >>> 3, p >>> 3];
  for (let i = 0; i < n; i++) {
    const a = f64[A + i]!;
    f64[A + i] = a + w * (f64[P + i]! - a);
  }
}
