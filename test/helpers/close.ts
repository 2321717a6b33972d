import { expect } from "vitest";

/**
 * Asserts |actual[i] - expected[i]| <= max(atol, rtol * |expected[i]|) for every i. A
 * failure names the first bad index, both values and the context.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-6, atol = 0, context = "" }: { rtol?: number; atol?: number; context?: string } = {},
): void {
  expect(actual.length, `${context} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Object.is(a, e) || Math.abs(a - e) <= Math.max(atol, rtol * Math.abs(e));
    if (!ok) expect.fail(`${context} at [${i}]: expected ${e}, got ${a} (rtol ${rtol}, atol ${atol})`);
  }
}

/** max_i |a_i - b_i| / max_i |b_i|: the normwise relative error of a against reference b. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}
