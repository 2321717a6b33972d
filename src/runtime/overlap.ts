import { ValueError } from "./errors";
import type { Tensor } from "./tensor";

/** Whether two tensors share any byte of memory. */
export function overlaps(a: Tensor, b: Tensor): boolean {
  return a.ptr < b.ptr + b.byteLength && b.ptr < a.ptr + a.byteLength;
}

/** A named operand; null (an absent optional operand) is skipped. */
export type Operand = readonly [name: string, tensor: Tensor | null | undefined];

/**
 * The aliasing check of every entry point that writes: throws ValueError when an operand it
 * writes overlaps another operand (read or written) that the entry point does not declare as a
 * permitted alias. Called with everything else validated and before anything is written, so a
 * rejected call changes nothing. `allowed` lists [written, other] name pairs that may overlap.
 */
export function checkNoOverlap(
  context: string,
  written: readonly Operand[],
  others: readonly Operand[],
  allowed: readonly (readonly [string, string])[] = [],
): void {
  const all = [...written, ...others];
  for (const [name, out] of written) {
    if (!out) continue;
    for (const [otherName, other] of all) {
      if (!other || otherName === name) continue;
      if (allowed.some(([a, b]) => (a === name && b === otherName) || (a === otherName && b === name))) continue;
      if (overlaps(out, other)) {
        throw new ValueError(`${context}: ${name} overlaps ${otherName} (${name} is written, so it must not share memory with ${otherName})`);
      }
    }
  }
}
