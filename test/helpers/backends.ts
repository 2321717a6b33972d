import { afterEach, beforeEach, describe, expect } from "vitest";
import { initSyncWithTwins } from "./runtime";
import type { Backend, Runtime } from "../../src/runtime/runtime";

/** Every backend the suites run against. */
export const BACKENDS: readonly Backend[] = ["wasm", "js"];

/**
 * Repeats a suite once per backend. Each test gets the backend's runtime and must leave
 * memory as it found it: live tensors and bytes are compared before and after each test.
 */
export function describeBackends(name: string, suite: (rt: Runtime, backend: Backend) => void): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      const rt = initSyncWithTwins({ backend });
      let before = rt.memoryStats();
      beforeEach(() => {
        before = rt.memoryStats();
      });
      afterEach(() => {
        const after = rt.memoryStats();
        expect({ liveTensors: after.liveTensors, liveBytes: after.liveBytes }, "leaked tensors").toEqual({
          liveTensors: before.liveTensors,
          liveBytes: before.liveBytes,
        });
      });
      suite(rt, backend);
    });
  }
}

/** One runtime per backend, for twin tests that run the same input through both. */
export function twinRuntimes(): { wasm: Runtime; js: Runtime } {
  return { wasm: initSyncWithTwins({ backend: "wasm" }), js: initSyncWithTwins({ backend: "js" }) };
}
