import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { Adam } from "../../src/optim/adam";
import { SGD } from "../../src/optim/sgd";
import type { Runtime } from "../../src/runtime/runtime";
import { PolyakAverager, ReduceOnPlateau, Scheduler, sgdr } from "../../src/schedules/index";

/**
 * Scheduler state is part of the optimizer's saved state: schedulers and averagers call
 * `optimizer.attachState(key, this)`, and the optimizer saves them inside its own stateDict()
 * and restores them in loadStateDict().
 */
describeBackends("one optimizer checkpoint holds the scheduler and the average", (rt) => {
  const gradient = (t: number) => [Math.sin(t), Math.cos(2 * t), 0.3 - 0.05 * t];

  /** Runs Adam + SGDR + EMA from step `from` to `to`, recording lrs, parameters and the average. */
  function train(rt: Runtime, saved: { state: unknown; params: number[] } | null, from: number, to: number) {
    return rt.scope(() => {
      const w = rt.param([3], { values: saved?.params ?? [1, -1, 0.5] });
      const opt = new Adam(rt, [w], { lr: 0.1 });
      const sched = new Scheduler(opt, { lr: sgdr({ init: 0.1, T0: 4, Tmult: 2, end: 0.001 }) });
      const avg = new PolyakAverager(opt, { mode: "ema", decay: 0.7, debias: true, start: 2 });
      if (saved) opt.loadStateDict(saved.state);
      const lrs: number[] = [];
      for (let t = from; t < to; t++) {
        w.grad.set(gradient(t));
        opt.step();
        sched.step();
        avg.update();
        lrs.push(opt.lr);
      }
      const result = {
        lrs,
        params: w.toArray(),
        average: avg.withAveraged(() => w.toArray()),
        state: JSON.parse(JSON.stringify(opt.stateDict())) as unknown,
      };
      avg.dispose();
      opt.dispose();
      return result;
    });
  }

  it("Adam + SGDR + EMA resumed from opt.stateDict() across a warm restart equals a straight run", () => {
    // cycles [0,4) [4,12) [12,28): stop after 11 steps, one before the restart at 12
    const straight = train(rt, null, 0, 20);
    const first = train(rt, null, 0, 11);
    const second = train(rt, { state: first.state, params: first.params }, 11, 20);
    expect([...first.lrs, ...second.lrs]).toEqual(straight.lrs);
    expect(second.params).toEqual(straight.params);
    expect(second.average).toEqual(straight.average);
  });

  it("SGD + ReduceOnPlateau resumed from opt.stateDict() across a reduction equals a straight run", () => {
    const losses = [5, 4, 4.5, 4.2, 4.1, 4.3, 3, 3.2, 3.1, 3.3, 3.4];
    const run = (saved: unknown, from: number, to: number) =>
      rt.scope(() => {
        const w = rt.param([1], { values: [1] });
        const opt = new SGD(rt, [w], { lr: 1 });
        const plateau = new ReduceOnPlateau(opt, { factor: 0.5, patience: 1, cooldown: 1 });
        if (saved) opt.loadStateDict(saved);
        const lrs = losses.slice(from, to).map((loss) => {
          plateau.step(loss);
          return opt.lr;
        });
        return { lrs, state: JSON.parse(JSON.stringify(opt.stateDict())) as unknown };
      });
    const straight = run(null, 0, losses.length);
    const first = run(null, 0, 4);
    const second = run(first.state, 4, losses.length);
    expect([...first.lrs, ...second.lrs]).toEqual(straight.lrs);
    expect(new Set(straight.lrs).size).toBeGreaterThan(2);
  });
});
