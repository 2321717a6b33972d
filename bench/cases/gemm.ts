// GEMM throughput, C = op(A) op(B), in GFLOP/s = 2mnk / t, for square sizes and for the
// layers of the training demo's MLP (batch 128: 256 -> 512 -> 512 -> 10), forward and
// backward (dW = X^T dY, dX = dY W^T). Contenders, in order: descend wasm (the best SIMD
// build this engine runs, one thread), descend js (the reference twin), TensorFlow.js wasm
// (XNNPACK, one thread) and cpu backends, ml-matrix, and a plain-JS i-k-j loop over
// Float32Arrays. Cases marked "new B" create B afresh every call from the same values, as
// in training where the weights change every step (no contender can reuse a packed B).
// ml-matrix and the i-k-j loop get transposed operands pre-transposed outside the timing.
// With DESCEND_THREADS=n a second descend contender runs on an n-thread pool. The naive
// contenders (reference twin, tfjs cpu, ml-matrix, i-k-j) run up to n = 512-sized products
// only: at 1024 each takes seconds per call.
import { initSyncWithTwins } from "../../test/helpers/runtime";
import { selectTarget } from "../../src/runtime/backend-wasm";
import { gemm } from "../../src/linalg/index";
import type { Runtime } from "../../src/runtime/runtime";
import type { Tensor } from "../../src/runtime/tensor";
import { loadTfjs, useTfBackend, type Tf, type TfBackend } from "../peers/tfjs";
import type { BenchCase, Contender, Skipped } from "../harness";

interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** B is created anew every call. */
  freshB?: boolean;
}

const SQUARE: Shape[] = [64, 128, 256, 512, 1024].flatMap((n) => [
  { label: `square n=${n}`, m: n, n, k: n },
  { label: `square n=${n}, new B`, m: n, n, k: n, freshB: true },
]);

const MLP: Shape[] = [
  { label: "mlp fwd 128x256 @ 256x512", m: 128, n: 512, k: 256, freshB: true },
  { label: "mlp fwd 128x512 @ 512x512", m: 128, n: 512, k: 512, freshB: true },
  { label: "mlp fwd 128x512 @ 512x10", m: 128, n: 10, k: 512, freshB: true },
  { label: "mlp dW1 (128x256)^T @ 128x512", m: 256, n: 512, k: 128, transA: true, freshB: true },
  { label: "mlp dW2 (128x512)^T @ 128x512", m: 512, n: 512, k: 128, transA: true, freshB: true },
  { label: "mlp dX2 128x512 @ (512x512)^T", m: 128, n: 512, k: 512, transB: true, freshB: true },
  { label: "mlp dX3 128x10 @ (512x10)^T", m: 128, n: 512, k: 10, transB: true, freshB: true },
];

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The stored (untransposed) operands of a shape: A is [m,k] or [k,m], B is [k,n] or [n,k]. */
function operands(s: Shape) {
  return {
    a: values(s.m * s.k, 1),
    b: values(s.k * s.n, 2),
    aShape: (s.transA ? [s.k, s.m] : [s.m, s.k]) as [number, number],
    bShape: (s.transB ? [s.n, s.k] : [s.k, s.n]) as [number, number],
  };
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

type Disposable = Contender & { dispose?: () => void };

function descend(s: Shape, rt: Runtime, name: string): Disposable {
  const { a, b, aShape, bShape } = operands(s);
  const A = rt.fromArray(a, aShape);
  let B: Tensor = rt.fromArray(b, bShape);
  const C = rt.tensor([s.m, s.n]);
  const options = { transA: s.transA ?? false, transB: s.transB ?? false };
  const fn = s.freshB
    ? () => {
        B.dispose();
        B = rt.fromArray(b, bShape);
        gemm(A, B, C, options);
      }
    : () => gemm(A, B, C, options);
  return { name, fn, dispose: () => [A, B, C].forEach((t) => t.dispose()) };
}

async function tfjs(s: Shape, tf: Tf, backend: TfBackend): Promise<Disposable> {
  await useTfBackend(tf, backend);
  const { a, b, aShape, bShape } = operands(s);
  const A = tf.tensor2d(a, aShape);
  let B = tf.tensor2d(b, bShape);
  const [tA, tB] = [s.transA ?? false, s.transB ?? false];
  const fn = () => {
    if (s.freshB) {
      B.dispose();
      B = tf.tensor2d(b, bShape);
    }
    tf.matMul(A, B, tA, tB).dispose();
  };
  return { name: `tfjs-${backend}`, fn, before: () => useTfBackend(tf, backend), dispose: () => (A.dispose(), B.dispose()) };
}

/** A and B as ml-matrix / i-k-j want them: op() applied beforehand. */
function plainOperands(s: Shape) {
  const { a, b } = operands(s);
  return { a: s.transA ? transpose(a, s.k, s.m) : a, b: s.transB ? transpose(b, s.n, s.k) : b };
}

async function mlMatrix(s: Shape): Promise<Disposable | Skipped> {
  let Matrix: typeof import("ml-matrix").Matrix;
  try {
    ({ Matrix } = await import("ml-matrix"));
  } catch (error) {
    return { name: "ml-matrix", skipped: `ml-matrix not installed (${String(error)})` };
  }
  const { a, b } = plainOperands(s);
  const A = new Matrix(s.m, s.k);
  const B = new Matrix(s.k, s.n);
  for (let i = 0; i < s.m; i++) for (let p = 0; p < s.k; p++) A.set(i, p, a[i * s.k + p]!);
  for (let p = 0; p < s.k; p++) for (let j = 0; j < s.n; j++) B.set(p, j, b[p * s.n + j]!);
  return { name: "ml-matrix", fn: () => void A.mmul(B) };
}

/** The loop a JS programmer writes first: i-k-j order, so the inner loop is unit-stride. */
function ikj(s: Shape): Disposable {
  const { a, b } = plainOperands(s);
  const c = new Float32Array(s.m * s.n);
  const { m, n, k } = s;
  const fn = () => {
    c.fill(0);
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p]!;
        const row = p * n;
        const out = i * n;
        for (let j = 0; j < n; j++) c[out + j] = c[out + j]! + aip * b[row + j]!;
      }
    }
  };
  return { name: "plain-js ikj", fn };
}

