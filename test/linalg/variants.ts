import { afterEach, beforeEach, describe, expect } from "vitest";
import { describeBackends } from "../helpers/backends";
import { initSyncWithTwins } from "../helpers/runtime";
import { selectTarget, supportsVariant } from "../../src/runtime/backend-wasm";
import type { Runtime } from "../../src/runtime/runtime";

/**
 * describeBackends plus the wasm variant 'auto' did not pick: the suite runs on the
 * relaxed-SIMD build (fused multiply-add) and the plain-SIMD build, then on the 'js' twins.
 * The label names the variant, for failure messages.
 */
export function describeVariants(name: string, suite: (rt: Runtime, label: string) => void): void {
  const auto = selectTarget();
  describeBackends(name, (rt, backend) => suite(rt, backend === "wasm" ? `wasm-${auto}` : "js"));
  const other = auto === "relaxed" ? "simd" : "relaxed";
  if (!supportsVariant(other)) return;
  describe(`${name} [wasm-${other}]`, () => {
    const rt = initSyncWithTwins({ wasmVariant: other });
    let before = rt.memoryStats();
    beforeEach(() => {
      before = rt.memoryStats();
    });
    afterEach(() => {
      expect(rt.memoryStats().liveTensors, "leaked tensors").toBe(before.liveTensors);
    });
    suite(rt, `wasm-${other}`);
  });
}
