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
import { Philox } from "../../src/random/philox";

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
  /** A small language-model-like net over the new ops: embedding, gelu, dropout, layout, broadcasting, log-softmax. */
  function tokenNet(seed: number) {
    const [vocab, dim, hiddenDim, count] = [7, 5, 6, 9];
    const table = rt.param([vocab, dim], { values: uniformArray(vocab * dim, seed, -1, 1) });
    const w = rt.param([dim, hiddenDim], { values: uniformArray(dim * hiddenDim, seed + 1, -1, 1) });
    const shift = rt.param([hiddenDim], { values: uniformArray(hiddenDim, seed + 2, -0.5, 0.5) });
    const temperature = rt.param([hiddenDim], { values: uniformArray(hiddenDim, seed + 3, 1, 2) });
    const ids = Int32Array.from({ length: count }, (_, i) => (i * 5) % vocab);
    const targets = rt.fromArray(Array.from({ length: count * hiddenDim }, (_, i) => (i % hiddenDim === i % 4 ? 1 : 0)), [count, hiddenDim]);
    const loss = (ops: Ops) => {
      const h = ops.dropout(ops.gelu(ops.matmul(ops.embedding(table, ids), w)), { p: 0.25, seed: 3 });
      const shuffled = ops.transpose(ops.transpose(ops.concat([ops.slice(h, 1, 4, 6), ops.slice(h, -1, 0, 4)], 1)));
      const logits = ops.div(ops.sub(shuffled, shift), temperature);
      return ops.scale(ops.mean(ops.mul(ops.logSoftmax(logits), targets)), -1);
    };
    return { params: [table, w, shift, temperature], loss, dispose: () => [table, w, shift, temperature, targets].forEach((t) => t.dispose()) };
  }

  it("a step through embedding, gelu, dropout, slice, concat, transpose, sub, div and log-softmax allocates nothing after the first", () => {
    rt.scope(() => {
      const net = tokenNet(21);
      const base = rt.memoryStats();
      const step = valueAndGrad(rt, net.loss);
      const losses = [step()];
      const { peakBytes, ...held } = rt.memoryStats();
      for (let i = 0; i < 5; i++) {
        net.params.forEach((p) => p.zeroGrad());
        losses.push(step());
        const { peakBytes: peak, ...now } = rt.memoryStats();
        expect(now).toEqual(held);
        expect(peak).toBe(peakBytes);
      }
      // Each call draws a new dropout mask (its step), so the loss moves with the same parameters.
      expect(new Set(losses).size).toBe(losses.length);
      expect(net.params.every((p) => p.grad.data.some((g) => g !== 0))).toBe(true);
      step.dispose();
      expect(rt.memoryStats().liveTensors).toBe(base.liveTensors);
      expect(rt.memoryStats().liveBytes).toBe(base.liveBytes);
      net.dispose();
    });
  });

  it("dropout's mask is Philox(seed, position * 2^32 + step), reproducible by seed and step on both backends", () => {
    rt.scope(() => {
      const n = 4001;
      const p = 0.25;
      const x = rt.param([n], { values: uniformArray(n, 8, 0.5, 1.5) });
      const outputs: number[][] = [];
      const step = valueAndGrad(rt, (ops, options: { step?: number }) => {
        const y = ops.dropout(ops.scale(x, 1), { p, seed: 77, ...options }); // position 1: after scale
        outputs.push(Array.from(y.data));
        return ops.sum(y);
      });
      step({});
      step({});
      step({ step: 0 });
      const u = new Philox(77, 2 ** 32 + 0).uniform(rt.tensor([n]));
      const expected = Array.from(u.data, (v) => (v >= Math.fround(p) ? Math.fround(1 / (1 - p)) : 0));
      expect(outputs[0]).toEqual(expected.map((m, i) => Math.fround(x.data[i]! * m)));
      expect(outputs[1]).not.toEqual(outputs[0]); // the second call is step 1
      expect(outputs[2]).toEqual(outputs[0]); // an explicit step draws that step's mask again
      // The gradient of sum(dropout(x)) is the mask, accumulated over the three calls.
      const mask1 = new Philox(77, 2 ** 32 + 1).uniform(rt.tensor([n])).data.map((v) => (v >= Math.fround(p) ? 1 / (1 - p) : 0));
      expect(Array.from(x.grad.data)).toEqual(expected.map((m, i) => Math.fround(Math.fround(m + mask1[i]!) + m)));
      const kept = expected.filter((m) => m > 0).length / n;
      expect(Math.abs(kept - (1 - p))).toBeLessThan(0.03);
      step.dispose();
    });
  });

  it("dropout with training: false returns its input, and p = 1 zeroes everything", () => {
    rt.scope(() => {
      const x = rt.param([3], { values: [1, -2, 3] });
      let out: Tensor | null = null;
      const evaluate = valueAndGrad(rt, (ops) => ops.sum((out = ops.dropout(x, { p: 0.9, training: false }))));
      expect(evaluate()).toBe(2);
      expect(out).toBe(x);
      expect(x.grad.toArray()).toEqual([1, 1, 1]);
      const all = valueAndGrad(rt, (ops) => ops.sum(ops.dropout(x, { p: 1 })));
      expect(all()).toBe(0);
      expect(x.grad.toArray()).toEqual([1, 1, 1]);
      evaluate.dispose();
      all.dispose();
    });
  });

  it("the new ops reject bad calls with typed errors before anything is written", () => {
    rt.scope(() => {
      const table = rt.param([5, 2], { values: uniformArray(10, 4, -1, 1) });
      const v = rt.param([3], { values: [1, 2, 3] });
      const m = rt.param([2, 3], { values: [1, 2, 3, 4, 5, 6] });
      const params = [table, v, m];
      // Nonzero gradients first, so that a write into them would show.
      const warm = valueAndGrad(rt, (ops) => ops.add(ops.sum(ops.mul(m, v)), ops.sum(ops.embedding(table, Int32Array.of(1, 4)))));
      warm();
      expect(params.every((p) => p.grad.data.some((g) => g !== 0))).toBe(true);
      const once = (fn: (ops: Ops) => Tensor<"f32">) => {
        const step = valueAndGrad(rt, fn);
        return () => {
          const live = rt.memoryStats().liveTensors;
          try {
            return step();
          } finally {
            step.dispose(); // a call that threw keeps the slots of its earlier ops for the next call
            expect(rt.memoryStats().liveTensors).toBe(live);
          }
        };
      };
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.embedding(table, Int32Array.of(0, 5)))), ValueError, /Invalid id 5 at position 1 \(expected 0 <= id < 5\)/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.embedding(table, Int32Array.of(-1)))), ValueError, /Invalid id -1 at position 0/);
      const badIds = rt.fromArray([4, 0, 9], [3], { dtype: "i32" });
      const pair = rt.fromArray([1, 2]);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.embedding(table, badIds))), ValueError, /Invalid id 9 at position 2/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.embedding(table, v as never))), ShapeError, /expected i32 ids/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.embedding(table, [1, 2] as never))), ValueError, /Invalid ids: 1,2 \(expected an i32 Tensor or an Int32Array\)/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.embedding(v, Int32Array.of(0)))), ShapeError, /expected rank 2/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.sub(v, m))), ShapeError, /sub: b \[2, 3\] must have the shape of a \[3\]/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.div(m, pair))), ShapeError, /div: b \[2\] must have the shape of a \[2, 3\]/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.gelu(v, { approximate: "erf" as never }))), ValueError, /Invalid approximate: erf \(expected 'none' or 'tanh'\)/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.gelu(v, { approx: "tanh" } as never))), ValueError, /approx/);
      expectGradsUnchanged(params, once((ops) => ops.softmax(ops.sum(v))), ShapeError, /softmax: .* has no last axis/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.dropout(v, { p: 1.5 }))), ValueError, /Invalid p: 1.5/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.dropout(v, { p: 0.5, training: false, seed: -1 }))), ValueError, /Invalid seed: -1/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.dropout(v, { step: 2 ** 32 }))), ValueError, /Invalid step: 4294967296/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.dropout(v, { training: "no" as never }))), ValueError, /Invalid training: no/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.slice(m, 1, 1, 4))), ValueError, /Invalid end: 4/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.slice(m, 1, 2, 1))), ValueError, /Invalid start: 2/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.slice(m, 2, 0, 1))), ValueError, /Invalid axis: 2/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.concat([m, v], 0))), ShapeError, /concat: tensors\[1\] \[3\] does not fit tensors\[0\] \[2, 3\] along axis 0/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.concat([m, table], 1))), ShapeError, /does not fit/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.concat([], 0))), ValueError, /expected a non-empty array of tensors/);
      expectGradsUnchanged(params, once((ops) => ops.sum(ops.transpose(v))), ShapeError, /transpose: expected rank 2 or 3/);
      warm.dispose();
    });
  });
});

