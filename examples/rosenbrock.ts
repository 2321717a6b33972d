// Adam on the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, from the classic
// start (-1.2, 1). The gradient is written straight into param.grad.data (the fast path);
// the update runs in the fused wasm kernel. Run: npm start [-- --backend js --steps 5000 --lr 0.02]
import { initSync, Adam, type Backend } from "../src/index";
import { jsBackend } from "../src/js";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const backend = option("backend", "wasm") as Backend;
const steps = Number(option("steps", "4000"));
const lr = Number(option("lr", "0.02"));

const rt = initSync({ backend: backend === "js" ? jsBackend : backend });
const xy = rt.param([2], { dtype: "f32", values: [-1.2, 1] });
const opt = new Adam(rt, [xy], { lr });

function rosenbrock(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}

console.log(`Adam (lr ${lr}) on Rosenbrock, backend ${backend}, start (-1.2, 1), minimum 0 at (1, 1)`);
const started = performance.now();
for (let step = 1; step <= steps; step++) {
  const [x, y] = xy.data as unknown as [number, number];
  const grad = xy.grad.data;
  grad[0] = -2 * (1 - x) - 400 * x * (y - x * x);
  grad[1] = 200 * (y - x * x);
  opt.step();
  if (step % (steps / 10) === 0 || step === 1) {
    const [nx, ny] = xy.data;
    console.log(
      `step ${String(step).padStart(5)}  f = ${rosenbrock(nx!, ny!).toExponential(3)}  (x, y) = (${nx!.toFixed(4)}, ${ny!.toFixed(4)})`,
    );
  }
}
const [x, y] = xy.data;
console.log(`done in ${(performance.now() - started).toFixed(1)} ms: f = ${rosenbrock(x!, y!).toExponential(3)} at (${x!.toFixed(5)}, ${y!.toFixed(5)})`);
