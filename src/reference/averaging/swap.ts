import type { Heap } from "../../runtime/heap";

/** Swaps `bytes` bytes at a and b through 32-bit words (bit-exact, NaN payloads included). */
function swapWords(h: Heap, a: number, b: number, bytes: number): void {
  const u32 = h.u32;
  const [A, B] = [a >>> 2, b >>> 2];
  for (let i = 0; i < bytes >>> 2; i++) {
    const x = u32[A + i]!;
    u32[A + i] = u32[B + i]!;
    u32[B + i] = x;
  }
}

/** Reference twin of assembly/averaging/swap.ts: exchanges n f32 at a and b. */
export function f32_swap(h: Heap, a: number, b: number, n: number): void {
  swapWords(h, a, b, n * 4);
}

/** Reference twin of assembly/averaging/swap.ts: exchanges n f64 at a and b. */
export function f64_swap(h: Heap, a: number, b: number, n: number): void {
  swapWords(h, a, b, n * 8);
}
