import { describe, expect, it } from "vitest";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { CurriculumSampler, linearHardFraction } from "../../src/data/curriculum";
import { Minibatches, growingBatchSize, sampleWithoutReplacement } from "../../src/data/minibatch";
import { Philox } from "../../src/random/philox";
import { DisposedError, ShapeError, ValueError } from "../../src/runtime/errors";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);

describeBackends("Minibatches", (rt) => {
  it("visits every index exactly once per epoch, in batches of the requested size", () => {
    for (const [n, size] of [
      [10, 3],
      [1000, 128],
      [7, 7],
      [5, 100],
    ] as const) {
      const batches = new Minibatches(rt, n, { batchSize: size, rng: 3 });
      for (let e = 0; e < 3; e++) {
        const seen = [...batches.epoch()];
        expect(seen.map((b) => b.indices.length)).toEqual(range(Math.ceil(n / size)).map((i) => Math.min(size, n - i * size)));
        expect(sorted(seen.flatMap((b) => [...b.indices]))).toEqual(range(n));
        expect(seen.every((b) => b.epoch === e)).toBe(true);
      }
      batches.dispose();
    }
  });

  it("'once' keeps one shuffled order; 'everyEpoch' draws a new one; 'none' is 0..n-1", () => {
    const order = (b: Minibatches) => [...b.epoch()].flatMap((x) => [...x.indices]);
    const once = new Minibatches(rt, 50, { batchSize: 8, shuffle: "once", rng: 1 });
    const first = order(once);
    expect(first).not.toEqual(range(50));
    expect(order(once)).toEqual(first);
    const every = new Minibatches(rt, 50, { batchSize: 8, shuffle: "everyEpoch", rng: 1 });
    const e0 = order(every);
    const e1 = order(every);
    expect(e0).toEqual(first); // epoch 0 of both uses the same first permutation of the stream
    expect(e1).not.toEqual(e0);
    expect(sorted(e1)).toEqual(range(50));
    const none = new Minibatches(rt, 50, { batchSize: 8, shuffle: "none" });
    expect(order(none)).toEqual(range(50));
    [once, every, none].forEach((b) => b.dispose());
  });

  it("the shuffled order is the seed's permutation, the same on both backends", () => {
    const batches = new Minibatches(rt, 30, { batchSize: 30, rng: new Philox(77, 5) });
    const [batch] = [...batches.epoch()];
    expect([...batch!.indices]).toEqual([...new Philox(77, 5).permutation(rt, 30)]);
    batches.dispose();
  });

  it("dropLast skips the short final batch", () => {
    const batches = new Minibatches(rt, 10, { batchSize: 4, dropLast: true });
    expect([...batches.epoch()].map((b) => b.indices.length)).toEqual([4, 4]);
    batches.dispose();
  });

  it("grows the batch size by epoch with growingBatchSize", () => {
    const schedule = growingBatchSize({ initial: 4, factor: 2, every: 2, max: 20 });
    expect(range(8).map(schedule)).toEqual([4, 4, 8, 8, 16, 16, 20, 20]);
    const batches = new Minibatches(rt, 40, { batchSize: schedule, rng: 2 });
    const counts = range(5).map(() => [...batches.epoch()].length);
    expect(counts).toEqual([10, 10, 5, 5, 3]);
    batches.dispose();
  });

  it("gathers the rows of a batch into a batch tensor (f32 and f64, vectors and matrices)", () => {
    rt.scope(() => {
      for (const dtype of ["f32", "f64"] as const) {
        const n = 37;
        const x = rt.fromArray(uniformArray(n * 6, 9), [n, 2, 3], { dtype });
        const y = rt.fromArray(range(n), [n], { dtype });
        const batches = new Minibatches(rt, n, { batchSize: 10, rng: 4 });
        const into = rt.tensor([10, 2, 3], { dtype });
        for (const batch of batches.epoch()) {
          const xb = batch.indices.length === 10 ? batches.gather(x, batch, into) : batches.gather(x, batch);
          const yb = batches.gather(y, batch);
          expect(xb.shape).toEqual([batch.indices.length, 2, 3]);
          expect(yb.toArray()).toEqual([...batch.indices]);
          const want = [...batch.indices].flatMap((i) => Array.from(x.data.subarray(6 * i, 6 * i + 6)));
          expect(Array.from(xb.data.subarray(0, want.length))).toEqual(want);
        }
        batches.dispose();
      }
    });
  });

  it("gathers i32 labels bit for bit (4-byte rows)", () => {
    rt.scope(() => {
      const n = 21;
      const labels = rt.fromArray(Array.from({ length: n }, (_, i) => (i * 7919) % 1000003 - 500000), [n], { dtype: "i32" });
      const batches = new Minibatches(rt, n, { batchSize: 8, rng: 2 });
      for (const batch of batches.epoch()) {
        const got = batches.gather(labels, batch);
        expect(got.dtype).toBe("i32");
        expect(got.toArray()).toEqual([...batch.indices].map((i) => labels.data[i]));
      }
      batches.dispose();
    });
  });

  it("rejects bad options, foreign or stale batches and mismatched tensors", () => {
    rt.scope(() => {
      expect(() => new Minibatches(rt, 0, { batchSize: 1 })).toThrow(/Invalid n: 0/);
      expect(() => new Minibatches(rt, 5, { batchSize: 0 })).toThrow(/Invalid batchSize: 0/);
      expect(() => new Minibatches(rt, 5, { batchSize: 2, shuffle: "twice" as never })).toThrow(ValueError);
      const bad = new Minibatches(rt, 5, { batchSize: () => 1.5 });
      expect(() => bad.epoch()).toThrow(/Invalid batchSize\(0\): 1.5/);
      expect(bad.epochsStarted).toBe(0);
      bad.dispose();
      const a = new Minibatches(rt, 6, { batchSize: 3 });
      const b = new Minibatches(rt, 6, { batchSize: 3 });
      const x = rt.tensor([6, 2]);
      const [first] = [...a.epoch()];
      expect(() => b.gather(x, first!)).toThrow(/Invalid batch/);
      expect(() => a.gather(rt.tensor([5, 2]), first!)).toThrow(ShapeError);
      expect(() => a.gather(x, first!, rt.tensor([3, 3]))).toThrow(ShapeError);
      expect(() => a.gather(x, first!, rt.tensor([3, 2], { dtype: "f64" }) as never)).toThrow(ShapeError);
      [...a.epoch()];
      expect(() => a.gather(x, first!)).toThrow(/current epoch/);
      a.dispose();
      b.dispose();
      expect(() => a.epoch()).toThrow(DisposedError);
    });
  });

  it("sampleWithoutReplacement gives k distinct indices, each equally likely", () => {
    const counts = new Array(10).fill(0);
    const g = new Philox(5);
    for (let t = 0; t < 2000; t++) {
      const s = sampleWithoutReplacement(rt, 10, 3, g);
      expect(new Set(s).size).toBe(3);
      for (const i of s) counts[i] += 1;
    }
    const expected = (2000 * 3) / 10;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.88); // 9 degrees of freedom, p = 0.001
    expect(() => sampleWithoutReplacement(rt, 3, 4)).toThrow(/Invalid k: 4/);
  });
});

