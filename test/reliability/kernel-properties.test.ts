import { describe, expect, it } from "vitest";
import { initSyncWithTwins } from "../helpers/runtime";
import { supportsVariant } from "../../src/runtime/backend-wasm";
import { kernelNames } from "../../src/runtime/kernels";
import { checkKernelProperty, type KernelProperty } from "./kernels/harness";
import { AUTODIFF } from "./kernels/autodiff";
import { AVERAGING } from "./kernels/averaging";
import { CONTINUATION } from "./kernels/continuation";
import { DATA } from "./kernels/data";
import { INIT } from "./kernels/init";
import { LBFGSB } from "./kernels/lbfgsb";
import { LINALG } from "./kernels/linalg";
import { MINIMIZE } from "./kernels/minimize";
import { NN } from "./kernels/nn";
import { NORM } from "./kernels/norm";
import { OPTIM } from "./kernels/optim";
import { RANDOM } from "./kernels/random";
import { SYMEIG } from "./kernels/symeig";

/**
 * Every kernel, wasm against its reference twin, on random shapes and values: odd lengths,
 * -0, subnormals, magnitudes from the smallest subnormal to 1e30, unaligned addresses, and
 * guard bytes around every buffer. Each wasm build this engine runs (relaxed SIMD, which may
 * fuse multiply-adds, and plain SIMD) is checked. The specs live in ./kernels/<area>.ts.
 */
const AREAS: Record<string, KernelProperty<any>[]> = {
  autodiff: AUTODIFF,
  averaging: AVERAGING,
  continuation: CONTINUATION,
  data: DATA,
  init: INIT,
  linalg: [...LINALG, ...SYMEIG],
  minimize: [...MINIMIZE, ...LBFGSB],
  nn: NN,
  norm: NORM,
  optim: OPTIM,
  random: RANDOM,
};

const js = initSyncWithTwins({ backend: "js" });
for (const variant of (["relaxed", "simd"] as const).filter(supportsVariant)) {
  const wasm = initSyncWithTwins({ wasmVariant: variant });
  for (const [area, properties] of Object.entries(AREAS)) {
    describe(`${area} kernels: wasm-${variant} = reference on random inputs`, () => {
      for (const property of properties) checkKernelProperty({ wasm, js }, property);
    });
  }
}

it("every kernel export has a property", () => {
  const covered = new Set(Object.values(AREAS).flatMap((ps) => ps.flatMap((p) => p.kernels)));
  const unknown = [...covered].filter((name) => !(kernelNames as string[]).includes(name));
  expect(unknown, "properties name kernels that do not exist").toEqual([]);
  expect(kernelNames.filter((name) => !covered.has(name)), "kernels without a property").toEqual([]);
});
