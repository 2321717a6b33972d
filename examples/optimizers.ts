// Every optimizer of descend on the same problem: the Rosenbrock function
// f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1), full-batch gradients written into
// param.grad.data, one fused kernel call per step. Prints the final f of each, and shows a
// state round trip and global-norm clipping with the non-finite check.
// Run: npx tsx examples/optimizers.ts [--backend js] [--steps 3000]
import {
  initSync, AdaDelta, AdaGrad, Adam, Adamax, AdamW, DeltaBarDelta, NAdam, RMSProp, SGD,
  type Backend, type Optimizer, type Param, type Runtime,
} from "../src/index";
import { jsBackend } from "../src/js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const backend = option("backend", "wasm") as Backend;
const rt = initSync({ backend: backend === "js" ? jsBackend : backend });
const steps = Number(option("steps", "3000"));

const rosenbrock = (v: ArrayLike<number>) => (1 - v[0]!) ** 2 + 100 * (v[1]! - v[0]! * v[0]!) ** 2;

function writeGradient(p: Param): void {
  const [x, y] = p.data as unknown as [number, number];
  p.grad.data[0] = -2 * (1 - x) - 400 * x * (y - x * x);
  p.grad.data[1] = 200 * (y - x * x);
}

const OPTIMIZERS: Array<[string, (rt: Runtime, p: Param[]) => Optimizer<any>]> = [
  ["SGD, Nesterov momentum", (rt, p) => new SGD(rt, p, { lr: 1e-4, momentum: 0.9, nesterov: true })],
  ["AdaGrad", (rt, p) => new AdaGrad(rt, p, { lr: 0.5 })],
  ["RMSProp, centered", (rt, p) => new RMSProp(rt, p, { lr: 1e-3, centered: true })],
  ["AdaDelta", (rt, p) => new AdaDelta(rt, p, { lr: 1 })],
  ["Adam", (rt, p) => new Adam(rt, p, { lr: 0.02 })],
  ["Adam, AMSGrad", (rt, p) => new Adam(rt, p, { lr: 0.02, amsgrad: true })],
  ["AdamW", (rt, p) => new AdamW(rt, p, { lr: 0.02, weightDecay: 1e-4 })],
  ["NAdam", (rt, p) => new NAdam(rt, p, { lr: 0.02 })],
  ["Adamax", (rt, p) => new Adamax(rt, p, { lr: 0.05 })],
  ["delta-bar-delta", (rt, p) => new DeltaBarDelta(rt, p, { lr: 1e-4, kappa: 1e-5, phi: 0.3 })],
];

console.log(`Rosenbrock from (-1.2, 1), ${steps} steps, backend ${rt.backend}; f(-1.2, 1) = ${rosenbrock([-1.2, 1]).toFixed(2)}`);
for (const [name, make] of OPTIMIZERS) {
  const xy = rt.param([2], { dtype: "f64", values: [-1.2, 1] });
  const opt = make(rt, [xy]);
  for (let t = 0; t < steps; t++) (writeGradient(xy), opt.step());
  const [x, y] = xy.data;
  console.log(`${name.padEnd(24)} f = ${rosenbrock(xy.data).toExponential(3)} at (${x!.toFixed(4)}, ${y!.toFixed(4)})`);
  opt.dispose();
  xy.dispose();
}

// Global-norm clipping plus a non-finite check in the same extra pass; a bad gradient is skipped.
const w = rt.param([2], { values: [-1.2, 1] });
const opt = new Adam(rt, [w], { lr: 0.02, clipGlobalNorm: 10, nonFinite: "skip" });
writeGradient(w);
console.log("\nclipped step:", opt.step()); // { skipped: false, gradNorm: 232.86... }
w.grad.data[0] = Number.NaN;
console.log("NaN gradient:", opt.step()); // { skipped: true, gradNorm: NaN }: nothing changed

// Save, restore into a fresh optimizer, and continue with identical bits.
const saved = JSON.stringify(opt.stateDict());
const copy = rt.param([2], { values: w.data });
const resumed = new Adam(rt, [copy]);
resumed.loadStateDict(JSON.parse(saved));
for (let t = 0; t < 100; t++) {
  writeGradient(w);
  opt.step();
  writeGradient(copy);
  resumed.step();
}
console.log("resumed run identical:", w.data.every((v, i) => Object.is(v, copy.data[i])));
