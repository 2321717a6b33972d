import { describe, expect, it } from "vitest";
import {
  Adam, BatchNorm, DisposedError, LayerNorm, Linear, Module, NonFiniteError, ReLU, Residual, Sequential, ShapeError,
  SoftmaxCrossEntropy, StateError, ValueError, heUniform, valueAndGrad, type Ops, type Runtime, type Tensor,
} from "../../src/index";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { expectThrowsUnchanged } from "../helpers/snapshot";

const bits = (t: { data: ArrayLike<number> }) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));

/** A user-defined model, written as in PyTorch: layers in fields, a residual block, forward through the tape. */
class Net extends Module {
  fc1: Linear;
  block: Residual;
  head: Linear;
  constructor(rt: Runtime, inputs: number, hidden: number, classes: number) {
    super();
    this.fc1 = new Linear(rt, inputs, hidden, { relu: true, init: heUniform() });
    this.block = new Residual(new Sequential([new Linear(rt, hidden, hidden, { relu: true }), new Linear(rt, hidden, hidden)]));
    this.head = new Linear(rt, hidden, classes);
  }
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    return this.head.forward(ops, this.block.forward(ops, this.fc1.forward(ops, x)));
  }
}

describeBackends("Module", (rt) => {
  const [batch, inputs, hidden, classes] = [12, 4, 8, 3];
  const data = () => ({
    x: rt.fromArray(uniformArray(batch * inputs, 5, -1, 1), [batch, inputs]),
    y: rt.fromArray(Array.from({ length: batch }, (_, i) => i % classes), [batch], { dtype: "i32" }),
  });

  describe("names", () => {
    it("a Sequential names its entries by index, with PyTorch's names for Linear and BatchNorm", () => {
      rt.scope(() => {
        const net = new Sequential([new Linear(rt, 4, 8, { bias: false }), new BatchNorm(rt, 8), new ReLU(rt), new Linear(rt, 8, 3)]);
        expect(net.namedParameters().map(([name]) => name)).toEqual(["0.weight", "1.weight", "1.bias", "3.weight", "3.bias"]);
        expect(net.namedBuffers().map(([name]) => name)).toEqual(["1.running_mean", "1.running_var", "1.num_batches_tracked"]);
        expect(Object.keys(net.stateDict())).toEqual([
          "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias",
        ]);
        expect(net.parameters()).toEqual(net.namedParameters().map(([, p]) => p));
        net.dispose();
      });
    });

    it("a user-defined model names its fields in order, nested modules with dots", () => {
      rt.scope(() => {
        const net = new Net(rt, inputs, hidden, classes);
        expect(net.namedParameters().map(([name]) => name)).toEqual([
          "fc1.weight", "fc1.bias", "block.f.0.weight", "block.f.0.bias", "block.f.1.weight", "block.f.1.bias", "head.weight", "head.bias",
        ]);
        expect(net.namedModules().map(([name]) => name)).toEqual(["", "fc1", "block", "block.f", "block.f.0", "block.f.1", "head"]);
        net.dispose();
        expect(net.fc1.disposed && net.block.f.disposed && net.head.weight.disposed).toBe(true);
        expect(() => net.parameters()).toThrow(DisposedError);
      });
    });

    it("a parameter in a plain field is found; a shared one is listed once", () => {
      rt.scope(() => {
        class Tied extends Module {
          scale = rt.param([3], { values: [1, 2, 3] });
          a = new Linear(rt, 3, 3);
          again = this.a;
        }
        const m = new Tied();
        expect(m.namedParameters().map(([name]) => name)).toEqual(["scale", "a.weight", "a.bias"]);
        m.dispose();
      });
    });

    it("train() and eval() reach every module of the tree", () => {
      rt.scope(() => {
        const net = new Net(rt, inputs, hidden, classes);
        expect(net.eval().namedModules().every(([, m]) => !m.training)).toBe(true);
        expect(net.train().namedModules().every(([, m]) => m.training)).toBe(true);
        net.dispose();
      });
    });
  });

  describe("forward through the tape", () => {
    it("a Sequential's gradients through the tape equal its hand-wired backward, bit for bit", () => {
      rt.scope(() => {
        const net = new Sequential([new Linear(rt, inputs, hidden, { relu: true, seed: 1 }), new Linear(rt, hidden, classes, { seed: 2 })]);
        const { x, y } = data();
        const sce = new SoftmaxCrossEntropy(rt);
        net.backward(sce.forward(net.forward(x, { training: true }), y).grad);
        const weights = net.parameters().map(bits);
        const hand = net.parameters().map((p) => bits(p.grad));
        net.zeroGrad();
        const step = valueAndGrad(rt, (ops, xs: Tensor<"f32">, ys: Tensor<"i32">) => ops.softmaxCrossEntropy(net.forward(ops, xs), ys));
        step(x, y);
        expect(net.parameters().map((p) => bits(p.grad))).toEqual(hand);
        expect(hand.every((g) => g.some((b) => b !== 0))).toBe(true);
        expect(net.parameters().map(bits)).toEqual(weights);
        step.dispose();
        sce.dispose();
        net.dispose();
      });
    });

    it("trains a user-defined model with a residual block through valueAndGrad", () => {
      rt.scope(() => {
        const net = new Net(rt, inputs, hidden, classes).resetParameters(3);
        const { x, y } = data();
        const step = valueAndGrad(rt, (ops, xs: Tensor<"f32">, ys: Tensor<"i32">) => ops.softmaxCrossEntropy(net.forward(ops, xs), ys));
        const opt = new Adam(rt, net.parameters(), { lr: 1e-2 });
        let first = 0;
        let last = 0;
        for (let i = 0; i < 100; i++) {
          opt.zeroGrad();
          last = step(x, y);
          if (i === 0) first = last;
          opt.step();
        }
        expect(last).toBeLessThan(first / 4);
        expect(net.block.f.parameters().every((p) => p.grad.data.some((g) => g !== 0))).toBe(true);
        step.dispose();
        opt.dispose();
        net.dispose();
      });
    });

    it("Residual needs f(x) of x's shape; an f64 norm has no tape forward; a hand-wired run needs layers", () => {
      rt.scope(() => {
        const { x } = data();
        const bad = new Residual(new Linear(rt, inputs, hidden));
        const badStep = valueAndGrad(rt, (ops) => ops.sum(bad.forward(ops, x)));
        expect(() => badStep()).toThrow(new ShapeError("Residual: f maps [12, 4] to [12, 8]; x + f(x) needs x's shape"));
        const ln = new Sequential([new LayerNorm(rt, inputs, { dtype: "f64" })]);
        const lnStep = valueAndGrad(rt, (ops) => ops.sum(ln.forward(ops, x)));
        expect(() => lnStep()).toThrow(/LayerNorm of dtype f64 runs hand-wired only/);
        badStep.dispose();
        lnStep.dispose();
        const tapeOnly = new Sequential([new Residual(new Linear(rt, inputs, inputs))]);
        expect(() => tapeOnly.forward(x, { training: true })).toThrow(/index 0 has no hand-wired backward/);
        for (const m of [bad, ln, tapeOnly]) m.dispose();
      });
    });
  });

  describe("stateDict / loadStateDict", () => {
    const model = () => new Sequential([new Linear(rt, 3, 2, { bias: false }), new BatchNorm(rt, 2), new Linear(rt, 2, 2)]);

    it("copies every tensor into another model; the PyTorch layout transposes Linear weights", () => {
      rt.scope(() => {
        const [a, b] = [model().resetParameters(1), model().resetParameters(2)];
        (a.layers[1] as BatchNorm).forward(rt.fromArray([1, 2, 3, 5, 4, 1], [3, 2]), { training: true });
        const torch = a.stateDict({ layout: "pytorch" });
        expect(torch["0.weight"]!.shape).toEqual([2, 3]);
        const w = Array.from(a.stateDict()["0.weight"]!.data);
        expect(Array.from(torch["0.weight"]!.data)).toEqual([w[0], w[2], w[4], w[1], w[3], w[5]]);
        b.loadStateDict(torch, { layout: "pytorch" });
        for (const [key, t] of Object.entries(a.stateDict())) expect(bits(b.stateDict()[key]!), key).toEqual(bits(t));
        expect((b.layers[1] as BatchNorm).numBatchesTracked).toBe(1);
        const c = model();
        c.loadStateDict(a.stateDict());
        expect(bits(c.stateDict()["2.weight"]!)).toEqual(bits(a.stateDict()["2.weight"]!));
        for (const m of [a, b, c]) m.dispose();
      });
    });

    it("refuses a bad state whole, naming the key, with nothing written", () => {
      rt.scope(() => {
        const [a, target] = [model().resetParameters(1), model().resetParameters(2)];
        const good = Object.fromEntries(Object.entries(a.stateDict()).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]));
        const { ["1.running_var"]: _dropped, ...missing } = good;
        const cases: Array<[string, unknown, new (m: string) => Error, RegExp]> = [
          ["a missing key", missing, StateError, /missing key '1.running_var'/],
          ["an unexpected key", { ...good, "3.weight": good["2.weight"] }, StateError, /unexpected key '3.weight'/],
          ["another shape", { ...good, "2.bias": { ...good["2.bias"]!, shape: [1, 2] } }, StateError, /'2.bias' has shape \[1, 2\], expected \[2\]/],
          ["another dtype", { ...good, "2.bias": { ...good["2.bias"]!, dtype: "f64" } }, StateError, /'2.bias' has dtype f64, expected f32/],
          ["too few values", { ...good, "2.bias": { ...good["2.bias"]!, data: [1] } }, StateError, /'2.bias' holds 1 values, expected 2/],
          ["a fractional count", { ...good, "1.num_batches_tracked": { dtype: "i64", shape: [], data: [1.5] } }, StateError, /not an i32/],
          ["a NaN", { ...good, "2.weight": { ...good["2.weight"]!, data: [1, 2, Number.NaN, 4] } }, NonFiniteError, /'2.weight' holds NaN at 2/],
          ["a layout that does not exist", good, ValueError, /Invalid layout: torch/],
        ];
        for (const [what, state, error, message] of cases) {
          const options = what.startsWith("a layout") ? { layout: "torch" as never } : {};
          expectThrowsUnchanged(rt, () => target.loadStateDict(state as never, options), error, message);
        }
        target.loadStateDict({ ...good, "2.weight": { ...good["2.weight"]!, data: [1, 2, Number.NaN, 4] } }, { nonFinite: "allow" });
        expect(Number.isNaN(target.stateDict()["2.weight"]!.data[2])).toBe(true);
        for (const m of [a, target]) m.dispose();
      });
    });
  });
});