describe("gather, range and perturbation kernels: wasm vs js bits", () => {
  const { wasm, js } = twinRuntimes();
  it("f32/f64 gather_rows and u32_range agree", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const run = (rt: typeof wasm) =>
        rt.scope(() => {
          const x = rt.fromArray(uniformArray(13 * 5, 1), [13, 5], { dtype });
          const idx = rt.tensor([9]);
          rt.kernels.u32_range(idx.ptr, 9, 2);
          const out = rt.tensor([9, 5], { dtype });
          (dtype === "f32" ? rt.kernels.f32_gather_rows : rt.kernels.f64_gather_rows)(out.ptr, x.ptr, idx.ptr, 9, 5);
          return [Array.from(new Uint32Array(rt.heap.buffer, idx.ptr, 9)), out.toArray()];
        });
      expect(run(wasm)).toEqual(run(js));
      expect(run(wasm)[0]).toEqual(range(9).map((i) => i + 2));
    }
  });

  it("perturb, normal_axpy and scaled_add agree bit for bit", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const run = (rt: typeof wasm) =>
        rt.scope(() => {
          const theta = rt.fromArray(uniformArray(101, 3), [101], { dtype });
          const out = rt.tensor([101], { dtype });
          const acc = rt.fromArray(uniformArray(101, 4), [101], { dtype });
          const k = rt.kernels;
          const f = dtype === "f32";
          (f ? k.f32_philox_perturb : k.f64_philox_perturb)(out.ptr, theta.ptr, 101, 1, 2, 3, 4, 6, 0.3);
          (f ? k.f32_philox_normal_axpy : k.f64_philox_normal_axpy)(acc.ptr, 101, 1, 2, 3, 4, 6, -0.7);
          (f ? k.f32_scaled_add : k.f64_scaled_add)(acc.ptr, out.ptr, 101, 0.1);
          return [...out.toArray(), ...acc.toArray()];
        });
      expect(run(wasm)).toEqual(run(js));
    }
  });
});

