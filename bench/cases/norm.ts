// Normalization forward, backward and forward + backward, in ns per element (the JSON has
// ms per operation). Contenders: descend wasm, the reference twin (descend-js), and for
// BatchNorm TensorFlow.js wasm and cpu: tf.moments + tf.batchNorm forward, tf.grads for the
// backward (which autodiff cannot run without its forward, so tfjs appears in the
// forward and forward + backward cases only). LayerNorm and GroupNorm run on the same
// element counts, to compare with BatchNorm.
import { initSyncWithTwins } from "../../test/helpers/runtime";
import { BatchNorm } from "../../src/norm/batchnorm";
import { GroupNorm, LayerNorm } from "../../src/norm/groupnorm";
import type { Backend } from "../../src/runtime/runtime";
import type { Tensor } from "../../src/runtime/tensor";
import type { BenchCase, Contender, Skipped } from "../harness";
import { loadTfjs, useTfBackend, type Tf, type TfBackend } from "../peers/tfjs";

type Mode = "forward" | "backward" | "forward+backward";
const MODES: Mode[] = ["forward", "backward", "forward+backward"];
type Bench = Contender & { dispose?: () => void };

/** Deterministic inputs: a smooth pattern with an offset, and a gradient of mixed signs. */
function fillInputs(x: Float32Array, dy: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = 3 + Math.sin(i * 0.37) + 0.25 * Math.cos(i * 0.011);
  for (let i = 0; i < dy.length; i++) dy[i] = Math.cos(i * 0.71);
}

interface Module {
  forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32">;
  backward(dy: Tensor<"f32">): Tensor<"f32">;
  dispose(): void;
}

function descend(backend: Backend, shape: number[], mode: Mode, make: (rt: ReturnType<typeof initSyncWithTwins>) => Module): Bench {
  const rt = initSyncWithTwins({ backend });
  const x = rt.tensor(shape);
  const dy = rt.tensor(shape);
  fillInputs(x.data, dy.data);
  const m = make(rt);
  m.forward(x, { training: true });
  const fn =
    mode === "forward"
      ? () => void m.forward(x, { training: true })
      : mode === "backward"
        ? () => void m.backward(dy)
        : () => (m.forward(x, { training: true }), void m.backward(dy));
  return { name: `descend-${backend}`, fn, dispose: () => (m.dispose(), x.dispose(), dy.dispose()) };
}

/**
 * TensorFlow.js batch norm in training mode, in its own layout: channels last (NHWC for the
 * NCHW shapes, same element count and the same per-channel statistics), because its
 * batchNorm gradient handles only 1-D mean, variance, scale and offset broadcast along the
 * last axis (tf.layers.batchNormalization's own training path for axis -1).
 */
async function tfjs(tf: Tf, backend: TfBackend, shape: number[], mode: Mode): Promise<Bench> {
  await useTfBackend(tf, backend);
  const C = shape[1]!;
  const channelsLast = [shape[0]!, ...shape.slice(2), C];
  const axes = channelsLast.slice(0, -1).map((_, i) => i);
  const xs = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const dys = new Float32Array(xs.length);
  fillInputs(xs, dys);
  const x = tf.tensor(xs, channelsLast);
  const dy = tf.tensor(dys, channelsLast);
  const gamma = tf.ones([C]);
  const beta = tf.zeros([C]);
  const f = (xi: typeof x, g: typeof x, b: typeof x) => {
    const { mean, variance } = tf.moments(xi, axes);
    return tf.batchNorm(xi, mean, variance, b, g, 1e-5);
  };
  const grads = tf.grads(f as (...args: (typeof x)[]) => typeof x);
  const fn =
    mode === "forward"
      ? () => tf.tidy(() => void f(x, gamma, beta))
      : () => tf.tidy(() => void grads([x, gamma, beta], dy));
  fn(); // fail here (and be skipped), not inside the timing
  return { name: `tfjs-${backend}`, fn, before: () => useTfBackend(tf, backend), dispose: () => tf.dispose([x, dy, gamma, beta]) };
}

/** TensorFlow.js wasm and cpu for a BatchNorm case; skipped with the reason where they cannot run. */
async function tfjsContenders(shape: number[], mode: Mode): Promise<Array<Bench | Skipped>> {
  if (mode === "backward") return []; // see the file head
  const peer = await loadTfjs();
  if (!("tf" in peer)) return [{ name: "tfjs", skipped: peer.skipped }];
  const out: Array<Bench | Skipped> = [];
  for (const backend of ["wasm", "cpu"] as const) {
    if (!peer.backends.includes(backend)) {
      out.push({ name: `tfjs-${backend}`, skipped: peer.skipped[backend] ?? "not available" });
      continue;
    }
    try {
      out.push(await tfjs(peer.tf, backend, shape, mode));
    } catch (error) {
      out.push({ name: `tfjs-${backend}`, skipped: String(error) });
    }
  }
  return out;
}

const SHAPES = [[256, 1024], [64, 4096], [32, 64, 32, 32]];
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const label = (shape: number[]) => shape.join("x");

const batchNormCases: BenchCase[] = SHAPES.flatMap((shape) =>
  MODES.map((mode) => ({
    family: "norm",
    name: `batchnorm ${label(shape)} ${mode}`,
    size: size(shape),
    elements: size(shape),
    unit: "ns/element",
    contenders: async () => [
      ...(["wasm", "js"] as const).map((b) => descend(b, shape, mode, (rt) => new BatchNorm(rt, shape[1]!))),
      ...(await tfjsContenders(shape, mode)),
    ],
  })),
);

// LayerNorm over the trailing features of the 2-D shapes; GroupNorm (32 groups) on NCHW.
const rowNormCases: BenchCase[] = SHAPES.flatMap((shape) =>
  MODES.map((mode) => {
    const layer = shape.length === 2;
    const kind = layer ? `layernorm(${shape[1]})` : `groupnorm(32, ${shape[1]})`;
    const make = (rt: ReturnType<typeof initSyncWithTwins>): Module =>
      layer ? new LayerNorm(rt, shape[1]!) : new GroupNorm(rt, 32, shape[1]!);
    return {
      family: "norm",
      name: `${kind} ${label(shape)} ${mode}`,
      elements: size(shape),
      unit: "ns/element",
      contenders: () => (["wasm", "js"] as const).map((b) => descend(b, shape, mode, make)),
    };
  }),
);

export const cases: BenchCase[] = [...batchNormCases, ...rowNormCases];
