import { afterEach, describe, expect, it } from "vitest";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { sizesFor } from "../helpers/sizes";
import { SGD } from "../../src/optim/sgd";
import { DisposedError, StateError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType, Param } from "../../src/runtime/tensor";
import { PolyakAverager } from "../../src/schedules/index";
import type { Stateful } from "../../src/schedules/state";

const DTYPES: FloatDType[] = ["f32", "f64"];

/** A copy of the raw bytes of a tensor's elements, to compare bit for bit (NaN payloads and -0 included). */
function bytesOf(rt: Runtime, ptr: number, n: number, dtype: FloatDType): Uint8Array {
  return new Uint8Array(rt.memory.buffer, ptr, n * (dtype === "f64" ? 8 : 4)).slice();
}

/** Fails at the first differing byte of the first differing buffer (fast on 100k elements). */
function expectSameBytes(got: Uint8Array[], want: Uint8Array[], dtype: FloatDType): void {
  expect(got.length).toBe(want.length);
  const size = dtype === "f64" ? 8 : 4;
  got.forEach((g, k) => {
    const i = g.findIndex((byte, j) => byte !== want[k]![j]);
    expect(i, `buffer ${k} differs at element ${Math.floor(i / size)}`).toBe(-1);
    expect(g.length).toBe(want[k]!.length);
  });
}

/** Runs the same lerps and swaps through one runtime; returns the bytes of both buffers after each call. */
function kernelRun(rt: Runtime, dtype: FloatDType, n: number): Uint8Array[] {
  return rt.scope(() => {
    const avg = rt.fromArray(uniformArray(n, 3 * n + 1, -2, 2), [n], { dtype });
    const p = rt.fromArray(uniformArray(n, 5 * n + 2, -2, 2), [n], { dtype });
    const k = rt.kernels;
    const lerp = dtype === "f64" ? k.f64_lerp_toward : k.f32_lerp_toward;
    const swap = dtype === "f64" ? k.f64_swap : k.f32_swap;
    const out: Uint8Array[] = [];
    // the weights of the mean (1, 1/2, 1/3), of an EMA (1 - 0.999) and of a debiased EMA
    for (const w of [1 / 3, 1 - 0.999, (1 - 0.9) / (1 - 0.9 ** 3), 0.5, 1]) {
      p.set(uniformArray(n, Math.round(w * 1e6) + n, -3, 3));
      lerp(avg.ptr, p.ptr, n, w);
      out.push(bytesOf(rt, avg.ptr, n, dtype));
    }
    swap(avg.ptr, p.ptr, n);
    out.push(bytesOf(rt, avg.ptr, n, dtype), bytesOf(rt, p.ptr, n, dtype));
    return out;
  });
}

describe("averaging kernels: wasm vs reference, bit for bit", () => {
  const { wasm, js } = twinRuntimes();
  for (const dtype of DTYPES) {
    it.each(sizesFor(4))(`${dtype} lerp_toward and swap, n = %i`, (n) => {
      expectSameBytes(kernelRun(wasm, dtype, n), kernelRun(js, dtype, n), dtype);
    });
  }

  it("lerp_toward computes avg + w (p - avg); w = 1 copies; swap exchanges", () => {
    for (const rt of [wasm, js]) {
      rt.scope(() => {
        const avg = rt.fromArray([0, 1, 2, 3, 4, 5, 6], [7], { dtype: "f64" });
        const p = rt.fromArray([10, 10, 10, 10, 10, 10, -1], [7], { dtype: "f64" });
        rt.kernels.f64_lerp_toward(avg.ptr, p.ptr, 7, 0.25);
        expect(avg.toArray()).toEqual([2.5, 3.25, 4, 4.75, 5.5, 6.25, 4.25]);
        rt.kernels.f64_lerp_toward(avg.ptr, p.ptr, 7, 1);
        expect(avg.toArray()).toEqual(p.toArray());
        const a = rt.fromArray([1, 2, 3, 4, 5], [5]);
        const b = rt.fromArray([-1, -2, -3, -4, -5], [5]);
        rt.kernels.f32_swap(a.ptr, b.ptr, 5);
        expect([a.toArray(), b.toArray()]).toEqual([[-1, -2, -3, -4, -5], [1, 2, 3, 4, 5]]);
        // a bit copy: -0 and a NaN payload survive (an arithmetic swap would lose them)
        const odd = rt.tensor([6], { dtype: "f64" });
        const bits = new Uint32Array(odd.data.buffer, odd.ptr, 12);
        bits.set([0, 0x80000000, 0x1234, 0x7ff80000, 1, 2, 3, 4, 5, 6, 7, 8]);
        const before = Array.from(bits);
        const other = rt.tensor([6], { dtype: "f64" });
        rt.kernels.f64_swap(odd.ptr, other.ptr, 6);
        expect(Array.from(new Uint32Array(rt.memory.buffer, other.ptr, 12))).toEqual(before);
      });
    }
  });
});