describe("CurriculumSampler", () => {
  const difficulty = Array.from({ length: 100 }, (_, i) => (i * 37) % 100); // a shuffled 0..99

  it("splits by difficulty and raises the share of hard examples along the schedule", () => {
    const sampler = new CurriculumSampler(difficulty, {
      batchSize: 200,
      hardFraction: linearHardFraction({ start: 0.1, end: 0.9, steps: 10 }),
      rng: 3,
    });
    expect(difficulty.filter((_, i) => sampler.isHard(i)).every((d) => d >= 50)).toBe(true);
    const shares: number[] = [];
    for (let t = 0; t <= 12; t++) {
      const p = sampler.hardFraction;
      const batch = sampler.next();
      expect(batch.length).toBe(200);
      const share = [...batch].filter((i) => sampler.isHard(i)).length / 200;
      // Binomial(200, p): within 5 standard deviations.
      expect(Math.abs(share - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / 200) + 1e-12);
      shares.push(share);
    }
    expect(shares.at(-1)!).toBeGreaterThan(shares[0]! + 0.5);
    expect(sampler.step).toBe(13);
  });

  it("is reproducible from its seed; 0 and 1 give pure pools", () => {
    const a = new CurriculumSampler(difficulty, { batchSize: 16, rng: 9 });
    const b = new CurriculumSampler(difficulty, { batchSize: 16, rng: 9 });
    expect([...a.next()]).toEqual([...b.next()]);
    const easy = new CurriculumSampler(difficulty, { batchSize: 50, hardFraction: 0 });
    expect([...easy.next()].every((i) => !easy.isHard(i))).toBe(true);
    const hard = new CurriculumSampler(difficulty, { batchSize: 50, hardFraction: 1 });
    expect([...hard.next()].every((i) => hard.isHard(i))).toBe(true);
  });

  it("rejects bad options", () => {
    expect(() => new CurriculumSampler([1], { batchSize: 1 })).toThrow(/pool empty/);
    expect(() => new CurriculumSampler(difficulty, { batchSize: 0 })).toThrow(/Invalid batchSize/);
    expect(() => new CurriculumSampler(difficulty, { batchSize: 2, hardFraction: 1.5 })).toThrow(/Invalid hardFraction/);
    expect(() => new CurriculumSampler([1, NaN], { batchSize: 2 })).toThrow(/Invalid difficulty\[1\]/);
    const s = new CurriculumSampler(difficulty, { batchSize: 2, hardFraction: () => 2 });
    expect(() => s.next()).toThrow(/Invalid hardFraction\(0\): 2/);
    expect(s.step).toBe(0);
  });
});
