import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { OPTIMIZERS } from "../helpers/optim-db";
import { uniformArray } from "../helpers/random";
import {
  BatchNorm, GaussianBlur, GroupNorm, InstanceNorm, LayerNorm, Linear, Minibatches, OutOfMemoryError, PolyakAverager,
  ReLU, SGD, Sequential, SoftmaxCrossEntropy, Workspace, gemm, minimize, orthogonal, quadratic,
} from "../../src/index";
import { Adam, EarlyStopping, HessianVectorProduct, Whitening, classifyCriticalPoint, lrRangeTest } from "../../src/index";
import { initSyncWithTwins } from "../helpers/runtime";
import type { Backend, Runtime } from "../../src/runtime/runtime";

/**
 * Running out of memory part-way through any call that allocates more than one tensor (a
 * constructor with several buffers, an optimizer's first step, a forward pass) leaves no
 * tensor behind: each operation below runs with the memory capped so that only `room` bytes
 * are left, for every room from 0 up to what it needs in 16-byte steps, so the cap falls
 * between each pair of its allocations. Whatever throws OutOfMemoryError must leave
 * memoryStats() as before; what succeeds must free everything on dispose().
 */
const MAX_MEMORY = 40 * 65536;

interface Operation {
  name: string;
  /** Builds what the operation needs before the cap (inputs), returns the operation and a cleanup. */
  setup(rt: Runtime): { run(): { dispose(): void }; teardown(): void };
}

type Owner = { dispose(): void };

const disposer = (...owners: Owner[]): Owner => ({ dispose: () => owners.forEach((o) => o.dispose()) });

/** Runs `use` on a new owner and returns the owner; when `use` throws, disposes the owner first. */
function disposeOnThrow<T extends Owner>(owner: T, use: (owner: T) => unknown): T {
  try {
    use(owner);
  } catch (error) {
    owner.dispose();
    throw error;
  }
  return owner;
}

const OPERATIONS: Operation[] = [
  ...OPTIMIZERS.map((info) => ({
    name: `${info.name}: construct and first step`,
    setup(rt: Runtime) {
      const params = [rt.param([5], { values: uniformArray(5, 1) }), rt.param([3], { dtype: "f64" as const })];
      params.forEach((p) => p.grad.fill(0.5));
      return {
        run() {
          return disposeOnThrow(info.make(rt, params, info.configs[info.configs.length - 1]!.options), (opt) => opt.step());
        },
        teardown: () => params.forEach((p) => p.dispose()),
      };
    },
  })),
  ...([
    ["BatchNorm", (rt: Runtime) => new BatchNorm(rt, 3), [4, 3, 5]],
    ["LayerNorm", (rt: Runtime) => new LayerNorm(rt, 6), [4, 6]],
    ["GroupNorm", (rt: Runtime) => new GroupNorm(rt, 2, 4, { affine: true }), [3, 4, 5]],
    ["InstanceNorm", (rt: Runtime) => new InstanceNorm(rt, 4, { affine: true }), [3, 4, 5]],
  ] as const).map(([name, make, shape]) => ({
    name: `${name}: construct, forward, backward`,
    setup(rt: Runtime) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = rt.fromArray(uniformArray(n, 2), [...shape]);
      const dy = rt.fromArray(uniformArray(n, 3), [...shape]);
      return {
        run() {
          return disposeOnThrow(make(rt), (norm) => {
            norm.forward(x, { training: true });
            norm.backward(dy);
          });
        },
        teardown: () => [x, dy].forEach((t) => t.dispose()),
      };
    },
  })),
  {
    name: "PolyakAverager: construct and update",
    setup(rt) {
      const w = rt.param([7], { values: uniformArray(7, 4) });
      return {
        run() {
          const opt = new SGD(rt, [w]);
          try {
            return disposer(disposeOnThrow(new PolyakAverager(opt, { mode: "ema", decay: 0.9 }), (a) => a.update()), opt);
          } catch (error) {
            opt.dispose();
            throw error;
          }
        },
        teardown: () => w.dispose(),
      };
    },
  },
  {
    name: "Sequential MLP with loss: construct, forward, backward",
    setup(rt) {
      const x = rt.fromArray(uniformArray(12, 5), [4, 3]);
      const labels = rt.fromArray([0, 1, 1, 0], [4], { dtype: "i32" });
      return {
        run() {
          const made: Array<{ dispose(): void }> = [];
          const make = <T extends { dispose(): void }>(layer: T): T => (made.push(layer), layer);
          try {
            const net = new Sequential([
              make(new Linear(rt, 3, 5, { seed: 1 })), make(new BatchNorm(rt, 5)), make(new ReLU(rt)), make(new Linear(rt, 5, 2, { seed: 2 })),
            ]);
            const loss = make(new SoftmaxCrossEntropy(rt));
            net.backward(loss.forward(net.forward(x, { training: true }), labels).grad);
          } catch (error) {
            made.forEach((layer) => layer.dispose());
            throw error;
          }
          return disposer(...made);
        },
        teardown: () => [x, labels].forEach((t) => t.dispose()),
      };
    },
  },
  {
    name: "Minibatches: construct and gather",
    setup(rt) {
      const data = rt.fromArray(uniformArray(20, 6), [10, 2]);
      return {
        run() {
          return disposeOnThrow(new Minibatches(rt, 10, { batchSize: 4, rng: 3 }), (b) => b.gather(data, b.epoch().next().value!).dispose());
        },
        teardown: () => data.dispose(),
      };
    },
  },
  {
    name: "minimize: L-BFGS on a quadratic",
    setup(rt) {
      return {
        run() {
          return disposeOnThrow(quadratic(rt, [2, 0, 0, 1], [1, 1]), (objective) => {
            expect(minimize(objective, [3, -2], { method: "lbfgs" }).x.length).toBe(2);
          });
        },
        teardown: () => undefined,
      };
    },
  },
  {
    name: "Workspace.get, then a different shape",
    setup(rt) {
      return {
        run() {
          return disposeOnThrow(new Workspace(rt), (workspace) => {
            workspace.get("a", [6]);
            workspace.get("a", [9]);
            workspace.get("b", [2, 2], "f64");
          });
        },
        teardown: () => undefined,
      };
    },
  },
  {
    name: "gemm, orthogonal init, Gaussian blur",
    setup(rt) {
      const [a, b, c] = [rt.fromArray(uniformArray(6, 7), [2, 3]), rt.fromArray(uniformArray(12, 8), [3, 4]), rt.tensor([2, 4])];
      const w = rt.tensor([4, 3]);
      return {
        run() {
          gemm(a, b, c);
          orthogonal()(w, 5);
          new GaussianBlur(rt, (x) => x.data[0]!, { sigma: 0.1, samples: 3, rng: 1 }).value(w);
          return { dispose: () => undefined };
        },
        teardown: () => [a, b, c, w].forEach((t) => t.dispose()),
      };
    },
  },
  {
    name: "HessianVectorProduct and classifyCriticalPoint (Lanczos)",
    setup(rt) {
      const grad = (x: Float64Array, g: Float64Array) => ((g[0] = 2 * x[0]!), (g[1] = -6 * x[1]!), (g[2] = x[2]!), 0);
      return {
        run() {
          return disposeOnThrow(new HessianVectorProduct(rt, grad, 3), (hvp) => expect(classifyCriticalPoint(hvp, [0, 0, 0]).kind).toBe("saddle"));
        },
        teardown: () => undefined,
      };
    },
  },
  {
    name: "Whitening: fit (ZCA), transform, inverse",
    setup(rt) {
      const x = rt.fromArray(uniformArray(24, 9), [8, 3], { dtype: "f64" });
      return {
        run() {
          return disposeOnThrow(new Whitening(x), (white) => {
            const y = white.transform(x);
            try {
              white.inverseTransform(y).dispose();
            } finally {
              y.dispose();
            }
          });
        },
        teardown: () => x.dispose(),
      };
    },
  },
  {
    name: "EarlyStopping: construct and record",
    setup(rt) {
      const w = rt.param([7], { values: uniformArray(7, 10) });
      const opt = new SGD(rt, [w], { momentum: 0.9 });
      w.grad.fill(1);
      opt.step();
      return {
        run() {
          return disposeOnThrow(new EarlyStopping(opt), (stopper) => stopper.step(1));
        },
        teardown: () => {
          opt.dispose();
          w.dispose();
        },
      };
    },
  },
  {
    name: "lrRangeTest: trial steps from a fresh Adam, state put back",
    setup(rt) {
      const w = rt.param([7], { values: uniformArray(7, 11) });
      const opt = new Adam(rt, [w]);
      return {
        run() {
          const before = [Array.from(w.data), JSON.stringify(opt.stateDict())];
          try {
            lrRangeTest(opt, () => (w.grad.set(w.data), 1), { steps: 5 });
          } finally {
            expect([Array.from(w.data), JSON.stringify(opt.stateDict())]).toEqual(before);
          }
          return { dispose: () => undefined };
        },
        teardown: () => {
          opt.dispose();
          w.dispose();
        },
      };
    },
  },
];

