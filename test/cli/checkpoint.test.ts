import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TRAIN } from "../../src/cli/train";
import { parseFlags, UsageError } from "../../src/cli/args";
import { initSyncWithTwins } from "../helpers/runtime";
import type { InitOptions } from "../../src/runtime/create";
import { train, type TrainOptions } from "../../src/demo/train";
import { StateError, ValueError } from "../../src/runtime/errors";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors";
import { main } from "../../src/cli/cli";

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

/** The checkpoint with its tensors changed by `edit` (metadata kept). */
function withTensors(bytes: Uint8Array, edit: (tensors: ReturnType<typeof decodeSafetensors>["tensors"]) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  edit(tensors);
  return encodeSafetensors(tensors, metadata);
}

/** The safetensors header's length in bytes. */
const headerBytes = (bytes: Uint8Array) => Number(Buffer.from(bytes).readBigUInt64LE(0));

/** Adam at lr 0.01 overfits these 1000 glyphs within a few epochs: the validation loss turns up. */
const OVERFIT: Partial<TrainOptions> = { schedule: "constant", lr: 0.01, epochs: 30, hidden: 32, samples: 1000, seed: 1, earlyStop: 2 };

/** A run with early stopping and its checkpoints, optionally resumed. */
function stopped(options: TrainOptions, resume?: Uint8Array, runtime: InitOptions = {}) {
  const saved: Uint8Array[] = [];
  const result = train(initSyncWithTwins(runtime), options, undefined, undefined, { resume, save: (bytes) => saved.push(bytes) });
  return { result, saved };
}

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
    const options = { ...TINY, ...OVERFIT };
    const whole = stopped(options);
    const e = whole.result.earlyStop!;
    expect(e.stoppedAt).toBe(e.bestEpoch + 2);
    // Resumed after the best epoch (one epoch of patience used) and before it: the counter, the best loss and snapshot travel.
    for (const from of [e.bestEpoch + 1, e.bestEpoch - 1]) {
      const rest = stopped(options, whole.saved[from - 1]);
      expect(rest.result.earlyStop, `from epoch ${from}`).toEqual(e);
      expect(rest.result.testAccuracy).toBe(whole.result.testAccuracy);
      expect(rest.result.losses).toEqual(whole.result.losses.slice((whole.result.losses.length / e.stoppedAt!) * from));
      expect(Buffer.from(rest.saved.at(-1)!).equals(Buffer.from(whole.saved.at(-1)!))).toBe(true);
    }
    // The checkpoint of the stopping epoch holds the best epoch's model; there is nothing left to train.
    expect(() => stopped(options, whole.saved.at(-1))).toThrow(new ValueError(`the saved run stopped early after epoch ${e.stoppedAt} (its model is the best epoch's): there is nothing left to train`));
    // Early stopping holds out validation examples: a run without it would train on other data.
    expect(() => train(initSyncWithTwins(), { ...options, earlyStop: 0 }, undefined, undefined, { resume: whole.saved[0] })).toThrow(/saved by a run with earlyStop 2/);
  });

  it("--early-stop: the best epoch's parameters, statistics and optimizer state are f32 tensors under early_stop., the header only scalars", () => {
    const options = { ...TINY, ...OVERFIT };
    const { saved, result } = stopped(options);
    const bytes = saved[result.earlyStop!.bestEpoch]!; // after the best epoch: the best differs from the live model
    const { tensors, metadata } = decodeSafetensors(bytes);
    const best = Object.keys(tensors).filter((k) => k.startsWith("early_stop.")).sort();
    // Every live parameter, running statistic and optimizer tensor has its best-epoch twin, in the same layout.
    const live = Object.keys(tensors).filter((k) => !k.startsWith("early_stop.") && !k.endsWith("num_batches_tracked"));
    expect(best).toEqual(live.map((k) => `early_stop.${k}`).sort());
    for (const key of live) {
      expect(tensors[`early_stop.${key}`]!.shape, key).toEqual(tensors[key]!.shape);
      expect(tensors[`early_stop.${key}`]!.dtype, key).toBe(tensors[key]!.dtype);
    }
    expect(tensors["early_stop.0.weight"]!.dtype).toBe("f32");
    expect(Array.from(tensors["early_stop.0.weight"]!.data)).not.toEqual(Array.from(tensors["0.weight"]!.data));
    // The header holds names, shapes and scalars: no list of values.
    const run = JSON.parse(metadata["descend.train"]!);
    expect(Object.keys(run.earlyStop).sort()).toEqual(["batches", "optimizer", "stoppedAt", "stopper"]);
    expect(run.earlyStop.stopper).not.toHaveProperty("params");
    expect(JSON.stringify(run.earlyStop.optimizer)).not.toMatch(/buffers|\[-?\d+\.\d+,/);
    expect(headerBytes(bytes)).toBeLessThan((bytes.length - headerBytes(bytes)) / 4);
  });

  it("--early-stop: a checkpoint with the early-stopping state as JSON in the header (as written before it moved into the body) resumes bit for bit", () => {
    // Written by the code of e2bdb47 (the last with this layout) on the plain-SIMD kernels (descend train at these options, --save, the
    // checkpoint after epoch 7; the run's best epoch is 6 and it stops after 8): every best-epoch value is a
    // JSON number in the header. Relaxed SIMD may round differently, so both runs here take the plain kernels.
    const legacy = new Uint8Array(readFileSync(join(__dirname, "fixtures", "early-stop-json-header.safetensors")));
    const options: TrainOptions = { dataset: "glyphs", optimizer: "adam", schedule: "constant", lr: 0.01, epochs: 30, batch: 32, hidden: 4, samples: 300, seed: 1, earlyStop: 2 };
    expect(JSON.parse(decodeSafetensors(legacy).metadata["descend.train"]!).earlyStop.stopper.params).toHaveLength(8); // 8 parameters
    const simd = { wasmVariant: "simd" } as const;
    const whole = stopped(options, undefined, simd);
    expect(whole.result.earlyStop).toEqual({ patience: 2, bestEpoch: 6, bestValidationLoss: expect.any(Number), stoppedAt: 8 });
    const rest = stopped(options, legacy, simd);
    expect(rest.result.earlyStop).toEqual(whole.result.earlyStop);
    expect(rest.result.testAccuracy).toBe(whole.result.testAccuracy);
    expect(rest.result.losses).toEqual(whole.result.losses.slice((whole.result.losses.length / 8) * 7));
    // Saved again, it is in the new layout, byte for byte the uninterrupted run's.
    expect(Buffer.from(rest.saved.at(-1)!).equals(Buffer.from(whole.saved.at(-1)!))).toBe(true);
    expect(headerBytes(whole.saved[6]!)).toBeLessThan(headerBytes(legacy) / 4);
  });

  it("--early-stop: a missing, misshapen or stray early_stop. tensor is a StateError naming it, and --resume leaves the --save file as it was", async () => {
    const options = { ...TINY, ...OVERFIT, epochs: 2 };
    const [bytes] = stopped({ ...options, epochs: 1 }).saved;
    const resume = (file: Uint8Array) => () => stopped(options, file);
    expect(resume(withTensors(bytes!, (t) => delete t["early_stop.0.weight"]))).toThrow(
      new StateError("Cannot resume early stopping: the checkpoint has no tensor 'early_stop.0.weight'"),
    );
    expect(resume(withTensors(bytes!, (t) => (t["early_stop.1.running_var"] = { dtype: "f32", shape: [31], data: new Float32Array(31) })))).toThrow(
      new StateError("Cannot resume early stopping: the checkpoint holds 'early_stop.1.running_var' as f32 [31], expected f32 [32]"),
    );
    expect(resume(withTensors(bytes!, (t) => (t["early_stop.extra"] = { dtype: "f32", shape: [1], data: [0] })))).toThrow(/holds 'early_stop.extra', which no parameter/);
    expect(resume(withTensors(bytes!, (t) => (t["early_stop.optimizer.state.0.weight.exp_avg"] = t["early_stop.3.weight"]!)))).toThrow(
      new StateError("Cannot load checkpoint: 'early_stop.optimizer.state.0.weight.exp_avg' has shape [32, 32], expected [32, 256]"),
    );
    const plain = stopped({ ...options, epochs: 1, earlyStop: 0 }).saved[0]!;
    expect(() => stopped({ ...options, earlyStop: 0 }, withTensors(plain, (t) => (t["early_stop.0.weight"] = t["0.weight"]!)))).toThrow(
      /holds 'early_stop.0.weight' but no early-stopping state that uses it/,
    );
    // Through the command line: the error names the tensor, and the checkpoint to be overwritten is untouched.
    const [target, broken] = [join(dir, "target.safetensors"), join(dir, "broken.safetensors")];
    writeFileSync(target, bytes!);
    writeFileSync(broken, withTensors(bytes!, (t) => delete t["early_stop.3.weight"]));
    const err: string[] = [];
    const argv = ["train", "--samples", "1000", "--hidden", "32", "--batch", "32", "--lr", "0.01", "--seed", "1", "--epochs", "2", "--early-stop", "2", "--out", dir];
    const code = await main([...argv, "--resume", broken, "--save", target], { out: () => {}, err: (l) => err.push(l) });
    expect(err.join("\n")).toContain("descend train: StateError: Cannot resume early stopping: the checkpoint has no tensor 'early_stop.3.weight'");
    expect(readFileSync(target).equals(Buffer.from(bytes!))).toBe(true);
    expect(code).toBe(1);
    // The intact checkpoint resumes through the command line (its --early-stop is compared with the saved run's).
    expect(await main([...argv, "--resume", target, "--json"], { out: () => {}, err: (l) => err.push(l) })).toBe(0);
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
