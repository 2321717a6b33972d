import { StateError, ValueError } from "../runtime/errors";

/**
 * Something whose state is saved and restored with an optimizer's: schedulers and
 * averagers. `stateDict()` returns a JSON-safe value; `loadStateDict()` validates it fully
 * before changing anything and throws StateError on a malformed, foreign or mismatched state.
 *
 * `prepareLoad(state)`, when present, is the first half of `loadStateDict()`: it validates
 * everything and returns a commit that writes the state and cannot fail. The optimizer uses
 * it to check every attached state before writing any, so a load is all or nothing. An
 * object without it is loaded directly and, if a later part fails, restored from the
 * `stateDict()` taken before.
 */
export interface Stateful {
  /** The state as a JSON-safe value. */
  stateDict(): unknown;
  /** Restores a value from stateDict(); throws StateError, changing nothing, for a bad one. */
  loadStateDict(state: unknown): void;
  /** Validates `state` fully and returns the write, which must not throw. */
  prepareLoad?(state: unknown): () => void;
}

/**
 * What a scheduler or averager needs of an optimizer: its parameter groups, and optionally
 * `attachState(key, stateful)`, through which the optimizer saves the attached object's
 * state inside its own `stateDict()` and restores it in `loadStateDict()`. Optimizers that
 * lack attachState still work; then save and load the scheduler's state yourself.
 */
export interface Attachable<G> {
  /** The groups whose fields (lr, momentum, ...) the scheduler writes. */
  readonly paramGroups: readonly G[];
  /** Saves `stateful`'s state under `key` inside the optimizer's own stateDict() from now on. */
  attachState?(key: string, stateful: Stateful): void;
  /** Stops saving the state under `key` (only if it is still `stateful`'s, when given). */
  detachState?(key: string, stateful?: Stateful): void;
}

/** The keys of G whose values are numbers: the hyperparameters a schedule may drive. */
export type NumericKeys<G> = { [K in keyof G]-?: G[K] extends number ? K : never }[keyof G] & string;

/** Registers `stateful` with the optimizer when it supports attachState (see {@link Attachable}). */
export function attachTo(optimizer: Attachable<unknown>, key: string, stateful: Stateful): void {
  if (typeof key !== "string" || key === "") throw new ValueError(`Invalid key: ${String(key)} (expected a non-empty string)`);
  optimizer.attachState?.(key, stateful);
}

/** Undoes {@link attachTo}: detaches `stateful` from the optimizer if it is still attached under `key`. */
export function detachFrom(optimizer: Attachable<unknown>, key: string, stateful: Stateful): void {
  optimizer.detachState?.(key, stateful);
}

/** The saved state as a record, after checking its kind and version. */
export function openState(state: unknown, kind: string, version: number): Record<string, unknown> {
  if (state === null || typeof state !== "object" || Array.isArray(state)) {
    throw new StateError(`Invalid ${kind} state: ${String(state)} (expected an object from stateDict())`);
  }
  const record = state as Record<string, unknown>;
  if (record.kind !== kind) throw new StateError(`Invalid ${kind} state: kind is ${String(record.kind)} (expected '${kind}')`);
  if (record.version !== version) {
    throw new StateError(`Unsupported ${kind} state version: ${String(record.version)} (expected ${version})`);
  }
  return record;
}

/** A field of a saved state that must be a number meeting `ok`. */
export function stateNumber(
  record: Record<string, unknown>,
  kind: string,
  field: string,
  ok: (value: number) => boolean,
  expected: string,
): number {
  const value = record[field];
  if (typeof value !== "number" || !ok(value)) {
    throw new StateError(`Invalid ${kind} state: ${field} is ${String(value)} (expected ${expected})`);
  }
  return value;
}

/** A field of a saved state that must be an array of `length` numbers meeting `ok`. */
export function stateNumbers(
  record: Record<string, unknown>,
  kind: string,
  field: string,
  length: number,
  ok: (value: number) => boolean,
  expected: string,
): number[] {
  const values = record[field];
  if (!Array.isArray(values) || values.length !== length) {
    throw new StateError(`Invalid ${kind} state: ${field} must be an array of ${length} (got ${describeShape(values)})`);
  }
  values.forEach((value, i) => {
    if (typeof value !== "number" || !ok(value)) {
      throw new StateError(`Invalid ${kind} state: ${field}[${i}] is ${String(value)} (expected ${expected})`);
    }
  });
  return values as number[];
}

function describeShape(value: unknown): string {
  return Array.isArray(value) ? `an array of ${value.length}` : String(value);
}

export const isStep = (value: number): boolean => Number.isInteger(value) && value >= 0;

export { decodeNumber, encodeNumber, type JsonNumber } from "../runtime/json-number";
