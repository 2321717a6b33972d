import { expect, it } from "vitest";
import { valueAndGrad } from "../../src/autodiff/tape";
import type { Ops } from "../../src/autodiff/ops";
import { Linear } from "../../src/nn/linear";
import { SoftmaxCrossEntropy } from "../../src/nn/loss";
import { Sequential } from "../../src/nn/sequential";
import { DisposedError, ShapeError, StateError, ValueError } from "../../src/runtime/errors";
import type { Param, Tensor } from "../../src/runtime/tensor";
import { describeBackends } from "../helpers/backends";
import { uniformArray } from "../helpers/random";

const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data as Float32Array).buffer));

describeBackends("autodiff tape", (rt) => {
  const [batch, inputs, hidden, classes] = [9, 6, 8, 5];

  /** An MLP's parameters, inputs and labels; freed by the scope around each test. */
  function mlp() {
    const l1 = new Linear(rt, inputs, hidden, { relu: true, seed: 1 });
    const l2 = new Linear(rt, hidden, classes, { seed: 2 });
    // Nonzero biases, so their gradients flow through every op.
    l1.bias!.set(uniformArray(hidden, 3, -0.1, 0.1));
    l2.bias!.set(uniformArray(classes, 4, -0.1, 0.1));
    const x = rt.fromArray(uniformArray(batch * inputs, 5, -1, 1), [batch, inputs]);
    const labels = rt.fromArray(Array.from({ length: batch }, (_, i) => (i * 3) % classes), [batch], { dtype: "i32" });
    const loss = (ops: Ops, xs: Tensor<"f32">, ys: Tensor<"i32">) =>
      ops.softmaxCrossEntropy(ops.matmul(ops.matmul(xs, l1.weight, { bias: l1.bias, relu: true }), l2.weight, { bias: l2.bias }), ys);
    const params = [...l1.parameters(), ...l2.parameters()];
    return { l1, l2, x, labels, loss, params, dispose: () => (l1.dispose(), l2.dispose()) };
  }

  it("an MLP's parameter gradients equal the hand-wired layers' bit for bit, and so does the loss", () => {
    rt.scope(() => {
      const m = mlp();
      const net = new Sequential([m.l1, m.l2]);
      const sce = new SoftmaxCrossEntropy(rt);
      const logits = net.forward(m.x, { training: true });
      const handLoss = sce.forward(logits, m.labels);
      net.backward(handLoss.grad);
      const handGrads = m.params.map((p) => bits(p.grad));
      m.params.forEach((p) => p.zeroGrad());

      const step = valueAndGrad(rt, m.loss);
      const loss = step(m.x, m.labels);
      expect(loss).toBe(Math.fround(handLoss.loss));
      expect(m.params.map((p) => bits(p.grad))).toEqual(handGrads);
      expect(handGrads.flat().some((b) => b !== 0)).toBe(true);
      step.dispose();
      sce.dispose();
      m.dispose();
    });
  });

  it("gradients accumulate (+=) over calls, bit for bit as the hand-wired layers accumulate them", () => {
    rt.scope(() => {
      const m = mlp();
      const net = new Sequential([m.l1, m.l2]);
      const sce = new SoftmaxCrossEntropy(rt);
      for (let i = 0; i < 2; i++) net.backward(sce.forward(net.forward(m.x, { training: true }), m.labels).grad);
      const handGrads = m.params.map((p) => bits(p.grad));
      m.params.forEach((p) => p.zeroGrad());
      const step = valueAndGrad(rt, m.loss);
      step(m.x, m.labels);
      const once = m.params.map((p) => bits(p.grad));
      step(m.x, m.labels);
      expect(m.params.map((p) => bits(p.grad))).toEqual(handGrads);
      expect(handGrads).not.toEqual(once);
      step.dispose();
      sce.dispose();
      m.dispose();
    });
  });

  it("a training step allocates nothing after the first, and dispose() frees what the tape owns", () => {
    rt.scope(() => {
      const m = mlp();
      const base = rt.memoryStats();
      const step = valueAndGrad(rt, m.loss);
      step(m.x, m.labels);
      const first = rt.memoryStats();
      expect(first.liveTensors).toBeGreaterThan(base.liveTensors);
      const { peakBytes, ...held } = first;
      let second = first;
      for (let i = 0; i < 5; i++) {
        m.params.forEach((p) => p.zeroGrad());
        step(m.x, m.labels);
        const { peakBytes: peak, ...now } = rt.memoryStats();
        expect(now).toEqual(held);
        // gemm's scratch is allocated and freed inside each product; where the allocator
        // places it can move once after the first step, then the peak stays put.
        if (i === 0) second = rt.memoryStats();
        expect(peak).toBe(second.peakBytes);
        expect(peak).toBeLessThanOrEqual(peakBytes + 256);
      }
      step.dispose();
      expect(rt.memoryStats().liveTensors).toBe(base.liveTensors);
      expect(rt.memoryStats().liveBytes).toBe(base.liveBytes);
      m.dispose();
    });
  });

  it("reuses the tensors ops return while the op sequence repeats, and reallocates when a shape changes", () => {
    rt.scope(() => {
      const w = rt.param([3], { values: [1, 2, 3] });
      let seen: Tensor[] = [];
      const step = valueAndGrad(rt, (ops, x: Tensor<"f32">) => {
        const y = ops.mul(x, w);
        seen.push(y);
        return ops.sum(y);
      });
      const [a, b] = [rt.fromArray([1, 1, 1]), rt.fromArray([2, 2, 2, 2])];
      step(a);
      const base = rt.memoryStats().liveTensors;
      step(a);
      expect(seen[0]).toBe(seen[1]);
      expect(seen[1]!.toArray()).toEqual([1, 2, 3]);
      seen = [];
      expect(() => step(b)).toThrow(ShapeError); // [4] * [3]
      expect(rt.memoryStats().liveTensors).toBe(base);
      step.dispose();
    });
  });

  it("a new batch size reallocates the tape's buffers in place of the old ones, and the gradients follow", () => {
    rt.scope(() => {
      const m = mlp();
      const step = valueAndGrad(rt, m.loss);
      const small = rt.fromArray(m.x.data.subarray(0, 4 * inputs), [4, inputs]);
      const smallLabels = rt.fromArray(m.labels.data.subarray(0, 4), [4], { dtype: "i32" });
      step(m.x, m.labels);
      const live = rt.memoryStats().liveTensors;
      m.params.forEach((p) => p.zeroGrad());
      const loss = step(small, smallLabels);
      expect(rt.memoryStats().liveTensors).toBe(live);
      const grads = m.params.map((p) => bits(p.grad));
      // The same batch through a fresh tape gives the same loss and gradients.
      m.params.forEach((p) => p.zeroGrad());
      const fresh = valueAndGrad(rt, m.loss);
      expect(fresh(small, smallLabels)).toBe(loss);
      expect(m.params.map((p) => bits(p.grad))).toEqual(grads);
      step.dispose();
      fresh.dispose();
      m.dispose();
    });
  });

  it("constants get no gradient; a loss that reaches no Param returns its value and writes nothing", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [3, 4] });
      const c = rt.fromArray([5, 6]);
      const step = valueAndGrad(rt, (ops) => ops.sum(ops.mul(c, c)));
      expect(step()).toBe(61);
      expect(w.grad.toArray()).toEqual([0, 0]);
      const withParam = valueAndGrad(rt, (ops) => ops.sum(ops.mul(c, w)));
      expect(withParam()).toBe(39);
      expect(w.grad.toArray()).toEqual([5, 6]);
      expect(c.toArray()).toEqual([5, 6]);
      step.dispose();
      withParam.dispose();
    });
  });

  it("the softmax cross-entropy loss agrees with a training loop that lowers it", () => {
    rt.scope(() => {
      const m = mlp();
      const step = valueAndGrad(rt, m.loss);
      const first = step(m.x, m.labels);
      let loss = first;
      for (let i = 0; i < 30; i++) {
        for (const p of m.params) {
          for (let j = 0; j < p.length; j++) p.data[j] = p.data[j]! - 0.5 * p.grad.data[j]!;
          p.zeroGrad();
        }
        loss = step(m.x, m.labels);
      }
      expect(loss).toBeLessThan(first / 2);
      step.dispose();
      m.dispose();
    });
  });

  function expectGradsUnchanged(params: Param[], fn: () => unknown, error: new (...a: never[]) => Error, message: RegExp): void {
    const before = params.map((p) => [bits(p), bits(p.grad)]);
    expect(fn).toThrow(error);
    expect(fn).toThrow(message);
    expect(params.map((p) => [bits(p), bits(p.grad)])).toEqual(before);
  }

  it("rejects bad calls with typed errors before any gradient is written", () => {
    rt.scope(() => {
      const m = mlp();
      const step = valueAndGrad(rt, m.loss);
      step(m.x, m.labels); // the gradients are nonzero from here on
      const wide = rt.tensor([batch, inputs + 1]);
      expectGradsUnchanged(m.params, () => step(wide, m.labels), ShapeError, /inner dimensions differ \(7 and 6\)/);
      const bad = rt.fromArray([0, 1, 2, 3, 4, 5, 6, 7, 1], [batch], { dtype: "i32" });
      expectGradsUnchanged(m.params, () => step(m.x, bad), ValueError, /Invalid label 5 at row 5/);
      const f64 = rt.tensor([batch, inputs], { dtype: "f64" });
      expectGradsUnchanged(m.params, () => step(f64 as never, m.labels), ShapeError, /expected dtype 'f32'/);
      expectGradsUnchanged(m.params, () => step("x" as never, m.labels), ValueError, /Invalid A: x \(expected a Tensor\)/);
      const gone = rt.tensor([batch, inputs]);
      gone.dispose();
      expectGradsUnchanged(m.params, () => step(gone, m.labels), DisposedError, /used after dispose/);
      // A tensor disposed inside the function, after an op read it: caught before backward.
      const late = valueAndGrad(rt, (ops) => {
        const x = rt.fromArray(m.x.data, m.x.shape);
        const loss = m.loss(ops, x, m.labels);
        x.dispose();
        return loss;
      });
      expectGradsUnchanged(m.params, () => late(), DisposedError, /disposed during the call/);
      const notScalar = valueAndGrad(rt, (ops) => ops.relu(m.l1.weight));
      expectGradsUnchanged(m.params, () => notScalar(), ShapeError, /The loss must be a scalar/);
      const notFromOps = valueAndGrad(rt, () => m.x);
      expectGradsUnchanged(m.params, () => notFromOps(), ValueError, /expected a tensor returned by an op of this call/);
      const nothing = valueAndGrad(rt, () => undefined as never);
      expectGradsUnchanged(m.params, () => nothing(), ValueError, /Invalid loss: undefined/);
      expect(() => valueAndGrad(rt, "f" as never)).toThrow(ValueError);
      // The step still works after all of that.
      m.params.forEach((p) => p.zeroGrad());
      expect(step(m.x, m.labels)).toBeGreaterThan(0);
      for (const s of [step, late, notScalar, notFromOps, nothing]) s.dispose();
      m.dispose();
    });
  });

  it("ops work only while their function runs, and a step cannot call itself", () => {
    rt.scope(() => {
      const w = rt.param([2]);
      let kept: Ops | null = null;
      const step = valueAndGrad(rt, (ops) => ((kept = ops), ops.sum(w)));
      step();
      expect(() => kept!.relu(w)).toThrow(StateError);
      const again: () => number = valueAndGrad(rt, (ops) => (again(), ops.sum(w)));
      expect(() => again()).toThrow(/called from inside its own function/);
      step.dispose();
    });
  });
});
