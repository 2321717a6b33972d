import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RACE } from "../../src/cli/race";
import { parseFlags, UsageError } from "../../src/cli/args";
import { RACERS } from "../../src/race/race";
import { SURFACES } from "../../src/race/surfaces";
import { marchingSquares, quantileLevels } from "../../src/plot/contour";

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

  it("rejects bad flags with a UsageError", () => {
    expect(() => race(["--surface", "himmelblau"])).toThrow(UsageError);
    expect(() => race(["--steps", "-3"])).toThrow(/--steps -3: expected an integer >= 1/);
  });
});

describe("contours", () => {
  it("marching squares puts the circle x^2 + y^2 = 1 at radius 1", () => {
    const n = 41; // grid over [-2, 2]^2, spacing 0.1
    const values = new Float64Array(n * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) values[j * n + i] = (-2 + 0.1 * i) ** 2 + (-2 + 0.1 * j) ** 2;
    const segments = marchingSquares(values, n, n, 1);
    expect(segments.length).toBeGreaterThan(40);
    for (const [i0, j0] of segments) {
      const r = Math.hypot(-2 + 0.1 * i0!, -2 + 0.1 * j0!);
      expect(Math.abs(r - 1)).toBeLessThan(0.02); // linear interpolation error on a 0.1 grid
    }
  });

  it("takes levels at quantiles, skipping non-finite values", () => {
    const levels = quantileLevels(Float64Array.from([5, 1, NaN, 3, 2, 4, Infinity]), 3);
    expect(levels).toEqual([2, 3, 4]);
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
