import { expect, it } from "vitest";
import fc from "fast-check";
import type { Kernels } from "../../../src/runtime/kernels";
import type { Runtime } from "../../../src/runtime/runtime";

/**
 * Property-based equivalence of each wasm kernel and its reference twin (issue 12).
 *
 * A property draws a case (buffers of values and scalar arguments), places each buffer at an
 * offset of 0-3 elements past a 16-byte boundary (so v128 loads are unaligned), surrounds it
 * with guard bytes, calls the kernel on both backends, and asserts:
 *   - every output buffer (and the return value) agrees within the tolerance the operation
 *     allows: bit-identical by default;
 *   - neither backend wrote outside its buffers (the guard bytes are intact).
 * Values come from `floats`, which mixes ordinary numbers with -0, subnormals, and very small
 * and very large magnitudes. Seeds: test/helpers/fast-check-seed.ts.
 */

export type BufferType = "f32" | "f64" | "i32" | "u32";

/** One buffer of a case: its element type, contents, and offset in elements past a 16-byte boundary. */
export interface BufferCase {
  type: BufferType;
  values: number[];
  offset: number;
}

export interface KernelCase<S extends object = Record<string, number>> {
  buffers: Record<string, BufferCase>;
  scalars: S;
}

/**
 * How closely the wasm output must match the twin's:
 *   "exact": same bits (any NaN equals any NaN, -0 differs from +0);
 *   { rtol, atol }: |a - b| <= max(atol, rtol |b|) elementwise;
 *   { normwise }: max |a - b| <= normwise * max |b| over the buffer (for sums with cancellation);
 *   { bounds }: |a_i - b_i| <= bounds[i], an error bound per element (derived from the inputs,
 *     when one scale for the whole buffer would be too loose); an infinite bound leaves the
 *     element unchecked (kernel scratch the twin leaves alone).
 * Non-finite values must match exactly under every tolerance (except under an infinite bound).
 */
export type Tolerance = "exact" | { rtol: number; atol?: number } | { normwise: number } | { bounds: ArrayLike<number> };

export interface KernelProperty<S extends object = Record<string, number>> {
  /** What the property checks; the test's name. */
  name: string;
  /** The kernel exports it covers (the coverage test requires every export in some property). */
  kernels: string[];
  cases: fc.Arbitrary<KernelCase<S>>;
  /** Calls the kernel(s); `ptr` maps each buffer name to its (offset) byte address. */
  call: (k: Kernels, ptr: Record<string, number>, s: S) => number | void;
  /** Per output buffer name, and "result" for the return value; default "exact". */
  tolerance?: Record<string, Tolerance> | ((c: KernelCase<S>) => Record<string, Tolerance>);
  /** Buffers that are inputs only or scratch: not compared (guards are still checked). */
  ignore?: string[];
  numRuns?: number;
}

/** Declares a property, inferring the scalar record's type from `cases`. */
export function kernelProperty<S extends object>(property: KernelProperty<S>): KernelProperty<any> {
  return property;
}

/** The properties with `numRuns` as their default (a property's own numRuns wins). */
export function withRuns(properties: KernelProperty<any>[], numRuns: number): KernelProperty<any>[] {
  return properties.map((property) => ({ numRuns, ...property }));
}

const BYTES: Record<BufferType, number> = { f32: 4, f64: 8, i32: 4, u32: 4 };
const GUARD_BYTES = 16;
const GUARD = 0xa5;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Smallest and largest subnormals, smallest normal, for each float type. */
export const SUBNORMALS = {
  f32: { min: 2 ** -149, max: 2 ** -126 - 2 ** -149, minNormal: 2 ** -126 },
  f64: { min: 2 ** -1074, max: 2 ** -1022 - 2 ** -1074, minNormal: 2 ** -1022 },
} as const;

