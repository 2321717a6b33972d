import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { Adam, RMSProp, SGD } from "../../src/optim/index";

/**
 * The formula variants of the chapter notes beside their framework forms, on both backends:
 * what each does at its edges (r = 0 without delta, the fed-back maximum, the EMA scale).
 * Their per-step formulas are checked against f64 oracles in conventions.test.ts.
 */
describeBackends("formula variants", (rt) => {
  it("RMSProp without delta: a coordinate with r = 0 does not move (0/0 is taken as 0), the others step by lr g / sqrt(r)", () => {
    for (const dtype of ["f32", "f64"] as const) {
      rt.scope(() => {
        const w = rt.param([3], { dtype, values: [1, 2, 3] });
        const opt = new RMSProp(rt, [w], { convention: "book", lr: 0.01, momentum: 0.9, nesterov: true, eps: 0 });
        w.grad.set([0, 0.5, 0]);
        opt.step();
        // Element 1: r = 0.1 * 0.25, u = 0.5 / sqrt(0.025) = sqrt(10); v = -0.01 u; theta += 0.9 v - 0.01 u.
        expectClose(w.data, [1, 2 - 1.9 * 0.01 * Math.sqrt(10), 3], { rtol: dtype === "f32" ? 1e-6 : 1e-14, context: dtype });
        // A gradient after zeros: r = (1 - rho) g^2 > 0 from this step on, so the step is finite.
        w.grad.set([0.5, 0, 0]);
        opt.step();
        expect(Array.from(w.data).every(Number.isFinite), `${dtype} ${Array.from(w.data)}`).toBe(true);
        expect(w.data[0]).toBeCloseTo(1 - 1.9 * 0.01 * Math.sqrt(10), 5);
        expect(w.data[2]).toBe(3);
        opt.dispose();
      });
    }
  });

  it("RMSProp without delta: r = 0 with g != 0 only when (1 - rho) g^2 underflows (f32 at |g| = 1e-30), and that step is 0, not Infinity", () => {
    rt.scope(() => {
      const w32 = rt.param([2], { dtype: "f32", values: [1, 1] });
      const w64 = rt.param([2], { dtype: "f64", values: [1, 1] });
      const opt = new RMSProp(rt, [w32, w64], { lr: 0.01, eps: 0 });
      for (const w of [w32, w64]) w.grad.set([1e-30, -1e-30]);
      opt.step();
      // f32: (1e-30)^2 = 1e-60 rounds to 0, so r = 0 and the step is 0.
      expect(Array.from(w32.data)).toEqual([1, 1]);
      // f64: r = 0.01 * 1e-60 is representable; u = g / sqrt(r) = +-10, as in exact arithmetic.
      expectClose(w64.data, [1 - 0.01 * 10, 1 + 0.01 * 10], { rtol: 1e-14 });
      opt.dispose();
    });
  });

  it("AMSGrad fed back: r never decreases, keeps no rmax buffer, and differs from PyTorch's form once r would decay", () => {
    rt.scope(() => {
      const [a, b] = [rt.param([1], { dtype: "f64", values: [0] }), rt.param([1], { dtype: "f64", values: [0] })];
      const fed = new Adam(rt, [a], { lr: 0.1, amsgrad: true, amsgradMax: "fed-back", beta2: 0.9 });
      const torch = new Adam(rt, [b], { lr: 0.1, amsgrad: true, beta2: 0.9 });
      let last = 0;
      const grads = [1, 0.1, 0.1, 2, 0, 0];
      for (const g of grads) {
        a.grad.set([g]);
        b.grad.set([g]);
        fed.step();
        torch.step();
        const r = Number(fed.stateDict().state[0]!.buffers.r![0]);
        expect(r).toBeGreaterThanOrEqual(last);
        last = r;
      }
      expect(Object.keys(fed.stateDict().state[0]!.buffers).sort()).toEqual(["r", "s"]);
      expect(Object.keys(torch.stateDict().state[0]!.buffers).sort()).toEqual(["r", "rmax", "s"]);
      expect(a.data[0]).not.toBe(b.data[0]);
      fed.dispose();
      torch.dispose();
    });
  });

  it("EMA momentum: with a constant gradient, v = (1 - beta^t) g, so its steps are (1 - beta) times the PyTorch form's at first", () => {
    rt.scope(() => {
      const [a, b] = [rt.param([1], { dtype: "f64", values: [0] }), rt.param([1], { dtype: "f64", values: [0] })];
      const ema = new SGD(rt, [a], { lr: 0.1, momentum: 0.9, momentumForm: "ema" });
      const torch = new SGD(rt, [b], { lr: 0.1, momentum: 0.9 });
      a.grad.set([1]);
      b.grad.set([1]);
      ema.step();
      torch.step();
      expect(a.data[0]).toBeCloseTo(-0.01, 15);
      expect(b.data[0]).toBeCloseTo(-0.1, 15);
      for (let t = 2; t <= 50; t++) ema.step();
      // sum_{k=1..50} lr (1 - 0.9^k) = lr (50 - 0.9 (1 - 0.9^50) / 0.1)
      expect(a.data[0]).toBeCloseTo(-0.1 * (50 - (0.9 * (1 - 0.9 ** 50)) / 0.1), 12);
      ema.dispose();
      torch.dispose();
    });
  });
});
