import { describe, expect, it } from "vitest";
import { describeBackends } from "../../helpers/backends";
import { expectThrowsUnchanged } from "../../helpers/snapshot";
import { BatchNorm } from "../../../src/norm/batchnorm";
import { GroupNorm, InstanceNorm, LayerNorm } from "../../../src/norm/groupnorm";
import { Linear } from "../../../src/nn/linear";
import { ReLU } from "../../../src/nn/relu";
import { SoftmaxCrossEntropy } from "../../../src/nn/loss";
import { Sequential } from "../../../src/nn/sequential";
import { DisposedError, ShapeError, StateError, ValueError } from "../../../src/runtime/errors";
import { initSyncWithTwins } from "../../helpers/runtime";
import { glorotUniform } from "../../../src/init/initializers";
import type { Runtime } from "../../../src/runtime/runtime";
import type { Tensor } from "../../../src/runtime/tensor";

/**
 * The layers and normalization modules as stateful objects: every public method after
 * dispose() (DisposedError), calls out of order (StateError), a Sequential whose later layer
 * rejects the input (nothing runs), and default seeds (layers differ, models rebuild
 * identically). A new layer or module gets a row in each table.
 */

/** A live object, its public methods as calls with valid arguments (made before dispose), and its dispose. */
interface Subject {
  name: string;
  make: (rt: Runtime) => { calls: Record<string, () => unknown>; dispose: () => void };
}

const x432 = (rt: Runtime) => rt.fromArray(Array.from({ length: 24 }, (_, i) => Math.sin(i)), [4, 3, 2]);
const m23 = (rt: Runtime) => rt.fromArray([1, -2, 3, 0.5, 2, -1], [2, 3]);

function normSubject(name: string, make: (rt: Runtime) => BatchNorm | LayerNorm | GroupNorm | InstanceNorm, extra: string[] = []): Subject {
  return {
    name,
    make: (rt) => {
      const norm = make(rt);
      const x = name === "GroupNorm" ? rt.fromArray(Array.from({ length: 24 }, (_, i) => Math.cos(i)), [2, 4, 3]) : x432(rt);
      norm.forward(x, { training: true });
      const dy = rt.fromArray(Array.from(x.data, (v) => v / 2), x.shape);
      const calls: Record<string, () => unknown> = {
        forward: () => norm.forward(x, { training: true }),
        backward: () => norm.backward(dy),
        parameters: () => norm.parameters(),
        outputShape: () => norm.outputShape(x.shape),
      };
      const bn = norm as BatchNorm;
      for (const method of extra) calls[method] = () => (bn[method as keyof BatchNorm] as () => unknown).call(bn);
      return { calls, dispose: () => norm.dispose() };
    },
  };
}

const SUBJECTS: Subject[] = [
  normSubject("BatchNorm", (rt) => new BatchNorm(rt, 3), ["lastStatistics", "resetRunningStats"]),
  normSubject("LayerNorm", (rt) => new LayerNorm(rt, 2)),
  normSubject("GroupNorm", (rt) => new GroupNorm(rt, 2, 4)),
  normSubject("InstanceNorm", (rt) => new InstanceNorm(rt, 3, { affine: true })),
  ...(["Linear", "ReLU", "Sequential"] as const).map(
    (name): Subject => ({
      name,
      make: (rt) => {
        const layer =
          name === "Linear" ? new Linear(rt, 3, 2, { seed: 1 }) : name === "ReLU" ? new ReLU(rt) : new Sequential([new Linear(rt, 3, 2, { seed: 1 }), new ReLU(rt)]);
        const x = m23(rt);
        const y = layer.forward(x, { training: true });
        const dy = rt.fromArray(Array.from(y.data, (v) => v + 1), y.shape);
        const calls = {
          forward: () => layer.forward(x, { training: true }),
          backward: () => layer.backward(dy),
          outputShape: () => layer.outputShape(x.shape),
          parameters: () => layer.parameters(),
        };
        return { calls, dispose: () => layer.dispose() };
      },
    }),
  ),
  {
    name: "SoftmaxCrossEntropy",
    make: (rt) => {
      const loss = new SoftmaxCrossEntropy(rt);
      const logits = m23(rt);
      const labels = rt.fromArray([2, 0], [2], { dtype: "i32" });
      return { calls: { forward: () => loss.forward(logits, labels) }, dispose: () => loss.dispose() };
    },
  },
];

/** backward() as the first call: a module or layer with nothing to differentiate. */
const FRESH_BACKWARD: Record<string, (rt: Runtime) => { call: () => unknown; dispose: () => void }> = {
  BatchNorm: (rt) => fresh(new BatchNorm(rt, 3), x432(rt)),
  LayerNorm: (rt) => fresh(new LayerNorm(rt, 2), x432(rt)),
  GroupNorm: (rt) => fresh(new GroupNorm(rt, 3, 3), x432(rt)),
  InstanceNorm: (rt) => fresh(new InstanceNorm(rt, 3), x432(rt)),
  Linear: (rt) => fresh(new Linear(rt, 2, 3, { seed: 1 }), m23(rt)),
  ReLU: (rt) => fresh(new ReLU(rt), m23(rt)),
  Sequential: (rt) => fresh(new Sequential([new Linear(rt, 2, 3, { seed: 1 }), new ReLU(rt)]), m23(rt)),
};

