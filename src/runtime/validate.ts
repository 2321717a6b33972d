import { ValueError } from "./errors";

/** Bounds for {@link checkNumber}; every bound is optional. */
export interface NumberBounds {
  /** value >= min */
  min?: number;
  /** value > above */
  above?: number;
  /** value <= max */
  max?: number;
  /** value < below */
  below?: number;
  /** value is a whole number */
  integer?: boolean;
}

function describe(bounds: NumberBounds): string {
  const parts: string[] = [];
  if (bounds.min !== undefined) parts.push(`>= ${bounds.min}`);
  if (bounds.above !== undefined) parts.push(`> ${bounds.above}`);
  if (bounds.max !== undefined) parts.push(`<= ${bounds.max}`);
  if (bounds.below !== undefined) parts.push(`< ${bounds.below}`);
  const kind = bounds.integer ? "an integer" : "a finite number";
  return parts.length ? `${kind} ${parts.join(" and ")}` : kind;
}

/**
 * Returns `value` when it is a finite number within `bounds`; otherwise throws
 * `ValueError("Invalid <name>: <value> (expected ...)")`.
 */
export function checkNumber(name: string, value: unknown, bounds: NumberBounds = {}): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!bounds.integer || Number.isInteger(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.below === undefined || value < bounds.below);
  if (!ok) throw new ValueError(`Invalid ${name}: ${String(value)} (expected ${describe(bounds)})`);
  return value as number;
}

/** The smallest positive number of each float dtype: its least subnormal. */
export const SMALLEST_POSITIVE = { f32: 2 ** -149, f64: Number.MIN_VALUE } as const;

/** The largest finite number of each float dtype. */
export const LARGEST_FINITE = { f32: 3.4028234663852886e38, f64: Number.MAX_VALUE } as const;

/**
 * Returns `eps` when it is a finite number >= `least`, the floor below which it no longer
 * does its job in the caller's dtype (`why` says how); throws ValueError otherwise.
 */
export function checkEps(value: unknown, least: number, why: string): number {
  const eps = checkNumber("eps", value, { above: 0 });
  if (eps < least) throw new ValueError(`Invalid eps: ${eps} (expected >= ${least}: ${why})`);
  return eps;
}

/** Returns `value` when it is a boolean; otherwise throws `ValueError("Invalid <name>: ...")`. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new ValueError(`Invalid ${name}: ${String(value)} (expected true or false)`);
  return value;
}

/**
 * The options object of a call: `value` when it is an object, `{}` when it is undefined and the
 * options are optional; otherwise (null, a number, ...) ValueError, rather than the TypeError
 * that reading a field of it would throw.
 */
export function checkOptions<T extends object>(value: T | undefined, { required = false, name = "options" } = {}): T {
  if (value === undefined && !required) return {} as T;
  if (value === null || typeof value !== "object") throw new ValueError(`Invalid ${name}: ${String(value)} (expected an object)`);
  return value;
}

/** Returns `value` when it is a function; otherwise throws ValueError. */
export function checkFunction<T>(name: string, value: T): T {
  if (typeof value !== "function") throw new ValueError(`Invalid ${name}: ${String(value)} (expected a function)`);
  return value;
}
