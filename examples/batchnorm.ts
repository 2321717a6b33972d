// Batch normalization as an optimization aid (Goodfellow et al. 2016, section 8.7.1).
// Four input features live on wildly different scales (1e3, 1, 1e-3 and an offset of 50);
// the target is a fixed mix of the standardized features. A BatchNorm layer followed by a
// sum over channels learns it with Adam, because the normalization removes the scales the
// optimizer would otherwise have to fight. Run: npx tsx examples/batchnorm.ts [--backend js]
import { initSync, Adam, BatchNorm, type Backend } from "../src/index";
import { jsBackend } from "../src/js";

const at = process.argv.indexOf("--backend");
const backend = (at >= 0 ? process.argv[at + 1] : "wasm") as Backend;
const rt = initSync({ backend: backend === "js" ? jsBackend : backend });

const [N, C] = [256, 4];
const scale = [1e3, 1, 1e-3, 2];
const offset = [0, 0, 0, 50];
const mix = [0.5, -2, 1, 3]; // target = sum_c mix[c] * standardized feature c

let seed = 7;
const uniform = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;

const bn = new BatchNorm(rt, C); // PyTorch conventions: momentum 0.1, eps 1e-5
const opt = new Adam(rt, bn.parameters(), { lr: 0.05 });
const x = rt.tensor([N, C]);
const dy = rt.tensor([N, C]);
const target = new Float64Array(N);

for (let step = 0; step <= 300; step++) {
  // A fresh minibatch: standard-uniform z, scaled and shifted per feature.
  for (let n = 0; n < N; n++) {
    let t = 0;
    for (let c = 0; c < C; c++) {
      const z = uniform() * Math.sqrt(3); // unit variance
      x.data[n * C + c] = offset[c]! + scale[c]! * z;
      t += mix[c]! * z;
    }
    target[n] = t;
  }
  const y = bn.forward(x, { training: true }).data;
  // prediction = sum over channels of y; loss = mean squared error; dL/dy[n, c] = 2 (pred - t) / N
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let pred = 0;
    for (let c = 0; c < C; c++) pred += y[n * C + c]!;
    loss += (pred - target[n]!) ** 2 / N;
    for (let c = 0; c < C; c++) dy.data[n * C + c] = (2 * (pred - target[n]!)) / N;
  }
  opt.zeroGrad();
  bn.backward(dy);
  opt.step();
  if (step % 50 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.toExponential(3)}`);
}

// gamma[2] ends near 3.32, not 1: eps = 1e-5 is ten times that feature's variance 1e-6, so
// xhat = z / sqrt(1 + 10) there and gamma compensates. (Keras' eps = 1e-3 would shrink it more.)
console.log(`gamma ${Array.from(bn.gamma!.data, (g) => g.toFixed(3)).join(", ")} (the mix was ${mix.join(", ")})`);
console.log(`running mean ${Array.from(bn.runningMean!.data, (m) => m.toPrecision(3)).join(", ")}`);
console.log(`running var  ${Array.from(bn.runningVar!.data, (v) => v.toPrecision(3)).join(", ")} (true: ${scale.map((s) => (s * s).toPrecision(3)).join(", ")})`);
opt.dispose();
bn.dispose();
x.dispose();
dy.dispose();
