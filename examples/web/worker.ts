// The demo's worker: trains the demo network and runs the quick benchmark off the main thread
// (and compiles wasm asynchronously, as browsers require for modules over 4 KB).
import { init } from "../../src/runtime/init";
import { train } from "../../src/demo/train";
import { Adam } from "../../src/optim/adam";
import { matmul } from "../../src/linalg/gemm";
import type { Reply, Request } from "./protocol";

const post = (reply: Reply) => (self as unknown as Worker).postMessage(reply);

/** Median milliseconds per call of fn over about 300 ms, after a warm-up. */
function time(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const until = performance.now() + 300;
  while (performance.now() < until || samples.length < 5) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1]!;
}

async function bench(backends: Array<"wasm" | "js">): Promise<void> {
  for (const backend of backends) {
    const rt = await init({ backend });
    const n = 1_000_000;
    const w = rt.param([n]);
    w.grad.data.fill(0.01);
    const opt = new Adam(rt, [w]);
    const ms = time(() => opt.step());
    post({ kind: "bench-row", name: "Adam step, N = 1e6", backend, msPerOp: ms, unit: "ns/param", perUnit: (ms * 1e6) / n });
    opt.dispose();
    w.dispose();
    const size = backend === "wasm" ? 256 : 128;
    const a = rt.fromArray(Float32Array.from({ length: size * size }, (_, i) => Math.sin(i)), [size, size]);
    const ms2 = time(() => matmul(a, a).dispose());
    post({ kind: "bench-row", name: `matmul ${size}x${size}`, backend, msPerOp: ms2, unit: "GFLOP/s", perUnit: (2 * size ** 3) / (ms2 * 1e6) });
    a.dispose();
  }
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  try {
    if (request.kind === "train") {
      const rt = await init({ backend: request.backend });
      const result = train(
        rt,
        request.options,
        (step, total, loss) => post({ kind: "step", step, total, loss }),
        (report) => post({ kind: "epoch", report }),
      );
      post({ kind: "trained", losses: result.losses, testAccuracy: result.testAccuracy, msPerStep: result.msPerStep });
    } else {
      await bench(request.backends);
    }
    post({ kind: "done" });
  } catch (error) {
    post({ kind: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
