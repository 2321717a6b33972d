import { describe, expect, it } from "vitest";
import { describeBackends } from "../../helpers/backends";
import { expectThrowsUnchanged } from "../../helpers/snapshot";
import { BatchNorm } from "../../../src/norm/batchnorm";
import { GroupNorm, InstanceNorm, LayerNorm, type RowNorm } from "../../../src/norm/groupnorm";
import { Linear } from "../../../src/nn/linear";
import { ReLU } from "../../../src/nn/relu";
import { SoftmaxCrossEntropy } from "../../../src/nn/loss";
import { Sequential } from "../../../src/nn/sequential";
import { Minibatches } from "../../../src/data/minibatch";
import { GaussianBlur } from "../../../src/continuation/gaussian-blur";
import { gemm } from "../../../src/linalg/gemm";
import { ValueError } from "../../../src/runtime/errors";
import type { Runtime } from "../../../src/runtime/runtime";

/**
 * Class "aliasing": every entry point that writes declares which operands may share memory
 * and rejects the rest with ValueError before it writes anything. Rows by entry point:
 * `rejected` rows must throw and leave memory byte for byte unchanged; `allowed` rows must
 * give the same result as the same call on a copy. New entry points that write get a row here.
 */

interface Rejected {
  entry: string;
  bad: string;
  message: RegExp;
  /** Builds the objects (inside a scope that frees tensors) and returns the bad call and a cleanup. */
  setup: (rt: Runtime) => { call: () => unknown; dispose: () => void };
}

const NORMS: Record<string, (rt: Runtime) => BatchNorm | RowNorm> = {
  BatchNorm: (rt) => new BatchNorm(rt, 3),
  LayerNorm: (rt) => new LayerNorm(rt, [3, 2]),
  GroupNorm: (rt) => new GroupNorm(rt, 3, 3),
  InstanceNorm: (rt) => new InstanceNorm(rt, 3, { affine: true }),
};

const x232 = (rt: Runtime) => rt.fromArray([1, 4, 2, 8, 5, 7, 0.5, 3, 9, 1, 2, 6], [2, 3, 2]);

