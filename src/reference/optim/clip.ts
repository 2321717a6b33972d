import { twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/clip.ts: the f64 sum of (scale x)^2 in the kernel's order (element i
 * of the first n & ~15 into accumulator i & 15, combined pairwise as the kernel's f64x2
 * lanes are, then the tail one by one). NaN when an element is not finite,
 * +Infinity when finite inputs overflow.
 */
function sumsq(v: Lanes, x: number, n: number, scale: number): number {
  const { a: m, shift } = v;
  const X = x >>> shift;
  const acc = new Float64Array(16);
  const blocked = n & ~15;
  const square = (i: number) => {
    const y = m[X + i]! * scale;
    return y * y;
  };
  for (let i = 0; i < blocked; i++) acc[i & 15]! += square(i);
  const quad = (j: number) => acc[j]! + acc[j + 2]! + (acc[j + 4]! + acc[j + 6]!);
  const lane = (j: number) => quad(j) + quad(j + 8);
  let total = lane(0) + lane(1);
  for (let i = blocked; i < n; i++) total += square(i);
  if (Number.isFinite(total)) return total;
  for (let i = 0; i < n; i++) if (!Number.isFinite(m[X + i]!)) return Number.NaN;
  return Number.POSITIVE_INFINITY;
}

export const [f32_sumsq, f64_sumsq] = twins(sumsq);
