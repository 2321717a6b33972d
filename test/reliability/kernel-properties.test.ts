import { describe, expect, it } from "vitest";
import { twinRuntimes } from "../helpers/backends";
import { kernelNames } from "../../src/runtime/kernels";
import { checkKernelProperty, type KernelProperty } from "./kernels/harness";
import { AVERAGING } from "./kernels/averaging";
import { INIT } from "./kernels/init";
import { NN } from "./kernels/nn";
import { NORM } from "./kernels/norm";

/**
 * Every kernel, wasm against its reference twin, on random shapes and values: odd lengths,
 * -0, subnormals, magnitudes from the smallest subnormal to 1e30, unaligned addresses, and
 * guard bytes around every buffer. The specs live in ./kernels/<area>.ts.
 */
const AREAS: Record<string, KernelProperty<any>[]> = {
  averaging: AVERAGING,
  norm: NORM,
  nn: NN,
  init: INIT,
};

const runtimes = twinRuntimes();
for (const [area, properties] of Object.entries(AREAS)) {
  describe(`${area} kernels: wasm = reference on random inputs`, () => {
    for (const property of properties) checkKernelProperty(runtimes, property);
  });
}

it("every kernel export has a property", () => {
  const covered = new Set(Object.values(AREAS).flatMap((ps) => ps.flatMap((p) => p.kernels)));
  const unknown = [...covered].filter((name) => !(kernelNames as string[]).includes(name));
  expect(unknown, "properties name kernels that do not exist").toEqual([]);
  expect(kernelNames.filter((name) => !covered.has(name)), "kernels without a property").toEqual([]);
});
