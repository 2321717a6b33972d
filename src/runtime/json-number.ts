/**
 * A number as saved states keep it in JSON: finite numbers as themselves; NaN, +-Infinity and
 * -0, which JSON cannot hold, as strings. Shared by the optimizers', schedulers' and averagers'
 * state formats.
 */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity" | "-0";

const SPECIAL: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

export function encodeNumber(x: number): JsonNumber {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Object.is(x, -0)) return "-0";
  return x;
}

/** The number a {@link JsonNumber} stands for, or undefined when `x` is not one (own keys only). */
export function decodeNumber(x: unknown): number | undefined {
  if (typeof x === "number") return x;
  if (typeof x === "string" && Object.hasOwn(SPECIAL, x)) return SPECIAL[x];
  return undefined;
}