export interface FloatRange {
  /** Largest magnitude drawn (default 1e30, which f32 holds). */
  max?: number;
  /** Smallest nonzero magnitude drawn (default: the smallest subnormal). */
  min?: number;
  /** Draw -0 and +0 (default true). */
  zeros?: boolean;
  /** Only values >= 0 (default false). */
  nonNegative?: boolean;
}

/**
 * Numbers representable in `type`: mostly ordinary (|x| <= 2), then log-uniform magnitudes
 * across the whole [min, max] range, then the edges themselves: +-0, the smallest and largest
 * subnormals, the smallest normal, 1e-30, 1e30 (each only when inside the range).
 */
export function floats(type: "f32" | "f64", range: FloatRange = {}): fc.Arbitrary<number> {
  const { max = 1e30, min = SUBNORMALS[type].min, zeros = true, nonNegative = false } = range;
  const round = type === "f32" ? Math.fround : (x: number) => x;
  const inRange = (x: number) => x === 0 || (Math.abs(x) >= min && Math.abs(x) <= max);
  const sub = SUBNORMALS[type];
  const edges = [sub.min, sub.max, sub.minNormal, 1e-30, 1, 1e30, max, min].map(round).filter((x) => x !== 0 && inRange(x));
  const signed = (magnitude: fc.Arbitrary<number>) =>
    nonNegative ? magnitude : fc.tuple(magnitude, fc.boolean()).map(([m, negative]) => (negative ? -m : m));
  const ordinary = uniform(0, Math.min(2, max)).map(round).filter(inRange);
  const wide = uniform(Math.log2(min), Math.log2(max)).map((e) => round(2 ** e)).filter((x) => x !== 0 && inRange(x));
  const arbitraries: fc.WeightedArbitrary<number>[] = [
    { weight: 8, arbitrary: signed(ordinary) },
    { weight: 3, arbitrary: signed(wide) },
    { weight: 1, arbitrary: signed(fc.constantFrom(...edges)) },
  ];
  if (zeros) arbitraries.push({ weight: 1, arbitrary: fc.constantFrom(0, -0).map((z) => (nonNegative ? 0 : z)) });
  return fc.oneof(...arbitraries);
}

/**
 * Uniform in [lo, hi]. (fc.double draws evenly over bit patterns, not values: from [0, 2]
 * nine in ten draws are below 1e-13, and from an exponent range like [-149, 100] nine in
 * ten land in (-1, 1).)
 */
export function uniform(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.maxSafeNat().map((i) => Math.min(hi, lo + (hi - lo) * (i / Number.MAX_SAFE_INTEGER)));
}

/** Lengths that reach every SIMD tail and a few vector bodies: the odd sizes first, then any up to max. */
export function lengths(max = 1100, min = 0): fc.Arbitrary<number> {
  const odd = [0, 1, 3, 5, 7, 15, 16, 17, 33].filter((n) => n >= min && n <= max);
  return fc.oneof(fc.constantFrom(...odd), fc.integer({ min, max }));
}

/** A buffer of exactly n values drawn from `values`, at a random offset of 0-3 elements. */
export function buffer(type: BufferType, n: number, values: fc.Arbitrary<number>): fc.Arbitrary<BufferCase> {
  return fc.record({
    type: fc.constant(type),
    values: fc.array(values, { minLength: n, maxLength: n }),
    offset: fc.integer({ min: 0, max: 3 }),
  });
}

// ---------------------------------------------------------------------------------------------
// Running a case on one backend

interface Outcome {
  buffers: Record<string, number[]>;
  result: number | void;
  guardsIntact: Record<string, boolean>;
}

function view(rt: Runtime, type: BufferType): Float32Array | Float64Array | Int32Array | Uint32Array {
  return rt.heap[type];
}

