// Every optimizer step in ns/param for N = 1e4 ... 1e7 (f32): descend wasm, the reference
// twin, the memory-bandwidth bound measured in the same run, and TensorFlow.js (tf.train.*)
// on its wasm (single thread) and cpu backends wherever it has the rule.
// The bound is the stream probe (assembly/optim/stream.ts): a loop that reads g and the k
// arrays the update writes and writes those k arrays back, the bytes of the fused update with
// almost no arithmetic; "% of bound" = bound time / contender time.
// Families: `--only adam` (Adam, and Adam with global-norm clipping + the non-finite check
// against plain Adam), `--only optim` (every other rule). BENCH_SIZES=1e6,1e7 picks sizes.
import { initSyncWithTwins } from "../../test/helpers/runtime";
import { AdaDelta, AdaGrad, Adam, Adamax, AdamW, DeltaBarDelta, NAdam, RMSProp, SGD, type Optimizer } from "../../src/optim/index";
import type { Backend, Runtime } from "../../src/runtime/runtime";
import type { Param } from "../../src/runtime/tensor";
import type { Contender } from "../harness";
import type { BenchCase } from "../harness";
import { loadTfjs, type Tf, type TfBackend } from "../peers/tfjs";

type Disposable = Contender & { dispose: () => void };

interface Rule {
  name: string;
  family: string;
  /** Arrays the update writes (theta and state): the bound reads k + 1 arrays and writes k. */
  k: number;
  make: (rt: Runtime, params: Param[]) => Optimizer<any>;
  /** The tfjs optimizer with the same update, where tfjs has one. */
  tfjs?: (tf: Tf) => InstanceType<Tf["Optimizer"]>;
}

const RULES: Rule[] = [
  { name: "sgd", family: "optim", k: 1, make: (rt, p) => new SGD(rt, p, { lr: 1e-3 }), tfjs: (tf) => tf.train.sgd(1e-3) },
  {
    name: "momentum",
    family: "optim",
    k: 2,
    make: (rt, p) => new SGD(rt, p, { convention: "tfjs", lr: 1e-3, momentum: 0.9 }),
    tfjs: (tf) => tf.train.momentum(1e-3, 0.9),
  },
  { name: "adagrad", family: "optim", k: 2, make: (rt, p) => new AdaGrad(rt, p, { convention: "tfjs", lr: 1e-2 }), tfjs: (tf) => tf.train.adagrad(1e-2) },
  { name: "rmsprop", family: "optim", k: 2, make: (rt, p) => new RMSProp(rt, p, { convention: "tfjs", lr: 1e-3 }), tfjs: (tf) => tf.train.rmsprop(1e-3) },
  {
    name: "rmsprop centered+momentum",
    family: "optim",
    k: 4,
    make: (rt, p) => new RMSProp(rt, p, { convention: "tfjs", lr: 1e-3, momentum: 0.9, centered: true }),
    tfjs: (tf) => tf.train.rmsprop(1e-3, 0.9, 0.9, undefined, true),
  },
  { name: "adadelta", family: "optim", k: 3, make: (rt, p) => new AdaDelta(rt, p, { convention: "tfjs" }), tfjs: (tf) => tf.train.adadelta(1e-3, 0.95) },
  { name: "adam", family: "adam", k: 3, make: (rt, p) => new Adam(rt, p, { convention: "tfjs", lr: 1e-3 }), tfjs: (tf) => tf.train.adam(1e-3) },
  { name: "amsgrad", family: "optim", k: 4, make: (rt, p) => new Adam(rt, p, { lr: 1e-3, amsgrad: true }) },
  { name: "adamw", family: "optim", k: 3, make: (rt, p) => new AdamW(rt, p, { lr: 1e-3 }) },
  { name: "nadam", family: "optim", k: 3, make: (rt, p) => new NAdam(rt, p) },
  { name: "adamax", family: "optim", k: 3, make: (rt, p) => new Adamax(rt, p, { convention: "tfjs" }), tfjs: (tf) => tf.train.adamax(2e-3) },
  { name: "delta-bar-delta", family: "optim", k: 3, make: (rt, p) => new DeltaBarDelta(rt, p) },
];

const CLIPPED: Rule = {
  name: "adam + global-norm clip + non-finite check",
  family: "adam",
  k: 3,
  make: (rt, p) => new Adam(rt, p, { convention: "tfjs", lr: 1e-3, clipGlobalNorm: 1, nonFinite: "skip" }),
};