/** An optimizer-shaped holder of params (any dtype), with the attachState hook. */
function holder(params: Param[]) {
  const attached = new Map<string, Stateful>();
  return {
    paramGroups: [{ params }],
    attached,
    attachState(key: string, s: Stateful) {
      attached.set(key, s);
    },
  };
}

describeBackends("PolyakAverager", (rt) => {
  // An averager owns its buffers (kept out of scopes, like an optimizer's state): each test's
  // averagers are disposed here, before the suite's leak check runs.
  const made: PolyakAverager[] = [];
  const averager = (...args: ConstructorParameters<typeof PolyakAverager>) => {
    const averagerMade = new PolyakAverager(...args);
    made.push(averagerMade);
    return averagerMade;
  };
  afterEach(() => {
    for (const a of made.splice(0)) a.dispose();
  });

  /** Sets the params to each iterate in turn, calling update() after each; returns the average. */
  function averageOf(iterates: number[][], options: ConstructorParameters<typeof PolyakAverager>[1], dtype: FloatDType = "f64"): number[] {
    return rt.scope(() => {
      const w = rt.param([iterates[0]!.length], { dtype });
      const avg = averager(holder([w]), options);
      for (const theta of iterates) {
        w.set(theta);
        avg.update();
      }
      return avg.withAveraged(() => w.toArray());
    });
  }

  const iterates = [[1, -4, 10], [3, 0, 20], [8, 2, 60], [0, 6, -10]];

  it("mean: theta_hat_t = (1/t) sum theta_i", () => {
    // (1 + 3 + 8)/3, (-4 + 0 + 2)/3, (10 + 20 + 60)/3; -2/3 through three rounded lerps
    averageOf(iterates.slice(0, 3), {}).forEach((x, i) => expect(x).toBeCloseTo([4, -2 / 3, 30][i]!, 15));
    expect(averageOf(iterates, {})).toEqual([3, 1, 20]);
  });

  it("start: the first `start` iterates are left out", () => {
    // start = 2: mean of iterates 3 and 4
    expect(averageOf(iterates, { start: 2 })).toEqual([4, 4, 25]);
  });

  it("ema: theta_hat = a theta_hat + (1 - a) theta, starting from the first averaged iterate", () => {
    // a = 0.5: [1,-4,10] -> [2,-2,15] -> [5,0,37.5] -> [2.5,3,13.75]
    expect(averageOf(iterates, { mode: "ema", decay: 0.5 })).toEqual([2.5, 3, 13.75]);
  });

  it("ema, debiased: m_t = a m_{t-1} + (1 - a) theta_t from m_0 = 0, divided by 1 - a^t", () => {
    const a = 0.9;
    let m = [0, 0, 0];
    iterates.forEach((theta) => {
      m = m.map((mi, i) => a * mi + (1 - a) * theta[i]!);
    });
    const want = m.map((mi) => mi / (1 - a ** iterates.length));
    const got = averageOf(iterates, { mode: "ema", decay: a, debias: true });
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 13));
  });

  it("f32 params average in f32 (each lerp rounded once)", () => {
    expect(averageOf(iterates, {}, "f32")).toEqual([3, 1, 20]);
  });

  it("swapIn/swapOut exchange the weights and restore the training weights bit for bit", () => {
    rt.scope(() => {
      const w = rt.param([5], { values: [0.1, -0.2, 0.3, 1e-30, -0] });
      const opt = new SGD(rt, [w], { lr: 0.1 });
      const avg = averager(opt);
      avg.update();
      w.grad.set([1, 1, 1, 1, 1]);
      opt.step();
      avg.update();
      const training = w.toArray();
      const mean = [0.1, -0.2, 0.3, 1e-30, -0].map((x, i) => Math.fround((x + training[i]!) / 2));
      avg.swapIn();
      expect(avg.swapped).toBe(true);
      w.toArray().forEach((x, i) => expect(x).toBeCloseTo(mean[i]!, 7));
      avg.swapOut();
      expect(w.toArray()).toEqual(training);
      avg.dispose();
    });
  });

  it("withAveraged restores the training weights even when fn throws", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [1, 2] });
      const avg = averager(holder([w]));
      avg.update();
      w.set([3, 4]);
      expect(() =>
        avg.withAveraged(() => {
          throw new Error("evaluation failed");
        }),
      ).toThrow("evaluation failed");
      expect([w.toArray(), avg.swapped]).toEqual([[3, 4], false]);
    });
  });

  it("keeps its buffers when made inside a scope that ends", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [2, 4] });
      const avg = rt.scope(() => averager(holder([w])));
      avg.update();
      w.set([4, 8]);
      avg.update();
      expect(avg.withAveraged(() => w.toArray())).toEqual([3, 6]);
    });
  });

  it("misuse throws StateError and changes nothing", () => {
    rt.scope(() => {
      const w = rt.param([3], { values: [1, 2, 3] });
      const avg = averager(holder([w]), { start: 1 });
      avg.update(); // burn-in: nothing averaged yet
      expect(() => avg.swapIn()).toThrow(/Nothing averaged yet/);
      expect(() => avg.swapOut()).toThrow(StateError);
      avg.update();
      avg.swapIn();
      expect(() => avg.swapIn()).toThrow(/swapped in/);
      expect(() => avg.update()).toThrow(StateError);
      expect(() => avg.loadStateDict(avg.stateDict())).toThrow(/swapOut\(\) first/);
      expect(avg.lastStep).toBe(2);
      avg.swapOut();
      expect(w.toArray()).toEqual([1, 2, 3]);
    });
  });

  it("resumes through stateDict (JSON) exactly as if never stopped, and is attached to the optimizer", () => {
    rt.scope(() => {
      const path = (t: number) => [Math.sin(t), Math.cos(3 * t), t / 7];
      const straight = rt.param([3]);
      const a = averager(holder([straight]), { mode: "ema", decay: 0.8, debias: true, start: 2 });
      for (let t = 0; t < 9; t++) {
        straight.set(path(t));
        a.update();
      }
      const want = a.withAveraged(() => straight.toArray());

      const first = rt.param([3]);
      const opt = holder([first]);
      const b = averager(opt, { mode: "ema", decay: 0.8, debias: true, start: 2, key: "ema" });
      expect(opt.attached.get("ema")).toBe(b);
      for (let t = 0; t < 4; t++) {
        first.set(path(t));
        b.update();
      }
      const checkpoint: unknown = JSON.parse(JSON.stringify(b.stateDict()));
      b.dispose();
      const second = rt.param([3]);
      const c = averager(holder([second]), { mode: "ema", decay: 0.8, debias: true, start: 2 });
      c.loadStateDict(checkpoint);
      for (let t = 4; t < 9; t++) {
        second.set(path(t));
        c.update();
      }
      expect(c.withAveraged(() => second.toArray())).toEqual(want);
    });
  });

  it("a JSON round trip keeps -0, NaN and infinities of the averages", () => {
    rt.scope(() => {
      const w = rt.param([4], { dtype: "f64" });
      const avg = averager(holder([w]));
      avg.update();
      const special = ["-0", "NaN", "Infinity", "-Infinity"];
      avg.loadStateDict({ ...avg.stateDict(), averages: [special] });
      const saved = JSON.parse(JSON.stringify(avg.stateDict())) as { averages: unknown };
      expect(saved.averages).toEqual([special]);
      const got = avg.withAveraged(() => w.toArray());
      expect(Object.is(got[0], -0) && Number.isNaN(got[1]) && got[2] === Infinity && got[3] === -Infinity).toBe(true);
    });
  });

  it("stateDict taken while swapped in still holds the average", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [2, 4] });
      const avg = averager(holder([w]));
      avg.update();
      w.set([4, 8]);
      avg.update();
      const outside = avg.stateDict();
      avg.swapIn();
      expect(avg.stateDict()).toEqual(outside);
      expect(outside.averages).toEqual([[3, 6]]);
      avg.swapOut();
    });
  });

  it("bad states throw StateError and change nothing", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [1, 2] });
      const avg = averager(holder([w]));
      avg.update();
      const good = avg.stateDict();
      for (const bad of [
        null,
        { ...good, kind: "Scheduler" },
        { ...good, version: 2 },
        { ...good, mode: "ema" },
        { ...good, start: 3 },
        { ...good, step: -1 },
        { ...good, averages: [] },
        { ...good, averages: [[1, 2, 3]] },
        { ...good, averages: [[1, "2"]] },
        { ...good, averages: [[1, null]] },
      ]) {
        expect(() => avg.loadStateDict(bad), JSON.stringify(bad)).toThrow(StateError);
      }
      expect(avg.stateDict()).toEqual(good);
    });
  });

  it("bad options throw ValueError and allocate nothing", () => {
    rt.scope(() => {
      const w = rt.param([2]);
      const live = rt.memoryStats().liveTensors;
      const cases: Array<[ConstructorParameters<typeof PolyakAverager>[1], RegExp]> = [
        [{ decay: 1 }, /Invalid decay: 1/],
        [{ decay: -0.1 }, /Invalid decay: -0.1/],
        [{ decay: NaN }, /Invalid decay: NaN/],
        [{ start: -1 }, /Invalid start: -1/],
        [{ start: 0.5 }, /Invalid start: 0.5/],
        [{ mode: "median" as "mean" }, /Invalid mode: median/],
        [{ debias: 1 as unknown as boolean }, /Invalid debias/],
        [{ key: "" }, /Invalid key/],
      ];
      for (const [options, message] of cases) {
        expect(() => averager(holder([w]), options)).toThrow(ValueError);
        expect(() => averager(holder([w]), options)).toThrow(message);
      }
      expect(() => averager(holder([]))).toThrow(/no parameters/);
      expect(rt.memoryStats().liveTensors).toBe(live);
    });
  });

  it("using disposed parameters throws DisposedError", () => {
    rt.scope(() => {
      const w = rt.param([2]);
      const avg = averager(holder([w]));
      w.dispose();
      expect(() => avg.update()).toThrow(DisposedError);
      expect(avg.lastStep).toBe(0);
    });
  });

  it("averaging SGD iterates on a noisy quadratic lands nearer the minimum than the last iterate", () => {
    rt.scope(() => {
      // f(w) = |w|^2 / 2 with gradient w + noise: SGD with a constant lr wanders around 0
      const n = 64;
      const w = rt.param([n], { values: uniformArray(n, 1, -1, 1) });
      const opt = new SGD(rt, [w], { lr: 0.1 });
      const avg = averager(opt, { start: 50 });
      for (let t = 0; t < 550; t++) {
        const noise = uniformArray(n, 100 + t, -1, 1);
        w.grad.set(w.toArray().map((x, i) => x + noise[i]!));
        opt.step();
        avg.update();
      }
      const norm = (v: number[]) => Math.hypot(...v);
      const last = norm(w.toArray());
      const averaged = avg.withAveraged(() => norm(w.toArray()));
      expect(averaged).toBeLessThan(last / 3);
    });
  });
});
