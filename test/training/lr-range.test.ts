import { expect, it } from "vitest";
import { Adam, SGD, ValueError, lrRangeTest, lrRangeChart, type Param, type Runtime } from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { expectThrowsUnchanged } from "../helpers/snapshot";

/** Least squares on 32 fixed points with 3 features: loss and gradient written into w.grad. */
function regression(rt: Runtime) {
  const rows = Array.from({ length: 32 }, (_, i) => [Math.cos(i), Math.sin(3 * i), 1]);
  const ys = rows.map(([a, b]) => 2 * a! - b! + 0.5);
  const w = rt.param([3], { values: [0.1, -0.2, 0.3] });
  const lossAndGrad = () => {
    const g = [0, 0, 0];
    let loss = 0;
    rows.forEach((x, i) => {
      const r = x.reduce((s, v, j) => s + v * w.data[j]!, 0) - ys[i]!;
      loss += (r * r) / rows.length;
      x.forEach((v, j) => (g[j]! += (2 * r * v) / rows.length));
    });
    w.grad.set(g);
    return loss;
  };
  return { w, lossAndGrad };
}

const bytes = (p: Param) => [Array.from(p.data), Array.from(p.grad.data)];

describeBackends("lrRangeTest", (rt) => {
  it("sweeps the rate geometrically from minLr and leaves params, gradients and optimizer state bit-identical", () => {
    const { w, lossAndGrad } = regression(rt);
    const opt = new Adam(rt, [w], { lr: 0.01 });
    for (let i = 0; i < 3; i++) {
      lossAndGrad();
      opt.step();
    }
    const [params, state, lr] = [bytes(w), opt.stateBytes(), opt.lr];
    const result = lrRangeTest(opt, lossAndGrad, { minLr: 1e-5, maxLr: 10, steps: 40 });
    expect(result.lrs[0]).toBe(1e-5);
    expect(result.lrs[1]! / result.lrs[0]!).toBeCloseTo((10 / 1e-5) ** (1 / 39), 12);
    expect(result.losses.length).toBe(result.lrs.length);
    expect([bytes(w), opt.lr]).toEqual([params, lr]);
    expect(Buffer.from(opt.stateBytes()).equals(Buffer.from(state))).toBe(true);

    // The next step is the one a twin that never ran the test takes.
    const twin = regression(rt);
    const control = new Adam(rt, [twin.w], { lr: 0.01 });
    for (let i = 0; i < 4; i++) {
      twin.lossAndGrad();
      control.step();
    }
    lossAndGrad();
    opt.step();
    expect(Array.from(w.data)).toEqual(Array.from(twin.w.data));
    [opt, control].forEach((o) => o.dispose());
    [w, twin.w].forEach((p) => p.dispose());
  });

  it("finds a rate below SGD's stability limit 2/L on a quadratic, and stops when the loss diverges", () => {
    // f = (L/2) w^2 with L = 4: SGD converges for lr < 2 / L = 0.5 and diverges above.
    const w = rt.param([1], { dtype: "f64", values: [1] });
    const opt = new SGD(rt, [w]);
    const lossAndGrad = () => {
      w.grad.data[0] = 4 * w.data[0]!;
      return 2 * w.data[0]! ** 2;
    };
    const result = lrRangeTest(opt, lossAndGrad, { minLr: 1e-4, maxLr: 100, steps: 60 });
    expect(result.diverged).toBe(true);
    expect(result.lrs.at(-1)!).toBeLessThan(100);
    expect(result.suggestion).toBeGreaterThan(1e-3);
    expect(result.suggestion).toBeLessThan(0.5);
    expect(w.data[0]).toBe(1);
    opt.dispose();
    w.dispose();
  });

  it("suggests the steepest descent of the curve, or a tenth of the rate at its minimum, as computed by hand", () => {
    const w = rt.param([1]);
    const opt = new SGD(rt, [w]);
    // With smoothing 0 the curve is the losses themselves, at lr = 1e-4, 1e-3, ..., 1.
    const scripted = (losses: number[]) => {
      let i = 0;
      return () => losses[i++]!;
    };
    const options = { minLr: 1e-4, maxLr: 1, steps: 5, smoothing: 0 };
    // Central slopes against ln lr (in units of 1 / ln 10): -0.1, -1, -1.95, -0.05, -0.1; the minimum is the last.
    const steepest = lrRangeTest(opt, scripted([5, 4.9, 3, 1, 0.9]), options);
    expect(steepest.suggestion).toBeCloseTo(1e-2, 15);
    expect(steepest.lrAtMinLoss).toBeCloseTo(1, 15);
    expect(lrRangeTest(opt, scripted([5, 4.9, 3, 1, 0.9]), { ...options, rule: "min-over-10" }).suggestion).toBeCloseTo(0.1, 15);
    // 3 > 4 x 0.5: diverged at the third step, which is recorded; a curve that never falls suggests minimum / 10.
    const diverging = lrRangeTest(opt, scripted([1, 0.5, 3, 0, 0]), options);
    expect([diverging.losses, diverging.diverged]).toEqual([[1, 0.5, 3], true]);
    expect(lrRangeTest(opt, scripted([1, 2, 3, 3.5, 3.9]), options).suggestion).toBeCloseTo(1e-5, 18);
    // Bias-corrected smoothing: the first smoothed value is the first loss.
    expect(lrRangeTest(opt, scripted([2, 1, 1, 1, 1]), { ...options, smoothing: 0.5 }).smoothed.slice(0, 2)).toEqual([2, (0.5 * 0.5 * 2 + 0.5 * 1) / 0.75]);
    opt.dispose();
    w.dispose();
  });

  it("puts everything back when lossAndGrad throws, and draws the curve as SVG", () => {
    const { w, lossAndGrad } = regression(rt);
    const opt = new SGD(rt, [w], { lr: 0.1, momentum: 0.9 });
    lossAndGrad();
    opt.step();
    const [params, state] = [bytes(w), JSON.stringify(opt.stateDict())];
    let calls = 0;
    expect(() => lrRangeTest(opt, () => (++calls === 5 ? (() => { throw new Error("boom"); })() : lossAndGrad()))).toThrow("boom");
    expect([bytes(w), JSON.stringify(opt.stateDict())]).toEqual([params, state]);
    const svg = lrRangeChart(lrRangeTest(opt, lossAndGrad, { steps: 30 }));
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain("suggested");
    opt.dispose();
    w.dispose();
  });

  it("rejects bad calls before changing anything", () => {
    const { w, lossAndGrad } = regression(rt);
    const opt = new SGD(rt, [w]);
    expectThrowsUnchanged(rt, () => lrRangeTest(opt, lossAndGrad, { minLr: 1, maxLr: 1 }), ValueError, /Invalid maxLr: 1/);
    expectThrowsUnchanged(rt, () => lrRangeTest(opt, lossAndGrad, { steps: 2 }), ValueError, /Invalid steps: 2/);
    expectThrowsUnchanged(rt, () => lrRangeTest(opt, "f" as never), ValueError, /Invalid lossAndGrad/);
    // A bad loss is found during the sweep: the error passes through with everything put back.
    const before = Array.from(w.data);
    expect(() => lrRangeTest(opt, () => "x" as never)).toThrow(/Invalid loss: lossAndGrad returned x/);
    expect(Array.from(w.data)).toEqual(before);
    opt.dispose();
    w.dispose();
  });
});
