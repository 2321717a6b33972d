import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SGD } from "../../src/index";
import { main } from "../../src/cli/cli";
import { makeModel, train } from "../../src/demo/train";
import { Linear } from "../../src/nn/linear";
import { glorotUniform } from "../../src/init/initializers";
import { valueAndGrad } from "../../src/autodiff/tape";
import { initSyncWithTwins } from "../helpers/runtime";
import { exactHessianVector, StepProbe } from "../../src/training/step-diagnostics";
import type { Ops } from "../../src/autodiff/ops";
import type { Tensor } from "../../src/runtime/tensor";
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

  it("on a small tanh MLP, the exact g^T H g and the central-difference one agree within 0.1%, and each probe names its method", () => {
    // Smooth, so the differences' step (h |g| ~ 1e-2 here) crosses no kink; across ReLU kinks they can be far off.
    const [first, second] = [new Linear(rt, 12, 9, { init: glorotUniform(), seed: 3 }), new Linear(rt, 9, 4, { init: glorotUniform(), seed: 4 })];
    const params = [...first.parameters(), ...second.parameters()];
    const loss = (ops: Ops, a: Tensor<"f32">, b: Tensor<"i32">) => ops.softmaxCrossEntropy(second.forward(ops, ops.tanh(first.forward(ops, a))), b);
    const x = rt.fromArray(Array.from({ length: 16 * 12 }, (_, i) => Math.sin(1.7 * i)), [16, 12]);
    const y = rt.fromArray(Array.from({ length: 16 }, (_, i) => i % 4), [16], { dtype: "i32" });
    const step = valueAndGrad(rt, loss);
    const lossAndGrad = () => {
      for (const p of params) p.zeroGrad();
      return step(x, y);
    };
    const exact = exactHessianVector(rt, loss, params, x, y);
    if (!exact.hessianVector) throw new Error(exact.reason);
    const probes = [new StepProbe(rt, params, [], exact.hessianVector), new StepProbe(rt, params)];
    expect(probes.map((p) => p.method)).toEqual(["exact", "central-differences"]);
    const value = lossAndGrad();
    const before = params.map((p) => [Array.from(p.data), Array.from(p.grad.data)]);
    const [byProduct, byDifferences] = probes.map((probe) => probe.measure(1, value, 0.1, lossAndGrad, () => {}));
    expect(byProduct!.gradNorm).toBe(byDifferences!.gradNorm);
    expect(byProduct!.gHg).toBeGreaterThan(0);
    expect(Math.abs(byProduct!.gHg - byDifferences!.gHg)).toBeLessThan(1e-3 * byProduct!.gHg);
    // Parameters and gradients as they were (no step was taken; the observed loss is the same minibatch's again).
    expect(params.map((p) => [Array.from(p.data), Array.from(p.grad.data)])).toEqual(before);
    for (const owner of [...probes, exact, step, first, second, x, y]) owner.dispose();
  });

  it("exactHessianVector names the op without an R-operator rule and changes nothing (a model with BatchNorm)", () => {
    const model = makeModel(rt, 6, 4, 3, 5, "batch");
    const x = rt.tensor([8, 6]).fill(0.5);
    const y = rt.fromArray([0, 1, 2, 0, 1, 2, 0, 1], [8], { dtype: "i32" });
    const state = () => model.namedBuffers().map(([name, t]) => [name, Array.from(t.data)]);
    const before = state();
    const exact = exactHessianVector(rt, (ops: Ops, a: Tensor<"f32">, b: Tensor<"i32">) => ops.softmaxCrossEntropy(model.forward(ops, a), b), model.parameters(), x, y);
    expect(exact).toEqual({ hessianVector: null, reason: "ops.batchNorm has no exact Hessian-vector rule" });
    expect(state()).toEqual(before);
    for (const owner of [model, x, y]) owner.dispose();
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

    it(`without a norm, g^T H g is exact and the training is still bit for bit the run without the flag [${backend}]`, () => {
      const rt = initSyncWithTwins({ backend });
      const options = { ...SMALL, norm: "none" } as const;
      const plain = train(rt, options);
      const probed = train(rt, { ...options, diagnostics: true });
      expect(probed.curvature).toEqual({ method: "exact", reason: "every op of the model has an exact Hessian-vector rule" });
      expect(probed.losses).toEqual(plain.losses);
      expect(probed.testAccuracy).toBe(plain.testAccuracy);
      const rows = probed.diagnostics!;
      const close = rows.filter((r) => Math.abs(r.predicted - r.observed) <= 0.25 * Math.abs(r.observed)).length;
      expect(close / rows.length).toBeGreaterThan(0.8);
      expect(train(rt, { ...SMALL, epochs: 1, diagnostics: true }).curvature).toEqual({
        method: "central-differences", reason: "ops.batchNorm has no exact Hessian-vector rule",
      });
      expect(rt.memoryStats().liveTensors).toBe(0);
    });
  }

  it("descend train --diagnostics writes the CSV, the JSON and the two SVGs, names them, and says how g^T H g was measured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "descend-diagnostics-"));
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["train", "--samples", "300", "--hidden", "8", "--batch", "32", "--epochs", "1", "--optimizer", "sgd", "--lr", "0.05", "--diagnostics", "--out", dir], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(0);
    expect(out.at(-2)).toMatch(/^diagnostics: \|\|g\|\| [\d.e+-]+ -> [\d.e+-]+ while the loss went/);
    expect(out.join("\n")).not.toContain("g^T H g by");
    expect(err).toEqual(["diagnostics: g^T H g by central differences of gradients (ops.batchNorm has no exact Hessian-vector rule)"]);
    const csv = readFileSync(join(dir, "diagnostics-glyphs-sgd.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("# gHg: central-differences (ops.batchNorm has no exact Hessian-vector rule)");
    expect(csv[1]).toBe("step,loss,lr,gradNorm,gHg,predicted,observed");
    expect(csv).toHaveLength(2 + 7); // 240 training examples / 32 = 7 steps
    const file = JSON.parse(readFileSync(join(dir, "diagnostics-glyphs-sgd.json"), "utf8"));
    expect(file.curvature.method).toBe("central-differences");
    expect(file.rows).toHaveLength(7);
    const exact: string[] = [];
    await main(["train", "--samples", "300", "--hidden", "8", "--batch", "32", "--epochs", "1", "--norm", "none", "--diagnostics", "--out", dir], { out: () => {}, err: (l) => exact.push(l) });
    expect(exact).toEqual(["diagnostics: g^T H g by exact Hessian-vector products through the tape (R-operator) (every op of the model has an exact Hessian-vector rule)"]);
    expect(readFileSync(join(dir, "diagnostics-glyphs-adam.csv"), "utf8")).toMatch(/^# gHg: exact \(every op/);
    expect(JSON.parse(readFileSync(join(dir, "diagnostics-glyphs-adam.json"), "utf8")).curvature.method).toBe("exact");
    expect(readFileSync(join(dir, "diagnostics-glyphs-sgd.svg"), "utf8")).toContain("gradient norm");
    expect(existsSync(join(dir, "prediction-glyphs-sgd.svg"))).toBe(true);
    const json: string[] = [];
    await main(["train", "--samples", "300", "--hidden", "8", "--batch", "32", "--epochs", "1", "--diagnostics", "--json", "--out", dir], { out: (l) => json.push(l), err: () => {} });
    const report = JSON.parse(json.join("\n"));
    expect(report.diagnostics).toHaveLength(7);
    expect(report.curvature.method).toBe("central-differences");
    expect(report.diagnosticsFiles.csv).toBe(join(dir, "diagnostics-glyphs-adam.csv"));
  });
});
