import { expect, it } from "vitest";
import { batchSizeChart, batchSizeExperiment, logLogSlope } from "../../examples/batch-size";
import { describeBackends } from "../helpers/backends";

it("logLogSlope recovers the exponent of a power law", () => {
  const xs = [1, 2, 4, 8, 16];
  expect(logLogSlope(xs, xs.map((x) => 3 * x ** -0.5))).toBeCloseTo(-0.5, 12);
});

// The example at CI size: 600 glyphs, 16 hidden units, 30 draws per size.
describeBackends("examples/batch-size.ts", (rt) => {
  it("the minibatch gradient's standard error falls as sigma / sqrt(n): slope -1/2 on log-log within 0.08", () => {
    const report = batchSizeExperiment(rt, { sizes: [2, 4, 8, 16, 32, 64, 128], draws: 30, samples: 600, hidden: 16, seed: 2 });
    expect(report.standardErrors.every((se, i) => i === 0 || se < report.standardErrors[i - 1]!)).toBe(true);
    expect(Math.abs(report.slope + 0.5)).toBeLessThan(0.08);
    expect(batchSizeChart(report)).toContain("fitted slope");
  });
});