/** The runtimes of the gemm cases, made on first use (one each, shared by the cases). */
let shared: { wasm: Runtime; js: Runtime; threads: number; pooled: Runtime | null } | null = null;
function runtimes() {
  const threads = Number(process.env.DESCEND_THREADS ?? 1);
  shared ??= { wasm: initSyncWithTwins(), js: initSyncWithTwins({ backend: "js" }), threads, pooled: threads > 1 ? initSyncWithTwins({ threads }) : null };
  return shared;
}

/** TensorFlow.js contenders of one case, or why they are skipped. */
async function tfjsContenders(s: Shape, flops: number): Promise<Array<Disposable | Skipped>> {
  const peer = await loadTfjs();
  if (!("tf" in peer)) return [{ name: "tfjs", skipped: peer.skipped }];
  const out: Array<Disposable | Skipped> = [];
  for (const backend of ["wasm", "cpu"] as const) {
    if (!peer.backends.includes(backend)) out.push({ name: `tfjs-${backend}`, skipped: peer.skipped[backend] ?? "not available" });
    else if (backend === "wasm" || flops <= NAIVE_MAX_FLOPS) out.push(await tfjs(s, peer.tf, backend));
  }
  return out;
}

/** Naive contenders are skipped above these many flops, to keep runs short. */
const JS_TWIN_MAX_FLOPS = 2 * 256 ** 3;
const NAIVE_MAX_FLOPS = 2 * 512 ** 3;

/**
 * The engine's multiply-add peak on the same flop count: f32_madd_peak runs 96 flops per
 * iteration in 12 independent v128 chains (the ceiling the microkernel works against).
 */
function peak(rt: Runtime, flops: number): Disposable {
  const out = rt.tensor([48]);
  const iterations = Math.max(1, Math.round(flops / 96));
  return { name: PEAK, fn: () => rt.kernels.f32_madd_peak(out.ptr, iterations, 1, 0.5), dispose: () => out.dispose() };
}
const PEAK = "simd peak (madd)";

export const cases: BenchCase[] = [...SQUARE, ...MLP].map((s) => {
  const flops = 2 * s.m * s.n * s.k;
  const square = s.m === s.n && s.n === s.k && !s.freshB;
  return {
    family: "gemm",
    name: `gemm ${s.label}`,
    ...(square ? { size: s.n } : {}),
    elements: flops,
    unit: "ns/flop",
    flops,
    peak: PEAK,
    contenders: async () => {
      const rt = runtimes();
      return [
        descend(s, rt.wasm, `descend-wasm (${selectTarget()})`),
        peak(rt.wasm, flops),
        ...(rt.pooled ? [descend(s, rt.pooled, `descend-wasm x${rt.threads} threads`)] : []),
        ...(flops <= JS_TWIN_MAX_FLOPS ? [descend(s, rt.js, "descend-js")] : []),
        ...(await tfjsContenders(s, flops)),
        ...(flops <= NAIVE_MAX_FLOPS ? [await mlMatrix(s), ikj(s)] : []),
      ];
    },
  };
});
