import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { sizesFor } from "../helpers/sizes";
import { Philox } from "../../src/random/philox";
import { ln, normalQuantile } from "../../src/reference/random/core";
import { DisposedError, ShapeError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { DType } from "../../src/runtime/tensor";

/** Known-answer vectors of Philox4x32-10 from Random123 (kat_vectors): counter, key, output. */
const KAT: Array<{ ctr: number[]; key: number[]; out: number[] }> = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

function bits(rt: Runtime, n: number, key: number[], ctr: number[]): number[] {
  return rt.scope(() => {
    const t = rt.tensor([n]);
    rt.kernels.u32_philox_bits(t.ptr, n, key[0]!, key[1]!, ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!);
    return Array.from(new Uint32Array(rt.heap.buffer, t.ptr, n));
  });
}

/** The raw bytes of a fill, for bit-for-bit comparison (NaN-safe, -0-safe). */
function fillBytes(rt: Runtime, dtype: DType, n: number, draw: (g: Philox, t: any) => void, seed: number, stream: number, skip = 0): number[] {
  return rt.scope(() => {
    const t = rt.tensor([n], { dtype });
    const g = new Philox(seed, stream).skip(skip);
    draw(g, t);
    return Array.from(new Uint8Array(rt.heap.buffer, t.ptr, t.byteLength));
  });
}

const FILLS: Array<{ name: string; draw: (g: Philox, t: any) => void }> = [
  { name: "uniform", draw: (g, t) => g.uniform(t, { low: -0.3, high: 1.7 }) },
  { name: "normal", draw: (g, t) => g.normal(t, { mean: 0.5, std: 3 }) },
  { name: "integers", draw: (g, t) => g.integers(t, -5, 1000) },
];

describe("Philox4x32-10 kernels", () => {
  const { wasm, js } = twinRuntimes();

  it.each(KAT)("matches the Random123 known answer for counter $ctr", ({ ctr, key, out }) => {
    expect(bits(wasm, 4, key, ctr)).toEqual(out);
    expect(bits(js, 4, key, ctr)).toEqual(out);
  });

  it("gives the same words on both backends at every length, across a 2^32 block-counter carry", () => {
    for (const n of sizesFor(16).filter((n) => n <= 1000)) {
      const ctr = [0xfffffffd, 7, 11, 13];
      expect(bits(wasm, n, [1, 2], ctr), `n=${n}`).toEqual(bits(js, n, [1, 2], ctr));
    }
    // The 4-block v128 path carries into word 1 exactly like the scalar path: block 2^32 - 2
    // followed by 2^32 - 1, 2^32, 2^32 + 1 equals four single-block calls.
    const whole = bits(wasm, 16, [3, 4], [0xfffffffe, 0, 5, 6]);
    const pieces = [0xfffffffe, 0xffffffff, 0, 1].flatMap((lo, b) => bits(wasm, 4, [3, 4], [lo, b < 2 ? 0 : 1, 5, 6]));
    expect(whole).toEqual(pieces);
  });

  for (const dtype of ["f32", "f64"] as const) {
    for (const { name, draw } of FILLS) {
      it(`${dtype} ${name}: identical bits on wasm and js for every length, offset, seed and stream`, () => {
        const seeds: Array<[number, number]> = [
          [0, 0],
          [7, 3],
          [2 ** 53 - 1, 2 ** 40 + 5],
        ];
        for (const [seed, stream] of seeds) {
          for (const n of [...sizesFor(16).filter((n) => n <= 200), 1001]) {
            for (const skip of [0, 1, 3, 6]) {
              const a = fillBytes(wasm, dtype, n, draw, seed, stream, skip);
              const b = fillBytes(js, dtype, n, draw, seed, stream, skip);
              if (a.some((x, i) => x !== b[i])) expect.fail(`${dtype} ${name} seed=${seed} n=${n} skip=${skip} differs`);
            }
          }
        }
      });
    }
  }

  it("normal tails and the log: identical on both backends where AS 241 uses ln (|z| > 1.44)", () => {
    // 100003 normals hold about 15000 tail values; the comparison above covers few of them.
    const a = fillBytes(wasm, "f64", 100003, (g, t) => g.normal(t), 99, 1);
    const b = fillBytes(js, "f64", 100003, (g, t) => g.normal(t), 99, 1);
    expect(a.every((x, i) => x === b[i])).toBe(true);
  });
});

describe("the exact transcendentals behind the normals", () => {
  it("ln agrees with Math.log to 2 ulp over [2^-60, 2^10]", () => {
    for (let e = -60; e <= 10; e += 0.0137) {
      const x = 2 ** e;
      const want = Math.log(x);
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want) || 1)) - 52);
      expect(Math.abs(ln(x) - want), `x=${x}`).toBeLessThanOrEqual(2 * ulp + Number.MIN_VALUE);
    }
  });

  it("AS 241 reproduces known quantiles of the standard normal", () => {
    const known: Array<[number, number]> = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.025, -1.959963984540054],
      [0.8413447460685429, 1],
      [1e-10, -6.361340902404056],
      [1 - 1e-5, 4.26489079392384],
      [2 ** -53, -8.209536151601386],
    ];
    for (const [u, z] of known) expect(Math.abs(normalQuantile(u) - z), `u=${u}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(z)));
  });
});

describeBackends("Philox generator", (rt) => {
  it("gives the same values whether a fill is made at once or in pieces", () => {
    rt.scope(() => {
      for (const dtype of ["f32", "f64"] as const) {
        for (const { name, draw } of FILLS) {
          const whole = rt.tensor([103], { dtype });
          draw(new Philox(5, 2), whole);
          const g = new Philox(5, 2);
          const parts = [1, 16, 17, 3, 66].map((k) => {
            const t = rt.tensor([k], { dtype });
            draw(g, t);
            return t.toArray();
          });
          expect(parts.flat(), `${dtype} ${name}`).toEqual(whole.toArray());
        }
      }
    });
  });

  it("uniform: mean 1/2 and variance 1/12 within 5 standard errors (n = 10^6), values in [low, high)", () => {
    rt.scope(() => {
      const n = 1_000_000;
      for (const dtype of ["f32", "f64"] as const) {
        const x = new Philox(1).uniform(rt.tensor([n], { dtype })).data;
        let sum = 0;
        let sq = 0;
        let min = 1;
        let max = 0;
        for (const v of x) {
          sum += v;
          sq += (v - 0.5) ** 2;
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        // sd(mean) = sqrt(1/12 / n); sd(sample variance) = sqrt((1/80 - 1/144) / n).
        expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
        expect(Math.abs(sq / n - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
        expect(min).toBeGreaterThanOrEqual(0);
        expect(max).toBeLessThan(1);
        const y = new Philox(2).uniform(rt.tensor([1000], { dtype }), { low: -3, high: -2 }).data;
        expect(Math.min(...y)).toBeGreaterThanOrEqual(-3);
        expect(Math.max(...y)).toBeLessThan(-2);
      }
    });
  });

  it("normal: mean, variance, skewness and kurtosis within 5 standard errors (n = 10^6)", () => {
    rt.scope(() => {
      const n = 1_000_000;
      for (const dtype of ["f32", "f64"] as const) {
        const x = new Philox(3, 1).normal(rt.tensor([n], { dtype }), { mean: 2, std: 0.5 }).data;
        const m: [number, number, number, number] = [0, 0, 0, 0];
        for (const v of x) {
          const z = (v - 2) / 0.5;
          m[0] += z;
          m[1] += z * z;
          m[2] += z * z * z;
          m[3] += z * z * z * z;
        }
        const [mean, second, third, fourth] = m.map((s) => s / n) as [number, number, number, number];
        expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
        expect(Math.abs(second - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
        expect(Math.abs(third)).toBeLessThan(5 * Math.sqrt(15 / n));
        expect(Math.abs(fourth - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
      }
    });
  });

  it("f32 normals are the f64 normals of the same seed, rounded once", () => {
    rt.scope(() => {
      const a = new Philox(11).normal(rt.tensor([999], { dtype: "f32" }), { mean: 1, std: 2 }).toArray();
      const b = new Philox(11).normal(rt.tensor([999], { dtype: "f64" }), { mean: 1, std: 2 }).toArray();
      expect(a).toEqual(b.map(Math.fround));
    });
  });

  it("integers: every value in [low, high), chi-square over 10 values below the 0.1% critical value", () => {
    rt.scope(() => {
      const n = 100_000;
      const x = new Philox(4).integers(rt.tensor([n]), -3, 7).data;
      const counts = new Array(10).fill(0);
      for (const v of x) {
        expect(Number.isInteger(v) && v >= -3 && v < 7).toBe(true);
        counts[v + 3] += 1;
      }
      const chi2 = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
      expect(chi2).toBeLessThan(27.88); // chi-square, 9 degrees of freedom, p = 0.001
    });
  });

  it("permutation: each of 0..n-1 once; all 24 orders of n = 4 equally likely (chi-square)", () => {
    const g = new Philox(8);
    for (const n of [0, 1, 2, 5, 17, 1000]) {
      const p = g.permutation(rt, n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    const counts = new Map<string, number>();
    const samples = 24_000;
    for (let s = 0; s < samples; s++) {
      const key = g.permutation(rt, 4).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const expected = samples / 24;
    const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(49.73); // chi-square, 23 degrees of freedom, p = 0.001
  });

  it("streams of one seed, and seeds, are uncorrelated (|r| < 5 / sqrt(n))", () => {
    rt.scope(() => {
      const n = 200_000;
      const a = new Philox(9, 0).normal(rt.tensor([n], { dtype: "f64" })).data;
      const b = new Philox(9).spawn(1).normal(rt.tensor([n], { dtype: "f64" })).data;
      const c = new Philox(10, 0).normal(rt.tensor([n], { dtype: "f64" })).data;
      const corr = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i]!, 0) / n;
      expect(Math.abs(corr(a, b))).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(corr(a, c))).toBeLessThan(5 / Math.sqrt(n));
    });
  });

  it("state() round-trips, and 2-word values start on an even position", () => {
    rt.scope(() => {
      const g = new Philox(12, 4);
      g.uniform(rt.tensor([3]));
      expect(g.position).toBe(3);
      const saved = JSON.parse(JSON.stringify(g.state()));
      const next = g.normal(rt.tensor([5])).toArray();
      expect(g.position).toBe(4 + 10);
      expect(Philox.fromState(saved).normal(rt.tensor([5])).toArray()).toEqual(next);
    });
  });

  it("rejects bad arguments and changes nothing", () => {
    rt.scope(() => {
      const t = rt.tensor([4]).fill(7);
      const g = new Philox(1);
      const cases: Array<[() => unknown, new (...a: any[]) => Error, RegExp]> = [
        [() => new Philox(-1), ValueError, /Invalid seed: -1/],
        [() => new Philox(1.5), ValueError, /Invalid seed/],
        [() => new Philox(2 ** 53), ValueError, /Invalid seed/],
        [() => new Philox(0, NaN), ValueError, /Invalid stream/],
        [() => g.uniform(t, { low: 1, high: 1 }), ValueError, /Invalid high/],
        [() => g.uniform(t, { low: 0, high: Infinity }), ValueError, /Invalid high/],
        [() => g.uniform(t, { low: -1e308, high: 1e308 }), ValueError, /finite width/],
        [() => g.normal(t, { std: -1 }), ValueError, /Invalid std/],
        [() => g.integers(t, 0, 2 ** 33), ValueError, /Invalid high/],
        [() => g.integers(t, 0.5, 3), ValueError, /Invalid low/],
        [() => g.integers(t, 0, 2 ** 25), ValueError, /Invalid high/],
        [() => g.uniform(null as never), ValueError, /Invalid target/],
        [() => g.normal(rt.tensor([4], { dtype: "i32" }) as never), ShapeError, /expected dtype 'f32' or 'f64'/],
        [() => g.permutation(rt, -1), ValueError, /Invalid n/],
        [() => Philox.fromState({ seed: 1, stream: 0, position: -2 }), ValueError, /Invalid position/],
      ];
      for (const [call, type, message] of cases) {
        expect(call).toThrow(type);
        expect(call).toThrow(message);
      }
      expect(t.toArray()).toEqual([7, 7, 7, 7]);
      expect(g.position).toBe(0);
      const gone = rt.tensor([2]);
      gone.dispose();
      expect(() => g.normal(gone)).toThrow(DisposedError);
      expect(g.position).toBe(0);
    });
  });
});

describe("properties (fast-check)", () => {
  const { wasm, js } = twinRuntimes();
  it("any split of a fill into consecutive fills gives the same values, on both backends", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 53 - 1 }),
        fc.nat({ max: 2 ** 32 }),
        fc.nat({ max: 9 }),
        fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("f32" as const, "f64" as const),
        fc.constantFrom(0, 1, 2),
        (seed, stream, skip, pieces, dtype, which) => {
          const { draw } = FILLS[which]!;
          const n = pieces.reduce((a, b) => a + b, 0);
          const whole = fillBytes(wasm, dtype, n, draw, seed, stream, skip);
          expect(fillBytes(js, dtype, n, draw, seed, stream, skip)).toEqual(whole);
          const parts = wasm.scope(() => {
            const g = new Philox(seed, stream).skip(skip);
            return pieces.flatMap((k) => {
              const t = wasm.tensor([k], { dtype });
              draw(g, t);
              return Array.from(new Uint8Array(wasm.heap.buffer, t.ptr, t.byteLength));
            });
          });
          expect(parts).toEqual(whole);
        },
      ),
      { numRuns: 150, seed: 20261123 },
    );
  });
});