function fresh(layer: { backward(dy: Tensor<"f32">): unknown; dispose(): void }, dy: Tensor<"f32">) {
  return { call: () => layer.backward(dy), dispose: () => layer.dispose() };
}

describeBackends("layers and modules", (rt) => {
  describe("every public method after dispose() throws DisposedError", () => {
    for (const subject of SUBJECTS) {
      it(subject.name, () => {
        rt.scope(() => {
          const { calls, dispose } = subject.make(rt);
          dispose();
          for (const [method, call] of Object.entries(calls)) {
            expectThrowsUnchanged(rt, call, DisposedError, new RegExp(`${subject.name}`));
            expect(method).toBeTruthy();
          }
          expect(() => dispose(), "dispose() again is a no-op").not.toThrow();
        });
      });
    }
  });

  describe("backward() before forward() throws StateError", () => {
    for (const [name, make] of Object.entries(FRESH_BACKWARD)) {
      it(name, () => {
        rt.scope(() => {
          const { call, dispose } = make(rt);
          try {
            expectThrowsUnchanged(rt, call, StateError, /needs a forward\(\) first/);
          } finally {
            dispose();
          }
        });
      });
    }
  });

  describe("Sequential.forward checks the whole chain before running a layer", () => {
    it("a later Linear rejecting the width leaves the earlier layers' outputs unchanged", () => {
      rt.scope(() => {
        const net = new Sequential([new Linear(rt, 3, 4, { seed: 1 }), new ReLU(rt), new Linear(rt, 3, 2, { seed: 2 })]);
        const x = m23(rt);
        try {
          expectThrowsUnchanged(rt, () => net.forward(x, { training: true }), ShapeError, /Linear expects an f32 \[batch, 3\] input, got shape \[2, 4\]/);
        } finally {
          net.dispose();
        }
      });
    });

    it("a BatchNorm given one row when training rejects it before the Linear before it runs", () => {
      rt.scope(() => {
        const net = new Sequential([new Linear(rt, 3, 4, { seed: 1 }), new BatchNorm(rt, 4)]);
        try {
          const y = net.forward(m23(rt), { training: true });
          const before = Array.from(y.data);
          const one = rt.fromArray([1, 2, 3], [1, 3]);
          expectThrowsUnchanged(rt, () => net.forward(one, { training: true }), ValueError, /more than 1 value per channel when training/);
          expect(Array.from(y.data)).toEqual(before);
          expect(net.forward(one, { training: false }).shape).toEqual([1, 4]); // evaluation takes one row
        } finally {
          net.dispose();
        }
      });
    });
  });

  describe("default seeds", () => {
    const weights = (layer: Linear) => Array.from(layer.weight.data);

    it("two Linear layers made without a seed get different weights", () => {
      const [a, b] = [new Linear(rt, 16, 16), new Linear(rt, 16, 16)];
      expect(weights(a)).not.toEqual(weights(b));
      a.dispose();
      b.dispose();
    });

    it("a model built twice on fresh runtimes of the same seed is identical; another seed differs", () => {
      const build = (seed: number) => {
        const fresh = initSyncWithTwins({ backend: rt.backend, seed });
        const net = new Sequential([new Linear(fresh, 4, 8), new ReLU(fresh), new Linear(fresh, 8, 3)]);
        return net.parameters().map((p) => Array.from(p.data));
      };
      expect(build(7)).toEqual(build(7));
      expect(build(7)).not.toEqual(build(8));
    });

    it("an explicit seed is taken as given, whatever the runtime's seed", () => {
      const explicit = (seed: number) => weights(new Linear(initSyncWithTwins({ backend: rt.backend, seed }), 4, 4, { seed: 3 }));
      expect(explicit(1)).toEqual(explicit(2));
    });

    it("two params made alike with an initializer and no seed differ, and rebuild identically", () => {
      const make = () => {
        const fresh = initSyncWithTwins({ backend: rt.backend, seed: 11 });
        return [0, 1].map(() => Array.from(fresh.param([8, 8], { init: glorotUniform() }).data));
      };
      const [a, b] = make();
      expect(a).not.toEqual(b);
      expect(make()).toEqual([a, b]);
    });

    it("an initializer called without a seed fills two tensors differently", () => {
      rt.scope(() => {
        const [a, b] = [0, 1].map(() => Array.from(glorotUniform()(rt.tensor([8, 8])).data));
        expect(a).not.toEqual(b);
      });
    });

    it("nextSeed gives distinct integers in [0, 2^53)", () => {
      const fresh = initSyncWithTwins({ backend: rt.backend, seed: 2 ** 52 + 1 });
      const seeds = Array.from({ length: 1000 }, () => fresh.nextSeed());
      expect(new Set(seeds).size).toBe(1000);
      for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
    });
  });
});
