import { describe, expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { Adam } from "../../src/optim/adam";
import { SGD } from "../../src/optim/sgd";
import { StateError, ValueError } from "../../src/runtime/errors";
import {
  ReduceOnPlateau,
  Scheduler,
  constantSchedule,
  cosineDecay,
  linearSchedule,
  oneCycle,
  oneCycleMomentum,
  sample,
  sgdr,
  stepDecay,
} from "../../src/schedules/index";
import type { Stateful } from "../../src/schedules/state";

/** A stand-in optimizer: parameter groups with lr and beta1, and the attachState hook. */
class FakeOptimizer {
  readonly attached = new Map<string, Stateful>();
  constructor(readonly paramGroups: Array<{ lr: number; beta1: number; name: string }>) {}
  attachState(key: string, stateful: Stateful): void {
    if (this.attached.has(key)) throw new ValueError(`duplicate key ${key}`);
    this.attached.set(key, stateful);
  }
  /** What the optimizer branch's stateDict does with attached objects. */
  stateDict(): Record<string, unknown> {
    return { attached: Object.fromEntries([...this.attached].map(([k, s]) => [k, s.stateDict()])) };
  }
  loadStateDict(state: { attached: Record<string, unknown> }): void {
    for (const [k, s] of this.attached) s.loadStateDict(state.attached[k]);
  }
}

const fake = (...lrs: number[]) => new FakeOptimizer(lrs.map((lr, i) => ({ lr, beta1: 0.9, name: `g${i}` })));

/** A JSON round trip, as a checkpoint on disk would do. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("Scheduler", () => {
  it("writes schedule(0) at construction and schedule(t) after the t-th step(), in every group", () => {
    const opt = fake(1, 2);
    const s = stepDecay({ init: 0.1, stepSize: 2, gamma: 0.5 });
    const sched = new Scheduler(opt, { lr: s });
    const seen = [opt.paramGroups.map((g) => g.lr)];
    for (let t = 1; t <= 5; t++) {
      sched.step();
      seen.push(opt.paramGroups.map((g) => g.lr));
    }
    // lr = 0.1 for t < 2; 0.05 for t < 4; 0.025 for t < 6: the stateful run equals sample()
    expect(seen.map((lrs) => lrs[0])).toEqual(Array.from(sample(s, 6)));
    expect(seen.map((lrs) => lrs[1])).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(sched.lastStep).toBe(5);
  });

  it("drives lr and beta1 together, one schedule per group when given an array", () => {
    const opt = fake(1, 1);
    const sched = new Scheduler(opt, {
      lr: [constantSchedule(0.1), linearSchedule({ init: 0, end: 1, steps: 4 })],
      beta1: oneCycleMomentum({ steps: 10, base: 0.1, max: 0.8, anneal: "linear" }),
    });
    sched.step();
    sched.step();
    // group 0: 0.1; group 1: t/4 = 0.5; beta1 at step 2 = base (the lr peak of one-cycle)
    expect(sched.current()).toEqual({ lr: [0.1, 0.5], beta1: [0.1, 0.1] });
  });

  it("calls optimizer.attachState(key, this), so the optimizer saves it; works without the hook too", () => {
    const opt = fake(1);
    const sched = new Scheduler(opt, { lr: constantSchedule(0.1) }, { key: "lr-schedule" });
    expect(opt.attached.get("lr-schedule")).toBe(sched);
    const plain = { paramGroups: [{ lr: 1 }] };
    new Scheduler(plain, { lr: constantSchedule(0.3) });
    expect(plain.paramGroups[0]!.lr).toBe(0.3);
  });

  it("resumes mid-run across an SGDR warm restart exactly as if never stopped", () => {
    const schedule = () => sgdr({ init: 0.1, T0: 5, Tmult: 2, end: 1e-3, peakDecay: 0.8 });
    // cycles [0,5) [5,15) [15,35): stop at step 13, two steps before the restart at 15
    const straight = fake(1);
    const sched = new Scheduler(straight, { lr: schedule() });
    const want: number[] = [];
    for (let t = 1; t <= 30; t++) {
      sched.step();
      want.push(straight.paramGroups[0]!.lr);
    }
    const first = fake(1);
    const before = new Scheduler(first, { lr: schedule() });
    const got: number[] = [];
    for (let t = 1; t <= 13; t++) {
      before.step();
      got.push(first.paramGroups[0]!.lr);
    }
    const checkpoint = viaJson(first.stateDict());
    const second = fake(1); // a fresh process: new optimizer, new scheduler
    const after = new Scheduler(second, { lr: schedule() });
    second.loadStateDict(checkpoint as { attached: Record<string, unknown> });
    expect(second.paramGroups[0]!.lr).toBe(first.paramGroups[0]!.lr);
    for (let t = 14; t <= 30; t++) {
      after.step();
      got.push(second.paramGroups[0]!.lr);
    }
    expect(got).toEqual(want);
    expect(want[13]).toBeLessThan(want[14]!); // step 15 is a restart: the lr jumps back up
  });

  it("rejects bad bindings with ValueError and changes nothing", () => {
    const opt = fake(0.5);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => new Scheduler(opt, {}), /at least one field/],
      [() => new Scheduler(opt, { lr: [constantSchedule(1), constantSchedule(2)] }), /2 given for 1 groups/],
      [() => new Scheduler(opt, { lr: 0.1 as unknown as () => number }), /Invalid lr schedules/],
      [() => new Scheduler(opt, { name: constantSchedule(1) } as never), /'name' is not a numeric hyperparameter/],
      [() => new Scheduler(opt, { lr: () => -1 }), /Invalid lr: -1 from the schedule of group 0 at step 0/],
      [() => new Scheduler(opt, { lr: () => NaN }), /Invalid lr: NaN/],
      [() => new Scheduler(opt, { lr: constantSchedule(1) }, { key: "" }), /Invalid key/],
      [() => new Scheduler({ paramGroups: [] }, { lr: constantSchedule(1) }), /at least one group/],
    ];
    for (const [make, message] of cases) expect(make).toThrow(message);
    expect(opt.paramGroups[0]!.lr).toBe(0.5);
    expect(opt.attached.size).toBe(0);
  });

  it("a step whose value is invalid throws and changes nothing", () => {
    const opt = fake(1, 1);
    const sched = new Scheduler(opt, { lr: [constantSchedule(0.1), (t) => (t < 2 ? 0.2 : -1)] });
    sched.step();
    expect(() => sched.step()).toThrow(ValueError);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.2]);
    expect(sched.lastStep).toBe(1);
  });

  it("loadStateDict rejects foreign, old or malformed states with StateError, changing nothing", () => {
    const opt = fake(1);
    const sched = new Scheduler(opt, { lr: cosineDecay({ init: 1, steps: 10 }) });
    sched.step();
    const lr = opt.paramGroups[0]!.lr;
    for (const bad of [null, 3, [], { kind: "ReduceOnPlateau", version: 1, step: 2 }, { kind: "Scheduler", version: 99, step: 2 }, { kind: "Scheduler", version: 1, step: -1 }, { kind: "Scheduler", version: 1, step: 1.5 }, { kind: "Scheduler", version: 1 }]) {
      expect(() => sched.loadStateDict(bad), JSON.stringify(bad)).toThrow(StateError);
    }
    expect(sched.lastStep).toBe(1);
    expect(opt.paramGroups[0]!.lr).toBe(lr);
  });
});

describe("ReduceOnPlateau", () => {
  /** The lr after each metric. */
  function run(metrics: number[], options: ConstructorParameters<typeof ReduceOnPlateau>[1], lrs = [1]): number[][] {
    const opt = fake(...lrs);
    const plateau = new ReduceOnPlateau(opt, options);
    return metrics.map((m) => {
      plateau.step(m);
      return opt.paramGroups.map((g) => g.lr);
    });
  }

  it("min, rel: reduces after more than `patience` steps without improvement", () => {
    // best 10, 9 (better); 9, 9 bad 1, 2; 9 bad 3 > 2 -> lr 0.5; 8 better; 8, 8 bad 1, 2; 8 bad 3 -> 0.25
    const lrs = run([10, 9, 9, 9, 9, 8, 8, 8, 8, 8], { factor: 0.5, patience: 2 });
    expect(lrs.map((l) => l[0])).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  it("cooldown: bad steps are not counted for `cooldown` steps after a reduction", () => {
    // as above until the reduction at step 5; steps 6-7 are cooldown; bad 1, 2, 3 at 8, 9, 10 -> 0.25 at 10
    const lrs = run([10, 9, 9, 9, 9, 8, 8, 8, 8, 8], { factor: 0.5, patience: 2, cooldown: 2 });
    expect(lrs.map((l) => l[0])).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]);
  });

  it("max, abs: better means above best + threshold", () => {
    // 0.5 best; 0.55 > 0.51 best; 0.555, 0.556 not > 0.56: bad 1, 2 > 1 -> 0.1; 0.557 bad 1
    const lrs = run([0.5, 0.55, 0.555, 0.556, 0.557], { mode: "max", thresholdMode: "abs", threshold: 0.01, patience: 1 });
    expect(lrs.map((l) => l[0])).toEqual([1, 1, 1, 0.1, 0.1]);
  });

  it("max, rel: the threshold is strict (0.55 is not better than 0.5 (1 + 0.1))", () => {
    const opt = fake(1);
    const plateau = new ReduceOnPlateau(opt, { mode: "max", threshold: 0.1, patience: 5 });
    plateau.step(0.5);
    plateau.step(0.55);
    expect([plateau.bestMetric, plateau.badStepCount]).toEqual([0.5, 1]);
    plateau.step(0.56);
    expect([plateau.bestMetric, plateau.badStepCount]).toEqual([0.56, 0]);
  });

  it("min, abs and rel differ on small improvements", () => {
    // rel threshold 1e-4 of 1000 is 0.1: 999.95 is no improvement; abs threshold 1e-4: it is
    expect(run([1000, 999.95, 999.9], { patience: 0, factor: 0.5 }).map((l) => l[0])).toEqual([1, 0.5, 0.25]);
    expect(run([1000, 999.95, 999.9], { patience: 0, factor: 0.5, thresholdMode: "abs" }).map((l) => l[0])).toEqual([1, 1, 1]);
  });

  it("floors at minLr per group and skips reductions no larger than eps", () => {
    // lr 1 and 0.2; floors 0.05 and 0.1; factor 0.1, patience 0: every non-improving step reduces
    const lrs = run([1, 1, 1, 1], { factor: 0.1, patience: 0, minLr: [0.05, 0.1] }, [1, 0.2]);
    expect(lrs).toEqual([[1, 0.2], [0.1, 0.1], [0.05, 0.1], [0.05, 0.1]]);
    // 1e-9 * 0.1 differs from 1e-9 by < eps = 1e-8: no change
    expect(run([1, 1], { patience: 0 }, [1e-9]).map((l) => l[0])).toEqual([1e-9, 1e-9]);
  });

  it("a NaN metric is never an improvement", () => {
    expect(run([1, NaN, NaN], { patience: 1 }).map((l) => l[0])).toEqual([1, 1, 0.1]);
  });

  it("resumes across a plateau reduction (and inside a cooldown) exactly as if never stopped", () => {
    const metrics = [5, 4, 4.5, 4.2, 4.1, 4.3, 3, 3.2, 3.1, 3.3, 3.4, 2.9, 3, 3, 3, 3, 3];
    const options = { factor: 0.3, patience: 2, cooldown: 1, minLr: 0.01 };
    const want = run(metrics, options).map((l) => l[0]);
    expect(new Set(want).size).toBeGreaterThan(2); // at least two reductions happen
    for (const stop of [3, 5, 6, 10]) {
      const first = fake(1);
      const a = new ReduceOnPlateau(first, options);
      const got: number[] = [];
      for (const m of metrics.slice(0, stop)) {
        a.step(m);
        got.push(first.paramGroups[0]!.lr);
      }
      const checkpoint = viaJson(first.stateDict()) as { attached: Record<string, unknown> };
      const second = fake(1);
      const b = new ReduceOnPlateau(second, options);
      second.loadStateDict(checkpoint);
      for (const m of metrics.slice(stop)) {
        b.step(m);
        got.push(second.paramGroups[0]!.lr);
      }
      expect(got, `stopped after ${stop}`).toEqual(want);
    }
  });

  it("saves infinite bests as strings (JSON has no Infinity) and restores them", () => {
    const opt = fake(1);
    const plateau = new ReduceOnPlateau(opt, { mode: "max" });
    const state = viaJson(plateau.stateDict());
    expect(state.best).toBe("-Infinity");
    plateau.step(Infinity); // an infinite metric can be the best in 'max' mode
    const infinite = viaJson(plateau.stateDict());
    expect(infinite.best).toBe("Infinity");
    plateau.loadStateDict(state);
    expect(plateau.bestMetric).toBe(-Infinity);
    plateau.loadStateDict(infinite);
    expect(plateau.bestMetric).toBe(Infinity);
  });

  it("throws, changing nothing, when groups were added to the optimizer after construction", () => {
    const opt = fake(1);
    const plateau = new ReduceOnPlateau(opt, { patience: 0 });
    const sched = new Scheduler(opt, { beta1: constantSchedule(0.5) });
    opt.paramGroups.push({ lr: 1, beta1: 0.9, name: "late" });
    expect(() => plateau.step(1)).toThrow(/now has 2 parameter groups, this scheduler was made for 1/);
    expect(() => sched.step()).toThrow(/now has 2 parameter groups/);
    expect([plateau.lastStep, sched.lastStep, opt.paramGroups[1]!.beta1]).toEqual([0, 0, 0.9]);
  });

  it("bad options throw ValueError; nothing is attached", () => {
    const opt = fake(1);
    const cases: Array<[ConstructorParameters<typeof ReduceOnPlateau>[1], RegExp]> = [
      [{ factor: 1 }, /Invalid factor: 1/],
      [{ factor: 1.5 }, /Invalid factor: 1.5/],
      [{ factor: 0 }, /Invalid factor: 0/],
      [{ factor: NaN }, /Invalid factor: NaN/],
      [{ patience: -1 }, /Invalid patience: -1/],
      [{ patience: 1.5 }, /Invalid patience: 1.5/],
      [{ threshold: -1e-4 }, /Invalid threshold/],
      [{ cooldown: -2 }, /Invalid cooldown/],
      [{ minLr: -1 }, /Invalid minLr\[0\]: -1/],
      [{ minLr: [0, 0] }, /one per group/],
      [{ mode: "lowest" as "min" }, /Invalid mode: lowest/],
      [{ thresholdMode: "relative" as "rel" }, /Invalid thresholdMode/],
      [{ field: "name" as never }, /'name' is not a numeric/],
    ];
    for (const [options, message] of cases) {
      expect(() => new ReduceOnPlateau(opt, options)).toThrow(ValueError);
      expect(() => new ReduceOnPlateau(opt, options)).toThrow(message);
    }
    expect(opt.attached.size).toBe(0);
    expect(() => new ReduceOnPlateau(opt).step("1" as unknown as number)).toThrow(/Invalid metric/);
  });

  it("a bad state throws StateError and changes nothing", () => {
    const opt = fake(1);
    const plateau = new ReduceOnPlateau(opt, { patience: 0 });
    plateau.step(1);
    plateau.step(2);
    const before = plateau.stateDict();
    const good = viaJson(before);
    for (const bad of [
      { ...good, values: [1, 2] },
      { ...good, values: [-1] },
      { ...good, badSteps: -1 },
      { ...good, best: "1" },
      { ...good, best: null },
      { ...good, kind: "Scheduler" },
      { ...good, version: 0 },
    ]) {
      expect(() => plateau.loadStateDict(bad), JSON.stringify(bad)).toThrow(StateError);
    }
    expect(plateau.stateDict()).toEqual(before);
  });
});

