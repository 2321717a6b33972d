import { describe, expect, it } from "vitest";
import { gemm } from "../../src/linalg/gemm";
import { Adam } from "../../src/optim/adam";
import { initSyncWithTwins as initSync } from "../helpers/runtime";
import { DisposedError, ShapeError, ValueError } from "../../src/runtime/errors";
import { overlaps } from "../../src/runtime/overlap";
import { runtimeOf } from "../../src/runtime/runtime";
import { checkTensor, Tensor, type TensorOwner } from "../../src/runtime/tensor";
import { describeBackends } from "../helpers/backends";

describeBackends("tensor views (reshape)", (rt) => {
  it("shares the base's memory both ways, with -1 inferred and views of views", () => {
    rt.scope(() => {
      const base = rt.fromArray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 6]);
      const view = base.reshape([3, -1]);
      expect(view.shape).toEqual([3, 4]);
      expect([view.ptr, view.length, view.dtype, view.base]).toEqual([base.ptr, 12, "f32", base]);
      view.data[5] = 50;
      expect(base.data[5]).toBe(50);
      base.data[0] = -1;
      expect(view.toArray()[0]).toBe(-1);
      const inner = view.reshape([-1, 2, 3]);
      expect(inner.shape).toEqual([2, 2, 3]);
      expect(inner.base).toBe(base); // a view of a view shares the first tensor's memory
      expect(inner.toArray()).toEqual(base.toArray());
      expect(rt.fromArray([1, 2]).reshape([-1]).shape).toEqual([2]);
      expect(rt.tensor([0, 3]).reshape([5, -1]).shape).toEqual([5, 0]);
    });
  });

  it("is not an allocation: disposing a view frees nothing and leaves the base usable", () => {
    rt.scope(() => {
      const base = rt.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
      const before = rt.memoryStats();
      const view = base.reshape([6]);
      expect(rt.memoryStats()).toEqual(before);
      view.dispose();
      expect(rt.memoryStats()).toEqual(before);
      expect(view.disposed).toBe(true);
      expect(() => view.data).toThrow(DisposedError);
      expect(() => view.dispose()).toThrow(DisposedError);
      expect(() => checkTensor("x", view)).toThrow(DisposedError);
      expect(base.disposed).toBe(false);
      expect(base.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      // The freed block is not reused under the base: a new tensor lands elsewhere.
      const other = rt.tensor([6]);
      expect(overlaps(other, base)).toBe(false);
    });
  });

  it("disposing the base disposes every view of it, views of views included", () => {
    const base = rt.fromArray([1, 2, 3, 4], [4]);
    const view = base.reshape([2, 2]);
    const inner = view.reshape([1, 4]);
    base.dispose();
    for (const t of [view, inner]) {
      expect(t.disposed).toBe(true);
      expect(() => t.data).toThrow(/a view of Tensor\(f32, \[4\]\), was used after that tensor's dispose/);
      expect(() => t.reshape([4])).toThrow(DisposedError);
      expect(() => t.dispose()).toThrow(DisposedError);
    }
  });

  it("disposing the runtime disposes its views", () => {
    const own = initSync({ backend: rt.backend });
    const view = own.fromArray([1, 2, 3]).reshape([3, 1]);
    own.dispose();
    expect(view.disposed).toBe(true);
    expect(() => view.data).toThrow(DisposedError);
  });

  it("scopes do not track views; returning or keeping a view keeps its base", () => {
    const before = rt.memoryStats().liveTensors;
    const outer = rt.fromArray([1, 2, 3, 4]);
    const viewOfOuter = rt.scope(() => {
      rt.tensor([8]);
      return outer.reshape([2, 2]);
    });
    expect(viewOfOuter.toArray()).toEqual([1, 2, 3, 4]); // the scope freed only its own tensor
    const returned = rt.scope(() => rt.fromArray([5, 6, 7, 8]).reshape([2, -1]));
    expect(returned.toArray()).toEqual([5, 6, 7, 8]); // its base was returned with it
    const kept: Tensor[] = [];
    rt.scope(() => {
      const base = rt.fromArray([9, 10]);
      kept.push(rt.keep(base.reshape([1, 2])));
    });
    expect(kept[0]!.toArray()).toEqual([9, 10]);
    const param = rt.scope(() => rt.param([2, 2], { values: [1, 2, 3, 4] }).reshape([4]));
    expect(param.base!.disposed).toBe(false);
    expect(rt.memoryStats().liveTensors).toBe(before + 5); // outer, two bases, a param and its grad
    // A base freed by its scope takes the views made inside with it.
    const escaped: Tensor[] = [];
    rt.scope(() => void escaped.push(rt.fromArray([1]).reshape([1, 1])));
    expect(escaped[0]!.disposed).toBe(true);
    for (const t of [outer, returned.base!, kept[0]!.base!, param.base!]) t.dispose();
  });

  it("rejects a bad shape with ShapeError, making nothing and changing nothing", () => {
    rt.scope(() => {
      const base = rt.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
      const before = rt.memoryStats();
      const bad: unknown[] = [[4], [7], [-1, -1], [0, -1], [4, -1], [-2, -3], [2.5, 2], [], "6", null];
      for (const shape of bad) expect(() => base.reshape(shape as number[]), String(shape)).toThrow(ShapeError);
      expect(base.shape).toEqual([2, 3]);
      expect(base.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(rt.memoryStats()).toEqual(before);
    });
  });

  it("re-reads its data after the memory grows, like any tensor", () => {
    rt.scope(() => {
      const base = rt.fromArray([1, 2, 3, 4]);
      const view = base.reshape([2, 2]);
      const stale = view.data;
      const capacity = rt.memoryStats().capacityBytes;
      while (rt.memoryStats().capacityBytes === capacity) rt.tensor([1 << 18]);
      expect(stale.length).toBe(0);
      view.data[3] = 40;
      expect(base.toArray()).toEqual([1, 2, 3, 40]);
    });
  });

  it("counts as the memory it shares in the aliasing checks, and is not a Param to optimizers", () => {
    rt.scope(() => {
      const a = rt.fromArray([1, 2, 3, 4], [2, 2]);
      const b = rt.fromArray([1, 0, 0, 1], [2, 2]);
      expect(overlaps(a.reshape([4]), a)).toBe(true);
      expect(() => gemm(a, b, a.reshape([2, -1]))).toThrow(ValueError);
      expect(a.toArray()).toEqual([1, 2, 3, 4]);
      const w = rt.param([2, 2]);
      expect(() => new Adam(rt, [w.reshape([4]) as never])).toThrow(ValueError);
    });
  });
});

describe("runtimeOf", () => {
  it("returns the runtime that made a tensor, or throws ValueError for another owner", () => {
    const rt = initSync({ backend: "js" });
    const t = rt.tensor([2]);
    expect(runtimeOf(t)).toBe(rt);
    expect(runtimeOf(t.reshape([1, 2]))).toBe(rt);
    const foreign: TensorOwner = { heap: rt.heap, disposed: false, release: () => {} };
    expect(() => runtimeOf(new Tensor(foreign, t.ptr, "f32", [2]))).toThrow(/owner of Tensor\(f32, \[2\]\).*expected a Runtime/);
    expect(() => runtimeOf({} as Tensor)).toThrow(ValueError);
    rt.dispose();
  });
});
