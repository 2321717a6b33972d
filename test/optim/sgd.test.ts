import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { SGD } from "../../src/optim/sgd";
import { ValueError } from "../../src/runtime/errors";

describeBackends("SGD", (rt) => {
  it("takes the book's Algorithm 8.1 step theta - lr g", () => {
    rt.scope(() => {
      const w = rt.param([5], { values: [1, 2, 3, 4, 5] });
      const opt = new SGD(rt, [w], { lr: 0.1 });
      w.grad.set([1, -1, 0.5, 0, 10]);
      opt.step();
      // [1 - 0.1, 2 + 0.1, 3 - 0.05, 4, 5 - 1]
      expectClose(w.data, [0.9, 2.1, 2.95, 4, 4], { rtol: 1e-7 });
      opt.zeroGrad();
      expect(w.grad.toArray()).toEqual([0, 0, 0, 0, 0]);
    });
  });

  it("rejects invalid lr and leaves params unchanged", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [1, 2] });
      expect(() => new SGD(rt, [w], { lr: -1 })).toThrow(ValueError);
      const opt = new SGD(rt, [w], { lr: 0.1 });
      w.grad.set([1, 1]);
      opt.paramGroups[0]!.lr = Number.NaN;
      expect(() => opt.step()).toThrow(/Invalid lr: NaN/);
      expect(w.toArray()).toEqual([1, 2]);
    });
  });
});
