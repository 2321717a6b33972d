import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { OPTIMIZERS } from "../helpers/optim-db";
import { expectUnchanged, snapshot } from "../helpers/snapshot";
import { Adam, SGD } from "../../src/optim/index";
import { DisposedError, ValueError } from "../../src/runtime/errors";
import { initSyncWithTwins } from "../helpers/runtime";

/** Options set on the optimizer itself, not on a group. */
const OPTIMIZER_LEVEL = new Set(["clipGlobalNorm", "nonFinite"]);
/** Options only a constructor takes. */
const CONSTRUCTOR_ONLY = new Set(["convention", "learningRate"]);

describeBackends("optimizer errors", (rt) => {
  for (const info of OPTIMIZERS) {
    for (const [desc, options, message] of info.errors) {
      const [key] = Object.keys(options) as [string];
      it(`${info.name} rejects ${desc} in the constructor${CONSTRUCTOR_ONLY.has(key) ? "" : ", in a group and before a step"}, changing nothing`, () => {
        rt.scope(() => {
          const w = rt.param([5], { values: [1, 2, 3, 4, 5] });
          expect(() => info.make(rt, [w], options)).toThrow(ValueError);
          expect(() => info.make(rt, [w], options)).toThrow(message);
          if (CONSTRUCTOR_ONLY.has(key)) return;
          if (!OPTIMIZER_LEVEL.has(key)) {
            expect(() => info.make(rt, [{ params: [w], ...options } as never], {})).toThrow(message);
          }
          // A valid optimizer with state, then the bad value set between steps.
          const opt = info.make(rt, [w], {});
          w.grad.set([1, -1, 0.5, 2, 0]);
          opt.step();
          const before = snapshot(rt);
          const state = opt.stateDict();
          Object.assign(OPTIMIZER_LEVEL.has(key) ? opt : opt.paramGroups[0]!, options);
          expect(() => opt.step()).toThrow(message);
          expectUnchanged(rt, before);
          expect(opt.stateDict().state).toEqual(state.state);
          opt.dispose();
        });
      });
    }
  }

  it("rejects a negative lr through the setter", () => {
    rt.scope(() => {
      const w = rt.param([1]);
      const opt = new Adam(rt, [w]);
      expect(() => (opt.lr = -1)).toThrow(ValueError);
      expect(opt.lr).toBe(1e-3);
    });
  });

  it("rejects duplicated params, non-params, params of another runtime and malformed groups", () => {
    rt.scope(() => {
      const w = rt.param([3]);
      expect(() => new SGD(rt, [w, w])).toThrow(/appears more than once/);
      expect(() => new SGD(rt, [{ params: [w] }, { params: [w] }])).toThrow(/appears more than once/);
      expect(() => new SGD(rt, [rt.tensor([3]) as never])).toThrow(/expected a Param from rt.param\(\)/);
      expect(() => new SGD(rt, "w" as never)).toThrow(/expected an array/);
      expect(() => new SGD(rt, [{ weights: [w] } as never])).toThrow(/\{ params: Param\[\] \} groups/);
      const other = initSyncWithTwins({ backend: rt.backend });
      expect(() => new SGD(rt, [other.param([3])])).toThrow(/belongs to another runtime/);
    });
  });

  it("refuses to step with a disposed param and leaves the others untouched", () => {
    rt.scope(() => {
      const a = rt.param([3], { values: [1, 2, 3] });
      const b = rt.param([3], { values: [4, 5, 6] });
      const opt = new Adam(rt, [a, b]);
      a.grad.set([1, 1, 1]);
      b.dispose();
      expect(() => opt.step()).toThrow(DisposedError);
      expect(a.toArray()).toEqual([1, 2, 3]);
      opt.dispose();
    });
  });

  it("keeps its state alive across the caller's scopes", () => {
    const w = rt.param([3], { values: [1, 2, 3] });
    const opt = new Adam(rt, [w], { lr: 0.1 });
    for (let t = 0; t < 3; t++) {
      rt.scope(() => {
        rt.tensor([8]); // the caller's temporaries are freed at the end of the scope...
        w.grad.set([1, 1, 1]);
        opt.step(); // ...but the moments allocated here are the optimizer's
      });
    }
    expect(opt.stateDict().state["0"]!.step).toBe(3);
    opt.dispose();
    w.dispose();
  });
});

it("dispose() after the runtime's dispose() succeeds and marks the optimizer disposed, for every optimizer holding state", () => {
  for (const backend of ["wasm", "js"] as const) {
    for (const info of OPTIMIZERS) {
      const rt = initSyncWithTwins({ backend });
      const w = rt.param([3], { values: [1, 2, 3] });
      const opt = info.make(rt, [w], info.configs[0]!.options);
      w.grad.fill(0.5);
      opt.step();
      rt.dispose();
      expect(() => opt.dispose(), `${info.name} [${backend}]`).not.toThrow();
      expect(opt.disposed).toBe(true);
      expect(() => opt.dispose()).not.toThrow();
    }
  }
});
