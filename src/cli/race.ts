// `descend race`: the book's pictures. Every optimizer from the same start on each test surface,
// written as SVG contour plots with the trajectories, and a table of steps to the tolerance.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeOn } from "./runtime";
import { seededUniform } from "../data/dataset";
import { contourPlot } from "../plot/contour";
import { RACERS, run, type RaceResult } from "../race/race";
import { SURFACES } from "../race/surfaces";
import { UsageError, type FlagSpec, type Parsed } from "./args";
import { command } from "./command";
import { MAX_SEED } from "./train";

export const RACE_FLAGS = {
  steps: { type: "number", default: 3000, min: 1, max: 1e6, integer: true, help: "steps per optimizer" },
  noise: { type: "number", default: 0, min: 0, help: "std. dev. of Gaussian noise added to each gradient component" },
  seed: { type: "number", default: 1, min: 0, max: MAX_SEED, integer: true, help: "seed of the gradient noise" },
  start: { type: "string", default: "surface", value: "x,y", help: "where every optimizer starts, e.g. -1.5,0 (the saddle's stable axis); 'surface': each surface's own start" },
  surface: { type: "choice", choices: ["all", ...SURFACES.map((s) => s.name)] as readonly string[], default: "all", help: "which surface" },
  backend: { type: "choice", choices: ["wasm", "js"] as const, default: "wasm", help: "kernel backend" },
  out: { type: "string", default: "descend-race", value: "dir", help: "folder for the SVG plots" },
  json: { type: "boolean", help: "print machine-readable results instead of the table" },
} satisfies FlagSpec;

export interface RaceReport {
  surface: string;
  svg: string;
  start: readonly [number, number];
  results: Array<Omit<RaceResult, "trajectory">>;
}

/** The start point of `--start x,y`: two finite numbers (undefined for 'surface'). */
export function parseStart(raw: string): [number, number] | undefined {
  if (raw === "surface") return undefined;
  const parts = raw.split(",");
  const values = parts.map((part) => (part.trim() === "" ? NaN : Number(part)));
  if (values.length !== 2 || !values.every(Number.isFinite)) throw new UsageError(`--start ${raw}: expected two finite numbers x,y (e.g. -1.5,0) or 'surface'`);
  return [values[0]!, values[1]!];
}

function runRace(flags: Parsed<typeof RACE_FLAGS>, print: (line: string) => void): RaceReport[] {
  const start = parseStart(flags.start);
  const rt = runtimeOn(flags.backend);
  const uniform = seededUniform(flags.seed);
  mkdirSync(flags.out, { recursive: true });
  const reports: RaceReport[] = [];
  for (const surface of SURFACES.filter((s) => flags.surface === "all" || s.name === flags.surface)) {
    const results = RACERS.map((racer) => run(rt, surface, racer, { steps: flags.steps, noise: flags.noise, uniform, start }));
    const svg = join(flags.out, `${surface.name}.svg`);
    const trajectories = results.map((r) => ({ name: r.name, points: r.trajectory }));
    writeFileSync(svg, contourPlot({ title: surface.title, f: surface.f, x: surface.view.x, y: surface.view.y, trajectories, target: surface.minimum }));
    reports.push({ surface: surface.name, svg, start: start ?? surface.start, results: results.map(({ trajectory: _, ...rest }) => rest) });
  }
  if (flags.json) print(JSON.stringify(reports, null, 2));
  else {
    for (const report of reports) {
      const surface = SURFACES.find((s) => s.name === report.surface)!;
      const goal = surface.fStar === undefined ? `f <= -${surface.tolerance} (escape)` : `f - f* <= ${surface.tolerance}`;
      print(`\n${surface.title}: steps to ${goal} (of ${flags.steps}) from (${report.start.join(", ")}), plot ${report.svg}`);
      for (const r of report.results) {
        const final = Number.isFinite(r.final) ? r.final.toExponential(3) : "diverged";
        print(`  ${r.name.padEnd(10)} ${String(r.steps ?? "-").padStart(7)}   final f = ${final}`);
      }
    }
  }
  return reports;
}

export const RACE = command({
  name: "race",
  summary: "race every optimizer on 2-D test surfaces; SVG contour plots and steps to tolerance",
  description:
    `Races ${RACERS.map((r) => r.name).join(", ")} from one start on ${SURFACES.map((s) => s.name).join(", ")}; ` +
    "writes an SVG contour plot per surface with every trajectory to --out and prints the steps each needed to reach the tolerance.",
  flags: RACE_FLAGS,
  run: runRace,
});
