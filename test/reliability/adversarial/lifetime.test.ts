// Adversarial suite, class "lifetime": what outlives what. A disposed runtime (rt.dispose())
// stops its worker threads and fails every later use with DisposedError; a dropped threaded
// runtime does not keep its workers; rt.scope keeps what its function returns at any depth and
// refuses async functions before it could free a tensor still in use. Each case runs on both
// backends (threads: wasm only); add new owners and entry points to the tables below.
import { existsSync, readdirSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  Adam, BatchNorm, DisposedError, Linear, ValueError, gemm, matmul, threadCount, type Runtime, type Tensor,
} from "../../../src/index";
import { BACKENDS, describeBackends } from "../../helpers/backends";
import { initSyncWithTwins } from "../../helpers/runtime";

/** OS threads of this process (Linux): the main thread, V8's and libuv's, and every worker. */
function osThreads(): number {
  return readdirSync("/proc/self/task").length;
}

/** Waits until `done()` or `ms` have passed (workers exit asynchronously after terminate()). */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  for (const start = Date.now(); !done() && Date.now() - start < ms; ) await new Promise((r) => setTimeout(r, 20));
}

describe("rt.dispose", () => {
  for (const backend of BACKENDS) {
    describe(`[${backend}]`, () => {
      /** A runtime with one of each kind of object on it, then disposed. */
      function disposedWorld() {
        const rt = initSyncWithTwins({ backend });
        const t = rt.fromArray([1, 2, 3, 4], [2, 2]);
        const w = rt.param([2, 2]);
        const opt = new Adam(rt, [w]);
        const layer = new Linear(rt, 2, 2);
        const bn = new BatchNorm(rt, 2);
        rt.dispose();
        return { rt, t, w, opt, layer, bn };
      }

      const uses: Array<[string, (world: ReturnType<typeof disposedWorld>) => unknown]> = [
        ["rt.tensor", ({ rt }) => rt.tensor([2])],
        ["rt.fromArray", ({ rt }) => rt.fromArray([1, 2])],
        ["rt.param", ({ rt }) => rt.param([2])],
        ["rt.scope", ({ rt }) => rt.scope(() => 1)],
        ["rt.memoryStats", ({ rt }) => rt.memoryStats()],
        ["rt.memory", ({ rt }) => rt.memory],
        ["rt.heap", ({ rt }) => rt.heap],
        ["rt.kernels", ({ rt }) => rt.kernels],
        ["tensor.data", ({ t }) => t.data],
        ["tensor.set", ({ t }) => t.set([1, 2, 3, 4])],
        ["tensor.fill", ({ t }) => t.fill(0)],
        ["tensor.toArray", ({ t }) => t.toArray()],
        ["tensor.dispose", ({ t }) => t.dispose()],
        ["param.zeroGrad", ({ w }) => w.zeroGrad()],
        ["gemm", ({ t }) => gemm(t, t, t)],
        ["matmul", ({ t }) => matmul(t, t)],
        ["new Adam", ({ rt, w }) => new Adam(rt, [w])],
        ["optimizer.step", ({ opt }) => opt.step()],
        ["new Linear", ({ rt }) => new Linear(rt, 2, 2)],
        ["Linear.forward", ({ layer, t }) => layer.forward(t)],
        ["BatchNorm.forward", ({ bn, t }) => bn.forward(t, { training: true })],
      ];
      for (const [name, use] of uses) {
        it(`${name} after rt.dispose() -> DisposedError`, () => {
          expect(() => use(disposedWorld())).toThrow(DisposedError);
        });
      }

      it("reports disposed on the runtime and its tensors, and a second dispose() does nothing", () => {
        const { rt, t, w } = disposedWorld();
        expect([rt.disposed, t.disposed, w.disposed, w.grad.disposed]).toEqual([true, true, true, true]);
        expect(() => rt.dispose()).not.toThrow();
        expect(rt.backend).toBe(backend);
      });

      it("owners dispose() quietly after their runtime was disposed", () => {
        const { opt, layer, bn } = disposedWorld();
        for (const owner of [opt, layer, bn]) expect(() => owner.dispose()).not.toThrow();
      });

      it("rt.dispose() inside rt.scope: the scope ends without freeing twice", () => {
        const rt = initSyncWithTwins({ backend });
        expect(() =>
          rt.scope(() => {
            rt.tensor([4]);
            rt.dispose();
          }),
        ).not.toThrow();
        expect(rt.disposed).toBe(true);
      });

      it("a disposed runtime does not affect another one", () => {
        const other = initSyncWithTwins({ backend });
        const kept = other.fromArray([1, 2, 3]);
        disposedWorld();
        expect(kept.toArray()).toEqual([1, 2, 3]);
        other.dispose();
      });
    });
  }

  describe.runIf(existsSync("/proc/self/task"))("threaded runtimes [wasm]", () => {
    it("8 threaded runtimes created and disposed leave the thread count where it was", async () => {
      const baseline = osThreads();
      const rssBefore = process.memoryUsage().rss;
      const runtimes: Runtime[] = [];
      for (let i = 0; i < 8; i++) {
        const rt = initSyncWithTwins({ threads: 2 });
        const a = rt.fromArray(new Array(64 * 64).fill(1), [64, 64]);
        matmul(a, a); // the pool runs a job
        runtimes.push(rt);
      }
      expect(runtimes.map(threadCount)).toEqual(new Array(8).fill(2));
      await until(() => osThreads() >= baseline + 8);
      const withWorkers = osThreads();
      const rssWith = process.memoryUsage().rss;
      for (const rt of runtimes) rt.dispose();
      await until(() => osThreads() <= baseline);
      const after = osThreads();
      const rssAfter = process.memoryUsage().rss;
      console.log(
        `threads: ${baseline} before, ${withWorkers} with 8 runtimes of 2 threads, ${after} after dispose(); ` +
          `RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rssWith / 2 ** 20).toFixed(0)} -> ${(rssAfter / 2 ** 20).toFixed(0)} MiB`,
      );
      expect(withWorkers).toBeGreaterThanOrEqual(baseline + 8);
      expect(after).toBeLessThanOrEqual(baseline);
      expect(runtimes.map(threadCount)).toEqual(new Array(8).fill(1));
    });

    it("a threaded runtime dropped without dispose() stops its workers when collected", async () => {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      const baseline = osThreads();
      (() => {
        const rt = initSyncWithTwins({ threads: 3 });
        rt.fromArray([1, 2, 3]);
      })();
      await until(() => osThreads() >= baseline + 2);
      expect(osThreads()).toBeGreaterThanOrEqual(baseline + 2);
      await until(() => {
        gc();
        return osThreads() <= baseline;
      });
      expect(osThreads()).toBeLessThanOrEqual(baseline);
    });
  });
});

