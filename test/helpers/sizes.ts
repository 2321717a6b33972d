/**
 * Lengths that exercise a kernel of SIMD tile T: empty, every tail (1..T-1), one tile,
 * tile plus tail, multiples, and large odd lengths.
 */
export function sizesFor(tile: number): number[] {
  const sizes = new Set<number>([0]);
  for (let n = 1; n < 2 * tile; n++) sizes.add(n);
  for (let n = 2 * tile; n <= 9 * tile; n += tile) sizes.add(n);
  for (const n of [15, 16, 17, 33, 1000, 100003]) sizes.add(n);
  return [...sizes].sort((a, b) => a - b);
}

/** The lengths issue 2 names for the optimizer twin tests. */
export const OPTIMIZER_SIZES = [1, 3, 4, 5, 7, 8, 15, 16, 17, 1000, 100003];