const REJECTED: Rejected[] = [
  // Weight sharing: a norm module's output is the buffer its next forward writes and its backward reads.
  ...Object.entries(NORMS).map(([name, make]): Rejected => ({
    entry: `${name}.forward`,
    bad: "its own output",
    message: new RegExp(`${name}.forward: the module's output overlaps x`),
    setup: (rt) => {
      const norm = make(rt);
      const y = norm.forward(x232(rt), { training: true });
      return { call: () => norm.forward(y, { training: true }), dispose: () => norm.dispose() };
    },
  })),
  ...Object.entries(NORMS).map(([name, make]): Rejected => ({
    entry: `${name}.backward`,
    bad: "forward's x = the module's own dx buffer (backward would overwrite it)",
    message: new RegExp(`${name}.backward: dx overlaps x`),
    setup: (rt) => {
      const norm = make(rt);
      const x = x232(rt);
      norm.forward(x, { training: true });
      const dx = norm.backward(x232(rt));
      norm.forward(dx, { training: true }); // x is now the module's dx buffer, which backward writes
      const dy = x232(rt);
      return { call: () => norm.backward(dy), dispose: () => norm.dispose() };
    },
  })),
  {
    entry: "LayerNorm.backward",
    bad: "dy = gamma.grad",
    message: /LayerNorm.backward: gamma.grad overlaps dy/,
    setup: (rt) => {
      const ln = new LayerNorm(rt, 3);
      ln.forward(rt.fromArray([1, 2, 4], [3]));
      return { call: () => ln.backward(ln.gamma!.grad), dispose: () => ln.dispose() };
    },
  },
  {
    entry: "LayerNorm.backward",
    bad: "x = gamma.grad",
    message: /LayerNorm.backward: gamma.grad overlaps x/,
    setup: (rt) => {
      const ln = new LayerNorm(rt, 3);
      ln.gamma!.grad.set([1, 2, 4]);
      ln.forward(ln.gamma!.grad);
      const dy = rt.fromArray([1, 0, -1], [3]);
      return { call: () => ln.backward(dy), dispose: () => ln.dispose() };
    },
  },
  {
    entry: "Linear.forward",
    bad: "its own output",
    message: /Linear.forward: y overlaps x/,
    setup: (rt) => {
      const layer = new Linear(rt, 2, 2, { seed: 1 });
      const y = layer.forward(rt.fromArray([1, 2, 3, 4], [2, 2]));
      return { call: () => layer.forward(y), dispose: () => layer.dispose() };
    },
  },
  ...[false, true].map((relu): Rejected => ({
    entry: "Linear.backward",
    bad: `dy = its own dx${relu ? " (relu)" : ""}`,
    message: /Linear.backward: (dx overlaps dy|dy overlaps dx)/,
    setup: (rt) => {
      const layer = new Linear(rt, 2, 2, { seed: 1, relu });
      layer.forward(rt.fromArray([1, 2, 3, 4], [2, 2]));
      const dx = layer.backward(rt.fromArray([1, -1, 2, 0.5], [2, 2]));
      return { call: () => layer.backward(dx), dispose: () => layer.dispose() };
    },
  })),
  {
    entry: "Linear.backward",
    bad: "dy = weight.grad",
    message: /Linear.backward: weight.grad overlaps dy/,
    setup: (rt) => {
      const layer = new Linear(rt, 2, 2, { seed: 1 });
      layer.forward(rt.fromArray([1, 2, 3, 4], [2, 2]));
      return { call: () => layer.backward(layer.weight.grad), dispose: () => layer.dispose() };
    },
  },
  {
    entry: "Linear.backward",
    bad: "dy = x (relu: dy is overwritten before x is read)",
    message: /Linear.backward: dy overlaps x/,
    setup: (rt) => {
      const layer = new Linear(rt, 2, 2, { seed: 1, relu: true });
      const x = rt.fromArray([1, 2, 3, 4], [2, 2]);
      layer.forward(x);
      return { call: () => layer.backward(x), dispose: () => layer.dispose() };
    },
  },
  {
    entry: "SoftmaxCrossEntropy.forward",
    bad: "logits = its own gradient",
    message: /SoftmaxCrossEntropy.forward: grad overlaps logits/,
    setup: (rt) => {
      const loss = new SoftmaxCrossEntropy(rt);
      const labels = rt.fromArray([1, 0], [2], { dtype: "i32" });
      const { grad } = loss.forward(rt.fromArray([1, 2, 3, 4], [2, 2]), labels);
      return { call: () => loss.forward(grad, labels), dispose: () => loss.dispose() };
    },
  },
  {
    entry: "Minibatches.gather",
    bad: "into = source",
    message: /Minibatches.gather: into overlaps source/,
    setup: (rt) => {
      const batches = new Minibatches(rt, 4, { batchSize: 4, rng: 1 });
      const batch = batches.epoch().next().value!;
      const x = rt.fromArray([0, 1, 2, 3, 4, 5, 6, 7], [4, 2]);
      return { call: () => batches.gather(x, batch, x), dispose: () => batches.dispose() };
    },
  },
  {
    entry: "GaussianBlur.valueAndGrad",
    bad: "grad = theta",
    message: /GaussianBlur.valueAndGrad: grad overlaps theta/,
    setup: (rt) => {
      const blur = new GaussianBlur(rt, (x) => x.data[0]!, { sigma: 0.5, rng: 1 });
      const theta = rt.fromArray([1, 2]);
      return { call: () => blur.valueAndGrad(theta, theta), dispose: () => undefined };
    },
  },
  {
    entry: "gemm",
    bad: "C = A",
    message: /C overlaps A or B/,
    setup: (rt) => {
      const a = rt.fromArray([1, 2, 3, 4], [2, 2]);
      const b = rt.fromArray([1, 0, 0, 1], [2, 2]);
      return { call: () => gemm(a, b, a), dispose: () => undefined };
    },
  },
];

/** Allowed aliases: the aliased call must equal the call on a copy. */
interface Allowed {
  entry: string;
  alias: string;
  /** Runs the call with the alias (aliased = true) or on a copy, returning what to compare. */
  run: (rt: Runtime, aliased: boolean) => number[][];
}

