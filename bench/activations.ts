// Micro bench of the activation kernels that take exp (gelu, softmax / log-softmax, tanh, sigmoid,
// forward and backward): ns per element, descend's wasm kernel vs its reference twin, on one
// buffer of N f32 values in [-4, 4] that stays in cache (the cost is the arithmetic, not memory).
// Run: npx tsx bench/activations.ts [--quick]
import { initSyncWithTwins as initSync } from "../test/helpers/runtime";
import type { Runtime } from "../src/runtime/runtime";
import { FULL, QUICK, measure } from "./harness";

const N = 4096;
const COLS = 64; // softmax row length

type Call = (rt: Runtime, p: { x: number; y: number; dx: number; dy: number }) => void;

const KERNELS: Array<[string, Call]> = [
  ["gelu (erf)", (rt, p) => rt.kernels.f32_gelu(p.y, p.x, N, 0)],
  ["gelu (tanh)", (rt, p) => rt.kernels.f32_gelu(p.y, p.x, N, 1)],
  ["gelu backward (erf)", (rt, p) => rt.kernels.f32_gelu_backward(p.dx, p.dy, p.x, N, 0)],
  ["gelu backward (tanh)", (rt, p) => rt.kernels.f32_gelu_backward(p.dx, p.dy, p.x, N, 1)],
  ["softmax", (rt, p) => rt.kernels.f32_softmax(p.y, p.x, N / COLS, COLS, 0)],
  ["log-softmax", (rt, p) => rt.kernels.f32_softmax(p.y, p.x, N / COLS, COLS, 1)],
  ["log-softmax backward", (rt, p) => rt.kernels.f32_softmax_backward(p.dx, p.dy, p.x, N / COLS, COLS, 1)],
  ["tanh", (rt, p) => rt.kernels.f32_tanh(p.y, p.x, N)],
  ["sigmoid", (rt, p) => rt.kernels.f32_sigmoid(p.y, p.x, N)],
];

function buffers(rt: Runtime) {
  const values = Array.from({ length: N }, (_, i) => -4 + (8 * ((i * 2654435761) % N)) / N);
  const [x, y, dx, dy] = [rt.fromArray(values, [N]), rt.tensor([N]), rt.tensor([N]), rt.fromArray(values, [N])];
  return { ptrs: { x: x.ptr, y: y.ptr, dx: dx.ptr, dy: dy.ptr }, dispose: () => [x, y, dx, dy].forEach((t) => t.dispose()) };
}

const options = process.argv.includes("--quick") ? QUICK : FULL;
const runtimes = { wasm: initSync({ backend: "wasm" }), js: initSync({ backend: "js" }) };
console.log(`kernel                  wasm ns/el   js ns/el   js/wasm   (N = ${N})`);
for (const [name, call] of KERNELS) {
  const bufs = { wasm: buffers(runtimes.wasm), js: buffers(runtimes.js) };
  const samples = await measure(
    (["wasm", "js"] as const).map((b) => ({ name: b, fn: () => call(runtimes[b], bufs[b].ptrs) })),
    options,
  );
  const [wasm, js] = samples.map((s) => (s.median * 1e6) / N);
  console.log(`${name.padEnd(22)} ${wasm!.toFixed(2).padStart(11)} ${js!.toFixed(2).padStart(10)} ${(js! / wasm!).toFixed(2).padStart(9)}`);
  bufs.wasm.dispose();
  bufs.js.dispose();
}
