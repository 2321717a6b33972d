import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/cli";
import { seededUniform } from "../../src/data/dataset";
import { RACERS, run } from "../../src/race/race";
import { SURFACES } from "../../src/race/surfaces";
import { describeBackends } from "../helpers/backends";

const saddle = SURFACES.find((s) => s.name === "saddle")!;
const sgd = RACERS.find((r) => r.name === "SGD")!;

describeBackends("the saddle x^2 - y^2 from its stable axis", (rt) => {
  it("SGD started on y = 0 stays on it and converges to the saddle point, never escaping", () => {
    const r = run(rt, saddle, sgd, { steps: 3000, noise: 0, uniform: seededUniform(1), start: [-1.5, 0] });
    expect(r.trajectory[0]).toEqual([-1.5, 0]);
    expect(r.trajectory.every(([, y]) => y === 0)).toBe(true);
    expect(r.steps).toBeNull();
    expect(Math.abs(r.trajectory.at(-1)![0])).toBeLessThan(1e-20);
  });

  it("gradient noise pushes it off the axis and it escapes (f <= -1)", () => {
    const r = run(rt, saddle, sgd, { steps: 3000, noise: 0.01, uniform: seededUniform(1), start: [-1.5, 0] });
    expect(r.steps).not.toBeNull();
    expect(r.final).toBeLessThanOrEqual(-1);
  });
});

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

describe("descend race --start", () => {
  it("starts every optimizer there and reports it (--json parses)", async () => {
    const { code, out } = await cli(["race", "--surface", "saddle", "--start", "-1.5,0", "--steps", "200", "--json", "--out", "/tmp/descend-race-start"]);
    expect(code).toBe(0);
    const [report] = JSON.parse(out.join("\n"));
    expect(report.start).toEqual([-1.5, 0]);
    expect(report.results.every((r: { steps: number | null }) => r.steps === null)).toBe(true);
  });

  for (const bad of ["1", "1,2,3", "a,b", "1,", "Infinity,0"]) {
    it(`--start ${bad} is a usage error (exit 2, nothing on stdout)`, async () => {
      const { code, out, err } = await cli(["race", "--start", bad]);
      expect([code, out]).toEqual([2, []]);
      expect(err[0]).toMatch(/--start .*: expected two finite numbers x,y/);
    });
  }
});
