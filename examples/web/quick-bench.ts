// The demo page's quick benchmark (wasm vs js): Adam at N = 1e6 and a matmul, timed with the
// benchmark harness. The page runs it in a worker; Node runs the same code for comparison.
import { init } from "../../src/runtime/create";
import { Adam } from "../../src/optim/adam";
import { matmul } from "../../src/linalg/gemm";
import { measure } from "../../bench/harness";

/** Median milliseconds per call, timed by the benchmark harness the CLI uses (tinybench, 3 rounds). */
async function time(fn: () => void): Promise<number> {
  const [sample] = await measure([{ name: "case", fn }], { rounds: 3, timeMs: 100, iterations: 3 });
  return sample!.median;
}

export interface BenchRow {
  name: string;
  backend: string;
  msPerOp: number;
  unit: string;
  perUnit: number;
}

/** The page's quick benchmark; Node runs the same function to compare engines. */
export async function quickBench(backends: Array<"wasm" | "js">, report: (row: BenchRow) => void): Promise<void> {
  for (const backend of backends) {
    const rt = await init({ backend });
    const n = 1_000_000;
    const w = rt.param([n]);
    w.grad.data.fill(0.01);
    const opt = new Adam(rt, [w]);
    const ms = await time(() => opt.step());
    report({ name: "Adam step, N = 1e6", backend, msPerOp: ms, unit: "ns/param", perUnit: (ms * 1e6) / n });
    opt.dispose();
    w.dispose();
    const size = 256;
    const a = rt.fromArray(Float32Array.from({ length: size * size }, (_, i) => Math.sin(i)), [size, size]);
    const ms2 = await time(() => matmul(a, a).dispose());
    report({ name: `matmul ${size}x${size}`, backend, msPerOp: ms2, unit: "GFLOP/s", perUnit: (2 * size ** 3) / (ms2 * 1e6) });
    a.dispose();
  }
}

