import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TRAIN } from "../../src/cli/train";
import { parseFlags, UsageError } from "../../src/cli/args";
import { initSyncWithTwins } from "../helpers/runtime";
import { train, type TrainOptions } from "../../src/demo/train";
import { StateError, ValueError } from "../../src/runtime/errors";
import { decodeSafetensors } from "../../src/io/safetensors";

const dir = mkdtempSync(join(tmpdir(), "descend-train-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY: TrainOptions = { dataset: "glyphs", optimizer: "adam", schedule: "cosine", lr: 1e-2, epochs: 4, batch: 32, hidden: 16, samples: 400, seed: 3 };

/** Trains TINY (or a variant), keeping every checkpoint; stops by throwing after `stopAfter` epochs. */
function run(backend: "wasm" | "js", options: Partial<TrainOptions> = {}, resume?: Uint8Array, stopAfter = Infinity) {
  const saved: Uint8Array[] = [];
  let losses: number[] = [];
  try {
    losses = train(
      initSyncWithTwins({ backend }),
      { ...TINY, ...options },
      undefined,
      (report) => {
        if (report.epoch >= stopAfter) throw new Error("interrupted");
      },
      { resume, save: (bytes) => saved.push(bytes) },
    ).losses;
  } catch (error) {
    if ((error as Error).message !== "interrupted") throw error;
  }
  return { saved, losses };
}

/**
 * The checkpoint with `keys` gone from the run's recorded options: as the first checkpoints,
 * which did not record tau, groups and earlyStop, were written (or with more taken away).
 */
function withoutRunOptions(bytes: Uint8Array, keys: readonly string[]): Uint8Array {
  const file = Buffer.from(bytes);
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString());
  const run = JSON.parse(header.__metadata__["descend.train"]);
  for (const key of keys) delete run.options[key];
  header.__metadata__["descend.train"] = JSON.stringify(run);
  const json = JSON.stringify(header);
  const padded = Buffer.from(json.padEnd(Math.ceil(json.length / 8) * 8, " "));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  return new Uint8Array(Buffer.concat([prefix, padded, file.subarray(8 + length)]));
}

const RECORDED_LATER = ["tau", "groups", "earlyStop"];

describe("descend train checkpoints", () => {
  for (const backend of ["wasm", "js"] as const) {
    it(`an interrupted run resumed from its checkpoint equals the uninterrupted run bit for bit [${backend}]`, () => {
      const whole = run(backend);
      const first = run(backend, {}, undefined, 2);
      expect(first.saved).toHaveLength(2);
      const rest = run(backend, {}, first.saved[1]);
      expect(rest.losses).toEqual(whole.losses.slice(whole.losses.length / 2));
      // Model, optimizer (moments and steps), schedule and shuffling position: the same bytes.
      expect(Buffer.from(rest.saved.at(-1)!).equals(Buffer.from(whole.saved.at(-1)!))).toBe(true);
      const names = Object.keys(decodeSafetensors(whole.saved[0]!).tensors);
      expect(names).toContain("1.running_mean");
      expect(names).toContain("optimizer.state.0.weight.exp_avg_sq");
    });
  }

  it("--early-stop: a run resumed from any epoch's checkpoint stops at the same epoch, at the same best model, as the uninterrupted run", () => {
    // Adam at lr 0.01 overfits these 1000 glyphs within a few epochs: the validation loss turns up.
    const overfit: Partial<TrainOptions> = { schedule: "constant", lr: 0.01, epochs: 30, hidden: 32, samples: 1000, seed: 1, earlyStop: 2 };
    const stopped = (resume?: Uint8Array) => {
      const saved: Uint8Array[] = [];
      const result = train(initSyncWithTwins(), { ...TINY, ...overfit }, undefined, undefined, { resume, save: (bytes) => saved.push(bytes) });
      return { result, saved };
    };
    const whole = stopped();
    const e = whole.result.earlyStop!;
    expect(e.stoppedAt).toBe(e.bestEpoch + 2);
    // Resumed after the best epoch (one epoch of patience used) and before it: the counter, the best loss and snapshot travel.
    for (const from of [e.bestEpoch + 1, e.bestEpoch - 1]) {
      const rest = stopped(whole.saved[from - 1]);
      expect(rest.result.earlyStop, `from epoch ${from}`).toEqual(e);
      expect(rest.result.testAccuracy).toBe(whole.result.testAccuracy);
      expect(rest.result.losses).toEqual(whole.result.losses.slice((whole.result.losses.length / e.stoppedAt!) * from));
      expect(Buffer.from(rest.saved.at(-1)!).equals(Buffer.from(whole.saved.at(-1)!))).toBe(true);
    }
    // The checkpoint of the stopping epoch holds the best epoch's model; there is nothing left to train.
    expect(() => stopped(whole.saved.at(-1))).toThrow(new ValueError(`the saved run stopped early after epoch ${e.stoppedAt} (its model is the best epoch's): there is nothing left to train`));
    // Early stopping holds out validation examples: a run without it would train on other data.
    expect(() => train(initSyncWithTwins(), { ...TINY, ...overfit, earlyStop: 0 }, undefined, undefined, { resume: whole.saved[0] })).toThrow(/saved by a run with earlyStop 2/);
  });

  it("refuses to resume a run of other options, or a file that is not a checkpoint, before training", () => {
    const { saved } = run("wasm", { epochs: 1 , schedule: "constant" });
    expect(() => run("wasm", { epochs: 2, schedule: "constant", lr: 0.1 }, saved[0])).toThrow(new ValueError("the checkpoint was saved by a run with lr 0.01: resume with the same options"));
    expect(() => run("wasm", { epochs: 2 }, saved[0])).toThrow(/saved by a run with schedule constant/);
    expect(() => run("wasm", { epochs: 1, schedule: "constant" }, saved[0])).toThrow(/at epoch 1: epochs must be larger/);
    expect(() => run("wasm", { epochs: 2, schedule: "constant" }, new Uint8Array(16))).toThrow(StateError);
  });

  it("a checkpoint from before tau, groups and earlyStop were recorded still resumes bit for bit", () => {
    const options = { norm: "group", groups: 4 } as const;
    const whole = run("wasm", options);
    const first = run("wasm", options, undefined, 2);
    const old = withoutRunOptions(first.saved[1]!, RECORDED_LATER);
    const rest = run("wasm", options, old);
    expect(rest.losses).toEqual(whole.losses.slice(whole.losses.length / 2));
    expect(Buffer.from(rest.saved.at(-1)!).equals(Buffer.from(whole.saved.at(-1)!))).toBe(true);
    // Only those are filled in: a checkpoint without an option recorded from the start is refused.
    expect(() => run("wasm", options, withoutRunOptions(first.saved[1]!, ["lr"]))).toThrow(/saved by a run with lr undefined/);
  });

  it("refuses to resume with another --groups, --tau or --early-stop (each where it applies)", () => {
    const grouped = run("wasm", { epochs: 1, schedule: "constant", norm: "group", groups: 4 }).saved[0];
    expect(() => run("wasm", { epochs: 2, schedule: "constant", norm: "group", groups: 8 }, grouped)).toThrow(/saved by a run with groups 4:/);
    const linear = run("wasm", { epochs: 1, schedule: "linear", tau: 0.5 }).saved[0];
    expect(() => run("wasm", { epochs: 1, schedule: "linear", tau: 0.8 }, linear)).toThrow(/saved by a run with tau 0.5:/);
    const plain = run("wasm", { epochs: 1, schedule: "constant" }).saved[0];
    expect(() => run("wasm", { epochs: 2, schedule: "constant", earlyStop: 2 }, plain)).toThrow(/saved by a run with earlyStop 0:/);
    // tau and groups do not apply to this run: they may differ.
    expect(() => run("wasm", { epochs: 2, schedule: "constant", tau: 0.3, groups: 8 }, plain)).not.toThrow();
  });

  it("--save then --resume with more --epochs continues a constant-schedule run exactly", () => {
    const flags = ["--dataset", "spirals", "--samples", "300", "--hidden", "16", "--batch", "30", "--lr", "0.01", "--out", dir, "--json"];
    const cli = (...argv: string[]) => {
      const lines: string[] = [];
      TRAIN.run(parseFlags([...flags, ...argv], TRAIN.flags), (line) => lines.push(line));
      return JSON.parse(lines.at(-1)!) as { losses: number[]; testAccuracy: number };
    };
    const [a, b, c] = ["a", "b", "c"].map((name) => join(dir, `${name}.safetensors`));
    const whole = cli("--epochs", "3", "--save", c!);
    const first = cli("--epochs", "1", "--save", a!);
    const rest = cli("--epochs", "3", "--resume", a!, "--save", b!);
    expect([...first.losses, ...rest.losses]).toEqual(whole.losses);
    expect(rest.testAccuracy).toBe(whole.testAccuracy);
    expect(readFileSync(b!).equals(readFileSync(c!))).toBe(true);
    expect(() => cli("--epochs", "3", "--resume", join(dir, "missing.safetensors"))).toThrow(UsageError);
    expect(() => cli("--epochs", "3", "--resume", a!, "--seed", "2")).toThrow(new UsageError(`--resume ${a}: the checkpoint was saved by a run with seed 1: resume with the same options`));
  });
});
