import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RACE } from "../../src/cli/race";
import { parseFlags, UsageError } from "../../src/cli/args";
import { RACERS } from "../../src/race/race";
import { SURFACES } from "../../src/race/surfaces";

const race = (argv: string[], print: (line: string) => void = () => {}) => RACE.run(parseFlags(argv, RACE.flags), print);

describe("descend race", () => {
  for (const backend of ["wasm", "js"]) {
    it(`writes one contour SVG per surface with every trajectory [${backend}]`, () => {
      const out = mkdtempSync(join(tmpdir(), "race-"));
      const lines: string[] = [];
      const reports = race(["--out", out, "--steps", "400", "--backend", backend], (l) => lines.push(l));
      expect(reports.map((r) => r.surface)).toEqual(SURFACES.map((s) => s.name));
      for (const report of reports) {
        const svg = readFileSync(report.svg, "utf8");
        expect(svg.startsWith("<svg")).toBe(true);
        for (const racer of RACERS) expect(svg).toContain(`>${racer.name}<`);
        expect(report.results).toHaveLength(RACERS.length);
        // Joined contour paths and simplified trajectories: tens of KB, not hundreds.
        expect(svg.length, report.surface).toBeLessThan(60_000);
        expect(svg).toMatch(/font-style="italic">x<\/text>/);
        expect(svg).toMatch(/font-style="italic">y<\/text>/);
      }
      expect(lines.join("\n")).toMatch(/Ill-conditioned quadratic/);
    });
  }

  it("prints JSON with --json; every optimizer descends the quadratic by over 1000x", () => {
    const out = mkdtempSync(join(tmpdir(), "race-"));
    const lines: string[] = [];
    race(["--out", out, "--surface", "quadratic", "--json"], (l) => lines.push(l));
    const [report] = JSON.parse(lines.join("\n"));
    expect(report.surface).toBe("quadratic");
    const quadratic = SURFACES.find((s) => s.name === "quadratic")!;
    const start = quadratic.f(...quadratic.start); // 31.725
    for (const r of report.results) expect(r.final, r.name).toBeLessThan(start * 1e-3);
  });

  it("is reproducible for a seed with gradient noise", () => {
    const out = mkdtempSync(join(tmpdir(), "race-"));
    const once = () => race(["--out", out, "--surface", "saddle", "--noise", "0.1", "--seed", "3", "--steps", "200"], () => {});
    expect(once()[0]!.results).toEqual(once()[0]!.results);
  });

  it("draws the quadratic at 1:1, with the start and the minimum marked and no yellow", () => {
    const out = mkdtempSync(join(tmpdir(), "race-"));
    const [report] = race(["--out", out, "--surface", "quadratic", "--steps", "50"]);
    const svg = readFileSync(report!.svg, "utf8");
    const area = svg.match(/<rect x="\d+" y="\d+" width="(\d+)" height="(\d+)" fill="#fbfbfb"/)!;
    const { x, y } = SURFACES.find((s) => s.name === "quadratic")!.view;
    expect(Number(area[1]) / Number(area[2])).toBeCloseTo((x[1] - x[0]) / (y[1] - y[0]), 2);
    expect(svg).toContain(">start</text>");
    expect(svg).toContain(">minimum</text>");
    expect(svg).not.toMatch(/#F0E442/i);
    // Every trajectory has its own dash pattern.
    const dashes = [...svg.matchAll(/<g clip-path="url\(#plot\)" stroke="[^"]+"( stroke-dasharray="[^"]+")?/g)].map((m) => m[1] ?? "solid");
    expect(new Set(dashes).size).toBe(RACERS.length);
  });

  it("rejects bad flags with a UsageError", () => {
    expect(() => race(["--surface", "himmelblau"])).toThrow(UsageError);
    expect(() => race(["--steps", "-3"])).toThrow(/--steps -3: expected an integer >= 1/);
  });
});

describe("the race's expected ordering", () => {
  it("momentum and Nesterov beat plain SGD on the ill-conditioned quadratic at the same learning rate", () => {
    const out = mkdtempSync(join(tmpdir(), "race-"));
    const [report] = race(["--out", out, "--surface", "quadratic"], () => {});
    const steps = Object.fromEntries(report!.results.map((r) => [r.name, r.steps ?? Infinity]));
    expect(steps.Momentum).toBeLessThan(steps.SGD!);
    expect(steps.Nesterov).toBeLessThan(steps.SGD!);
  });
});
