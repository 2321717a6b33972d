import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { Linear } from "../../src/nn/linear";
import { ReLU } from "../../src/nn/relu";
import { Sequential } from "../../src/nn/sequential";
import { SoftmaxCrossEntropy } from "../../src/nn/loss";
import { ShapeError } from "../../src/runtime/errors";
import type { Initializer } from "../../src/init/initializers";

/** A fixed fill from the tests' own generator (independent of the library's RNG under test). */
const fill = (seed: number, scale: number): Initializer => (w) => w.set(uniformArray(w.length, seed, -scale, scale));

describeBackends("MLP", (rt) => {
  it("backward equals central differences of the loss (tiny net, every parameter)", () => {
    rt.scope(() => {
      // 4 -> Linear+ReLU(6) -> Linear(5) -> ReLU -> Linear(3) -> softmax cross-entropy, batch 7.
      const net = new Sequential([
        new Linear(rt, 4, 6, { relu: true, init: fill(1, 0.8) }),
        new Linear(rt, 6, 5, { init: fill(2, 0.8) }),
        new ReLU(rt),
        new Linear(rt, 5, 3, { init: fill(3, 0.8) }),
      ]);
      for (const p of net.parameters()) if (p.shape.length === 1) p.set(uniformArray(p.length, p.length, -0.3, 0.3));
      const loss = new SoftmaxCrossEntropy(rt);
      const x = rt.fromArray(uniformArray(7 * 4, 4, -1, 1), [7, 4]);
      const labels = rt.fromArray([0, 1, 2, 2, 1, 0, 1], [7], { dtype: "i32" });
      const evaluate = () => loss.forward(net.forward(x, { training: true }), labels).loss;

      for (const p of net.parameters()) p.zeroGrad();
      const { grad } = loss.forward(net.forward(x, { training: true }), labels);
      net.backward(grad);

      // h must not carry a pre-activation across ReLU's kink: the closest one here is -0.0095.
      const h = 1e-3;
      let checked = 0;
      for (const p of net.parameters()) {
        const analytic = p.grad.toArray();
        for (let i = 0; i < p.length; i++) {
          const v = p.data[i]!;
          p.data[i] = v + h;
          const up = evaluate();
          p.data[i] = v - h;
          const down = evaluate();
          p.data[i] = v;
          const numeric = (up - down) / (2 * h);
          // f32 forward passes: the difference quotient carries ~5e-5 absolute noise at this h.
          expect(Math.abs(analytic[i]! - numeric), `${p.describe()}[${i}]`).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
          checked++;
        }
      }
      expect(checked).toBe(4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3);
      net.dispose();
      loss.dispose();
    });
  });

  it("reuses its buffers across steps of the same batch size (no allocation per step)", () => {
    rt.scope(() => {
      const net = new Sequential([new Linear(rt, 3, 4, { relu: true, init: fill(5, 1) }), new Linear(rt, 4, 2, { init: fill(6, 1) })]);
      const x = rt.fromArray(uniformArray(12, 7), [4, 3]);
      const dy = rt.tensor([4, 2]);
      net.backward(dy.fill(0.1) && net.forward(x, { training: true }) && dy);
      const live = rt.memoryStats().liveTensors;
      for (let step = 0; step < 5; step++) {
        net.forward(x, { training: true });
        net.backward(dy.fill(0.1));
      }
      expect(rt.memoryStats().liveTensors).toBe(live);
      net.dispose();
    });
  });

  it("rejects inputs of the wrong width with a ShapeError, and backward() before forward()", () => {
    rt.scope(() => {
      const layer = new Linear(rt, 3, 2, { init: fill(8, 1) });
      expect(() => layer.forward(rt.tensor([2, 4]))).toThrow(ShapeError);
      expect(() => layer.backward(rt.tensor([2, 2]))).toThrow(/needs a forward\(\) first/);
      layer.dispose();
    });
  });
});
