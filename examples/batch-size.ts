// The minibatch-size experiment (Deep Learning book, Sec. 8.1.3): the standard error of the
// minibatch gradient falls as sigma / sqrt(n), so 100 times more examples per batch buy only 10
// times less noise. Measured on the glyphs model: the full-batch gradient over the training set,
// then for each n many minibatch gradients (examples drawn with replacement, so the draws are
// independent) and their root-mean-square distance from it; fitted on log-log axes, the slope is
// -1/2. The model is the demo MLP without normalization (BatchNorm would couple the examples of a
// batch, and the minibatch gradient would no longer be a mean of per-example gradients).
// Run: npx tsx examples/batch-size.ts [--backend js]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SoftmaxCrossEntropy, initSync, type Backend, type Runtime } from "../src/index";
import { makeDataset, makeModel } from "../src/demo/train";
import { seededUniform } from "../src/data/dataset";
import { lineChart } from "../src/plot/svg";

export interface BatchSizeOptions {
  /** Minibatch sizes n to measure. */
  sizes: readonly number[];
  /** Minibatch gradients drawn per size. */
  draws: number;
  samples: number;
  hidden: number;
  seed: number;
}

export interface BatchSizeReport {
  sizes: number[];
  /** sqrt(mean ||g_n - g||^2) over the draws, per size. */
  standardErrors: number[];
  /** The least-squares slope of log(standard error) against log(n): -1/2 in theory. */
  slope: number;
  /** ||g||, the full-batch gradient's norm, for scale. */
  fullGradientNorm: number;
}

/** Fits log y = a + b log x by least squares; returns b. */
export function logLogSlope(xs: readonly number[], ys: readonly number[]): number {
  const [lx, ly] = [xs.map(Math.log), ys.map(Math.log)];
  const [mx, my] = [lx.reduce((s, v) => s + v, 0) / lx.length, ly.reduce((s, v) => s + v, 0) / ly.length];
  const sxy = lx.reduce((s, v, i) => s + (v - mx) * (ly[i]! - my), 0);
  const sxx = lx.reduce((s, v) => s + (v - mx) ** 2, 0);
  return sxy / sxx;
}

export function batchSizeExperiment(rt: Runtime, o: BatchSizeOptions): BatchSizeReport {
  const { train } = makeDataset({ dataset: "glyphs", seed: o.seed, samples: o.samples });
  const model = makeModel(rt, train.features, o.hidden, train.classes, o.seed, "none");
  const loss = new SoftmaxCrossEntropy(rt);
  const params = model.parameters();
  // The mean-loss gradient over the examples `rows`, as one f64 vector.
  const gradient = (rows: ArrayLike<number>): Float64Array =>
    rt.scope(() => {
      const n = rows.length;
      const x = new Float32Array(n * train.features);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        x.set(train.x.subarray(rows[i]! * train.features, (rows[i]! + 1) * train.features), i * train.features);
        y[i] = train.y[rows[i]!]!;
      }
      for (const p of params) p.zeroGrad();
      const out = loss.forward(model.forward(rt.fromArray(x, [n, train.features]), { training: true }), rt.fromArray(y, [n], { dtype: "i32" }));
      model.backward(out.grad);
      return Float64Array.from(params.flatMap((p) => Array.from(p.grad.data)));
    });
  try {
    const full = gradient(Array.from({ length: train.count }, (_, i) => i));
    const uniform = seededUniform(o.seed + 1);
    const standardErrors = o.sizes.map((n) => {
      let sum = 0;
      for (let d = 0; d < o.draws; d++) {
        const g = gradient(Array.from({ length: n }, () => Math.floor(uniform() * train.count)));
        sum += g.reduce((s, v, i) => s + (v - full[i]!) ** 2, 0);
      }
      return Math.sqrt(sum / o.draws);
    });
    return { sizes: [...o.sizes], standardErrors, slope: logLogSlope(o.sizes, standardErrors), fullGradientNorm: Math.hypot(...full) };
  } finally {
    loss.dispose();
    model.dispose();
  }
}

/** The measured standard errors and the sigma / sqrt(n) line through the first, on log-log axes. */
export function batchSizeChart(report: BatchSizeReport): string {
  const [n0, se0] = [report.sizes[0]!, report.standardErrors[0]!];
  return lineChart({
    title: `standard error of the minibatch gradient (fitted slope ${report.slope.toFixed(3)})`,
    xLabel: "minibatch size n",
    yLabel: "sqrt(E ||g_n - g||²)",
    logX: true,
    logY: true,
    series: [
      { name: "measured", points: report.sizes.map((n, i) => [n, report.standardErrors[i]!] as const) },
      { name: "sigma / sqrt(n)", points: report.sizes.map((n) => [n, se0 * Math.sqrt(n0 / n)] as const) },
    ],
  });
}

if (process.argv[1]?.endsWith("batch-size.ts")) {
  const backend = (process.argv.includes("--backend") ? process.argv[process.argv.indexOf("--backend") + 1] : "wasm") as Backend;
  const report = batchSizeExperiment(initSync({ backend }), { sizes: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], draws: 100, samples: 5000, hidden: 128, seed: 1 });
  console.log(`full-batch gradient norm ${report.fullGradientNorm.toFixed(4)}`);
  console.log("     n   standard error   x sqrt(n)");
  report.sizes.forEach((n, i) => {
    const se = report.standardErrors[i]!;
    console.log(`${String(n).padStart(6)}   ${se.toFixed(5).padStart(14)}   ${(se * Math.sqrt(n)).toFixed(4).padStart(9)}`);
  });
  mkdirSync("descend-batch-size", { recursive: true });
  const svg = join("descend-batch-size", "batch-size.svg");
  writeFileSync(svg, batchSizeChart(report));
  console.log(`log-log slope ${report.slope.toFixed(3)} (theory -0.5); plot: ${svg}`);
}
