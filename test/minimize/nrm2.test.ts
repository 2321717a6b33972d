import { expect, it } from "vitest";
import fc from "fast-check";
import { describeBackends } from "../helpers/backends";
import type { Runtime } from "../../src/runtime/runtime";

/** f64_nrm2 of `values` in a fresh f64 tensor of the runtime. */
function nrm2(rt: Runtime, values: number[]): number {
  return rt.scope(() => {
    const x = rt.tensor([values.length], { dtype: "f64" }).set(values);
    return rt.kernels.f64_nrm2(x.ptr, values.length);
  });
}

describeBackends("f64_nrm2 beyond the range of the squares", (rt) => {
  it("gives a finite vector with elements above 1e154 its finite norm", () => {
    expect(nrm2(rt, [-1e200])).toBe(1e200);
    expect(nrm2(rt, [1e308])).toBe(1e308);
    const norm = nrm2(rt, [3e200, 4e200]);
    expect(Math.abs(norm / 5e200 - 1)).toBeLessThan(4e-16);
    // 33 elements: the v128 blocks and the tail of both passes; tiny elements vanish beside 1e300.
    const mixed = Array.from({ length: 33 }, (_, i) => (i % 3 === 0 ? 1e300 : 1e-300));
    expect(Math.abs(nrm2(rt, mixed) / (1e300 * Math.sqrt(11)) - 1)).toBeLessThan(1e-15);
  });

  it("overflows only when the norm itself is beyond the f64 range", () => {
    expect(nrm2(rt, [1.7e308, 1.7e308])).toBe(Infinity);
  });

  it("keeps NaN for a NaN element and Infinity for an infinite one", () => {
    expect(nrm2(rt, [1e200, NaN])).toBeNaN();
    expect(nrm2(rt, [Infinity, NaN, 1])).toBeNaN();
    expect(nrm2(rt, [1e200, -Infinity])).toBe(Infinity);
    expect(nrm2(rt, [1, Infinity])).toBe(Infinity);
  });

  it("leaves the unscaled path's bits unchanged: sqrt of the kernel's own x'x", () => {
    const values = fc.array(fc.double({ min: -1e150, max: 1e150, noNaN: true }), { maxLength: 40 });
    fc.assert(
      fc.property(values, (xs) =>
        rt.scope(() => {
          const x = rt.tensor([xs.length], { dtype: "f64" }).set(xs);
          const k = rt.kernels;
          expect(Object.is(k.f64_nrm2(x.ptr, xs.length), Math.sqrt(k.f64_dot(x.ptr, x.ptr, xs.length)))).toBe(true);
        }),
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