describeBackends("autodiff tape: reshape and flatten are views", (rt) => {
  it("return a view of their input and allocate no buffer for it", () => {
    rt.scope(() => {
      const w = rt.param([2, 3, 2], { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
      const outs: Tensor[] = [];
      const withView = valueAndGrad(rt, (ops) => {
        const h = ops.tanh(w);
        const flat = ops.flatten(h);
        outs.push(h, flat, ops.reshape(flat, [-1]));
        return ops.sum(outs[2] as Tensor<"f32">);
      });
      const before = rt.memoryStats().liveTensors;
      withView();
      const [h, flat, line] = outs as Tensor<"f32">[];
      expect([flat!.shape, line!.shape]).toEqual([[2, 6], [12]]);
      expect([flat!.ptr, flat!.base, line!.base]).toEqual([h!.ptr, h, h]);
      // tanh's output and gradient and sum's: four tensors; the two views add none.
      expect(rt.memoryStats().liveTensors).toBe(before + 4);
      w.grad.data.forEach((g, i) => expect(g).toBeCloseTo(1 - h!.data[i]! ** 2, 6));
      withView.dispose();
    });
  });

  it("a view of a Param passes the gradient into param.grad, accumulating (+=) over calls", () => {
    rt.scope(() => {
      const w = rt.param([1, 1, 2], { values: [3, 4] });
      const scalar = rt.param([1, 1], { values: [5] });
      const step = valueAndGrad(rt, (ops) => ops.mse(ops.flatten(w), rt.fromArray([1, 1], [1, 2])));
      const direct = valueAndGrad(rt, (ops) => ops.reshape(scalar, [1]));
      w.grad.set([10, 20]);
      step();
      step();
      expect(w.grad.toArray()).toEqual([10 + 2 * 2, 20 + 2 * 3]); // d mean((w - 1)^2) = (w - 1)
      expect(direct()).toBe(5);
      expect(direct()).toBe(5);
      expect(scalar.grad.toArray()).toEqual([2]); // the loss is the view itself: += 1 per call
      step.dispose();
      direct.dispose();
    });
  });

  it("a Param's gradient disposed after a view of it was recorded is a DisposedError before backward writes", () => {
    const w = rt.param([1, 2], { values: [3, 4] });
    const step = valueAndGrad(rt, (ops) => {
      const loss = ops.sum(ops.flatten(w));
      w.grad.dispose();
      return loss;
    });
    expect(() => step()).toThrow(/gradient of Tensor\(f32, \[1, 2\]\) was disposed during the call/);
    step.dispose();
    w.dispose();
  });

  it("frees the buffers of the op a view replaces at the same position", () => {
    rt.scope(() => {
      const w = rt.param([2, 2], { values: [1, 2, 3, 4] });
      let copy = true;
      const step = valueAndGrad(rt, (ops) => ops.sum(copy ? ops.tanh(w) : ops.reshape(w, [4])));
      const before = rt.memoryStats().liveTensors;
      step();
      expect(rt.memoryStats().liveTensors).toBe(before + 4);
      copy = false;
      step();
      expect(rt.memoryStats().liveTensors).toBe(before + 2); // only sum's output and gradient
      step.dispose();
      expect(rt.memoryStats().liveTensors).toBe(before);
    });
  });
});
