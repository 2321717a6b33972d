// Transactions: a load made of several parts (the optimizer's groups, options and per-parameter
// state, and the state of every attached scheduler, plateau rule and average) validates every
// part before it writes any. Each case corrupts one part of a good checkpoint and checks that
// the load throws StateError while every byte of memory and every other part stay as they were,
// through both forms (stateDict JSON and stateBytes binary).
import { describe, expect, it } from "vitest";
import {
  PolyakAverager, ReduceOnPlateau, Scheduler, StateError, cosineDecay, type Param, type Runtime,
} from "../../../src/index";
import { describeBackends } from "../../helpers/backends";
import { OPTIMIZERS, type AnyOptimizer, type OptimizerInfo } from "../../helpers/optim-db";
import { expectThrowsUnchanged } from "../../helpers/snapshot";

type Json = Record<string, any>;

/** An optimizer over an f32 and an f64 param with a scheduler, a plateau rule and an EMA attached, `steps` taken. */
function training(rt: Runtime, info: OptimizerInfo) {
  const w = rt.param([5], { values: [0.5, -1, 2, 0.25, -0.75] });
  const b = rt.param([3], { dtype: "f64", values: [1, -2, 3] });
  const opt = info.make(rt, [w, b], (info.configs[1] ?? info.configs[0]!).options);
  const sched = new Scheduler(opt, { lr: cosineDecay({ init: 0.05, steps: 20 }) });
  const plateau = new ReduceOnPlateau(opt, { field: "weightDecay", patience: 0, minLr: 0 } as never);
  const avg = new PolyakAverager(opt, { mode: "ema", decay: 0.8 });
  let t = 0;
  const run = (steps: number) => {
    for (let end = t + steps; t < end; t++) {
      w.grad.set([Math.sin(t), Math.cos(t), 0.5, -0.25 * t, 1 / (t + 1)]);
      b.grad.set([0.1 * t, -0.3, Math.sin(2 * t)]);
      opt.step();
      sched.step();
      plateau.step(1 / (t + 1));
      avg.update();
    }
  };
  const dispose = () => {
    for (const x of [avg, sched, plateau, opt, w, b]) x.dispose();
  };
  return { w, b, opt, sched, plateau, avg, run, dispose };
}

/** Everything held in JavaScript objects: the optimizer's hyperparameters and every attached object's counters. */
function jsState(x: ReturnType<typeof training>): unknown {
  return {
    groups: x.opt.paramGroups.map(({ params, ...hyper }) => ({ ...hyper, params: params.length })),
    options: [x.opt.clipGlobalNorm, x.opt.nonFinite],
    scheduler: x.sched.stateDict(),
    plateau: x.plateau.stateDict(),
    average: [x.avg.lastStep, x.avg.swapped],
    state: x.opt.stateDict().state,
  };
}

/** One part of a saved state, broken: the load must refuse it and leave every other part alone. */
const CORRUPTIONS: Array<[part: string, corrupt: (s: Json) => void, message: RegExp]> = [
  ["a group's lr", (s) => (s.paramGroups[0].lr = -1), /group 0: Invalid lr: -1/],
  ["a group's missing hyperparameter", (s) => delete s.paramGroups[0].weightDecay, /group 0 lacks weightDecay/],
  ["a group's '__proto__' field", (s) => Object.defineProperty(s.paramGroups[0], "__proto__", { value: { lr: 1 }, enumerable: true }), /group 0 has a field '__proto__'/],
  ["the options", (s) => (s.options.nonFinite = "ignore"), /Invalid nonFinite: ignore/],
  ["param 1's step", (s) => (s.state["1"].step = -1), /param 1 has step -1/],
  ["param 1's dtype", (s) => (s.state["1"].dtype = "f32"), /param 1 was f32\[3\], is f64\[3\]/],
  ["param 0's state under an alias key", (s) => (s.state["00"] = s.state["0"]), /state for param "00"/],
  ["param 0's state under the empty key", (s) => (s.state[""] = s.state["0"]), /state for param ""/],
  ["a param that does not exist", (s) => (s.state["2"] = s.state["0"]), /state for param "2", which does not exist/],
  ["the scheduler's step", (s) => (s.extras.scheduler.step = -1), /Scheduler state: step is -1/],
  ["the scheduler's kind", (s) => (s.extras.scheduler.kind = "ReduceOnPlateau"), /kind is ReduceOnPlateau/],
  ["the plateau's best", (s) => (s.extras.plateau.best = "NaN"), /best is "NaN"/],
  ["the plateau's values", (s) => (s.extras.plateau.values = [-1]), /values\[0\] is -1/],
  ["the average's decay", (s) => (s.extras.average.decay = 0.5), /saved with decay = 0.5/],
  ["the average's values", (s) => (s.extras.average.averages[1] = [1, 2]), /averages\[1\] must be 3 numbers/],
  ["a missing attached state", (s) => delete s.extras.average, /lacks the attached state 'average'/],
  ["an attached state nothing is attached to", (s) => (s.extras.stray = {}), /holds state 'stray'/],
];

