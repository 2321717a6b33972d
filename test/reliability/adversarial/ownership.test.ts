// Ownership: every object that keeps tensors or registers on an optimizer checks that it is
// alive before every use (DisposedError after dispose(), with nothing changed), and every
// dispose() detaches from what it attached to. The last block walks each owner's prototype,
// so a public method added later without a liveness check fails here until it is classified.
import { describe, expect, it } from "vitest";
import {
  Adam, DisposedError, PolyakAverager, ReduceOnPlateau, SGD, Scheduler, StateError, Workspace, constantSchedule,
  type Param, type Runtime,
} from "../../../src/index";
import { describeBackends } from "../../helpers/backends";
import { OPTIMIZERS } from "../../helpers/optim-db";
import { expectThrowsUnchanged, expectUnchanged, snapshot } from "../../helpers/snapshot";

/** A param [1, 2, 3, 4] whose gradient is set, and an SGD (lr 1) that has not stepped yet. */
function sgdWithParam(rt: Runtime): { w: Param; opt: SGD } {
  const w = rt.param([4], { values: [1, 2, 3, 4] });
  return { w, opt: new SGD(rt, [w], { lr: 1 }) };
}

describeBackends("ownership: PolyakAverager", (rt) => {
  describe("swapOut", () => {
    it("after dispose() throws DisposedError and writes nowhere (it used to swap into freed memory)", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      w.data.set([5, 6, 7, 8]);
      avg.swapIn();
      avg.dispose();
      const other = rt.tensor([4]).fill(7);
      expectThrowsUnchanged(rt, () => avg.swapOut(), DisposedError, /PolyakAverager.swapOut\(\) after dispose/);
      expect(Array.from(other.data)).toEqual([7, 7, 7, 7]);
      expect(Array.from(w.data), "dispose() put the training weights back").toEqual([5, 6, 7, 8]);
      for (const t of [other, w, opt]) t.dispose();
    });
  });

  describe("withAveraged", () => {
    it("when fn disposes the averager: DisposedError, training weights restored, other tensors unchanged", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      w.data.set([5, 6, 7, 8]);
      let other = null as ReturnType<Runtime["tensor"]> | null;
      expect(() =>
        avg.withAveraged(() => {
          expect(Array.from(w.data)).toEqual([1, 2, 3, 4]);
          avg.dispose();
          other = rt.tensor([4]).fill(7);
        }),
      ).toThrow(DisposedError);
      expect(Array.from(other!.data)).toEqual([7, 7, 7, 7]);
      expect(Array.from(w.data)).toEqual([5, 6, 7, 8]);
      for (const t of [other!, w, opt]) t.dispose();
    });

    it("when fn throws after disposing the averager, fn's error comes through", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      expect(() =>
        avg.withAveraged(() => {
          avg.dispose();
          throw new Error("evaluation failed");
        }),
      ).toThrow("evaluation failed");
      expect(Array.from(w.data)).toEqual([1, 2, 3, 4]);
      w.dispose();
      opt.dispose();
    });
  });

  describe("dispose", () => {
    it("while swapped in puts the training weights back; twice is a no-op", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      w.data.set([5, 6, 7, 8]);
      avg.swapIn();
      avg.dispose();
      avg.dispose();
      expect(avg.swapped).toBe(false);
      expect(Array.from(w.data)).toEqual([5, 6, 7, 8]);
      w.dispose();
      opt.dispose();
    });

    it("while swapped in, with one of two params disposed, restores the live one", () => {
      const w = rt.param([2], { values: [1, 2] });
      const b = rt.param([2], { values: [3, 4] });
      const opt = new SGD(rt, [w, b]);
      const avg = new PolyakAverager(opt);
      avg.update();
      w.data.set([9, 9]);
      avg.swapIn();
      b.dispose();
      avg.dispose();
      expect(Array.from(w.data)).toEqual([9, 9]);
      w.dispose();
      opt.dispose();
    });

    it("detaches from the optimizer: opt.stateDict() works and no longer carries the average (it used to throw)", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      avg.dispose();
      const saved = opt.stateDict();
      expect(Object.keys(saved.extras)).toEqual([]);
      const again = new PolyakAverager(opt);
      expect(Object.keys(opt.stateDict().extras)).toEqual(["average"]);
      again.dispose();
      w.dispose();
      opt.dispose();
    });

    it("after the optimizer was disposed, and leaves another averager attached under its old key alone", () => {
      const { w, opt } = sgdWithParam(rt);
      const first = new PolyakAverager(opt);
      opt.detachState("average");
      const second = new PolyakAverager(opt);
      first.dispose();
      expect(Object.keys(opt.stateDict().extras)).toEqual(["average"]);
      opt.dispose();
      second.dispose();
      w.dispose();
    });
  });

  describe("commitAverage", () => {
    it("keeps the averaged weights in the params and frees the averager", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      w.data.set([3, 4, 5, 6]);
      avg.update();
      avg.commitAverage();
      expect(Array.from(w.data)).toEqual([2, 3, 4, 5]);
      expect(avg.disposed).toBe(true);
      expect(Object.keys(opt.stateDict().extras)).toEqual([]);
      w.dispose();
      opt.dispose();
    });
  });

  describe("update / swapIn", () => {
    it("after a param group was added: StateError (the new params would silently go unaveraged)", () => {
      const { w, opt } = sgdWithParam(rt);
      const avg = new PolyakAverager(opt);
      avg.update();
      const b = rt.param([2]);
      opt.addParamGroup({ params: [b] });
      expectThrowsUnchanged(rt, () => avg.update(), StateError, /parameters changed since this averager was made/);
      expectThrowsUnchanged(rt, () => avg.swapIn(), StateError, /parameters changed since this averager was made/);
      for (const t of [avg, opt, w, b]) t.dispose();
    });
  });
});

