import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/cli";
import { planTraining, train } from "../../src/demo/train";
import { initSyncWithTwins } from "../helpers/runtime";
import { ValueError } from "../../src/runtime/errors";

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

// Adam at lr 0.01 on 1000 glyphs overfits within a few epochs: the validation loss turns up.
const OVERFIT = { dataset: "glyphs", optimizer: "adam", lr: 0.01, epochs: 30, batch: 32, hidden: 32, samples: 1000, seed: 1, earlyStop: 2 } as const;

describe("descend train --early-stop", () => {
  it("splits 70/10/20 and refuses a run with no validation examples", () => {
    expect(planTraining({ ...OVERFIT })).toMatchObject({ trainExamples: 700, validationExamples: 100, testExamples: 200 });
    expect(planTraining({ ...OVERFIT, earlyStop: 0 })).toMatchObject({ trainExamples: 800, validationExamples: 0 });
    expect(() => planTraining({ ...OVERFIT, earlyStop: 1.5 })).toThrow(ValueError);
  });

  for (const backend of ["wasm", "js"] as const) {
    it(`stops once the validation loss has not fallen for N epochs and ends at the best epoch's model [${backend}]`, () => {
      const rt = initSyncWithTwins({ backend });
      const result = train(rt, OVERFIT);
      const e = result.earlyStop!;
      expect(e.stoppedAt).toBe(e.bestEpoch + 2);
      expect(result.epochs).toHaveLength(e.stoppedAt!);
      const losses = result.epochs.map((r) => r.validationLoss!);
      expect(e.bestValidationLoss).toBe(Math.min(...losses));
      expect(losses.indexOf(e.bestValidationLoss) + 1).toBe(e.bestEpoch);
      // Measured again after the restore (parameters, optimizer state and BatchNorm statistics): the best epoch's accuracy.
      expect(result.testAccuracy).toBe(result.epochs[e.bestEpoch - 1]!.testAccuracy);
      expect(rt.memoryStats().liveTensors).toBe(0);
    });
  }

  it("reports the stop in the text, the JSON and the loss SVG", async () => {
    const dir = mkdtempSync(join(tmpdir(), "descend-early-stop-"));
    const flags = ["train", "--samples", "1000", "--hidden", "32", "--batch", "32", "--epochs", "30", "--lr", "0.01", "--early-stop", "2", "--out", dir];
    const text = await cli(flags);
    expect(text.code).toBe(0);
    expect(text.out.some((l) => /^epoch +1\/30 .* val loss \d\.\d{4} val acc/.test(l))).toBe(true);
    expect(text.out.at(-2)).toMatch(/^early stopping: best validation loss \d\.\d{4} at epoch (\d+); stopped after epoch \d+ \(2 epochs without improvement\); the model is epoch \1's$/);
    const svg = readFileSync(join(dir, "loss-glyphs-adam.svg"), "utf8");
    expect(svg).toContain("validation loss");
    expect(svg).toMatch(/best epoch \d+, stopped at \d+/);
    const json = await cli([...flags, "--json"]);
    const report = JSON.parse(json.out.join("\n"));
    expect(report.options["early-stop"]).toBe(2);
    expect(report.earlyStop).toMatchObject({ patience: 2, stoppedAt: report.earlyStop.bestEpoch + 2 });
  });

  it("a negative patience is a usage error (exit 2, nothing on stdout)", async () => {
    const { code, out, err } = await cli(["train", "--early-stop", "-1"]);
    expect([code, out]).toEqual([2, []]);
    expect(err[0]).toMatch(/--early-stop -1: expected an integer >= 0/);
  });
});
