import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TRAIN } from "../../src/cli/train";
import { helpText } from "../../src/cli/command";
import { parseFlags, UsageError } from "../../src/cli/args";
import { initSyncWithTwins } from "../helpers/runtime";
import { makeModel, OPTIMIZERS, planTraining, SCHEDULES, train } from "../../src/demo/train";
import { GroupNorm } from "../../src/norm/groupnorm";
import { ValueError } from "../../src/runtime/errors";

// Small enough for the plain-TS backend: 64 hidden units, 3000 glyphs (2400 to train on), 4
// epochs of batch 64. It plateaus near 82% (the default run, 8000 examples and 512 units, reaches
// 97.85%); 80% is the stated bar.
const trainCommand = (argv: string[], print: (line: string) => void = () => {}) => TRAIN.run(parseFlags(argv, TRAIN.flags), print);

const SMALL = { dataset: "glyphs", optimizer: "adam", lr: 3e-3, epochs: 4, batch: 64, hidden: 64, samples: 3000, seed: 1 } as const;

describe("training the demo", () => {
  for (const backend of ["wasm", "js"] as const) {
    it(`reaches 80% test accuracy on glyphs with a fixed seed [${backend}]`, () => {
      const rt = initSyncWithTwins({ backend });
      const result = train(rt, SMALL);
      expect(result.epochs).toHaveLength(4);
      expect(result.testAccuracy).toBeGreaterThanOrEqual(0.8);
      expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]! / 4);
      expect(rt.memoryStats().liveTensors).toBe(0);
    });
  }

  it("gives the same losses on both backends to f32 rounding", () => {
    const short = { ...SMALL, epochs: 1, samples: 1000 };
    const wasm = train(initSyncWithTwins({ backend: "wasm" }), short).losses;
    const js = train(initSyncWithTwins({ backend: "js" }), short).losses;
    expect(wasm).toHaveLength(js.length);
    wasm.forEach((loss, i) => expect(Math.abs(loss - js[i]!)).toBeLessThan(1e-3 * Math.max(1, js[i]!)));
  });

  it("is reproducible: the same seed gives the same losses bit for bit", () => {
    const short = { ...SMALL, epochs: 1, samples: 1000 };
    expect(train(initSyncWithTwins(), short).losses).toEqual(train(initSyncWithTwins(), short).losses);
  });
});

describe("every optimizer and schedule of descend train", () => {
  const tiny = { dataset: "glyphs", lr: 1e-2, epochs: 2, batch: 32, hidden: 16, samples: 400, seed: 2 } as const;
  for (const optimizer of OPTIMIZERS) {
    it(`trains with ${optimizer}`, () => {
      const r = train(initSyncWithTwins(), { ...tiny, optimizer });
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(r.epochs[1]!.trainLoss).toBeLessThan(r.epochs[0]!.trainLoss * 1.5);
    });
  }
  it("the schedule drives the learning rate: constant keeps it, cosine ends near 0, step divides it", () => {
    const lrs = (schedule: (typeof SCHEDULES)[number]) =>
      train(initSyncWithTwins(), { ...tiny, optimizer: "sgd", schedule, epochs: 3 }).epochs.map((e) => e.lr);
    expect(lrs("constant")).toEqual([1e-2, 1e-2, 1e-2]);
    expect(lrs("cosine").at(-1)).toBeLessThan(1e-4);
    // 30 steps (320 examples / 32 x 3 epochs), decays of 0.1 at steps 10, 20 and 30: 1e-2 -> 1e-5.
    expect(lrs("step").at(-1)).toBeCloseTo(1e-5, 15);
    for (const schedule of SCHEDULES) expect(lrs(schedule).every((lr) => lr >= 0 && lr <= 1e-2 + 1e-15)).toBe(true);
  });

  it("trains with GroupNorm (--norm group) and rejects a group count that does not divide the hidden units", () => {
    const r = train(initSyncWithTwins(), { ...tiny, optimizer: "adam", norm: "group", groups: 4 });
    expect(r.losses.every(Number.isFinite)).toBe(true);
    expect(r.epochs[1]!.trainLoss).toBeLessThan(r.epochs[0]!.trainLoss);
    expect(() => train(initSyncWithTwins(), { ...tiny, optimizer: "adam", norm: "group", groups: 5 })).toThrow(/norm 'group' needs groups dividing hidden: 5 groups do not divide 16/);
    const model = makeModel(initSyncWithTwins(), 8, 16, 3, 1, "group", 4);
    expect(model.layers.filter((l) => l instanceof GroupNorm).map((l) => (l as GroupNorm).numGroups)).toEqual([4, 4]);
  });

  it("linear decays to lr/100 over the first tau share of the run, then holds it (default tau 0.8)", () => {
    const lrs = (tau?: number) => train(initSyncWithTwins(), { ...tiny, optimizer: "sgd", schedule: "linear", epochs: 3, tau }).epochs.map((e) => e.lr);
    // 30 steps; tau 0.5: the ramp ends at step 15, so epochs 2 and 3 end on the constant 1e-4.
    const half = lrs(0.5);
    expect(half[0]).toBeGreaterThan(1e-4);
    expect(half[1]).toBeCloseTo(1e-4, 15);
    expect(half[2]).toBeCloseTo(1e-4, 15);
    // Default: 24 ramp steps; epoch 2 ends inside the ramp, epoch 3 on the constant phase.
    const byDefault = lrs();
    expect(byDefault[1]).toBeGreaterThan(1e-4 * 1.01);
    expect(byDefault[2]).toBeCloseTo(1e-4, 15);
    expect(() => train(initSyncWithTwins(), { ...tiny, optimizer: "sgd", tau: 0 })).toThrow(/Invalid tau: 0/);
  });
});

