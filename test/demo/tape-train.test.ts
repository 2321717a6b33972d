import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/cli";
import { makeDataset, makeModel, makeOptimizer, planTraining, toDevice, train, type TrainOptions } from "../../src/demo/train";
import { Minibatches } from "../../src/data/minibatch";
import { SoftmaxCrossEntropy } from "../../src/nn/loss";
import { Philox } from "../../src/random/philox";
import { initSyncWithTwins as initSync } from "../helpers/runtime";
import { ValueError } from "../../src/runtime/errors";
import { decodeSafetensors } from "../../src/io/safetensors";

const dir = mkdtempSync(join(tmpdir(), "descend-tape-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

const SMALL: TrainOptions = { dataset: "glyphs", optimizer: "adam", lr: 3e-3, epochs: 2, batch: 32, hidden: 24, samples: 400, seed: 5, groups: 8 };

/**
 * The run `train` did before it used the tape: the same model, data, shuffling and optimizer,
 * each step through the hand-wired forward() and backward() of the layers. Its losses are f64
 * (the kernel's sum over the batch divided in JS); the tape keeps the loss in an f32 tensor.
 */
function handWiredLosses(backend: "wasm" | "js", options: TrainOptions): number[] {
  const rt = initSync({ backend });
  const { train: data } = makeDataset(options);
  const model = makeModel(rt, data.features, options.hidden, data.classes, options.seed, options.norm, options.groups);
  const optimizer = makeOptimizer(rt, options.optimizer, model.parameters(), options.lr);
  const loss = new SoftmaxCrossEntropy(rt);
  const losses: number[] = [];
  rt.scope(() => {
    const device = toDevice(rt, data);
    const batches = new Minibatches(rt, device.count, { batchSize: options.batch, shuffle: "everyEpoch", rng: new Philox(options.seed + 7), dropLast: true });
    const [x, y] = [rt.tensor([options.batch, data.features]), rt.tensor([options.batch], { dtype: "i32" })];
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (const batch of batches.epoch()) {
        batches.gather(device.x, batch, x);
        batches.gather(device.y, batch, y);
        optimizer.zeroGrad();
        const out = loss.forward(model.forward(x, { training: true }), y);
        model.backward(out.grad);
        optimizer.step();
        losses.push(Math.fround(out.loss));
      }
    }
    batches.dispose();
  });
  [loss, optimizer, model].forEach((t) => t.dispose());
  return losses;
}

describe("descend train through the tape", () => {
  for (const backend of ["wasm", "js"] as const) {
    for (const norm of ["batch", "layer", "group", "none"] as const) {
      it(`the MLP (norm ${norm}) takes the same steps as the hand-wired layers: every loss equal [${backend}]`, () => {
        const options = { ...SMALL, norm };
        const tape = train(initSync({ backend }), options).losses;
        expect(tape).toHaveLength(planTraining(options).steps);
        expect(tape).toEqual(handWiredLosses(backend, options));
      });
    }
  }

  it("--model cnn trains end to end: the loss falls, the test accuracy beats chance, its checkpoint has PyTorch's conv names and resumes exactly", async () => {
    const save = join(dir, "cnn.safetensors");
    const flags = ["train", "--model", "cnn", "--samples", "400", "--batch", "32", "--hidden", "32", "--epochs", "3", "--lr", "0.01", "--json", "--out", dir];
    const { code, out } = await cli([...flags, "--save", save]);
    expect(code).toBe(0);
    const result = JSON.parse(out[0]!);
    expect(result.options.model).toBe("cnn");
    expect(result.steps).toBe(3 * 10);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(result.losses.slice(-10))).toBeLessThan(0.75 * mean(result.losses.slice(0, 10)));
    expect(result.testAccuracy).toBeGreaterThan(0.1); // chance

    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(save)));
    expect(tensors["0.weight"]!.shape).toEqual([8, 1, 3, 3]);
    expect(tensors["1.running_mean"]!.shape).toEqual([8]);
    expect(tensors["3.weight"]!.shape).toEqual([16, 8, 3, 3]);
    expect(tensors["8.weight"]!.shape).toEqual([32, 16 * 8 * 8]); // PyTorch's [out, in]
    // Resumed for one more epoch, it continues the same run: the 4-epoch run's last losses.
    const more = await cli([...flags.map((f) => (f === "3" ? "4" : f)), "--resume", save]);
    const whole = await cli(flags.map((f) => (f === "3" ? "4" : f)));
    expect(JSON.parse(more.out[0]!).losses).toEqual(JSON.parse(whole.out[0]!).losses.slice(30));
  });

  it("--model cnn needs images, and with --norm group a group count dividing its channels", async () => {
    expect(() => planTraining({ ...SMALL, model: "cnn", dataset: "spirals" })).toThrow(new ValueError("model 'cnn' needs images: use dataset 'glyphs' (not 'spirals')"));
    expect(() => planTraining({ ...SMALL, model: "cnn", norm: "group", groups: 3 })).toThrow(/with model 'cnn' needs groups dividing the 8 and 16 channels/);
    const { code, out, err } = await cli(["train", "--model", "cnn", "--dataset", "spirals"]);
    expect({ code, out }).toEqual({ code: 2, out: [] });
    expect(err.join("\n")).toMatch(/model 'cnn' needs images/);
  });

  it("--model cnn trains with every norm, on both backends, to the same losses", () => {
    for (const norm of ["batch", "layer", "group", "none"] as const) {
      const options: TrainOptions = { ...SMALL, model: "cnn", norm, groups: 4, epochs: 1, samples: 100, batch: 16, hidden: 8 };
      const [wasm, js] = [train(initSync({ backend: "wasm" }), options).losses, train(initSync({ backend: "js" }), options).losses];
      expect(wasm.every(Number.isFinite), norm).toBe(true);
      for (let i = 0; i < wasm.length; i++) expect(wasm[i]!, `${norm} step ${i}`).toBeCloseTo(js[i]!, 3);
    }
  });
});