describeBackends("ownership: schedulers", (rt) => {
  describe("dispose", () => {
    it("Scheduler and ReduceOnPlateau detach from the optimizer; a new one can take the key", () => {
      const { w, opt } = sgdWithParam(rt);
      const sched = new Scheduler(opt, { lr: constantSchedule(0.5) });
      const plateau = new ReduceOnPlateau(opt);
      expect(Object.keys(opt.stateDict().extras).sort()).toEqual(["plateau", "scheduler"]);
      sched.dispose();
      plateau.dispose();
      sched.dispose();
      expect(Object.keys(opt.stateDict().extras)).toEqual([]);
      expect(opt.lr, "the groups keep their values").toBe(0.5);
      const replacement = new Scheduler(opt, { lr: constantSchedule(0.25) });
      expect(opt.stateDict().extras).toEqual({ scheduler: replacement.stateDict() });
      for (const t of [replacement, opt, w]) t.dispose();
    });
  });

  describe("step", () => {
    it("after a param group was added: StateError", () => {
      const { w, opt } = sgdWithParam(rt);
      const sched = new Scheduler(opt, { lr: constantSchedule(0.5) });
      const plateau = new ReduceOnPlateau(opt);
      const b = rt.param([2]);
      opt.addParamGroup({ params: [b] });
      expect(() => sched.step()).toThrow(StateError);
      expect(() => plateau.step(1)).toThrow(StateError);
      expect([sched.lastStep, plateau.lastStep]).toEqual([0, 0]);
      for (const t of [sched, plateau, opt, w, b]) t.dispose();
    });
  });
});

describeBackends("ownership: optimizers", (rt) => {
  describe("step", () => {
    it("after dispose() throws DisposedError (it used to restart from zero moments)", () => {
      const w = rt.param([4], { values: [1, 2, 3, 4] });
      w.grad.fill(1);
      const opt = new Adam(rt, [w], { lr: 0.1 });
      opt.step();
      opt.dispose();
      expectThrowsUnchanged(rt, () => opt.step(), DisposedError, /Adam.step\(\) after dispose/);
      opt.dispose();
      w.dispose();
    });
  });
});