describe("descend train (CLI)", () => {
  it("prints per-epoch lines and the final accuracy, and writes the loss curves", () => {
    const out = mkdtempSync(join(tmpdir(), "train-"));
    const lines: string[] = [];
    trainCommand(["--epochs", "2", "--hidden", "32", "--samples", "1000", "--out", out], (l) => lines.push(l));
    expect(lines[0]).toMatch(/^descend train: mlp on glyphs, adam lr 0.001 \(constant\), 2 epochs/);
    expect(lines.filter((l) => /^epoch \d\/2 +loss [\d.]+ +train acc [\d.]+% +test acc [\d.]+% +[\d.]+ ms\/step$/.test(l))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^final test accuracy [\d.]+%, [\d.]+ ms per training step/);
    expect(readFileSync(join(out, "loss-glyphs-adam.svg"), "utf8")).toMatch(/^<svg[\s\S]*train loss[\s\S]*test error/);
  });

  it("prints one JSON object with --json", () => {
    const out = mkdtempSync(join(tmpdir(), "train-"));
    const lines: string[] = [];
    trainCommand(["--dataset", "spirals", "--epochs", "2", "--hidden", "32", "--samples", "600", "--lr", "0.01", "--json", "--out", out], (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    expect(report.options).toMatchObject({ dataset: "spirals", epochs: 2 });
    expect(report.epochs).toHaveLength(2);
    expect(typeof report.testAccuracy).toBe("number");
  });

  it("rejects bad flags with helpful messages", () => {
    expect(() => trainCommand(["--optimizer", "lbfgs"])).toThrow(UsageError);
    expect(() => trainCommand(["--optimizer", "lbfgs"])).toThrow(/expected one of/);
    expect(() => trainCommand(["--epochs", "0"])).toThrow(/--epochs 0: expected an integer >= 1/);
    expect(() => trainCommand(["--batch"])).toThrow(/--batch needs a value/);
    expect(() => trainCommand(["--lr", "-1"])).toThrow(/expected a number >= 0/);
    expect(() => trainCommand(["--tau", "1.5"])).toThrow(/--tau 1.5: expected a number >= 0.001 and <= 1/);
  });

  it("shows --tau, the linear schedule's decay share, in the help", () => {
    expect(helpText(TRAIN)).toMatch(/--tau <number> +--schedule linear: share of the run the decay to lr\/100 takes/);
    expect(helpText(TRAIN)).toMatch(/--norm <name> +normalization before each hidden ReLU [^]*?: batch,\s+layer, group, none/);
    expect(helpText(TRAIN)).toMatch(/--groups <int> +--norm group: groups of the hidden units/);
    expect(() => trainCommand(["--norm", "group", "--groups", "7"])).toThrow(/norm 'group' needs groups dividing hidden/);
  });
});

describe("a training run has at least one step (bug 8: --samples 100 with batch 128 ran 0 steps)", () => {
  const base = { dataset: "glyphs", optimizer: "adam", lr: 1e-3, epochs: 1, batch: 128, hidden: 8, samples: 100, seed: 1 } as const;

  it("plans the run from the options: 80% train, steps per epoch, total steps", () => {
    expect(planTraining({ ...base, batch: 40, epochs: 3 })).toEqual({ trainExamples: 80, validationExamples: 0, testExamples: 20, stepsPerEpoch: 2, steps: 6 });
  });

  const rejected: Array<[string, Partial<Parameters<typeof train>[1]>, RegExp]> = [
    ["a batch larger than the training split", {}, /batch 128 is larger than the 80 training examples of samples 100/],
    ["the same with a cosine schedule (crashed in the schedule)", { schedule: "cosine" }, /batch 128 is larger/],
    ["batch norm over one example", { batch: 1 }, /norm 'batch' needs batch >= 2/],
    ["a schedule that needs more steps than the run has", { batch: 80, schedule: "warmup-cosine" }, /schedule 'warmup-cosine' over 1 steps/],
    ["no test examples", { samples: 2, batch: 1, norm: "none" }, /samples 2 leave no test examples/],
    ["an optimizer named after a prototype property", { optimizer: "constructor" as never }, /Invalid optimizer: constructor/],
    ["a schedule named after a prototype property", { schedule: "toString" as never }, /Invalid schedule: toString/],
  ];
  for (const [what, options, message] of rejected) {
    it(`rejects ${what} with a ValueError before any work`, () => {
      const rt = initSyncWithTwins();
      expect(() => train(rt, { ...base, ...options })).toThrow(ValueError);
      expect(() => train(rt, { ...base, ...options })).toThrow(message);
      expect(rt.memoryStats().liveTensors).toBe(0);
    });
  }

  it("the smallest run that fits reports finite loss and time per step", () => {
    const r = train(initSyncWithTwins(), { ...base, batch: 80, schedule: "cosine" });
    expect(r.steps).toBe(1);
    expect([r.msPerStep, r.epochs[0]!.trainLoss, r.epochs[0]!.msPerStep].every(Number.isFinite)).toBe(true);
  });
});