function run<S extends object>(rt: Runtime, property: KernelProperty<S>, c: KernelCase<S>): Outcome {
  return rt.scope(() => {
    const placed = Object.entries(c.buffers).map(([name, b]) => {
      const size = BYTES[b.type];
      const lead = GUARD_BYTES + b.offset * size;
      const bytes = lead + b.values.length * size + GUARD_BYTES;
      const storage = rt.tensor([Math.ceil(bytes / 4)], { dtype: "i32" });
      rt.heap.u8.fill(GUARD, storage.ptr, storage.ptr + storage.length * 4);
      const ptr = storage.ptr + lead;
      view(rt, b.type).set(b.values, ptr / size);
      return { name, b, ptr, start: storage.ptr, end: storage.ptr + storage.length * 4 };
    });
    const ptr = Object.fromEntries(placed.map((p) => [p.name, p.ptr]));
    const result = property.call(rt.kernels, ptr, c.scalars);
    const u8 = rt.heap.u8;
    const buffers: Record<string, number[]> = {};
    const guardsIntact: Record<string, boolean> = {};
    for (const { name, b, ptr: at, start, end } of placed) {
      const size = BYTES[b.type];
      buffers[name] = Array.from(view(rt, b.type).subarray(at / size, at / size + b.values.length));
      const dataEnd = at + b.values.length * size;
      guardsIntact[name] = u8.subarray(start, at).every((x) => x === GUARD) && u8.subarray(dataEnd, end).every((x) => x === GUARD);
    }
    return { buffers, result, guardsIntact };
  });
}

// ---------------------------------------------------------------------------------------------
// Comparing

function agree(a: number, b: number, tolerance: Tolerance, scale: number, i: number): boolean {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (tolerance !== "exact" && "bounds" in tolerance && tolerance.bounds[i] === Infinity) return true;
  if (tolerance === "exact" || !Number.isFinite(a) || !Number.isFinite(b)) return false;
  if ("normwise" in tolerance) return Math.abs(a - b) <= tolerance.normwise * scale;
  if ("bounds" in tolerance) return Math.abs(a - b) <= tolerance.bounds[i]!;
  return Math.abs(a - b) <= Math.max(tolerance.atol ?? 0, tolerance.rtol * Math.abs(b));
}

function expectAgree(name: string, wasm: number[], js: number[], tolerance: Tolerance): void {
  let scale = 0;
  for (const x of js) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  for (let i = 0; i < js.length; i++) {
    if (!agree(wasm[i]!, js[i]!, tolerance, scale, i)) {
      const allowed = tolerance !== "exact" && "bounds" in tolerance ? `bound ${tolerance.bounds[i]}` : `tolerance ${JSON.stringify(tolerance)}, scale ${scale}`;
      expect.fail(`${name}[${i}]: wasm ${wasm[i]} vs reference ${js[i]} (${allowed})`);
    }
  }
}

/**
 * Registers one vitest test per property: fast-check draws cases (from the global seed) and
 * each must give the same outputs on the wasm runtime and on the reference twins.
 */
export function checkKernelProperty<S extends object>(runtimes: { wasm: Runtime; js: Runtime }, property: KernelProperty<S>): void {
  it(`${property.name} (${property.kernels.join(", ")})`, () => {
    fc.assert(
      fc.property(property.cases, (c) => {
        const wasm = run(runtimes.wasm, property, c);
        const js = run(runtimes.js, property, c);
        const tolerances = typeof property.tolerance === "function" ? property.tolerance(c) : (property.tolerance ?? {});
        for (const name of Object.keys(c.buffers)) {
          expect(wasm.guardsIntact[name], `wasm wrote outside '${name}'`).toBe(true);
          expect(js.guardsIntact[name], `reference wrote outside '${name}'`).toBe(true);
          if (property.ignore?.includes(name)) continue;
          expectAgree(name, wasm.buffers[name]!, js.buffers[name]!, tolerances[name] ?? "exact");
        }
        if (typeof js.result === "number") expectAgree("result", [wasm.result as number], [js.result], tolerances.result ?? "exact");
      }),
      { numRuns: property.numRuns ?? 40 },
    );
  });
}