describe("Module.resetParameters", () => {
  const build = (rt: Runtime) =>
    new Sequential([new Linear(rt, 5, 7, { relu: true }), new Linear(rt, 7, 7, { relu: true }), new Linear(rt, 7, 7), new BatchNorm(rt, 7)]);

  it("one seed gives the same bits on both backends, whatever the runtimes drew before; identical layers differ", () => {
    const { wasm, js } = twinRuntimes();
    js.param([3], { init: heUniform() }); // moves the runtime's own seed counter: no effect on the model's
    const [a, b] = [build(wasm).resetParameters(42), build(js).resetParameters(42)];
    const state = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, bits(t)]);
    expect(state(a)).toEqual(state(b));
    expect(bits(a.stateDict()["1.weight"]!)).not.toEqual(bits(a.stateDict()["2.weight"]!));
    expect(Array.from(a.stateDict()["0.bias"]!.data)).toEqual(new Array(7).fill(0));
    expect(Array.from(a.stateDict()["3.weight"]!.data)).toEqual(new Array(7).fill(1));
    const c = build(wasm).resetParameters(43);
    expect(bits(c.stateDict()["0.weight"]!)).not.toEqual(bits(a.stateDict()["0.weight"]!));
    for (const m of [a, b, c]) m.dispose();
    expect(() => build(js).resetParameters(-1)).toThrow(new ValueError("Invalid seed: -1 (expected an integer >= 0 and <= 9007199254740991)"));
  });
});
