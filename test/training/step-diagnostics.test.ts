import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SGD } from "../../src/index";
import { main } from "../../src/cli/cli";
import { train } from "../../src/demo/train";
import { initSyncWithTwins } from "../helpers/runtime";
import { StepProbe } from "../../src/training/step-diagnostics";
import { describeBackends } from "../helpers/backends";

describeBackends("StepProbe", (rt) => {
  it("on a quadratic, g^T H g is sum a_i g_i^2 and the second-order prediction is the observed change", () => {
    // f = 1/2 sum a_i w_i^2: H = diag(a), g = a w, and a gradient step changes f by exactly eps^2/2 g'Hg - eps g'g.
    const a = [1, 4, 9];
    const w = rt.param([3], { dtype: "f32", values: [0.5, -0.25, 0.125] });
    const opt = new SGD(rt, [w], { lr: 0.05 });
    const lossAndGrad = () => {
      w.grad.set(a.map((ai, i) => ai * w.data[i]!));
      return a.reduce((s, ai, i) => s + 0.5 * ai * w.data[i]! ** 2, 0);
    };
    const probe = new StepProbe(rt, [w]);
    const loss = lossAndGrad();
    const g = Array.from(w.grad.data);
    const row = probe.measure(1, loss, 0.05, lossAndGrad, () => opt.step());
    expect(row.gradNorm).toBeCloseTo(Math.hypot(...g), 6);
    expect(row.gHg / a.reduce((s, ai, i) => s + ai * g[i]! ** 2, 0)).toBeCloseTo(1, 3);
    expect(row.predicted / row.observed).toBeCloseTo(1, 3);
    probe.dispose();
    opt.dispose();
    w.dispose();
  });
});

const SMALL = { dataset: "glyphs", optimizer: "sgd", lr: 0.05, epochs: 2, batch: 32, hidden: 16, samples: 600, seed: 2 } as const;

describe("training with diagnostics", () => {
  for (const backend of ["wasm", "js"] as const) {
    it(`leaves the training bit for bit as it is without, and the prediction tracks the observed change [${backend}]`, () => {
      const rt = initSyncWithTwins({ backend });
      const plain = train(rt, SMALL);
      const probed = train(rt, { ...SMALL, diagnostics: true });
      expect(probed.losses).toEqual(plain.losses);
      expect(probed.testAccuracy).toBe(plain.testAccuracy);
      const rows = probed.diagnostics!;
      expect(rows.map((r) => r.step)).toEqual(plain.losses.map((_, i) => i + 1));
      expect(rows.map((r) => r.loss)).toEqual(plain.losses);
      // Small steps: the second-order prediction is within 25% of the observed change on most steps.
      const close = rows.filter((r) => Math.abs(r.predicted - r.observed) <= 0.25 * Math.abs(r.observed)).length;
      expect(close / rows.length).toBeGreaterThan(0.8);
      expect(rt.memoryStats().liveTensors).toBe(0);
    });
  }

  it("descend train --diagnostics writes the CSV, the JSON and the two SVGs, and names them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "descend-diagnostics-"));
    const out: string[] = [];
    const code = await main(["train", "--samples", "300", "--hidden", "8", "--batch", "32", "--epochs", "1", "--optimizer", "sgd", "--lr", "0.05", "--diagnostics", "--out", dir], { out: (l) => out.push(l), err: () => {} });
    expect(code).toBe(0);
    expect(out.at(-2)).toMatch(/^diagnostics: \|\|g\|\| [\d.e+-]+ -> [\d.e+-]+ while the loss went/);
    const csv = readFileSync(join(dir, "diagnostics-glyphs-sgd.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("step,loss,lr,gradNorm,gHg,predicted,observed");
    expect(csv).toHaveLength(1 + 7); // 240 training examples / 32 = 7 steps
    expect(JSON.parse(readFileSync(join(dir, "diagnostics-glyphs-sgd.json"), "utf8"))).toHaveLength(7);
    expect(readFileSync(join(dir, "diagnostics-glyphs-sgd.svg"), "utf8")).toContain("gradient norm");
    expect(existsSync(join(dir, "prediction-glyphs-sgd.svg"))).toBe(true);
    const json: string[] = [];
    await main(["train", "--samples", "300", "--hidden", "8", "--batch", "32", "--epochs", "1", "--diagnostics", "--json", "--out", dir], { out: (l) => json.push(l), err: () => {} });
    const report = JSON.parse(json.join("\n"));
    expect(report.diagnostics).toHaveLength(7);
    expect(report.diagnosticsFiles.csv).toBe(join(dir, "diagnostics-glyphs-adam.csv"));
  });
});