describeBackends("rt.scope", (rt) => {
  /** A tensor wrapped `depth` times in alternating arrays and objects. */
  function nest(t: Tensor, depth: number): unknown {
    let value: unknown = t;
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { inner: value };
    return value;
  }

  for (const depth of [0, 1, 4, 5, 12, 64]) {
    it(`keeps a tensor returned ${depth} levels deep`, () => {
      let inner: Tensor | null = null;
      rt.scope(() => {
        inner = rt.fromArray([1, 2]);
        rt.tensor([3]); // not returned: freed
        return nest(inner, depth);
      });
      expect(inner!.toArray()).toEqual([1, 2]);
      inner!.dispose();
    });
  }

  it("keeps tensors in Maps, Sets and cyclic structures, and frees the rest", () => {
    const before = rt.memoryStats().liveTensors;
    const result = rt.scope(() => {
      const cyclic: { self?: unknown; t: Tensor } = { t: rt.fromArray([1]) };
      cyclic.self = cyclic;
      rt.tensor([8]);
      return { cyclic, map: new Map([["m", rt.fromArray([2])]]), set: new Set([rt.fromArray([3])]) };
    });
    const kept = [result.cyclic.t, result.map.get("m")!, ...result.set];
    expect(kept.map((t) => t.toArray())).toEqual([[1], [2], [3]]);
    expect(rt.memoryStats().liveTensors).toBe(before + 3);
    for (const t of kept) t.dispose();
  });

  it("a returned param keeps its gradient", () => {
    const w = rt.scope(() => rt.param([2]));
    expect(w.grad.disposed).toBe(false);
    w.dispose();
  });

  it("an async function -> ValueError before it runs", async () => {
    let ran = false;
    const fn = async () => {
      ran = true;
      return rt.tensor([2]);
    };
    expect(() => rt.scope(fn as never)).toThrow(ValueError);
    expect(() => rt.scope(fn as never)).toThrow(/synchronous functions only/);
    expect(ran).toBe(false);
  });

  it("a function returning a promise -> ValueError, and nothing it allocated is freed", async () => {
    let made: Tensor | null = null;
    let later: Promise<number[]> | null = null;
    expect(() =>
      rt.scope(() => {
        made = rt.fromArray([5, 6]);
        later = Promise.resolve().then(() => made!.toArray());
        return later;
      }),
    ).toThrow(ValueError);
    expect(await later!).toEqual([5, 6]); // the work after the await still finds its tensor
    made!.dispose();
  });
});
