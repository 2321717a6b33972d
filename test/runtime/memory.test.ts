import { describe, expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { initSyncWithTwins } from "../helpers/runtime";
import { DisposedError, OutOfMemoryError, ShapeError, ValueError } from "../../src/runtime/errors";
import { PAGE_BYTES } from "../../src/runtime/memory";

describeBackends("memory runtime", (rt) => {
  it("aligns every tensor to 16 bytes and keeps tensors disjoint", () => {
    rt.scope(() => {
      const tensors = [1, 3, 5, 7, 17, 33].map((n) => rt.tensor([n]));
      for (const t of tensors) expect(t.ptr % 16).toBe(0);
      const ranges = tensors.map((t) => [t.ptr, t.ptr + t.byteLength] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
    });
  });

  it("reuses freed blocks and coalesces neighbours", () => {
    rt.scope(() => {
      const a = rt.tensor([64]);
      const b = rt.tensor([64]);
      const guard = rt.tensor([4]);
      const [aPtr, bPtr] = [a.ptr, b.ptr];
      a.dispose();
      b.dispose();
      const merged = rt.tensor([128]);
      expect(merged.ptr).toBe(Math.min(aPtr, bPtr));
      expect(guard.disposed).toBe(false);
    });
  });

  it("starts tensors at zero and round-trips values", () => {
    rt.scope(() => {
      const t = rt.tensor([2, 3]);
      expect(t.length).toBe(6);
      expect(t.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
      const d = rt.fromArray([1.5, -2, 3], [3], { dtype: "f64" });
      expect(d.data).toBeInstanceOf(Float64Array);
      expect(d.toArray()).toEqual([1.5, -2, 3]);
    });
  });

  it("keeps an old tensor valid while the memory grows several times", () => {
    rt.scope(() => {
      const held = rt.fromArray([1, 2, 3, 4, 5]);
      const startCapacity = rt.memoryStats().capacityBytes;
      const viewBefore = held.data;
      let grows = 0;
      let capacity = startCapacity;
      while (grows < 4) {
        rt.tensor([1 << 18]); // 1 MiB
        const now = rt.memoryStats().capacityBytes;
        if (now > capacity) grows += 1;
        capacity = now;
      }
      expect(viewBefore.length).toBe(0); // the old view detached...
      expect(held.toArray()).toEqual([1, 2, 3, 4, 5]); // ...but the tensor reads through a new one
      held.data[2] = 42;
      expect(Array.from(new Float32Array(rt.memory.buffer, held.ptr, 5))).toEqual([1, 2, 42, 4, 5]);
    });
  });

  it("scope disposes what it allocated except what it returns", () => {
    const base = rt.memoryStats().liveTensors;
    const kept = rt.scope(() => {
      rt.tensor([10]);
      const inner = rt.scope(() => {
        rt.tensor([3]);
        return { keep: rt.tensor([4]), list: [rt.tensor([5])] };
      });
      expect(rt.memoryStats().liveTensors).toBe(base + 3);
      return inner.keep;
    });
    expect(rt.memoryStats().liveTensors).toBe(base + 1);
    expect(kept.length).toBe(4);
    kept.dispose();
  });

  it("keep() takes tensors out of every active scope; their owner disposes them", () => {
    const base = rt.memoryStats().liveTensors;
    const owned: { state: ReturnType<typeof rt.tensor>[] } = { state: [] };
    rt.scope(() => {
      rt.scope(() => {
        owned.state.push(rt.keep(rt.tensor([3])));
        rt.keep({ nested: [rt.tensor([2])] }).nested[0]!.dispose();
        rt.tensor([5]); // not kept: freed with the scope
      });
    });
    expect(rt.memoryStats().liveTensors).toBe(base + 1);
    expect(owned.state[0]!.toArray()).toEqual([0, 0, 0]);
    owned.state[0]!.dispose();
  });

  it("scope disposes everything when its function throws", () => {
    const base = rt.memoryStats().liveTensors;
    expect(() =>
      rt.scope(() => {
        rt.tensor([8]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(rt.memoryStats().liveTensors).toBe(base);
  });

  it("throws DisposedError on use after dispose and on double dispose", () => {
    const t = rt.tensor([3]);
    t.dispose();
    expect(() => t.data).toThrow(DisposedError);
    expect(() => t.set([1, 2, 3])).toThrow(DisposedError);
    expect(() => t.dispose()).toThrow(DisposedError);
  });

  it("disposes a param together with its gradient", () => {
    const base = rt.memoryStats();
    const p = rt.param([7], { values: [1, 2, 3, 4, 5, 6, 7] });
    expect(rt.memoryStats().liveTensors).toBe(base.liveTensors + 2);
    expect(p.grad.length).toBe(7);
    p.dispose();
    expect(p.grad.disposed).toBe(true);
    expect(rt.memoryStats()).toMatchObject({ liveTensors: base.liveTensors, liveBytes: base.liveBytes });
  });

  it("rejects bad shapes, dtypes and value counts with typed errors, allocating nothing", () => {
    const base = rt.memoryStats();
    expect(() => rt.tensor([2, -1])).toThrow(ShapeError);
    expect(() => rt.tensor([1.5])).toThrow(ShapeError);
    expect(() => rt.tensor([2], { dtype: "i8" as "f32" })).toThrow(ValueError);
    expect(() => rt.fromArray([1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(() => rt.param([3], { values: [1, 2] })).toThrow(ShapeError);
    rt.scope(() => {
      const t = rt.fromArray([1, 2, 3]);
      expect(() => t.set([1, 2])).toThrow(ShapeError);
      expect(t.toArray()).toEqual([1, 2, 3]);
    });
    expect(rt.memoryStats()).toMatchObject({ liveTensors: base.liveTensors, liveBytes: base.liveBytes });
  });
});

describe("memory limits", () => {
  it("throws OutOfMemoryError past the maximum and stays usable", () => {
    const rt = initSyncWithTwins({ backend: "wasm", maxMemoryBytes: 64 * PAGE_BYTES });
    const held = rt.fromArray([7, 8, 9]);
    expect(() => rt.tensor([16 * 1024 * 1024])).toThrow(OutOfMemoryError);
    expect(rt.memoryStats().liveTensors).toBe(1);
    const after = rt.tensor([1024]);
    expect(after.ptr % 16).toBe(0);
    expect(held.toArray()).toEqual([7, 8, 9]);
  });

  it("rejects invalid init options", () => {
    expect(() => initSyncWithTwins({ backend: "gpu" as "js" })).toThrow(ValueError);
    expect(() => initSyncWithTwins({ maxMemoryBytes: Number.NaN })).toThrow(ValueError);
    expect(() => initSyncWithTwins({ maxMemoryBytes: 2 ** 40 })).toThrow(ValueError);
  });
});
