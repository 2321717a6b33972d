// minimize() without a runtime uses a hidden shared one; a run that grows it past 64 MiB lets
// it go, so its memory can be reclaimed (it used to keep its peak, ~480 MB after n = 2e6).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { minimize, type FG } from "../../src/minimize/index";
import { sharedMinimizeRuntime } from "../../src/minimize/minimize";
import type { Runtime } from "../../src/runtime/runtime";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const bowl: FG = (x, g) => {
  let f = 0;
  for (let i = 0; i < x.length; i++) {
    g[i] = x[i]! - 1;
    f += 0.5 * (x[i]! - 1) ** 2;
  }
  return f;
};

it("a small run keeps the shared runtime for the next call", () => {
  minimize(bowl, [0, 0]);
  const rt = sharedMinimizeRuntime();
  expect(rt).not.toBeNull();
  minimize(bowl, [0, 0, 0]);
  expect(sharedMinimizeRuntime()).toBe(rt);
});

it("a run that grew the shared runtime past 64 MiB releases it, and the garbage collector reclaims its memory", async () => {
  let used: WeakRef<Runtime> | null = null;
  const fg: FG = (x, g) => {
    used ??= new WeakRef(sharedMinimizeRuntime()!);
    return bowl(x, g);
  };
  // L-BFGS keeps (5 + 2 m) n f64: 80 MB for n = 4e5.
  const r = minimize(fg, new Float64Array(4e5), { maxIter: 2 });
  expect(r.nit).toBeGreaterThan(0);
  expect(used!.deref()!.memoryStats().capacityBytes).toBeGreaterThan(64 * 2 ** 20);
  expect(sharedMinimizeRuntime()).toBeNull();
  await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRef targets are kept to the end of the job
  gc();
  expect(used!.deref(), "the released runtime was collected").toBeUndefined();
  // The next call starts a fresh, small runtime.
  minimize(bowl, [0, 0]);
  expect(sharedMinimizeRuntime()!.memoryStats().capacityBytes).toBeLessThan(2 ** 20);
});
