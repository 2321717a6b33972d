// States saved before an optimizer gained options still load: the options added since take the
// value that reproduces the old behaviour. The fixtures are written by hand in the layout the
// optimizers wrote before those options existed (src/optim before 092340f: Adam's groups had no
// epsPlacement or biasCorrection).
import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectSameBits } from "../helpers/optim";
import { expectUnchanged, snapshot } from "../helpers/snapshot";
import { Adam, AdamW, SGD } from "../../src/optim/index";
import { StateError } from "../../src/runtime/errors";

/** Adam's group as the version before epsPlacement and biasCorrection saved it. */
const OLD_ADAM_GROUP = {
  lr: 0.01, weightDecay: 0, weightDecayMode: "l2", maximize: false, clipValue: "Infinity", clipNorm: "Infinity",
  beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false, amsgradMax: "raw", params: [0],
};

/** A whole saved Adam state of that version: one f32 param of 3 after two steps (or before any). */
function oldAdamState(optimizer: "Adam" | "AdamW", stepped: boolean, group: Record<string, unknown> = OLD_ADAM_GROUP) {
  const state = { 0: { step: 2, dtype: "f32", length: 3, buffers: { s: [0.125, -0.25, 0.5], r: [0.0625, 0.015625, 0.25] }, scalars: {} } };
  return {
    format: "descend.optim.state", version: 1, optimizer, convention: "pytorch",
    options: { clipGlobalNorm: "Infinity", nonFinite: "propagate" },
    paramGroups: [{ ...group, ...(optimizer === "AdamW" ? { weightDecay: 0.01, weightDecayMode: "decoupled" } : {}) }],
    state: stepped ? state : {},
    extras: {},
  };
}

const ADAM_FAMILY = [["Adam", Adam], ["AdamW", AdamW]] as const;

describeBackends("optimizer states saved before options were added", (rt) => {
  for (const [name, Rule] of ADAM_FAMILY) {
    it(`${name}: lacks exactly the options added since, which load as their defaults`, () => {
      const w = rt.param([3], { values: [1, -2, 0.5] });
      const opt = new Rule(rt, [w]);
      const lacking = Object.keys(opt.defaults).filter((key) => !(key in OLD_ADAM_GROUP)).sort();
      expect(lacking).toEqual(["biasCorrection", "epsPlacement"]);
      opt.loadStateDict(oldAdamState(name, true));
      expect(opt.paramGroups[0]).toMatchObject({ epsPlacement: "outside", biasCorrection: true, lr: 0.01 });
      opt.dispose();
      w.dispose();
    });

    it(`${name}: loading the old state before the first step, then stepping, equals a fresh optimizer's step`, () => {
      const [loaded, fresh] = [0, 1].map(() => rt.param([3], { values: [1, -2, 0.5] }));
      const old = new Rule(rt, [loaded!]);
      old.loadStateDict(oldAdamState(name, false));
      const now = new Rule(rt, [fresh!], { lr: 0.01 });
      for (const w of [loaded!, fresh!]) w.grad.set([0.5, -1, 0.25]);
      old.step();
      now.step();
      expectSameBits(loaded!.data, fresh!.data, name);
      expect(old.stateDict()).toEqual(now.stateDict());
      for (const o of [old, now, loaded!, fresh!]) o.dispose();
    });

    it(`${name}: an old state with moments steps as the same state saved with the options written out`, () => {
      const [loaded, fresh] = [0, 1].map(() => rt.param([3], { values: [1, -2, 0.5] }));
      const old = new Rule(rt, [loaded!]);
      old.loadStateDict(oldAdamState(name, true));
      const now = new Rule(rt, [fresh!]);
      now.loadStateDict(oldAdamState(name, true, { ...OLD_ADAM_GROUP, epsPlacement: "outside", biasCorrection: true }));
      for (let t = 0; t < 3; t++) {
        for (const w of [loaded!, fresh!]) w.grad.set([0.5 - t, -1, 0.25 * t]);
        old.step();
        now.step();
      }
      expectSameBits(loaded!.data, fresh!.data, name);
      expect(old.stateDict()).toEqual(now.stateDict());
      for (const o of [old, now, loaded!, fresh!]) o.dispose();
    });
  }

  it("still rejects a group that lacks an option that was always saved, changing nothing", () => {
    const w = rt.param([3], { values: [1, -2, 0.5] });
    const opt = new Adam(rt, [w]);
    const { beta2: _dropped, ...corrupt } = OLD_ADAM_GROUP;
    const [before, stateBefore] = [snapshot(rt), opt.stateDict()];
    expect(() => opt.loadStateDict(oldAdamState("Adam", true, corrupt))).toThrow(StateError);
    expect(() => opt.loadStateDict(oldAdamState("Adam", true, corrupt))).toThrow(/group 0 lacks beta2$/);
    expectUnchanged(rt, before);
    expect(opt.stateDict()).toEqual(stateBefore);
    opt.dispose();
    w.dispose();
  });

  it("fills only the optimizer's own added options: SGD without momentumForm is rejected", () => {
    const w = rt.param([3], { values: [1, -2, 0.5] });
    const sgd = new SGD(rt, [w], { lr: 0.1 });
    const { momentumForm: _dropped, ...group } = sgd.stateDict().paramGroups[0]!;
    expect(() => sgd.loadStateDict({ ...sgd.stateDict(), paramGroups: [group] })).toThrow(/group 0 lacks momentumForm$/);
    sgd.dispose();
    w.dispose();
  });
});
