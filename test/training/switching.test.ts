import { expect, it } from "vitest";
import { Adam, DisposedError, EarlyStopping, SGD, StateError, SwitchingOptimizer, ValueError, type Param, type Runtime } from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { expectThrowsUnchanged } from "../helpers/snapshot";

/** Two parameters, a fixed gradient rule per step (a noisy quadratic), Adam then SGD with momentum. */
function problem(rt: Runtime, options: { at?: number; when?: (step: number) => boolean } = { at: 5 }) {
  const w = rt.param([3], { values: [1, -2, 0.5] });
  const b = rt.param([2], { dtype: "f64", values: [0.3, 0.1] });
  const opt = new SwitchingOptimizer(new Adam(rt, [w, b], { lr: 0.1 }), new SGD(rt, [w, b], { lr: 0.05, momentum: 0.9 }), options);
  let t = 0;
  const gradients = () => {
    t += 1;
    w.grad.set(Array.from(w.data, (v, i) => 2 * v + 0.1 * Math.sin(t + i)));
    b.grad.set(Array.from(b.data, (v, i) => 3 * v + 0.1 * Math.cos(t * i)));
  };
  const run = (steps: number) => {
    for (let i = 0; i < steps; i++) {
      opt.zeroGrad();
      gradients();
      opt.step();
    }
  };
  const values = () => [...Array.from(w.data), ...Array.from(b.data)];
  const dispose = () => {
    if (!opt.disposed) opt.dispose();
    w.dispose();
    b.dispose();
  };
  return { w, b, opt, run, values, dispose, setTime: (time: number) => (t = time) };
}

const bytesOf = (p: Param) => Array.from(p.data);

describeBackends("SwitchingOptimizer", (rt) => {
  it("steps the first optimizer `at` times, then the second from where the first left the params", () => {
    const p = problem(rt, { at: 3 });
    p.run(3);
    expect([p.opt.active, p.opt.switchedAt, p.opt.steps]).toEqual([p.opt.first, null, 3]);
    const firstState = JSON.stringify(p.opt.first.stateDict());
    // A plain SGD twin started at the current params takes the same next steps.
    const [w2, b2] = [rt.param([3], { values: bytesOf(p.w) }), rt.param([2], { dtype: "f64", values: bytesOf(p.b) })];
    const twin = new SGD(rt, [w2, b2], { lr: 0.05, momentum: 0.9 });
    for (let i = 0; i < 4; i++) {
      p.run(1);
      w2.grad.set(p.w.grad.data);
      b2.grad.set(p.b.grad.data);
      twin.step();
    }
    expect(p.values()).toEqual([...bytesOf(w2), ...bytesOf(b2)]);
    expect([p.opt.active, p.opt.switchedAt, p.opt.steps]).toEqual([p.opt.second, 3, 7]);
    expect(JSON.stringify(p.opt.first.stateDict()), "the first optimizer's state stops at the switch").toBe(firstState);
    twin.dispose();
    [w2, b2].forEach((t) => t.dispose());
    p.dispose();
  });

  it("switches on a criterion, asked before each step with the steps taken", () => {
    const asked: number[] = [];
    const p = problem(rt, { when: (step) => (asked.push(step), step === 4) });
    p.run(8);
    expect(asked).toEqual([0, 1, 2, 3, 4]);
    expect(p.opt.switchedAt).toBe(4);
    p.dispose();
  });

  for (const pause of [2, 5, 8]) {
    it(`saved after ${pause} steps (switch at 5) and loaded into a fresh pair, continues bit for bit`, () => {
      const straight = problem(rt);
      straight.run(12);
      const interrupted = problem(rt);
      interrupted.run(pause);
      const saved = JSON.parse(JSON.stringify(interrupted.opt.stateDict()));
      expect(saved.active).toBe(pause >= 6 ? "second" : "first");
      const resumed = problem(rt);
      // The params are the model's: carried over as a checkpoint would.
      resumed.w.set(interrupted.w.data);
      resumed.b.set(interrupted.b.data);
      resumed.opt.loadStateDict(saved);
      resumed.setTime(pause);
      resumed.run(12 - pause);
      expect(resumed.values()).toEqual(straight.values());
      expect(resumed.opt.stateDict()).toEqual(straight.opt.stateDict());
      [straight, interrupted, resumed].forEach((x) => x.dispose());
    });
  }

  it("acts as any optimizer for EarlyStopping, and exposes the active learning rate", () => {
    const p = problem(rt, { at: 2 });
    const stopper = new EarlyStopping(p.opt, { patience: 2 });
    p.run(1);
    stopper.step(1);
    expect(p.opt.lr).toBe(0.1);
    p.run(2);
    expect(p.opt.lr).toBe(0.05);
    p.opt.lr = 0.01;
    expect(p.opt.second.paramGroups[0]!.lr).toBe(0.01);
    stopper.step(2);
    // Stopping restores evaluation 0's whole state: one step taken, the first optimizer active again.
    expect(stopper.step(3)).toBe(true);
    expect([p.opt.steps, p.opt.switchedAt, p.opt.active]).toEqual([1, null, p.opt.first]);
    stopper.dispose();
    p.dispose();
  });

  it("rejects bad construction and bad states, changing nothing", () => {
    const p = problem(rt);
    p.run(6);
    const adam = p.opt.first;
    const [other] = [rt.param([3])];
    const lone = new SGD(rt, [other]);
    expect(() => new SwitchingOptimizer(adam, lone, { at: 1 })).toThrow(/must hold the same params/);
    expect(() => new SwitchingOptimizer(adam, adam, { at: 1 })).toThrow(/it is the first optimizer/);
    expect(() => new SwitchingOptimizer(adam, p.opt.second, {})).toThrow(/exactly one of at and when/);
    expect(() => new SwitchingOptimizer(adam, p.opt.second, { at: 1.5 })).toThrow(ValueError);
    const good = p.opt.stateDict();
    expectThrowsUnchanged(rt, () => p.opt.loadStateDict({ ...good, active: "third" }), StateError, /active is third/);
    expectThrowsUnchanged(rt, () => p.opt.loadStateDict({ ...good, active: "first" }), StateError, /switchedAt is 5 with active 'first'/);
    const before = JSON.stringify(p.opt.stateDict());
    expect(() => p.opt.loadStateDict({ ...good, first: good.first, second: good.first })).toThrow(/second: Cannot load state: it was saved by Adam/);
    expect(JSON.stringify(p.opt.stateDict())).toBe(before);
    p.dispose();
    expect(() => p.opt.step()).toThrow(DisposedError);
    expect((adam as Adam).disposed).toBe(true);
    lone.dispose();
    other.dispose();
  });
});