const ALLOWED: Allowed[] = [
  ...Object.entries(NORMS).map(([name, make]): Allowed => ({
    entry: `${name}.backward`,
    alias: "dy = its own previous dx",
    run: (rt, aliased) => {
      const norm = make(rt);
      try {
        norm.forward(x232(rt), { training: true });
        const dx = norm.backward(rt.fromArray([1, -1, 0.5, 2, 0, 3, -2, 1, 1, 0.25, -1, 4], [2, 3, 2]));
        const dy = aliased ? dx : rt.fromArray(Array.from(dx.data), dx.shape);
        const out = Array.from(norm.backward(dy).data);
        return [out, ...norm.parameters().map((p) => Array.from(p.grad.data))];
      } finally {
        norm.dispose();
      }
    },
  })),
  {
    entry: "ReLU.forward",
    alias: "x = its own output (in place)",
    run: (rt, aliased) => {
      const relu = new ReLU(rt);
      try {
        const y = relu.forward(rt.fromArray([1, -2, 3, -4], [2, 2]));
        const again = relu.forward(aliased ? y : rt.fromArray(Array.from(y.data), [2, 2]));
        return [Array.from(again.data), Array.from(relu.backward(rt.fromArray([1, 1, 1, 1], [2, 2])).data)];
      } finally {
        relu.dispose();
      }
    },
  },
  {
    entry: "Linear.backward",
    alias: "dy = its own output y (relu: masked in place)",
    run: (rt, aliased) => {
      const layer = new Linear(rt, 2, 2, { seed: 1, relu: true });
      try {
        const y = layer.forward(rt.fromArray([1, 2, -3, 4], [2, 2]));
        const dx = layer.backward(aliased ? y : rt.fromArray(Array.from(y.data), [2, 2]));
        return [Array.from(dx.data), Array.from(layer.weight.grad.data), Array.from(layer.bias!.grad.data)];
      } finally {
        layer.dispose();
      }
    },
  },
];

describeBackends("aliasing", (rt) => {
  describe("rejected before anything is written", () => {
    for (const row of REJECTED) {
      it(`${row.entry}: ${row.bad} -> ValueError`, () => {
        rt.scope(() => {
          const { call, dispose } = row.setup(rt);
          try {
            expectThrowsUnchanged(rt, call, ValueError, row.message);
          } finally {
            dispose();
          }
        });
      });
    }
  });

  describe("allowed, and equal to the call on a copy", () => {
    for (const row of ALLOWED) {
      it(`${row.entry}: ${row.alias}`, () => {
        const [aliased, copied] = [true, false].map((a) => rt.scope(() => row.run(rt, a)));
        expect(aliased).toEqual(copied);
      });
    }
  });

  it("Sequential rejects the same layer twice (it keeps one input for its backward)", () => {
    rt.scope(() => {
      const relu = new ReLU(rt);
      expect(() => new Sequential([relu, relu])).toThrow(/the same layer as at index 0/);
      relu.dispose();
    });
  });

  it("weight sharing through a second module gives the gradient of y = LN(LN(x))", () => {
    // The case: gamma [1, 2, 3] applied twice. Two modules sharing gamma's values give dx
    // by the chain rule; checked against central differences of sum(w * y).
    rt.scope(() => {
      const [a, b] = [new LayerNorm(rt, 3, { dtype: "f64" }), new LayerNorm(rt, 3, { dtype: "f64" })];
      for (const ln of [a, b]) ln.gamma!.set([1, 2, 3]);
      const w = [0.3, -1.2, 2];
      const T = (v: ArrayLike<number>) => rt.fromArray(Array.from(v), [3], { dtype: "f64" });
      // The hidden activation is copied into b's input: a module cannot take its own (or, here, a's) buffer that changes.
      const f = (x: number[]) => Array.from(b.forward(T(a.forward(T(x)).data)).data).reduce((s, v, i) => s + v * w[i]!, 0);
      try {
        const x = [0.5, -1, 2];
        f(x);
        const dx = Array.from(a.backward(T(b.backward(T(w)).data)).data);
        const h = 1e-6;
        const numeric = x.map((_, i) => (f(x.map((v, j) => (j === i ? v + h : v))) - f(x.map((v, j) => (j === i ? v - h : v)))) / (2 * h));
        dx.forEach((d, i) => expect(d).toBeCloseTo(numeric[i]!, 6));
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  });
});
