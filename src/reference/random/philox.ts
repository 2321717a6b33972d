import type { Heap } from "../../runtime/heap";
import { WordStream, bounded, normalFill, philoxBlock, uniform53 } from "./core";

// Reference twins of assembly/random/philox.ts: one value at a time, same bits. `pos` is the
// stream position in 32-bit words; value i of a fill reads words pos + i * wordsPerValue.

/** n raw words from the block with counter (c0, c1, c2, c3) onward; (c0, c1) counts blocks. */
export function u32_philox_bits(
  h: Heap, out: number, n: number, k0: number, k1: number, c0: number, c1: number, c2: number, c3: number,
): void {
  const u32 = h.u32;
  const words = new Uint32Array(4);
  let lo = c0 >>> 0;
  let hi = c1 >>> 0;
  for (let i = 0; i < n; i += 4) {
    philoxBlock(lo, hi, c2 >>> 0, c3 >>> 0, k0 >>> 0, k1 >>> 0, words);
    for (let j = 0; j < 4 && i + j < n; j++) u32[(out >>> 2) + i + j] = words[j]!;
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  }
}

/** out[i] = fl32(fl32(u_i * scale) + shift), u_i = (word >>> 8) 2^-24. */
export function f32_philox_uniform(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, scale: number, shift: number,
): void {
  const f32 = h.f32;
  const words = new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0);
  const [fscale, fshift] = [Math.fround(scale), Math.fround(shift)];
  for (let i = 0; i < n; i++) {
    const u = (words.at(pos + i) >>> 8) * 5.9604644775390625e-8;
    f32[(out >>> 2) + i] = Math.fround(Math.fround(u * fscale) + fshift);
  }
}

/** out[i] = u_i * scale + shift, u_i = k 2^-53 from words pos + 2i, pos + 2i + 1. */
export function f64_philox_uniform(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, scale: number, shift: number,
): void {
  const f64 = h.f64;
  const words = new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0);
  for (let i = 0; i < n; i++) {
    const u = uniform53(words.at(pos + 2 * i), words.at(pos + 2 * i + 1));
    f64[(out >>> 3) + i] = u * scale + shift;
  }
}

/** view[o + i] = low + floor(x_i range / 2^64). */
function integerFill(view: Float32Array | Float64Array, o: number, n: number, words: WordStream, pos: number, low: number, range: number): void {
  for (let i = 0; i < n; i++) view[o + i] = low + bounded(words.at(pos + 2 * i), words.at(pos + 2 * i + 1), range);
}

/** out[i] = fl32(mean + std * Phi^-1(u_i)). */
export function f32_philox_normal(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, mean: number, std: number,
): void {
  normalFill(h.f32, out >>> 2, -1, n, k0, k1, s0, s1, pos, mean, std);
}

/** out[i] = mean + std * Phi^-1(u_i). */
export function f64_philox_normal(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, mean: number, std: number,
): void {
  normalFill(h.f64, out >>> 3, -1, n, k0, k1, s0, s1, pos, mean, std);
}

/** Integers in [low, low + range) as f32. */
export function f32_philox_integer(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, low: number, range: number,
): void {
  integerFill(h.f32, out >>> 2, n, new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0), pos, low, range);
}

/** Integers in [low, low + range) as f64. */
export function f64_philox_integer(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number, low: number, range: number,
): void {
  integerFill(h.f64, out >>> 3, n, new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0), pos, low, range);
}

/** Fisher-Yates (Durstenfeld): for i = n-1..1 swap out[i], out[j], j from value t = n-1-i. */
export function u32_permutation(
  h: Heap, out: number, n: number, k0: number, k1: number, s0: number, s1: number, pos: number,
): void {
  const u32 = h.u32;
  const base = out >>> 2;
  const words = new WordStream(k0 >>> 0, k1 >>> 0, s0 >>> 0, s1 >>> 0);
  for (let i = 0; i < n; i++) u32[base + i] = i;
  for (let i = n - 1, t = 0; i > 0; i--, t++) {
    const j = bounded(words.at(pos + 2 * t), words.at(pos + 2 * t + 1), i + 1);
    const swap = u32[base + i]!;
    u32[base + i] = u32[base + j]!;
    u32[base + j] = swap;
  }
}
