/**
 * A small seeded generator for test data (mulberry32): reproducible inputs, independent of
 * the library's own RNG so that it can test that one.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi) from `seed`. */
export function uniformArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const next = seededRandom(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * next());
}