/** The binary form with its JSON header rewritten by `edit` (the data section is kept, 8-byte aligned). */
function editBytes(bytes: Uint8Array, edit: (header: Json) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Json;
  const data = bytes.subarray(Math.ceil((12 + length) / 8) * 8);
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(dataStart + data.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, dataStart);
  return out;
}

const FORMS = {
  json: (opt: AnyOptimizer, edit: (s: Json) => void) => {
    const saved = JSON.parse(JSON.stringify(opt.stateDict())) as Json;
    edit(saved);
    return () => opt.loadStateDict(saved);
  },
  binary: (opt: AnyOptimizer, edit: (s: Json) => void) => {
    const bytes = editBytes(opt.stateBytes(), edit);
    return () => opt.loadStateBytes(bytes);
  },
};

describeBackends("transactions: Optimizer.loadStateDict / loadStateBytes", (rt) => {
  describe("Optimizer.loadStateDict with a scheduler and an average attached", () => {
    it("a bad average leaves the scheduler where it was (it used to go back from step 10 to 6)", () => {
      const x = training(rt, OPTIMIZERS.find((o) => o.name === "Adam")!);
      x.run(6);
      const saved = JSON.parse(JSON.stringify(x.opt.stateDict())) as Json;
      x.run(4);
      const lr = x.opt.lr;
      saved.extras.average.averages[0] = ["x"];
      expectThrowsUnchanged(rt, () => x.opt.loadStateDict(saved), StateError, /averages\[0\]/);
      expect([x.sched.lastStep, x.opt.lr, x.avg.lastStep]).toEqual([10, lr, 10]);
      x.dispose();
    });
  });

  for (const info of OPTIMIZERS) {
    for (const [form, load] of Object.entries(FORMS)) {
      describe(`${info.name}.${form === "json" ? "loadStateDict" : "loadStateBytes"}`, () => {
        it("one corrupted part at a time: StateError, memory and every other part unchanged", () => {
          const x = training(rt, info);
          try {
            x.run(3);
            const edits = CORRUPTIONS.map(([part, corrupt, message]) => [part, load(x.opt, corrupt), message] as const);
            const untouched = load(x.opt, () => {});
            x.run(2);
            for (const [part, call, message] of edits) {
              const before = jsState(x);
              const error = expectThrowsUnchanged(rt, call, StateError, message);
              expect(jsState(x), `${part}: ${error.message}`).toEqual(before);
            }
            // The untouched checkpoint loads, all parts together.
            untouched();
            expect([x.sched.lastStep, x.plateau.lastStep, x.avg.lastStep]).toEqual([3, 3, 3]);
          } finally {
            x.dispose();
          }
        });
      });
    }
  }

  describe("Optimizer.loadStateDict with an attached object that has no prepareLoad()", () => {
    /** A plain attached object: loadStateDict validates then writes, no two phases. */
    function plain(opt: AnyOptimizer, key: string) {
      const holder = { value: 1 };
      opt.attachState(key, {
        stateDict: () => ({ value: holder.value }),
        loadStateDict: (state: unknown) => {
          const value = (state as Json)?.value;
          if (typeof value !== "number") throw new StateError(`bad ${key}`);
          holder.value = value;
        },
      });
      return holder;
    }

    it("is restored from its state before when a later part fails", () => {
      const w = rt.param([2], { values: [1, 2] });
      w.grad.fill(1);
      const opt = OPTIMIZERS[0]!.make(rt, [w], {});
      const [a, b] = [plain(opt, "a"), plain(opt, "b")];
      opt.step();
      const saved = JSON.parse(JSON.stringify(opt.stateDict())) as Json;
      saved.extras.a = { value: 5 };
      saved.extras.b = { value: "five" };
      expectThrowsUnchanged(rt, () => opt.loadStateDict(saved), StateError, /bad b/);
      expect([a.value, b.value]).toEqual([1, 1]);
      saved.extras.b = { value: 6 };
      opt.loadStateDict(saved);
      expect([a.value, b.value]).toEqual([5, 6]);
      opt.dispose();
      w.dispose();
    });

    it("is not loaded at all when a two-phase part fails", () => {
      const w: Param = rt.param([2], { values: [1, 2] });
      const opt = OPTIMIZERS[0]!.make(rt, [w], {});
      const a = plain(opt, "a");
      const sched = new Scheduler(opt, { lr: cosineDecay({ init: 0.05, steps: 20 }) });
      const saved = JSON.parse(JSON.stringify(opt.stateDict())) as Json;
      saved.extras.a = { value: 5 };
      saved.extras.scheduler.step = 1.5;
      expectThrowsUnchanged(rt, () => opt.loadStateDict(saved), StateError, /step is 1.5/);
      expect(a.value).toBe(1);
      sched.dispose();
      opt.dispose();
      w.dispose();
    });
  });
});
