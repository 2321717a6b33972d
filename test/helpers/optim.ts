import { expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime";
import type { Param } from "../../src/runtime/tensor";

/** Asserts a and b hold the same numbers bit for bit (any NaN equals any NaN; +0 differs from -0). */
export function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, context = ""): void {
  expect(a.length, `${context} length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) expect.fail(`${context} at [${i}]: ${x} vs ${y}`);
  }
}

/** Every byte of the runtime's memory plus each param's values and gradient: for "nothing changed" checks. */
export function snapshotMemory(rt: Runtime, params: Param[]): number[][] {
  return [...params.flatMap((p) => [p.toArray(), p.grad.toArray()]), Array.from(new Uint8Array(rt.memory.buffer))];
}
