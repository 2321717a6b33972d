import { expect, it } from "vitest";
import { Adam, SGD, StateError, ValueError } from "../../src/index";
import { initSyncWithTwins } from "../helpers/runtime";
import { describeBackends } from "../helpers/backends";
import { OPTIMIZERS } from "../helpers/optim-db";
import { expectThrowsUnchanged } from "../helpers/snapshot";

describeBackends("Optimizer.addParamGroup", (rt) => {
  it("fills in the optimizer's defaults (a group pushed by hand used to fail at step with 'Invalid weightDecay: undefined')", () => {
    const w = rt.param([2], { values: [1, 2] });
    const b = rt.param([2], { values: [3, 4] });
    const opt = new Adam(rt, [w], { lr: 0.1, weightDecay: 0.01 });
    opt.addParamGroup({ params: [b], lr: 0.5 });
    const { params, ...hyper } = opt.paramGroups[1]!;
    expect(params).toEqual([b]);
    expect(hyper).toEqual({ ...opt.defaults, lr: 0.5 });
    b.grad.fill(1);
    opt.step();
    expect(Array.from(b.data)).not.toEqual([3, 4]);
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  it("a group pushed by hand without the defaults: step() names what it lacks and points to addParamGroup", () => {
    const w = rt.param([2]);
    const b = rt.param([2]);
    const opt = new SGD(rt, [w]);
    opt.paramGroups.push({ params: [b], lr: 0.1 } as never);
    expectThrowsUnchanged(rt, () => opt.step(), ValueError, /Invalid group 1: it lacks weightDecay, .*addParamGroup/);
    for (const t of [opt, w, b]) t.dispose();
  });

  it("every optimizer: a new group steps as a separate optimizer over its params would", () => {
    for (const info of OPTIMIZERS) {
      rt.scope(() => {
        const options = (info.configs[1] ?? info.configs[0]!).options;
        const [w, b, alone] = [0, 1, 2].map(() => rt.param([3], { values: [0.5, -1, 2] }));
        const opt = info.make(rt, [w!], options);
        opt.addParamGroup({ params: [b!] });
        const reference = info.make(rt, [alone!], options);
        for (let t = 0; t < 3; t++) {
          for (const p of [w!, b!, alone!]) p.grad.set([Math.sin(t), 0.5, -t]);
          opt.step();
          reference.step();
        }
        expect(Array.from(b!.data), info.name).toEqual(Array.from(alone!.data));
        opt.dispose();
        reference.dispose();
      });
    }
  });

  it("is checked as at construction, and a refused group changes nothing", () => {
    const other = initSyncWithTwins({ backend: rt.backend });
    const w = rt.param([2]);
    const b = rt.param([2]);
    const foreign = other.param([2]);
    const opt = new SGD(rt, [w], { lr: 0.1 });
    const cases: Array<[unknown, RegExp]> = [
      [{ params: [w] }, /appears more than once/],
      [{ params: [b, b] }, /appears more than once/],
      [{ params: [foreign] }, /belongs to another runtime/],
      [{ params: [b], lr: -1 }, /Invalid lr: -1/],
      [{ params: [b], dampening: 2 }, /Invalid dampening: 2/],
      [{ params: [b], learningRate: 1 }, /unknown option 'learningRate'/],
      [{ params: [b.data] }, /expected a Param/],
      [{ params: "b" }, /Invalid group: params is b/],
      [null, /Invalid group: null/],
    ];
    try {
      for (const [group, message] of cases) {
        expectThrowsUnchanged([rt, other], () => opt.addParamGroup(group as never), ValueError, message);
        expect(opt.paramGroups.length).toBe(1);
      }
    } finally {
      for (const t of [opt, w, b, foreign]) t.dispose();
    }
  });

  it("state dicts include added groups: a fresh optimizer with the same groups resumes bit for bit", () => {
    type Checkpoint = { state: any; w: number[]; b: number[] };
    const run = (saved: Checkpoint | null, from: number, to: number): Checkpoint =>
      rt.scope(() => {
        const w = rt.param([2], { values: saved?.w ?? [1, 2] });
        const b = rt.param([3], { dtype: "f64", values: saved?.b ?? [3, 4, 5] });
        const opt = new Adam(rt, [w], { lr: 0.1 });
        opt.addParamGroup({ params: [b], lr: 0.01, beta1: 0.5 });
        if (saved) opt.loadStateDict(saved.state);
        for (let t = from; t < to; t++) {
          w.grad.set([t, -1]);
          b.grad.set([1, t, -t]);
          opt.step();
        }
        const state = JSON.parse(JSON.stringify(opt.stateDict()));
        opt.dispose();
        return { state, w: w.toArray(), b: b.toArray() };
      });
    const straight = run(null, 0, 6);
    expect(straight.state.paramGroups[1]).toMatchObject({ params: [1], lr: 0.01, beta1: 0.5 });
    expect(run(run(null, 0, 3), 3, 6)).toEqual(straight);
  });

  it("a state with the added group does not load into an optimizer without it", () => {
    const w = rt.param([2]);
    const b = rt.param([2]);
    const opt = new SGD(rt, [w]);
    opt.addParamGroup({ params: [b] });
    const saved = opt.stateDict();
    const plain = new SGD(rt, [w]);
    expectThrowsUnchanged(rt, () => plain.loadStateDict(saved), StateError, /2 param groups, this optimizer 1/);
    for (const t of [opt, plain, w, b]) t.dispose();
  });
});
