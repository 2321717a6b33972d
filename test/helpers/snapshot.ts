import { expect } from "vitest";
import type { MemoryStats, Runtime } from "../../src/runtime/runtime";

/** A copy of a runtime's whole linear memory and its memory statistics at one moment. */
export interface MemorySnapshot {
  readonly bytes: Buffer;
  readonly stats: MemoryStats;
}

/** Copies every byte of `rt`'s linear memory (one memcpy) and `rt.memoryStats()`. */
export function snapshot(rt: Runtime): MemorySnapshot {
  return { bytes: Buffer.from(new Uint8Array(rt.memory.buffer)), stats: rt.memoryStats() };
}

/** A view (no copy) of the memory as it is now. */
function current(rt: Runtime): Buffer {
  const buffer = rt.memory.buffer;
  return Buffer.from(buffer as ArrayBuffer, 0, buffer.byteLength);
}

/** The first byte address at which a and b differ (they differ somewhere), by halving with memcmp. */
function firstDifference(a: Buffer, b: Buffer): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  if (a.subarray(lo, hi).equals(b.subarray(lo, hi))) return hi;
  // Invariant: [0, lo) equal, [lo, hi) holds a difference.
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (a.subarray(lo, mid).equals(b.subarray(lo, mid))) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Asserts that every byte of the runtime's memory and every memory statistic (live bytes and
 * tensors, peak, capacity) are what `before` recorded. Comparison runs at memcmp speed; a
 * failure names the first differing byte address and its old and new values.
 */
export function expectUnchanged(rt: Runtime, before: MemorySnapshot, context = ""): void {
  const where = context ? `${context}: ` : "";
  expect(rt.memoryStats(), `${where}memoryStats() changed`).toEqual(before.stats);
  const now = current(rt);
  if (now.length === before.bytes.length && now.equals(before.bytes)) return;
  if (now.length !== before.bytes.length) expect.fail(`${where}the memory grew from ${before.bytes.length} to ${now.length} bytes`);
  const at = firstDifference(before.bytes, now);
  const show = (b: Buffer) => Array.from(b.subarray(at, at + 8), (x) => x.toString(16).padStart(2, "0")).join(" ");
  expect.fail(`${where}memory changed at byte ${at} (0x${at.toString(16)}): [${show(before.bytes)}] -> [${show(now)}]`);
}

type ErrorClass = abstract new (...args: never[]) => Error;

function runtimesOf(runtimes: Runtime | readonly Runtime[]): readonly Runtime[] {
  return Array.isArray(runtimes) ? runtimes : [runtimes as Runtime];
}

/** What a call did: returned, or threw `error`. */
type Outcome = { threw: false } | { threw: true; error: unknown };

/**
 * Asserts the call threw exactly an `errorClass` (not a subclass or a parent) matching
 * `message`, and that every runtime is bit-identical to its snapshot `before`.
 */
function expectThrownUnchanged(
  outcome: Outcome, all: readonly Runtime[], before: MemorySnapshot[], errorClass: ErrorClass, message: RegExp,
): Error {
  if (!outcome.threw) expect.fail(`expected ${errorClass.name} matching ${message}, but nothing was thrown`);
  const error = outcome.error as Error;
  if (error?.constructor !== errorClass) {
    const got = (error as { constructor?: { name?: string } })?.constructor?.name ?? typeof error;
    expect.fail(`expected ${errorClass.name} matching ${message}, got ${got}: ${String(error?.message ?? error)}`);
  }
  expect(error.message, `${errorClass.name} message`).toMatch(message);
  all.forEach((rt, i) => expectUnchanged(rt, before[i]!, all.length > 1 ? `runtime ${i}` : ""));
  return error;
}

/**
 * Runs `fn` and asserts it throws exactly `errorClass` with a message matching `message`, and
 * that every runtime in `runtimes` is bit-identical to before (memory and statistics).
 * Returns the error for further checks.
 */
export function expectThrowsUnchanged(
  runtimes: Runtime | readonly Runtime[],
  fn: () => unknown,
  errorClass: ErrorClass,
  message: RegExp,
): Error {
  const all = runtimesOf(runtimes);
  const before = all.map(snapshot);
  let outcome: Outcome = { threw: false };
  try {
    fn();
  } catch (error) {
    outcome = { threw: true, error };
  }
  return expectThrownUnchanged(outcome, all, before, errorClass, message);
}

/** As {@link expectThrowsUnchanged}, for a call that returns a promise which must reject. */
export async function expectRejectsUnchanged(
  runtimes: Runtime | readonly Runtime[],
  fn: () => Promise<unknown>,
  errorClass: ErrorClass,
  message: RegExp,
): Promise<Error> {
  const all = runtimesOf(runtimes);
  const before = all.map(snapshot);
  let outcome: Outcome = { threw: false };
  try {
    await fn();
  } catch (error) {
    outcome = { threw: true, error };
  }
  return expectThrownUnchanged(outcome, all, before, errorClass, message);
}