/** The largest single allocation the runtime can make now, to 16 bytes. */
function largestAllocation(rt: Runtime): number {
  let [lo, hi] = [0, MAX_MEMORY];
  while (hi - lo > 16) {
    const mid = Math.floor((lo + hi) / 32) * 16;
    try {
      rt.tensor([mid / 4], { dtype: "i32" }).dispose();
      lo = mid;
    } catch (error) {
      if (!(error instanceof OutOfMemoryError)) throw error;
      hi = mid;
    }
  }
  return lo;
}

const stats = (rt: Runtime) => {
  const { liveTensors, liveBytes } = rt.memoryStats();
  return { liveTensors, liveBytes };
};

for (const backend of ["wasm", "js"] as Backend[]) {
  for (const operation of OPERATIONS) {
    it(`[${backend}] ${operation.name}: out of memory at any allocation leaves nothing behind`, () => {
      const rt = initSyncWithTwins({ backend, maxMemoryBytes: MAX_MEMORY });
      const { run, teardown } = operation.setup(rt);
      const baseline = stats(rt);
      // What the operation needs: its peak above the baseline, with all the memory there is.
      run().dispose();
      expect(stats(rt), "a successful run frees everything on dispose()").toEqual(baseline);
      const needed = rt.memoryStats().peakBytes - baseline.liveBytes;
      const free = largestAllocation(rt);
      let failures = 0;
      for (let room = 0; room <= needed + 16; room += 16) {
        const ballast = free - room > 0 ? rt.tensor([(free - room) / 4], { dtype: "i32" }) : null;
        const before = stats(rt);
        try {
          run().dispose();
        } catch (error) {
          if (!(error instanceof OutOfMemoryError)) throw error;
          failures++;
        }
        expect(stats(rt), `room ${room} bytes`).toEqual(before);
        ballast?.dispose();
      }
      expect(failures, "the cap made the operation run out of memory").toBeGreaterThan(0);
      teardown();
      expect(stats(rt)).toEqual({ liveTensors: 0, liveBytes: 0 });
    });
  }
}