describeBackends("schedulers driving real optimizers", (rt) => {
  it("Adam under a one-cycle lr and beta1 schedule takes the same steps as Adam with both set by hand", () => {
    rt.scope(() => {
      const steps = 12;
      const lr = oneCycle({ peak: 0.05, steps });
      const beta1 = oneCycleMomentum({ steps });
      const a = rt.param([3], { values: [1, -2, 0.5] });
      const b = rt.param([3], { values: [1, -2, 0.5] });
      const scheduled = new Adam(rt, [a]);
      const manual = new Adam(rt, [b]);
      const sched = new Scheduler(scheduled, { lr, beta1 });
      for (let t = 0; t < steps; t++) {
        const grad = [Math.sin(t), Math.cos(t), 0.1 * t - 0.5];
        a.grad.set(grad);
        b.grad.set(grad);
        manual.paramGroups[0]!.lr = lr(t);
        manual.paramGroups[0]!.beta1 = beta1(t);
        scheduled.step();
        manual.step();
        sched.step();
      }
      expect(a.toArray()).toEqual(b.toArray());
      scheduled.dispose();
      manual.dispose();
    });
  });

  it("SGD under ReduceOnPlateau: the lr falls when the loss stalls", () => {
    rt.scope(() => {
      const w = rt.param([1], { values: [4] });
      const opt = new SGD(rt, [w], { lr: 0.4 });
      const plateau = new ReduceOnPlateau(opt, { patience: 1, factor: 0.5 });
      // f(w) = |w| with gradient sign(w): a fixed lr oscillates around 0 forever
      const lrs: number[] = [];
      for (let t = 0; t < 40; t++) {
        w.grad.set([Math.sign(w.data[0]!)]);
        opt.step();
        plateau.step(Math.abs(w.data[0]!));
        lrs.push(opt.lr);
      }
      expect(lrs.at(-1)!).toBeLessThan(0.4 / 8);
      expect(Math.abs(w.data[0]!)).toBeLessThan(0.05);
    });
  });
});
