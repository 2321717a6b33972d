import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("generated microkernels", () => {
  it("assembly/linalg/gemm_ukernel.ts is what scripts/gen-gemm-ukernel.mjs generates", () => {
    // --check exits 1 (execFileSync throws) when the committed file is stale.
    expect(() => execFileSync(process.execPath, ["scripts/gen-gemm-ukernel.mjs", "--check"], { stdio: "pipe" })).not.toThrow();
  });
});