describeBackends("ownership: tensors kept out of scopes", (rt) => {
  describe("Optimizer.step / PolyakAverager.update / Workspace.get", () => {
    it("owners made and used inside rt.scope keep their tensors after it ends", () => {
      const w = rt.param([2], { values: [1, 2] });
      w.grad.fill(1);
      const [opt, avg, ws] = rt.scope(() => {
        const opt = new Adam(rt, [w], { lr: 0.1 });
        opt.step();
        const avg = new PolyakAverager(opt);
        avg.update();
        const ws = new Workspace(rt);
        ws.get("a", [2]).fill(3);
        return [opt, avg, ws] as const;
      });
      opt.step();
      avg.update();
      expect(opt.stateDict().state["0"]!.step).toBe(2);
      expect(Array.from(ws.find("a")!.data)).toEqual([3, 3]);
      for (const x of [avg, opt, ws, w]) x.dispose();
    });
  });

  describe("new Scheduler / new ReduceOnPlateau / new PolyakAverager", () => {
    it("on a disposed optimizer: DisposedError, nothing allocated", () => {
      const { w, opt } = sgdWithParam(rt);
      opt.dispose();
      expectThrowsUnchanged(rt, () => new Scheduler(opt, { lr: constantSchedule(1) }), DisposedError, /attachState\(\) after dispose/);
      expectThrowsUnchanged(rt, () => new ReduceOnPlateau(opt), DisposedError, /attachState\(\) after dispose/);
      expectThrowsUnchanged(rt, () => new PolyakAverager(opt), DisposedError, /attachState\(\) after dispose/);
      w.dispose();
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Every public member of every owner after dispose(). A member not in `calls`, `harmless` or
// INTERNAL fails the suite: classify it (and make it throw DisposedError if it is a call).

interface Owner<T> {
  name: string;
  /** A live, used instance; the second value is disposed after the test (its tensors). */
  make(rt: Runtime): [T, Array<{ dispose(): void }>];
  /** Each public method or setter, called with valid arguments. */
  calls: Record<string, (x: T) => unknown>;
  /** Getters and calls that stay usable after dispose(), with the reason. */
  harmless: Record<string, string>;
}

/** TypeScript-private and protected members (not callable from user code that type-checks). */
const INTERNAL = new Set([
  "constructor",
  // Optimizer and subclasses
  "checkHyper", "bufferNames", "update", "initialValue", "initialScalars", "kernel", "assertLive", "freeState", "checkOptions",
  "checkGroup", "needsNorms", "allocateState", "params", "snapshot", "restore", "checkParams",
  // PolyakAverager, Scheduler, ReduceOnPlateau
  "weight", "exchange", "assertTraining", "valuesAt", "write", "checkedGroups", "worst", "isBetter", "reduce",
]);

const DISPOSE = { dispose: "idempotent", disposed: "reports the state" };

function ownerParams(rt: Runtime): [Param, Param] {
  const w = rt.param([3], { values: [1, 2, 3] });
  const b = rt.param([2], { dtype: "f64", values: [4, 5] });
  w.grad.fill(0.5);
  b.grad.fill(-0.5);
  return [w, b];
}

const OPTIMIZER_OWNERS: Array<Owner<any>> = OPTIMIZERS.map((info) => ({
  name: info.name,
  make: (rt: Runtime) => {
    const [w, b] = ownerParams(rt);
    const opt = info.make(rt, [w], (info.configs[1] ?? info.configs[0]!).options);
    opt.step();
    return [opt, [w, b]];
  },
  calls: {
    step: (opt) => opt.step(),
    zeroGrad: (opt) => opt.zeroGrad(),
    addParamGroup: (opt) => opt.addParamGroup({ params: [] }),
    attachState: (opt) => opt.attachState("x", { stateDict: () => 1, loadStateDict: () => {} }),
    stateDict: (opt) => opt.stateDict(),
    stateBytes: (opt) => opt.stateBytes(),
    loadStateDict: (opt) => opt.loadStateDict({}),
    loadStateBytes: (opt) => opt.loadStateBytes(new Uint8Array(16)),
    "lr=": (opt) => (opt.lr = 0.1),
  },
  harmless: {
    ...DISPOSE,
    lr: "a getter of the first group's lr",
    detachState: "cleanup: an attached object's dispose() calls it, before or after the optimizer's",
  },
}));

const OWNERS: Array<Owner<any>> = [
  ...OPTIMIZER_OWNERS,
  {
    name: "PolyakAverager",
    make: (rt: Runtime) => {
      const [w, b] = ownerParams(rt);
      const opt = new SGD(rt, [w, b]);
      const avg = new PolyakAverager(opt);
      avg.update();
      return [avg, [opt, w, b]];
    },
    calls: {
      update: (a) => a.update(),
      swapIn: (a) => a.swapIn(),
      swapOut: (a) => a.swapOut(),
      withAveraged: (a) => a.withAveraged(() => 1),
      commitAverage: (a) => a.commitAverage(),
      stateDict: (a) => a.stateDict(),
      loadStateDict: (a) => a.loadStateDict({}),
      prepareLoad: (a) => a.prepareLoad({}),
    },
    harmless: { ...DISPOSE, lastStep: "a counter", averagedCount: "a counter", swapped: "a flag" },
  },
  {
    name: "Scheduler",
    make: (rt: Runtime) => {
      const [w, b] = ownerParams(rt);
      const opt = new SGD(rt, [w, b]);
      const sched = new Scheduler(opt, { lr: constantSchedule(0.5) });
      sched.step();
      return [sched, [opt, w, b]];
    },
    calls: {
      step: (s) => s.step(),
      current: (s) => s.current(),
      stateDict: (s) => s.stateDict(),
      loadStateDict: (s) => s.loadStateDict({ kind: "Scheduler", version: 1, step: 0 }),
      prepareLoad: (s) => s.prepareLoad({ kind: "Scheduler", version: 1, step: 0 }),
    },
    harmless: { ...DISPOSE, lastStep: "a counter" },
  },
  {
    name: "ReduceOnPlateau",
    make: (rt: Runtime) => {
      const [w, b] = ownerParams(rt);
      const opt = new SGD(rt, [w, b]);
      const plateau = new ReduceOnPlateau(opt);
      plateau.step(1);
      return [plateau, [opt, w, b]];
    },
    calls: {
      step: (p) => p.step(1),
      current: (p) => p.current(),
      stateDict: (p) => p.stateDict(),
      loadStateDict: (p) => p.loadStateDict({}),
      prepareLoad: (p) => p.prepareLoad({}),
    },
    harmless: { ...DISPOSE, lastStep: "a counter", bestMetric: "a number", badStepCount: "a counter" },
  },
  {
    name: "Workspace",
    make: (rt: Runtime) => {
      const ws = new Workspace(rt);
      ws.get("a", [3]).fill(1);
      return [ws, []];
    },
    calls: { get: (ws) => ws.get("a", [3]), find: (ws) => ws.find("a") },
    harmless: { ...DISPOSE },
  },
];

/** Own property names along the prototype chain, accessors named `x` (getter) and `x=` (setter). */
function members(instance: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
      if (descriptor.get) names.add(name);
      if (descriptor.set) names.add(`${name}=`);
      if (typeof descriptor.value === "function") names.add(name);
    }
  }
  return [...names];
}

describeBackends("ownership: every public member after dispose()", (rt) => {
  for (const owner of OWNERS) {
    describe(owner.name, () => {
      it("each public call throws DisposedError and changes nothing; every member is classified", () => {
        const [x, keep] = owner.make(rt);
        x.dispose();
        x.dispose();
        expect(x.disposed).toBe(true);
        const unclassified = members(x).filter((m) => !(m in owner.calls) && !(m in owner.harmless) && !INTERNAL.has(m));
        expect(unclassified, `${owner.name}: classify these members`).toEqual([]);
        const stale = Object.keys(owner.calls).filter((m) => !members(x).includes(m));
        expect(stale, `${owner.name}: calls listed but not found`).toEqual([]);
        const before = snapshot(rt);
        const wrong = Object.entries(owner.calls).flatMap(([name, call]) => {
          try {
            call(x);
            return [`${name}: returned`];
          } catch (error) {
            return error instanceof DisposedError && /after dispose\(\)/.test(error.message) ? [] : [`${name}: ${String(error)}`];
          }
        });
        expect(wrong, `${owner.name}: calls that did not throw DisposedError`).toEqual([]);
        expectUnchanged(rt, before);
        for (const k of keep.reverse()) k.dispose();
      });
    });
  }
});
