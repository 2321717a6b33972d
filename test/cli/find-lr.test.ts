import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/cli";

/** Runs the command line, collecting stdout and stderr lines. */
async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

const SMALL = ["--samples", "600", "--hidden", "16", "--batch", "32"];

describe("descend train --find-lr", () => {
  it("prints only the suggestion on stdout and writes the curve", async () => {
    const dir = mkdtempSync(join(tmpdir(), "descend-find-lr-"));
    const { code, out, err } = await cli(["train", "--find-lr", ...SMALL, "--out", dir]);
    expect([code, err]).toEqual([0, []]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^suggested lr [\d.e+-]+ \(steepest descent of the smoothed loss; \d+ steps from 1e-7/);
    const svg = join(dir, "lr-range-glyphs-adam.svg");
    expect(readFileSync(svg, "utf8")).toMatch(/^<svg[\s\S]*suggested/);
  });

  it("--json prints one parseable document with the curve and a suggestion inside the swept range", async () => {
    const dir = mkdtempSync(join(tmpdir(), "descend-find-lr-"));
    const { code, out } = await cli(["train", "--find-lr", "--json", ...SMALL, "--optimizer", "sgd", "--out", dir]);
    expect(code).toBe(0);
    const report = JSON.parse(out.join("\n"));
    expect(report.rule).toBe("steepest");
    expect(report.lrs.length).toBe(report.losses.length);
    expect(report.suggestion).toBeGreaterThanOrEqual(1e-7);
    expect(report.suggestion).toBeLessThanOrEqual(10);
    expect(existsSync(report.svg)).toBe(true);
  });

  it("takes the usage checks of a training run (exit 2, nothing on stdout)", async () => {
    const { code, out, err } = await cli(["train", "--find-lr", "--samples", "100", "--batch", "128"]);
    expect([code, out]).toEqual([2, []]);
    expect(err[0]).toMatch(/batch 128 is larger than the 80 training examples/);
  });
});
