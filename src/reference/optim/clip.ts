import { twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/clip.ts: the f64 sum of squares in the kernel's order (element i
 * of the first n & ~7 into accumulator i & 7, combined as ((a0 + a2) + (a4 + a6)) +
 * ((a1 + a3) + (a5 + a7)), then the tail one by one). NaN when an element is not finite,
 * +Infinity when finite inputs overflow.
 */
function sumsq(v: Lanes, x: number, n: number): number {
  const { a: m, shift } = v;
  const X = x >>> shift;
  const acc = new Float64Array(8);
  const blocked = n & ~7;
  for (let i = 0; i < blocked; i++) acc[i & 7]! += m[X + i]! * m[X + i]!;
  const lane = (j: number) => acc[j]! + acc[j + 2]! + (acc[j + 4]! + acc[j + 6]!);
  let total = lane(0) + lane(1);
  for (let i = blocked; i < n; i++) total += m[X + i]! * m[X + i]!;
  if (Number.isFinite(total)) return total;
  for (let i = 0; i < n; i++) if (!Number.isFinite(m[X + i]!)) return Number.NaN;
  return Number.POSITIVE_INFINITY;
}

export const [f32_sumsq, f64_sumsq] = twins(sumsq);
