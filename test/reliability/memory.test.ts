import { describe, expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { initSyncWithTwins } from "../helpers/runtime";
import { DisposedError, OutOfMemoryError } from "../../src/runtime/errors";
import { PAGE_BYTES } from "../../src/runtime/memory";
import { seededRandom } from "../helpers/random";

/** Iterations of the allocate/scope/dispose soak; FULL_FUZZ=1 runs ten times as many. */
const SOAK = process.env.FULL_FUZZ ? 1_000_000 : 100_000;

describeBackends("memory safety", (rt) => {
  it(`${SOAK} iterations of allocate / scope / dispose return to baseline without growing`, () => {
    const before = rt.memoryStats();
    const next = seededRandom(42);
    const held: ReturnType<typeof rt.tensor>[] = [];
    for (let i = 0; i < SOAK; i++) {
      const pick = next();
      if (pick < 0.4) held.push(rt.tensor([1 + Math.floor(next() * 300)]));
      else if (pick < 0.7 && held.length) held.splice(Math.floor(next() * held.length), 1)[0]!.dispose();
      else {
        const kept = rt.scope(() => {
          rt.tensor([1 + Math.floor(next() * 50)], { dtype: "f64" });
          const p = rt.param([3]);
          return next() < 0.5 ? p : null;
        });
        kept?.dispose();
      }
      if (held.length > 64) held.shift()!.dispose();
    }
    for (const t of held) t.dispose();
    const after = rt.memoryStats();
    expect({ liveTensors: after.liveTensors, liveBytes: after.liveBytes }).toEqual({
      liveTensors: before.liveTensors,
      liveBytes: before.liveBytes,
    });
    // At most ~64 small tensors live at once: freed blocks are reused, so the heap stays small.
    expect(after.capacityBytes).toBeLessThan(before.capacityBytes + 4 * 2 ** 20);
  });

  it("catches use after dispose and double dispose of params and their gradients", () => {
    const p = rt.param([4]);
    p.dispose();
    expect(() => p.data).toThrow(DisposedError);
    expect(() => p.grad.data).toThrow(DisposedError);
    expect(() => p.dispose()).toThrow(DisposedError);
    expect(() => p.grad.dispose()).toThrow(DisposedError);
  });
});

describe("growing past 1 GiB and back", () => {
  it("keeps every live tensor correct while the memory grows past 1 GiB, and reuses it after", () => {
    const rt = initSyncWithTwins({ backend: "wasm" });
    const small = rt.fromArray([1, 2, 3, 4, 5, 6, 7]);
    const big: ReturnType<typeof rt.tensor>[] = [];
    // 256 MiB each, marked at both ends, until the heap is past 1 GiB.
    while (rt.memoryStats().capacityBytes <= 2 ** 30) {
      const t = rt.tensor([2 ** 26]);
      t.data[0] = big.length + 1;
      t.data[t.length - 1] = -(big.length + 1);
      big.push(t);
    }
    expect(rt.memoryStats().capacityBytes).toBeGreaterThan(2 ** 30);
    expect(small.toArray()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    big.forEach((t, k) => {
      expect([t.data[0], t.data[t.length - 1]]).toEqual([k + 1, -(k + 1)]);
    });
    const capacity = rt.memoryStats().capacityBytes;
    for (const t of big) t.dispose();
    expect(rt.memoryStats().liveBytes).toBe(small.byteLength + (16 - (small.byteLength % 16)));
    // Back down: the same amount fits again without growing (wasm memory never shrinks).
    const again = rt.tensor([2 ** 26]);
    expect(rt.memoryStats().capacityBytes).toBe(capacity);
    expect(again.data[0]).toBe(0); // reused memory is handed out zeroed
    expect(small.toArray()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("throws OutOfMemoryError past the maximum and the runtime remains usable", () => {
    const rt = initSyncWithTwins({ backend: "js", maxMemoryBytes: 256 * PAGE_BYTES });
    const keep = rt.fromArray([3, 1, 4, 1, 5]);
    expect(() => rt.tensor([8 * 2 ** 20])).toThrow(OutOfMemoryError);
    expect(() => rt.param([8 * 2 ** 20])).toThrow(OutOfMemoryError);
    // The gradient (12 MiB) fits but the parameter beside it does not: nothing may leak.
    expect(() => rt.param([3 * 2 ** 20])).toThrow(OutOfMemoryError);
    expect(rt.memoryStats().liveTensors).toBe(1);
    const fits = rt.tensor([1000]);
    fits.data[999] = 9;
    expect(fits.data[999]).toBe(9);
    expect(keep.toArray()).toEqual([3, 1, 4, 1, 5]);
  });
});
