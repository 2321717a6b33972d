import { describe, expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { expectGradientsMatch } from "../helpers/gradcheck";
import { uniformArray } from "../helpers/random";
import { GroupNorm, InstanceNorm, LayerNorm, type RowNorm } from "../../src/norm/groupnorm";
import { Adam } from "../../src/optim/adam";
import { DisposedError, ShapeError, StateError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";

// LayerNorm over 4 features, x = [2, 4]: row 0 = [1, 3, 5, 7], row 1 = [2, 2, 2, 2]; eps = 4.
//   row 0: mean 4, var 5, invstd = 1/3, xhat = [-1, -1/3, 1/3, 1]
//   row 1: mean 2, var 0, invstd = 1/2, xhat = 0
// gamma = [1, 2, 3, 4], beta = [0, 0, 0, 1]:
//   y row 0 = xhat gamma + beta = [-1, -2/3, 1, 5];  row 1 = beta = [0, 0, 0, 1]
const LN_X = [1, 3, 5, 7, 2, 2, 2, 2];
const LN_Y = [-1, -2 / 3, 1, 5, 0, 0, 0, 1];
// dy row 0 = [1, 0, 0, 0]: dxhat = gamma dy = [1, 0, 0, 0], mean(dxhat) = 1/4,
//   mean(dxhat xhat) = -1/4, dx = invstd (dxhat - 1/4 + xhat / 4) = [1/6, -1/9, -1/18, 0]
// dy row 1 = [1, 1, 1, 1]: dxhat = [1, 2, 3, 4], mean 5/2, xhat = 0, dx = (dxhat - 5/2) / 2
// dgamma = sum over rows of dy xhat = [-1, 0, 0, 0];  dbeta = sum of dy = [2, 1, 1, 1]
const LN_DY = [1, 0, 0, 0, 1, 1, 1, 1];
const LN_DX = [1 / 6, -1 / 9, -1 / 18, 0, -0.75, -0.25, 0.25, 0.75];

describeBackends("LayerNorm, GroupNorm, InstanceNorm", (rt) => {
  describe.each(["f32", "f64"] as const)("%s", (dtype) => {
    const rtol = dtype === "f32" ? 1e-6 : 1e-14;

    it("LayerNorm matches forward and backward computed by hand", () => {
      rt.scope(() => {
        const ln = new LayerNorm(rt, 4, { eps: 4, dtype });
        ln.gamma!.set([1, 2, 3, 4]);
        ln.beta!.set([0, 0, 0, 1]);
        expectClose(ln.forward(rt.fromArray(LN_X, [2, 4], { dtype })).data, LN_Y, { rtol, atol: rtol, context: "y" });
        expectClose(ln.backward(rt.fromArray(LN_DY, [2, 4], { dtype })).data, LN_DX, { rtol, atol: rtol, context: "dx" });
        expectClose(ln.gamma!.grad.data, [-1, 0, 0, 0], { rtol, atol: rtol });
        expectClose(ln.beta!.grad.data, [2, 1, 1, 1], { rtol });
        ln.dispose();
      });
    });

    it("GroupNorm with per-channel gamma matches the same rows by hand", () => {
      rt.scope(() => {
        // x = [1, 4, 2], 2 groups of 2 channels: group 0 = [1, 3 | 5, 7] (mean 4, var 5,
        // invstd 1/3 with eps 4), group 1 = [2, 2 | 2, 2]. gamma = [1, 2, 3, 4] per channel,
        // beta = [0, 0, 0, 1]: y = [-1, -1/3 | 2/3, 2 | 0, 0 | 1, 1]
        const gn = new GroupNorm(rt, 2, 4, { eps: 4, dtype });
        gn.gamma!.set([1, 2, 3, 4]);
        gn.beta!.set([0, 0, 0, 1]);
        const y = gn.forward(rt.fromArray(LN_X, [1, 4, 2], { dtype }));
        expectClose(y.data, [-1, -1 / 3, 2 / 3, 2, 0, 0, 1, 1], { rtol, atol: rtol });
        gn.dispose();
      });
    });

    it("GroupNorm with one group is LayerNorm over (C, S) with gamma repeated along S", () => {
      rt.scope(() => {
        const [N, C, S] = [3, 4, 5];
        const x = rt.fromArray(uniformArray(N * C * S, 1, -2, 2), [N, C, S], { dtype });
        const dy = rt.fromArray(uniformArray(N * C * S, 2), [N, C, S], { dtype });
        const gamma = uniformArray(C, 3, 0.5, 1.5);
        const beta = uniformArray(C, 4);
        const gn = new GroupNorm(rt, 1, C, { dtype });
        const ln = new LayerNorm(rt, [C, S], { dtype });
        gn.gamma!.set(gamma);
        gn.beta!.set(beta);
        ln.gamma!.set(Array.from({ length: C * S }, (_, i) => gamma[Math.floor(i / S)]!));
        ln.beta!.set(Array.from({ length: C * S }, (_, i) => beta[Math.floor(i / S)]!));
        expectClose(gn.forward(x).data, ln.forward(x).data, { rtol: 10 * rtol, atol: 10 * rtol });
        expectClose(gn.backward(dy).data, ln.backward(dy).data, { rtol: 10 * rtol, atol: 10 * rtol });
        const summed = (g: ArrayLike<number>) => Array.from({ length: C }, (_, c) => Array.from(g).slice(c * S, c * S + S).reduce((a, b) => a + b));
        expectClose(gn.gamma!.grad.data, summed(ln.gamma!.grad.data), { rtol: 10 * rtol, atol: 10 * rtol });
        gn.dispose();
        ln.dispose();
      });
    });

    it("GroupNorm with one channel per group is affine InstanceNorm", () => {
      rt.scope(() => {
        const [N, C, S] = [2, 3, 7];
        const x = rt.fromArray(uniformArray(N * C * S, 5, -2, 2), [N, C, S], { dtype });
        const dy = rt.fromArray(uniformArray(N * C * S, 6), [N, C, S], { dtype });
        const gn = new GroupNorm(rt, C, C, { dtype });
        const inorm = new InstanceNorm(rt, C, { dtype, affine: true });
        for (const m of [gn, inorm]) m.gamma!.set([0.5, 1, 2]);
        expect(gn.forward(x).toArray()).toEqual(inorm.forward(x).toArray());
        expect(gn.backward(dy).toArray()).toEqual(inorm.backward(dy).toArray());
        gn.dispose();
        inorm.dispose();
      });
    });
  });

  describe("gradients against central finite differences (f64, relative error <= 1e-6)", () => {
    const modules: Array<[string, (rt: Runtime) => RowNorm<"f64">, number[]]> = [
      ["LayerNorm(7) on [3, 7]", (r) => new LayerNorm(r, 7, { dtype: "f64", eps: 1e-3 }), [3, 7]],
      ["LayerNorm([2, 5]) on [2, 2, 5]", (r) => new LayerNorm(r, [2, 5], { dtype: "f64", eps: 1e-3 }), [2, 2, 5]],
      ["GroupNorm(2, 4) on [2, 4, 3]", (r) => new GroupNorm(r, 2, 4, { dtype: "f64", eps: 1e-3 }), [2, 4, 3]],
      ["GroupNorm(3, 6) on [1, 6, 2, 2]", (r) => new GroupNorm(r, 3, 6, { dtype: "f64", eps: 1e-3 }), [1, 6, 2, 2]],
      ["InstanceNorm(3, affine) on [2, 3, 5]", (r) => new InstanceNorm(r, 3, { dtype: "f64", eps: 1e-3, affine: true }), [2, 3, 5]],
    ];
    it.each(modules)("%s: dx, dgamma, dbeta", (_name, make, shape) => {
      rt.scope(() => {
        const n = shape.reduce((a, b) => a * b, 1);
        const m = make(rt);
        m.gamma!.set(uniformArray(m.gamma!.length, 1, 0.5, 2));
        m.beta!.set(uniformArray(m.beta!.length, 2));
        const x = rt.fromArray(uniformArray(n, 5, -2, 3), shape, { dtype: "f64" });
        expectGradientsMatch(m, x, uniformArray(n, 6), () => m.forward(x).data);
        m.dispose();
      });
    });
  });

  describe("robustness (f32)", () => {
    it("LayerNorm keeps rows around 1e4 with spread 1e-2 and constant rows finite", () => {
      rt.scope(() => {
        const D = 37;
        const values = [...uniformArray(D, 1).map((u) => 1e4 + 1e-2 * u), ...new Array(D).fill(-3e4)];
        const x = rt.fromArray(values, [2, D]);
        const ln = new LayerNorm(rt, D, { eps: 1e-12 });
        const y = ln.forward(x).toArray();
        const row = Array.from(x.data.subarray(0, D));
        const mean = row.reduce((a, b) => a + b) / D;
        const sd = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / D);
        expectClose(y.slice(0, D), row.map((v) => (v - mean) / sd), { atol: 2e-6, rtol: 0 });
        expect(y.slice(D)).toEqual(new Array(D).fill(0));
        expect(ln.backward(rt.fromArray(uniformArray(2 * D, 2), [2, D])).toArray().every(Number.isFinite)).toBe(true);
        ln.dispose();
      });
    });
  });

  it("LayerNorm sums parameter gradients over 250000 rows without f32 drift", () => {
    rt.scope(() => {
      const [N, D] = [250_000, 4];
      const ln = new LayerNorm(rt, D);
      const x = rt.fromArray(uniformArray(N * D, 3), [N, D]);
      ln.forward(x);
      ln.backward(rt.fromArray(new Float32Array(N * D).fill(0.1), [N, D]));
      // dbeta = sum of N copies of f32(0.1). Summed in f32 one row after another it is off by
      // 2.4e-3; the kernel sums at most CHUNK = 1024 rows in f32 (error <= 1024 * 2^-24 / 2
      // = 3e-5) and the partial sums in f64.
      const want = N * Math.fround(0.1);
      for (const g of ln.beta!.grad.data) expect(Math.abs(g / want - 1)).toBeLessThanOrEqual(3e-5);
      ln.dispose();
    });
  });

  describe("errors change nothing", () => {
    const invalid: Array<[string, () => unknown, RegExp]> = [
      ["GroupNorm groups not dividing channels", () => new GroupNorm(rt, 3, 4), /Invalid numGroups: 3 \(expected a divisor of numChannels = 4\)/],
      ["GroupNorm zero groups", () => new GroupNorm(rt, 0, 4), /Invalid numGroups: 0/],
      ["LayerNorm empty shape", () => new LayerNorm(rt, []), /Invalid normalizedShape/],
      ["LayerNorm zero size", () => new LayerNorm(rt, [3, 0]), /Invalid normalizedShape: 0/],
      ["InstanceNorm eps = 0", () => new InstanceNorm(rt, 3, { eps: 0 }), /Invalid eps: 0/],
      ["LayerNorm non-boolean affine", () => new LayerNorm(rt, 3, { affine: 1 as never }), /Invalid affine/],
    ];
    it.each(invalid)("rejects %s, allocating nothing", (_d, make, message) => {
      const before = rt.memoryStats().liveTensors;
      expect(make).toThrow(ValueError);
      expect(make).toThrow(message);
      expect(rt.memoryStats().liveTensors).toBe(before);
    });

    it("rejects mismatched inputs, changing nothing", () => {
      rt.scope(() => {
        const ln = new LayerNorm(rt, [2, 3]);
        const gn = new GroupNorm(rt, 2, 4);
        const inorm = new InstanceNorm(rt, 2);
        const snap = () => [ln.gamma!.toArray(), ln.gamma!.grad.toArray(), gn.beta!.grad.toArray()];
        const before = snap();
        const cases: Array<[() => unknown, new (...a: never[]) => Error, RegExp]> = [
          [() => ln.forward(rt.fromArray(uniformArray(6, 1), [3, 2])), ShapeError, /expected trailing dimensions \[2, 3\]/],
          [() => ln.forward(rt.fromArray(uniformArray(3, 1), [3])), ShapeError, /expected trailing dimensions/],
          [() => gn.forward(rt.fromArray(uniformArray(6, 1), [2, 3])), ShapeError, /expected \[N, 4, \.\.\.\]/],
          [() => inorm.forward(rt.fromArray(uniformArray(4, 1), [2, 2])), ValueError, /more than 1 spatial element/],
          [() => inorm.forward(rt.fromArray(uniformArray(4, 1), [2, 2, 1, 1])), ValueError, /more than 1 spatial element/],
          [() => gn.backward(rt.fromArray(uniformArray(8, 1), [2, 4])), StateError, /needs a forward\(\) first/],
          [() => gn.forward(rt.fromArray(uniformArray(8, 1), [2, 4]), { training: "yes" } as never), ValueError, /Invalid training/],
        ];
        for (const [call, type, message] of cases) {
          expect(call).toThrow(type);
          expect(call).toThrow(message);
          expect(snap()).toEqual(before);
        }
        ln.forward(rt.fromArray(uniformArray(12, 1), [2, 2, 3]));
        expect(() => ln.backward(rt.fromArray(uniformArray(6, 1), [1, 2, 3]))).toThrow(ShapeError);
        expect(snap()).toEqual(before);
        for (const m of [ln, gn, inorm]) m.dispose();
        expect(() => ln.forward(rt.fromArray(uniformArray(6, 1), [1, 2, 3]))).toThrow(DisposedError);
      });
    });
  });

  it("keeps the statistics of a forward() run inside a scope: backward after it equals an unscoped run", () => {
    const gn = new GroupNorm(rt, 2, 4);
    const x = rt.fromArray(uniformArray(16, 1), [2, 4, 2]);
    const dy = rt.fromArray(uniformArray(16, 2), [2, 4, 2]);
    rt.scope(() => void gn.forward(x));
    const scoped = gn.backward(dy).toArray();
    gn.forward(x);
    expect(gn.backward(dy).toArray()).toEqual(scoped);
    for (const t of [gn, x, dy]) t.dispose();
  });

  it("InstanceNorm follows PyTorch's defaults: no affine parameters", () => {
    rt.scope(() => {
      const inorm = new InstanceNorm(rt, 3);
      expect(inorm.parameters()).toEqual([]);
      expect(inorm.eps).toBe(1e-5);
      inorm.dispose();
    });
  });

  it("frees everything on dispose and trains with Adam", () => {
    const before = rt.memoryStats();
    const gn = new GroupNorm(rt, 2, 4);
    const opt = new Adam(rt, gn.parameters(), { lr: 0.01 });
    const x = rt.fromArray(uniformArray(2 * 4 * 9, 1), [2, 4, 9]);
    const target = uniformArray(2 * 4 * 9, 2);
    const lossOf = (y: ArrayLike<number>) => Array.from(y).reduce((s, v, i) => s + (v - target[i]!) ** 2, 0);
    const first = lossOf(gn.forward(x).data);
    for (let t = 0; t < 50; t++) {
      const y = gn.forward(x);
      const dy = rt.fromArray(Array.from(y.data, (v, i) => 2 * (v - target[i]!)), y.shape);
      opt.zeroGrad();
      gn.backward(dy);
      dy.dispose();
      opt.step();
    }
    expect(lossOf(gn.forward(x).data)).toBeLessThan(first);
    opt.dispose();
    gn.dispose();
    x.dispose();
    expect(rt.memoryStats().liveTensors).toBe(before.liveTensors);
    expect(rt.memoryStats().liveBytes).toBe(before.liveBytes);
  });
});
