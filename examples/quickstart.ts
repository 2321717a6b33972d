// The README's tour, runnable: npx tsx examples/quickstart.ts
import {
  initSync, Adam, Scheduler, warmupCosine, gemm, matmul, BatchNorm, minimize, heUniform, type FG,
} from "../src/index";

const rt = initSync(); // or: await init(); initSync({ backend: jsBackend }) with jsBackend from "descend/js"

// A parameter (data + grad in wasm memory) and an optimizer with a warm-up + cosine schedule.
const w = rt.param([256, 64], { init: heUniform(), seed: 7 });
const opt = new Adam(rt, [w], { lr: 1e-3, clipGlobalNorm: 1 });
const schedule = new Scheduler(opt, { lr: warmupCosine({ peak: 1e-3, warmupSteps: 10, steps: 100 }) });

// A batch through a matrix multiply and batch normalization, forward and backward.
const x = rt.fromArray(Float32Array.from({ length: 32 * 256 }, (_, i) => Math.sin(i)), [32, 256]);
const target = Float32Array.from({ length: 32 * 64 }, (_, i) => Math.cos(0.1 * i));
const bn = new BatchNorm(rt, 64);
let loss = 0;
for (let step = 0; step < 100; step++) {
  const h = matmul(x, w);                              // 32 x 64, allocated: dispose it
  const y = bn.forward(h, { training: true });          // owned by bn, reused every step
  loss = y.data.reduce((sum, v, i) => sum + (v - target[i]!) ** 2, 0) / y.length;
  const dy = rt.fromArray(y.data.map((v, i) => (2 * (v - target[i]!)) / y.length), y.shape); // d(mean (y - t)^2)/dy
  const dh = bn.backward(dy);
  opt.zeroGrad();
  gemm(x, dh, w.grad, { transA: true });                // dW = x^T dh
  const { gradNorm } = opt.step();                      // one fused pass per parameter
  schedule.step();
  if (step % 25 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}, lr ${opt.lr.toExponential(2)}, |g| ${gradNorm?.toExponential(2)}`);
  for (const t of [h, dy]) t.dispose();
}

// A deterministic minimizer: L-BFGS on Rosenbrock, vector work and line search in wasm.
const rosenbrock: FG = (p, g) => {
  const t = p[1]! - p[0]! * p[0]!;
  g[0] = -400 * t * p[0]! - 2 * (1 - p[0]!);
  g[1] = 200 * t;
  return 100 * t * t + (1 - p[0]!) ** 2;
};
const result = minimize(rosenbrock, [-1.2, 1], { method: "lbfgs" });
console.log(`L-BFGS: f = ${result.f.toExponential(2)} at (${result.x[0]}, ${result.x[1]}) in ${result.nit} iterations, ${result.nfev} evaluations`);

for (const t of [x, w]) t.dispose();
bn.dispose();
opt.dispose();
console.log("live tensors at the end:", rt.memoryStats().liveTensors);
