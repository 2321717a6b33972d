import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("npm run build:wasm", () => {
  it("skips the compiler when assembly/, asconfig.json and the compiler are unchanged (npm start stays fast)", () => {
    const started = performance.now();
    const out = execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { encoding: "utf8" });
    expect(out).toMatch(/wasm up to date/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
