import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, withRuns, type KernelProperty } from "./harness";

/**
 * The counter-based random kernels (assembly/random/) against their twins. Philox words and
 * their transformations into numbers are exact integer and IEEE operations in the same order
 * on both sides (documented: the same bits on wasm and js), so every property is bit-identical:
 * random keys, streams, counters (across the 2^32 carry of the block counter) and positions
 * (up to 2^53), odd lengths that split the 4-block v128 path, unaligned outputs.
 */

/** A 32-bit word: any, or one at a carry. */
const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 0xfffffffd, 0xfffffffe, 0xffffffff));

/**
 * A stream position in words, a multiple of `wordsPerValue`: near the start, around word 2^34
 * (where the block counter carries into its high word), or anywhere below 2^53 (room left).
 */
export const position = (wordsPerValue: number) =>
  fc
    .oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 2 ** 34 - 80, max: 2 ** 34 + 16 }),
      fc.integer({ min: 0, max: 2 ** 53 - 2 ** 16 }),
    )
    .map((pos) => pos - (pos % wordsPerValue));

/** Key and stream of a fill. */
export const stream = { k0: u32, k1: u32, s0: u32, s1: u32 };
const size = lengths(300);

export const RANDOM: KernelProperty[] = withRuns([
  kernelProperty({
    name: "u32 philox_bits: raw Philox4x32-10 words from any counter (the 64-bit block counter wraps)",
    kernels: ["u32_philox_bits"],
    cases: size.chain((n) =>
      fc.record({
        buffers: fc.record({ out: buffer("u32", n, u32) }),
        scalars: fc.record({ n: fc.constant(n), k0: u32, k1: u32, c0: u32, c1: u32, c2: u32, c3: u32 }),
      }),
    ),
    call: (k, p, s) => k.u32_philox_bits(p.out!, s.n, s.k0, s.k1, s.c0, s.c1, s.c2, s.c3),
  }),
  kernelProperty({
    name: "u32 permutation: Fisher-Yates from the stream",
    kernels: ["u32_permutation"],
    cases: size.chain((n) =>
      fc.record({
        buffers: fc.record({ out: buffer("u32", n, u32) }),
        scalars: fc.record({ n: fc.constant(n), ...stream, pos: position(2) }),
      }),
    ),
    call: (k, p, s) => k.u32_permutation(p.out!, s.n, s.k0, s.k1, s.s0, s.s1, s.pos),
  }),
  ...(["f32", "f64"] as const).flatMap((type): KernelProperty[] => {
    const values = floats(type);
    const words = type === "f32" ? 1 : 2; // per uniform value
    /** A fill of n values into `out` (random old contents). */
    const fill = <S extends object>(scalars: { [K in keyof S]: fc.Arbitrary<S[K]> }) =>
      size.chain((n) =>
        fc.record({
          buffers: fc.record({ out: buffer(type, n, values) }),
          scalars: fc.record({ n: fc.constant(n), ...stream, ...scalars }) as fc.Arbitrary<{ n: number; k0: number; k1: number; s0: number; s1: number } & S>,
        }),
      );
    return [
      kernelProperty({
        name: `${type} philox_uniform: u scale + shift, u on the 2^-${type === "f32" ? 24 : 53} grid`,
        kernels: [`${type}_philox_uniform`],
        cases: fill({ pos: position(words), scale: values, shift: values }),
        call: (k, p, s) => k[`${type}_philox_uniform`](p.out!, s.n, s.k0, s.k1, s.s0, s.s1, s.pos, s.scale, s.shift),
      }),
      kernelProperty({
        name: `${type} philox_normal: mean + std Phi^-1(u), rounded once`,
        kernels: [`${type}_philox_normal`],
        cases: fill({ pos: position(2), mean: floats("f64"), std: floats("f64") }),
        call: (k, p, s) => k[`${type}_philox_normal`](p.out!, s.n, s.k0, s.k1, s.s0, s.s1, s.pos, s.mean, s.std),
      }),
      kernelProperty({
        name: `${type} philox_integer: low + floor(x range / 2^64), range up to 2^32`,
        kernels: [`${type}_philox_integer`],
        cases: fill({
          pos: position(2),
          low: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), floats("f64")),
          range: fc.oneof(fc.integer({ min: 1, max: 2 ** 32 }), fc.constantFrom(1, 2, 2 ** 31, 2 ** 32 - 1, 2 ** 32)),
        }),
        call: (k, p, s) => k[`${type}_philox_integer`](p.out!, s.n, s.k0, s.k1, s.s0, s.s1, s.pos, s.low, s.range),
      }),
    ];
  }),
], 100);
