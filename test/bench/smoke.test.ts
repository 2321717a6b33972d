import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_CASES } from "../../bench/registry";
import { BENCH_FAMILIES } from "../../bench/families";

// The harness as CI runs it: every case in --quick mode (one short sample each), no timing
// assertions; it must finish, write its reports, and fail no case.
describe("benchmark harness smoke run (--quick)", () => {
  it("runs every case and writes JSON, Markdown and SVG reports", () => {
    const out = mkdtempSync(join(tmpdir(), "bench-"));
    const stdout = execFileSync(process.execPath, ["--import", "tsx", "bench/main.ts", "--quick", "--out", out], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 600_000,
    });
    const report = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
    expect(report.quick).toBe(true);
    expect(report.environment.wasm.simd).toBe(true);
    expect(report.results.map((r: { case: { name: string } }) => r.case.name)).toEqual(ALL_CASES.map((c) => c.name));
    for (const r of report.results) {
      expect(r.error, `${r.case.name} failed`).toBeUndefined();
      expect(r.samples[0].contender).toMatch(/^descend-/); // the subject of every ratio comes first
    }
    expect(readFileSync(join(out, "latest.md"), "utf8")).toMatch(/^# Benchmark results/);
    for (const family of BENCH_FAMILIES) expect(existsSync(join(out, `speedup-${family}.svg`)), family).toBe(true);
    // The terminal gets one line per case, not a table per contender.
    expect(stdout.split("\n").length).toBeLessThan(ALL_CASES.length + 3 * BENCH_FAMILIES.length + 10);
  }, 600_000);
});
