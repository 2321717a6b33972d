import { describe, expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { OPTIMIZERS } from "../helpers/optim-db";
import { expectSameBits } from "../helpers/optim";
import { expectUnchanged, snapshot } from "../helpers/snapshot";
import { uniformArray } from "../helpers/random";
import { Adam, SGD } from "../../src/optim/index";
import { StateError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { Param } from "../../src/runtime/tensor";

const SHAPES = [[4], [2, 3], [0], [9]];

/** A deterministic gradient: pulls toward 0.3 plus a step-seeded perturbation. */
function setGrads(params: Param[], t: number): void {
  params.forEach((p, k) => {
    const noise = uniformArray(p.length, 31 * t + k, -0.5, 0.5);
    p.grad.set(Array.from(p.data, (x, i) => x - 0.3 + noise[i]!));
  });
}

function makeParams(rt: Runtime, dtype: "f32" | "f64", from?: Param[]): Param[] {
  return SHAPES.map((shape, k) =>
    rt.param(shape, { dtype, values: from ? from[k]!.data : uniformArray(shape.reduce((a, b) => a * b, 1), 3 + k) }),
  );
}

describeBackends("optimizer state", (rt) => {
  for (const info of OPTIMIZERS) {
    for (const { desc, options } of info.configs) {
      it(`${info.name} ${desc}: resuming from saved state is bit-identical (JSON and binary, f32 and f64)`, () => {
        for (const dtype of ["f32", "f64"] as const) {
          for (const form of ["json", "binary"] as const) {
            rt.scope(() => {
              const params = makeParams(rt, dtype);
              const opt = info.make(rt, params, options);
              for (let t = 1; t <= 10; t++) (setGrads(params, t), opt.step());
              const saved = form === "json" ? JSON.parse(JSON.stringify(opt.stateDict())) : opt.stateBytes();
              const fresh = makeParams(rt, dtype, params);
              for (let t = 11; t <= 20; t++) (setGrads(params, t), opt.step());

              const resumed = info.make(rt, fresh, "convention" in options ? { convention: options.convention } : {});
              if (form === "json") resumed.loadStateDict(saved);
              else resumed.loadStateBytes(saved as Uint8Array);
              for (let t = 11; t <= 20; t++) (setGrads(fresh, t), resumed.step());
              params.forEach((p, k) => expectSameBits(fresh[k]!.data, p.data, `${dtype} ${form} param ${k}`));
              expect(resumed.stateDict()).toEqual(opt.stateDict());
              opt.dispose();
              resumed.dispose();
            });
          }
        }
      });
    }
  }

  it("loads the binary form from a Node Buffer that views a shared pool (Buffer.slice() is a view, not a copy)", () => {
    const w = rt.param([3], { values: [1, 2, 3] });
    const [opt, copy] = [new Adam(rt, [w]), new Adam(rt, [w])];
    w.grad.fill(0.5);
    opt.step();
    const pooled = Buffer.from(opt.stateBytes());
    expect(pooled.byteOffset > 0 || pooled.buffer.byteLength > pooled.length).toBe(true);
    copy.loadStateBytes(pooled);
    expect(copy.stateDict()).toEqual(opt.stateDict());
    for (const o of [opt, copy, w]) o.dispose();
  });

  it("keeps state by param identity: a param moved to another group keeps nothing by position", () => {
    rt.scope(() => {
      const [a, b] = [rt.param([2], { values: [1, 2] }), rt.param([2], { values: [3, 4] })];
      const opt = new Adam(rt, [{ params: [a] }, { params: [b], lr: 0.5 }]);
      a.grad.set([1, 1]);
      b.grad.set([0, 0]);
      opt.step();
      const saved = opt.stateDict();
      expect(saved.state["0"]!.buffers.s).toEqual([0.10000000149011612, 0.10000000149011612]);
      expect(saved.state["1"]!.buffers.s).toEqual([0, 0]);
      expect(saved.paramGroups.map((g) => g.params)).toEqual([[0], [1]]);
      opt.dispose();
    });
  });

  it("writes NaN, infinities and -0 as strings so JSON keeps every bit", () => {
    rt.scope(() => {
      const w = rt.param([4], { values: [0, 0, 0, 0] });
      const opt = new SGD(rt, [w], { lr: 1, momentum: 0.5 });
      w.grad.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1]);
      opt.step();
      const saved = JSON.parse(JSON.stringify(opt.stateDict()));
      expect(saved.state["0"].buffers.momentum).toEqual(["NaN", "Infinity", "-Infinity", 1]);
      expect(saved.paramGroups[0].clipValue).toBe("Infinity");
      saved.state["0"].buffers.momentum[3] = "-0"; // a sum never yields -0 here; the encoding must keep it
      const other = rt.param([4]);
      const copy = new SGD(rt, [other], { lr: 1, momentum: 0.5 });
      copy.loadStateDict(saved);
      expect(JSON.parse(JSON.stringify(copy.stateDict()))).toEqual(saved);
      const third = new SGD(rt, [rt.param([4])], { lr: 1, momentum: 0.5 });
      third.loadStateBytes(copy.stateBytes());
      expect(JSON.parse(JSON.stringify(third.stateDict()))).toEqual(saved);
      opt.dispose();
      copy.dispose();
      third.dispose();
    });
  });

  it("restores hyperparameters into the same group objects (schedules keep their references)", () => {
    rt.scope(() => {
      const w = rt.param([3]);
      const opt = new Adam(rt, [w], { lr: 0.1 });
      const saved = opt.stateDict();
      const group = opt.paramGroups[0]!;
      group.lr = 0.7;
      group.beta1 = 0.5;
      opt.loadStateDict(saved);
      expect(opt.paramGroups[0]).toBe(group);
      expect([group.lr, group.beta1]).toEqual([0.1, 0.9]);
      opt.dispose();
    });
  });

  it("keeps extra fields of a group (a scheduler's initialLr) through save and load", () => {
    rt.scope(() => {
      const w = rt.param([2]);
      const opt = new SGD(rt, [w], { lr: 0.1 });
      (opt.paramGroups[0] as unknown as Record<string, unknown>).initialLr = 0.1;
      opt.lr = 0.05;
      const saved = JSON.parse(JSON.stringify(opt.stateDict()));
      const other = new SGD(rt, [w], { lr: 0.1 });
      other.loadStateDict(saved);
      expect(other.paramGroups[0]).toMatchObject({ lr: 0.05, initialLr: 0.1 });
      opt.dispose();
      other.dispose();
    });
  });

  it("saves and restores attached state under extras", () => {
    rt.scope(() => {
      const counter = { count: 0, stateDict: () => ({ count: counter.count }), loadStateDict: (s: unknown) => (counter.count = (s as { count: number }).count) };
      const w = rt.param([2]);
      const opt = new SGD(rt, [w], { lr: 0.1 });
      opt.attachState("scheduler", counter);
      counter.count = 7;
      const saved = JSON.parse(JSON.stringify(opt.stateDict()));
      expect(saved.extras).toEqual({ scheduler: { count: 7 } });
      counter.count = 99;
      opt.loadStateDict(saved);
      expect(counter.count).toBe(7);
      counter.count = 5;
      const bytes = opt.stateBytes();
      counter.count = 0;
      opt.loadStateBytes(bytes);
      expect(counter.count).toBe(5);

      expect(() => opt.attachState("scheduler", counter)).toThrow(/already attached/);
      expect(() => opt.attachState("", counter)).toThrow(ValueError);
      expect(() => opt.attachState("x", {} as never)).toThrow(/stateDict\(\) and loadStateDict\(\)/);
      const bare = new SGD(rt, [w], { lr: 0.1 });
      expect(() => bare.loadStateDict(saved)).toThrow(/holds state 'scheduler', which nothing is attached to/);
      const needy = new SGD(rt, [w], { lr: 0.1 });
      needy.attachState("ema", counter);
      expect(() => needy.loadStateDict(saved)).toThrow(/lacks the attached state 'ema'/);
      opt.dispose();
    });
  });

  describe("rejects state that does not fit, changing nothing", () => {
    const cases: Array<[string, (s: any) => unknown]> = [
      ["a newer version", (s) => ({ ...s, version: 2 })],
      ["another format", (s) => ({ ...s, format: "torch" })],
      ["another optimizer", (s) => ({ ...s, optimizer: "SGD" })],
      ["another convention", (s) => ({ ...s, convention: "tfjs" })],
      ["a missing group", (s) => ({ ...s, paramGroups: [] })],
      ["params in another order", (s) => ({ ...s, paramGroups: [{ ...s.paramGroups[0], params: [1, 0] }] })],
      ["a buffer of the wrong length", (s) => ({ ...s, state: { ...s.state, 0: { ...s.state[0], buffers: { ...s.state[0].buffers, s: [1, 2] } } } })],
      ["a param of the wrong dtype", (s) => ({ ...s, state: { ...s.state, 0: { ...s.state[0], dtype: "f64" } } })],
      ["an unknown buffer", (s) => ({ ...s, state: { ...s.state, 0: { ...s.state[0], buffers: { ...s.state[0].buffers, v: [0, 0, 0] } } } })],
      ["state for a param that does not exist", (s) => ({ ...s, state: { ...s.state, 5: s.state[0] } })],
      ["an invalid hyperparameter", (s) => ({ ...s, paramGroups: [{ ...s.paramGroups[0], beta1: 2 }] })],
      ["a missing hyperparameter", (s) => ({ ...s, paramGroups: [{ ...s.paramGroups[0], beta1: undefined }] })],
      ["a non-number in a buffer", (s) => ({ ...s, state: { ...s.state, 0: { ...s.state[0], buffers: { ...s.state[0].buffers, s: ["x", 0, 0] } } } })],
      // An inherited key of a plain object is not one of the special numbers (NaN, Infinity, -0).
      ["an inherited key as a number", (s) => ({ ...s, state: { ...s.state, 0: { ...s.state[0], buffers: { ...s.state[0].buffers, s: ["constructor", 0, 0] } } } })],
      ["a negative step", (s) => ({ ...s, state: { ...s.state, 0: { ...s.state[0], step: -1 } } })],
      ["not an object", () => "state"],
    ];
    for (const [desc, corrupt] of cases) {
      it(desc, () => {
        rt.scope(() => {
          const a = rt.param([3], { values: [1, 2, 3] });
          const b = rt.param([2], { values: [4, 5] });
          const opt = new Adam(rt, [a, b], { lr: 0.1 });
          a.grad.set([1, -1, 0.5]);
          b.grad.set([2, 2]);
          opt.step();
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          const before = snapshot(rt);
          const stateBefore = opt.stateDict();
          expect(() => opt.loadStateDict(corrupt(saved))).toThrow(StateError);
          expectUnchanged(rt, before);
          expect(opt.stateDict()).toEqual(stateBefore);
          opt.dispose();
        });
      });
    }

    it("binary: garbage, a truncated buffer and another version", () => {
      rt.scope(() => {
        const a = rt.param([3], { values: [1, 2, 3] });
        const opt = new Adam(rt, [a]);
        a.grad.set([1, 1, 1]);
        opt.step();
        const bytes = opt.stateBytes();
        const before = snapshot(rt);
        expect(() => opt.loadStateBytes(new Uint8Array([1, 2, 3]))).toThrow(StateError);
        expect(() => opt.loadStateBytes(bytes.slice(0, bytes.length - 8))).toThrow(/outside the data/);
        const newer = bytes.slice();
        newer[4] = 9;
        expect(() => opt.loadStateBytes(newer)).toThrow(/binary version 9/);
        expectUnchanged(rt, before);
        opt.dispose();
      });
    });
  });
});
