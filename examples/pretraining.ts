// Greedy supervised pretraining (Deep Learning book, Sec. 8.7.4): train a shallow network, add a
// hidden layer on top of the trained one, train the new layer with the old one frozen, then
// fine-tune everything jointly; compared with the same deep network trained from scratch for the
// same number of steps, on the glyphs (16x16 digit images).
// Run: npx tsx examples/pretraining.ts [--backend js]
import {
  Adam, Linear, Minibatches, ReLU, Sequential, SoftmaxCrossEntropy, freeze, heUniform, initSync, unfreeze,
  type Backend, type Layer, type Runtime, type Tensor,
} from "../src/index";
import { makeDataset } from "../src/demo/train";

export interface PretrainingOptions {
  /** Examples generated (80% train, 20% test). */
  samples: number;
  hidden: number;
  /** Epochs of each of the three greedy stages; from scratch trains 3 x this many. */
  epochsPerStage: number;
  batch: number;
  lr: number;
  seed: number;
}

export interface PretrainingReport {
  /** Test accuracy after each greedy stage: shallow, new layer on the frozen one, joint fine-tuning. */
  greedy: { shallow: number; stacked: number; fineTuned: number };
  scratch: number;
  /** Whether the first layer stayed bit for bit the same while it was frozen. */
  frozenUnchanged: boolean;
}

/** The examples of a dataset in the runtime's memory. */
interface Device {
  x: Tensor<"f32">;
  y: Tensor<"i32">;
  count: number;
}

/** Epochs of minibatch training of `model` by `opt` (frozen params are skipped by the optimizer). */
function trainEpochs(rt: Runtime, model: Layer, opt: Adam, data: Device, epochs: number, batch: number, seed: number): void {
  const loss = new SoftmaxCrossEntropy(rt);
  const batches = new Minibatches(rt, data.count, { batchSize: batch, shuffle: "everyEpoch", rng: seed, dropLast: true });
  rt.scope(() => {
    const x = rt.tensor([batch, data.x.shape[1]!]);
    const y = rt.tensor([batch], { dtype: "i32" });
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (const b of batches.epoch()) {
        batches.gather(data.x, b, x);
        batches.gather(data.y, b, y);
        opt.zeroGrad();
        model.backward(loss.forward(model.forward(x, { training: true }), y).grad);
        opt.step();
      }
    }
  });
  batches.dispose();
  loss.dispose();
}

/** Share of `data` classified correctly (one batch: the test set is small). */
function accuracy(rt: Runtime, model: Layer, data: Device): number {
  const loss = new SoftmaxCrossEntropy(rt);
  const correct = rt.scope(() => loss.forward(model.forward(data.x, { training: false }), data.y).correct);
  loss.dispose();
  return correct / data.count;
}

export function comparePretraining(rt: Runtime, o: PretrainingOptions): PretrainingReport {
  const { train, test } = makeDataset({ dataset: "glyphs", seed: o.seed, samples: o.samples });
  const device = (d: typeof train): Device => ({ x: rt.fromArray(d.x, [d.count, d.features]), y: rt.fromArray(d.y, [d.count], { dtype: "i32" }), count: d.count });
  const [trainSet, testSet] = [device(train), device(test)];
  const hiddenLayer = (inputs: number, seed: number) => new Linear(rt, inputs, o.hidden, { relu: true, init: heUniform(), seed });
  const output = (seed: number) => new Linear(rt, o.hidden, train.classes, { seed });

  // Stage 1: a shallow network, features -> hidden -> classes.
  const first = hiddenLayer(train.features, o.seed + 1);
  const shallowHead = output(o.seed + 2);
  const shallow = new Sequential([first, shallowHead]);
  const shallowOpt = new Adam(rt, shallow.parameters(), { lr: o.lr });
  trainEpochs(rt, shallow, shallowOpt, trainSet, o.epochsPerStage, o.batch, o.seed + 10);
  const shallowAccuracy = accuracy(rt, shallow, testSet);
  shallowOpt.dispose();
  shallowHead.dispose();

  // Stage 2: a new hidden layer and output on top of the trained first layer, which is frozen.
  const deep = new Sequential([first, hiddenLayer(o.hidden, o.seed + 3), output(o.seed + 4)]);
  const opt = new Adam(rt, deep.parameters(), { lr: o.lr });
  freeze(first);
  const before = first.parameters().map((p) => Array.from(p.data));
  trainEpochs(rt, deep, opt, trainSet, o.epochsPerStage, o.batch, o.seed + 11);
  const frozenUnchanged = first.parameters().every((p, i) => Array.from(p.data).every((v, j) => Object.is(v, before[i]![j])));
  const stacked = accuracy(rt, deep, testSet);

  // Stage 3: fine-tune jointly (the first layer's Adam state starts now).
  unfreeze(first);
  trainEpochs(rt, deep, opt, trainSet, o.epochsPerStage, o.batch, o.seed + 12);
  const fineTuned = accuracy(rt, deep, testSet);
  opt.dispose();
  deep.dispose();

  // The same deep network from scratch, for the three stages' epochs.
  const scratchNet = new Sequential([hiddenLayer(train.features, o.seed + 1), hiddenLayer(o.hidden, o.seed + 3), output(o.seed + 4)]);
  const scratchOpt = new Adam(rt, scratchNet.parameters(), { lr: o.lr });
  trainEpochs(rt, scratchNet, scratchOpt, trainSet, 3 * o.epochsPerStage, o.batch, o.seed + 10);
  const scratch = accuracy(rt, scratchNet, testSet);
  scratchOpt.dispose();
  scratchNet.dispose();
  for (const t of [trainSet.x, trainSet.y, testSet.x, testSet.y]) t.dispose();
  return { greedy: { shallow: shallowAccuracy, stacked, fineTuned }, scratch, frozenUnchanged };
}

if (process.argv[1]?.endsWith("pretraining.ts")) {
  const backend = (process.argv.includes("--backend") ? process.argv[process.argv.indexOf("--backend") + 1] : "wasm") as Backend;
  const options: PretrainingOptions = { samples: 6000, hidden: 128, epochsPerStage: 3, batch: 64, lr: 2e-3, seed: 1 };
  const report = comparePretraining(initSync({ backend }), options);
  const pct = (a: number) => `${(100 * a).toFixed(2)}%`;
  console.log(`glyphs, ${options.samples} examples, hidden ${options.hidden}, ${options.epochsPerStage} epochs per stage:`);
  console.log(`  greedy: shallow ${pct(report.greedy.shallow)} -> new layer on the frozen first ${pct(report.greedy.stacked)} -> fine-tuned ${pct(report.greedy.fineTuned)}`);
  console.log(`  from scratch, ${3 * options.epochsPerStage} epochs: ${pct(report.scratch)}`);
  console.log(`  the frozen layer stayed unchanged while frozen: ${report.frozenUnchanged}`);
}
