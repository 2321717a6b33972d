// `descend train --find-lr`: the learning-rate range test on the demo model, before any training.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exampleShape, lossStep, makeDataset, makeOptimizer, makeRunModel, toDevice, type TrainOptions } from "../demo/train";
import { Minibatches } from "../data/minibatch";
import type { Runtime } from "../runtime/runtime";
import { lrRangeChart, lrRangeTest, type LrRangeResult } from "../training/lr-range";

/** The sweep `--find-lr` runs: 100 steps from 1e-7 to 10, the usual range of the test. */
export const FIND_LR_SWEEP = { minLr: 1e-7, maxLr: 10, steps: 100 } as const;

export interface FindLrReport extends LrRangeResult {
  svg: string;
}

/** Runs the range test on a fresh demo model (minibatches cycled over the training set) and writes its SVG to `out`. */
export function findLr(rt: Runtime, options: TrainOptions, out: string): FindLrReport {
  const { train } = makeDataset(options);
  const model = makeRunModel(rt, options, train);
  const step = lossStep(rt, model);
  const optimizer = makeOptimizer(rt, options.optimizer, model.parameters(), options.lr);
  try {
    const result = rt.scope(() => {
      const example = exampleShape(options, train);
      const data = toDevice(rt, train, example);
      const batches = new Minibatches(rt, data.count, { batchSize: options.batch, shuffle: "everyEpoch", rng: options.seed + 7, dropLast: true });
      const [x, y] = [rt.tensor([options.batch, ...example]), rt.tensor([options.batch], { dtype: "i32" })];
      let epoch = batches.epoch();
      const nextBatch = () => {
        let next = epoch.next();
        if (next.done) {
          epoch = batches.epoch();
          next = epoch.next();
        }
        return next.value!;
      };
      try {
        return lrRangeTest(optimizer, () => {
          const batch = nextBatch();
          batches.gather(data.x, batch, x);
          batches.gather(data.y, batch, y);
          return step(x, y);
        }, FIND_LR_SWEEP);
      } finally {
        batches.dispose();
      }
    });
    const svg = join(out, `lr-range-${options.dataset}-${options.optimizer}.svg`);
    writeFileSync(svg, lrRangeChart(result, `${options.dataset}: ${options.optimizer}, batch ${options.batch}: learning-rate range test`));
    return { ...result, svg };
  } finally {
    optimizer.dispose();
    step.dispose();
    model.dispose();
  }
}

/** The text line of a range test's result. */
export function findLrLine(report: FindLrReport): string {
  const rule = report.rule === "steepest" ? "steepest descent of the smoothed loss" : "a tenth of the rate at the smoothed minimum";
  return (
    `suggested lr ${report.suggestion.toPrecision(3)} (${rule}; ${report.lrs.length} steps from ${FIND_LR_SWEEP.minLr} ` +
    `to ${report.lrs.at(-1)!.toPrecision(3)}${report.diverged ? ", stopped when the loss diverged" : ""}); ` +
    `smoothed loss lowest at lr ${report.lrAtMinLoss.toPrecision(3)}; curve: ${report.svg}`
  );
}