function fillParam(param: Param): void {
  const data = param.data;
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i);
  const grad = param.grad.data;
  for (let i = 0; i < grad.length; i++) grad[i] = Math.cos(i) * 1e-2;
}

function descend(rule: Rule, backend: Backend, n: number, label = `descend-${backend}`): Disposable {
  const rt = initSyncWithTwins({ backend });
  const w = rt.param([n]);
  fillParam(w);
  const opt = rule.make(rt, [w]);
  return { name: label, fn: () => void opt.step(), dispose: () => (opt.dispose(), w.dispose()) };
}

/** The stream probe over the bytes of a rule with k written arrays. */
function bound(k: number, n: number): Disposable {
  const rt = initSyncWithTwins({ backend: "wasm" });
  const arrays = Array.from({ length: 5 }, (_, j) => (j <= k ? rt.tensor([n]) : null));
  const ptrs = arrays.map((a) => a?.ptr ?? 0) as [number, number, number, number, number];
  return {
    name: `bound (stream k=${k})`,
    fn: () => rt.kernels.f32_stream(...ptrs, n, k),
    dispose: () => arrays.forEach((a) => a?.dispose()),
  };
}

const peer = await loadTfjs();
if (!("tf" in peer)) console.error(`tfjs peer skipped: ${peer.skipped}`);
else {
  for (const [backend, why] of Object.entries(peer.skipped)) console.error(`tfjs-${backend} skipped: ${why}`);
  for (const backend of peer.backends) await peer.tf.setBackend(backend); // initialize both now
}

/** tfjs-cpu takes seconds per step at N = 1e7 (hundreds of ns/param); TFJS_CPU_MAX_N=1e7 includes it. */
const TFJS_CPU_MAX_N = Number(process.env.TFJS_CPU_MAX_N ?? 1e6);
let cpuSkipNoted = false;

function tfjs(rule: Rule, backend: TfBackend, n: number): Disposable[] {
  if (!("tf" in peer) || !peer.backends.includes(backend) || !rule.tfjs) return [];
  if (backend === "cpu" && n > TFJS_CPU_MAX_N) {
    if (!cpuSkipNoted) console.error(`tfjs-cpu skipped above N = ${TFJS_CPU_MAX_N} (seconds per step; set TFJS_CPU_MAX_N to include it)`);
    cpuSkipNoted = true;
    return [];
  }
  const { tf } = peer;
  void tf.setBackend(backend); // initialized at load: the switch takes effect synchronously
  const name = `bench_${rule.name}_${backend}_${n}`.replace(/[^\w]/g, "_");
  const w = tf.variable(tf.sin(tf.range(0, n)), true, name);
  const g = tf.mul(tf.cos(tf.range(0, n)), 1e-2);
  const opt = rule.tfjs(tf);
  return [
    {
      name: `tfjs-${backend}${backend === "wasm" ? ` (${peer.wasmThreads} thread)` : ""}`,
      fn: () => {
        if (tf.getBackend() !== backend) void tf.setBackend(backend);
        opt.applyGradients({ [name]: g });
      },
      dispose: () => {
        void tf.setBackend(backend);
        opt.dispose();
        w.dispose();
        g.dispose();
      },
    },
  ];
}

const SIZES = (process.env.BENCH_SIZES ?? "1e4,1e5,1e6,1e7").split(",").map(Number);

export const cases: BenchCase[] = [
  ...RULES.flatMap((rule) =>
    SIZES.map((n) => ({
      family: rule.family,
      name: `${rule.name} n=${n.toExponential(0)}`,
      size: n,
      chart: `optim-${rule.name}`,
      elements: n,
      unit: "ns/param",
      bound: `bound (stream k=${rule.k})`,
      contenders: () => [descend(rule, "wasm", n), descend(rule, "js", n), bound(rule.k, n), ...tfjs(rule, "wasm", n), ...tfjs(rule, "cpu", n)],
    })),
  ),
  ...SIZES.map((n) => ({
    family: "adam",
    name: `${CLIPPED.name} n=${n.toExponential(0)}`,
    size: n,
    chart: "optim-adam-clipped",
    elements: n,
    unit: "ns/param",
    bound: `bound (stream k=3)`,
    contenders: () => [descend(CLIPPED, "wasm", n), descend(RULES.find((r) => r.name === "adam")!, "wasm", n, "plain adam (wasm)"), bound(3, n)],
  })),
];
