import { expect, it } from "vitest";
import { Adam, Linear, SGD, ValueError, freeze, unfreeze, type Param, type Runtime } from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { expectThrowsUnchanged } from "../helpers/snapshot";

function pair(rt: Runtime) {
  const a = rt.param([3], { values: [1, 2, 3] });
  const b = rt.param([2], { values: [-1, 0.5] });
  return { a, b };
}
const values = (p: Param) => Array.from(p.data);

describeBackends("freezing parameters", (rt) => {
  it("a frozen param is not updated and gets no state; the others step as if it were not there", () => {
    const { a, b } = pair(rt);
    const twin = rt.param([2], { values: [-1, 0.5] });
    const opt = new Adam(rt, [a, b], { lr: 0.1 });
    const alone = new Adam(rt, [twin], { lr: 0.1 });
    freeze([a]);
    for (let t = 0; t < 3; t++) {
      a.grad.set([1, 1, 1]);
      b.grad.set([0.3 * t, -1]);
      twin.grad.set([0.3 * t, -1]);
      opt.step();
      alone.step();
    }
    expect(values(a)).toEqual([1, 2, 3]);
    expect(values(b)).toEqual(values(twin));
    const state = opt.stateDict().state as Record<string, { step: number }>;
    expect(Object.keys(state)).toEqual(["1"]);
    expect(state["1"]!.step).toBe(3);
    // Unfrozen, it starts its own state at the next step (step count 1), as a param added later would.
    unfreeze([a]);
    a.grad.set([1, 1, 1]);
    opt.step();
    expect((opt.stateDict().state as Record<string, { step: number }>)["0"]!.step).toBe(1);
    expect(values(a).every((v, i) => v < [1, 2, 3][i]!)).toBe(true);
    [opt, alone].forEach((o) => o.dispose());
    [a, b, twin].forEach((p) => p.dispose());
  });

  it("a frozen gradient counts in no clipping norm and no non-finite check", () => {
    const { a, b } = pair(rt);
    const opt = new SGD(rt, [a, b], { lr: 1, clipGlobalNorm: 1, nonFinite: "error" });
    freeze([a]);
    a.grad.set([NaN, 1e30, 5]);
    b.grad.set([0.3, 0.4]); // norm 0.5: under the bound, so not scaled
    expect(opt.step().gradNorm).toBeCloseTo(0.5, 6);
    expect(values(b)).toEqual([Math.fround(-1 - Math.fround(0.3)), Math.fround(0.5 - Math.fround(0.4))]);
    expect(values(a)).toEqual([1, 2, 3]);
    opt.dispose();
    [a, b].forEach((p) => p.dispose());
  });

  it("freeze and unfreeze take a layer, and return its params", () => {
    const layer = new Linear(rt, 3, 2);
    expect(freeze(layer)).toEqual(layer.parameters());
    expect(layer.parameters().map((p) => p.requiresGrad)).toEqual([false, false]);
    unfreeze(layer);
    expect(layer.parameters().map((p) => p.requiresGrad)).toEqual([true, true]);
    expect(() => freeze({} as never)).toThrow(ValueError);
    expect(() => freeze([layer] as never)).toThrow(/Invalid target/);
    layer.dispose();
  });

  it("a requiresGrad that is not a boolean is refused by step(), changing nothing", () => {
    const { a, b } = pair(rt);
    const opt = new SGD(rt, [a, b], { momentum: 0.9 });
    a.grad.fill(1);
    opt.step();
    (a as { requiresGrad: unknown }).requiresGrad = "no";
    expectThrowsUnchanged(rt, () => opt.step(), ValueError, /Invalid requiresGrad of Param\(f32, \[3\]\): no/);
    opt.dispose();
    [a, b].forEach((p) => p.dispose());
  });
});
