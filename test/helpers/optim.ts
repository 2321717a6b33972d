import { expect } from "vitest";

/** Asserts a and b hold the same numbers bit for bit (any NaN equals any NaN; +0 differs from -0). */
export function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, context = ""): void {
  expect(a.length, `${context} length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) expect.fail(`${context} at [${i}]: ${x} vs ${y}`);
  }
}
