import { describe, expect, it } from "vitest";
import { twinRuntimes } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import type { Runtime } from "../../src/runtime/runtime";
import type { DType, FloatDType } from "../../src/runtime/tensor";
import { BATCH_NORM_STATS_ROWS, groupNormStatsLength } from "../../src/norm/stats";

/**
 * The wasm normalization kernels against their reference twins, on shapes chosen to hit
 * every path: lane blocks and leftover channels (S = 1), vector bodies and scalar tails
 * along S, chunk boundaries (CHUNK = 1024 elements), and in both dtypes. Inputs sit on an
 * offset (3 + uniform) so centering matters; parameter gradients start nonzero so that
 * accumulation (+=) is checked.
 */
const { wasm, js } = twinRuntimes();
const TOL: Record<FloatDType, number> = { f32: 4e-6, f64: 1e-12 };

type Kernel = (...args: number[]) => void;
const kernel = (rt: Runtime, name: string) => (rt.kernels as unknown as Record<string, Kernel>)[name]!;

interface Outputs {
  [name: string]: number[];
}

/**
 * Floors for the error scale of outputs that are sums with cancellation: dx is a difference
 * of terms of size gamma invstd |dy| (for M = 2 it is exactly zero), and dgamma, dbeta sum M
 * terms of size |dy|. Errors are measured against max(max |reference|, floor).
 */
function floors(M: number, gammaInvstd: number): Record<string, number> {
  return { dx: gammaInvstd, dgamma: M, dbeta: M };
}

/**
 * Runs forward then backward of a family on rt; returns every output buffer. `book`: the
 * book's invstd = 1 / (sigma + eps) (epsPlacement 'outside') instead of 1 / sqrt(var + eps).
 */
function runBatchNorm(rt: Runtime, dtype: FloatDType, [N, C, S]: number[], mode: "train" | "eval", seed: number, book = false): Outputs {
  return rt.scope(() => {
    const n = N! * C! * S!;
    const t = (values: ArrayLike<number>, shape = [values.length]) => rt.fromArray(values, shape, { dtype });
    const x = t(uniformArray(n, seed, 2, 4));
    const dy = t(uniformArray(n, seed + 1));
    const gamma = t(uniformArray(C!, seed + 2, 0.5, 1.5));
    const beta = t(uniformArray(C!, seed + 3));
    const runMean = t(uniformArray(C!, seed + 4, 2, 4));
    const runVar = t(uniformArray(C!, seed + 5, 0.1, 1));
    const dgamma = t(uniformArray(C!, seed + 6));
    const dbeta = t(uniformArray(C!, seed + 7));
    const y = rt.tensor([n], { dtype });
    const dx = rt.tensor([n], { dtype });
    const stats = rt.tensor([BATCH_NORM_STATS_ROWS, C!], { dtype: "f64" });
    if (mode === "train") {
      kernel(rt, `${dtype}_batchnorm_forward`)(x.ptr, y.ptr, gamma.ptr, beta.ptr, stats.ptr, N!, C!, S!, 1e-5, book ? 1 : 0);
      kernel(rt, `${dtype}_batchnorm_update_running`)(runMean.ptr, runVar.ptr, stats.ptr, C!, 0.9, 0.1, n / C! / (n / C! - 1));
    } else {
      kernel(rt, `${dtype}_batchnorm_forward_eval`)(x.ptr, y.ptr, gamma.ptr, beta.ptr, runMean.ptr, runVar.ptr, stats.ptr, N!, C!, S!, 1e-5, book ? 1 : 0);
    }
    const kept = stats.toArray().slice(0, 3 * C!);
    const gammaInvstd = Math.max(...gamma.toArray().map((g, c) => g * kept[2 * C! + c]!));
    kernel(rt, `${dtype}_batchnorm_backward`)(x.ptr, dy.ptr, dx.ptr, gamma.ptr, stats.ptr, dgamma.ptr, dbeta.ptr, N!, C!, S!, mode === "train" ? 1 : 0);
    return {
      y: y.toArray(),
      stats: kept,
      runMean: runMean.toArray(),
      runVar: runVar.toArray(),
      dx: dx.toArray(),
      dgamma: dgamma.toArray(),
      dbeta: dbeta.toArray(),
      floors: Object.values(floors(N! * S!, gammaInvstd)),
    };
  });
}

function runGroupNorm(rt: Runtime, dtype: FloatDType, [N, G, Cg, S]: number[], seed: number): Outputs {
  return rt.scope(() => {
    const n = N! * G! * Cg! * S!;
    const C = G! * Cg!;
    const t = (values: ArrayLike<number>) => rt.fromArray(values, [values.length], { dtype });
    const x = t(uniformArray(n, seed, 2, 4));
    const dy = t(uniformArray(n, seed + 1));
    const gamma = t(uniformArray(C, seed + 2, 0.5, 1.5));
    const beta = t(uniformArray(C, seed + 3));
    const dgamma = t(uniformArray(C, seed + 6));
    const dbeta = t(uniformArray(C, seed + 7));
    const y = rt.tensor([n], { dtype });
    const dx = rt.tensor([n], { dtype });
    const stats = rt.tensor([groupNormStatsLength(N!, G!, Cg!)], { dtype: "f64" });
    kernel(rt, `${dtype}_groupnorm_forward`)(x.ptr, y.ptr, gamma.ptr, beta.ptr, stats.ptr, N!, G!, Cg!, S!, 1e-5);
    kernel(rt, `${dtype}_groupnorm_backward`)(x.ptr, dy.ptr, dx.ptr, gamma.ptr, stats.ptr, dgamma.ptr, dbeta.ptr, N!, G!, Cg!, S!);
    const invstd = stats.toArray().slice(2 * N! * G!, 3 * N! * G!);
    const gammaInvstd = Math.max(...gamma.toArray()) * Math.max(...invstd);
    const out = { y: y.toArray(), stats: stats.toArray().slice(0, 3 * N! * G!), dx: dx.toArray(), dgamma: dgamma.toArray(), dbeta: dbeta.toArray() };
    return { ...out, floors: Object.values(floors(N! * S!, gammaInvstd)) };
  });
}

function expectTwins(got: Outputs, want: Outputs, dtype: FloatDType, context: string): void {
  const [dxFloor, dgammaFloor, dbetaFloor] = want.floors!;
  const floor: Record<string, number> = { dx: dxFloor!, dgamma: dgammaFloor!, dbeta: dbetaFloor! };
  for (const name of Object.keys(want).filter((k) => k !== "floors")) {
    const tol = name === "stats" ? 1e-12 + (dtype === "f32" ? 1e-6 : 0) : TOL[dtype];
    const [a, b] = [got[name]!, want[name]!];
    let diff = 0;
    let scale = floor[name] ?? 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
    expect(a.length, `${context} ${name} length`).toBe(b.length);
    expect(diff / scale, `${context} ${name}`).toBeLessThanOrEqual(tol);
  }
}

// (N, C, S): S = 1 runs the lane-block path for C >= lanes plus leftover channels.
const BN_SHAPES = [
  [2, 1, 1], [3, 3, 1], [5, 4, 1], [7, 5, 1], [2, 8, 1], [33, 9, 1], [4, 17, 1], [1100, 6, 1], [2050, 2, 1],
  [2, 3, 2], [3, 2, 3], [2, 5, 7], [4, 3, 16], [3, 2, 17], [2, 3, 33], [1, 2, 1500], [3, 1, 2049], [200, 2, 9],
];
// (N, G, Cg, S): layer norm (G = 1, S = 1), instance norm (Cg = 1), group norm.
const GN_SHAPES = [
  [1, 1, 1, 2], [3, 1, 5, 1], [2, 1, 8, 1], [4, 1, 17, 1], [2, 1, 1500, 1], [2, 3, 1, 7], [3, 4, 1, 16],
  [2, 2, 3, 5], [2, 4, 2, 9], [1, 2, 3, 700], [2, 1, 3, 2049], [2100, 1, 3, 1], [1030, 2, 2, 1],
];

describe.each(["f32", "f64"] as const)("%s batch norm kernels: wasm vs reference", (dtype) => {
  it.each(BN_SHAPES)("train (N, C, S) = (%i, %i, %i)", (N, C, S) => {
    expectTwins(runBatchNorm(wasm, dtype, [N, C, S], "train", N + 7 * C + S), runBatchNorm(js, dtype, [N, C, S], "train", N + 7 * C + S), dtype, `${N}x${C}x${S}`);
  });
  it.each(BN_SHAPES.slice(0, 12))("eval (N, C, S) = (%i, %i, %i)", (N, C, S) => {
    expectTwins(runBatchNorm(wasm, dtype, [N, C, S], "eval", 3 * N + C), runBatchNorm(js, dtype, [N, C, S], "eval", 3 * N + C), dtype, `${N}x${C}x${S}`);
  });
});

describe.each(["f32", "f64"] as const)("%s batch norm kernels, the book's form 1 / (sigma + eps): wasm vs reference", (dtype) => {
  it.each(BN_SHAPES)("train (N, C, S) = (%i, %i, %i)", (N, C, S) => {
    const seed = 5 * N + C + 3 * S;
    expectTwins(runBatchNorm(wasm, dtype, [N, C, S], "train", seed, true), runBatchNorm(js, dtype, [N, C, S], "train", seed, true), dtype, `${N}x${C}x${S}`);
  });
  it.each(BN_SHAPES.slice(0, 12))("eval (N, C, S) = (%i, %i, %i)", (N, C, S) => {
    const seed = 2 * N + 5 * C;
    expectTwins(runBatchNorm(wasm, dtype, [N, C, S], "eval", seed, true), runBatchNorm(js, dtype, [N, C, S], "eval", seed, true), dtype, `${N}x${C}x${S}`);
  });
});

describe.each(["f32", "f64"] as const)("%s group norm kernels: wasm vs reference", (dtype) => {
  it.each(GN_SHAPES)("(N, G, Cg, S) = (%i, %i, %i, %i)", (N, G, Cg, S) => {
    const seed = N + 5 * G + 11 * Cg + S;
    expectTwins(runGroupNorm(wasm, dtype, [N, G, Cg, S], seed), runGroupNorm(js, dtype, [N, G, Cg, S], seed), dtype, `${N}x${G}x${Cg}x${S}`);
  });
});

describe.each(["f32", "f64"] as const)("%s kernels in place (y aliasing x, dx aliasing dy)", (dtype) => {
  /** Runs forward then backward with separate outputs, and again in place; returns both. */
  function inPlace(rt: Runtime, family: "batchnorm" | "groupnorm", dims: number[], C: number): number[][][] {
    return rt.scope(() => {
      const n = dims.reduce((a, b) => a * b, 1);
      const t = (values: ArrayLike<number>) => rt.fromArray(values, [values.length], { dtype });
      const gamma = t(uniformArray(C, 2, 0.5, 1.5));
      const beta = t(uniformArray(C, 3));
      const rows = family === "batchnorm" ? BATCH_NORM_STATS_ROWS * C : groupNormStatsLength(dims[0]!, dims[1]!, dims[2]!);
      const run = (aliased: boolean) => {
        const x = t(uniformArray(n, 1, 2, 4));
        const dy = t(uniformArray(n, 4));
        const y = aliased ? x : rt.tensor([n], { dtype });
        const dx = aliased ? dy : rt.tensor([n], { dtype });
        const xCopy = aliased ? t(x.toArray()) : x; // backward needs the input
        const stats = rt.tensor([rows], { dtype: "f64" });
        const grads = [t(new Array(C).fill(0)), t(new Array(C).fill(0))];
        kernel(rt, `${dtype}_${family}_forward`)(x.ptr, y.ptr, gamma.ptr, beta.ptr, stats.ptr, ...dims, 1e-5);
        const yOut = y.toArray();
        const tail = family === "batchnorm" ? [1] : [];
        kernel(rt, `${dtype}_${family}_backward`)(xCopy.ptr, dy.ptr, dx.ptr, gamma.ptr, stats.ptr, grads[0]!.ptr, grads[1]!.ptr, ...dims, ...tail);
        return [yOut, dx.toArray(), grads[0]!.toArray(), grads[1]!.toArray()];
      };
      return [run(false), run(true)];
    });
  }
  const cases: Array<["batchnorm" | "groupnorm", number[], number]> = [
    ["batchnorm", [9, 6, 1], 6],
    ["batchnorm", [3, 2, 13], 2],
    ["groupnorm", [3, 1, 9, 1], 9],
    ["groupnorm", [2, 2, 3, 5], 6],
  ];
  for (const rt of [wasm, js]) {
    it.each(cases)(`${rt.backend}: %s %j gives the same results in place`, (family, dims, C) => {
      const [separate, aliased] = inPlace(rt, family, dims, C);
      expect(aliased).toEqual(separate);
    });
  }
});

describe("kernels at the ends of the range: wasm vs reference", () => {
  /** Forward then backward (batch statistics) on given x, dy, gamma; every output, statistics rows included. */
  function run(rt: Runtime, dtype: FloatDType, family: "batchnorm" | "groupnorm", dims: number[], inputs: { x: number[]; dy: number[]; gamma: number[] }): Outputs {
    return rt.scope(() => {
      const C = inputs.gamma.length;
      const t = (values: ArrayLike<number>) => rt.fromArray(values, [values.length], { dtype });
      const [x, dy, gamma] = [t(inputs.x), t(inputs.dy), t(inputs.gamma)];
      const [beta, dgamma, dbeta] = [t(new Array(C).fill(0.5)), t(new Array(C).fill(0)), t(new Array(C).fill(0))];
      const [y, dx] = [rt.tensor([inputs.x.length], { dtype }), rt.tensor([inputs.x.length], { dtype })];
      const statRows = family === "batchnorm" ? C : dims[0]! * dims[1]!;
      const stats = rt.tensor([family === "batchnorm" ? BATCH_NORM_STATS_ROWS * C : groupNormStatsLength(dims[0]!, dims[1]!, dims[2]!)], { dtype: "f64" });
      kernel(rt, `${dtype}_${family}_forward`)(x.ptr, y.ptr, gamma.ptr, beta.ptr, stats.ptr, ...dims, 1e-5);
      const kept = stats.toArray().slice(0, 3 * statRows);
      const tail = family === "batchnorm" ? [1] : [];
      kernel(rt, `${dtype}_${family}_backward`)(x.ptr, dy.ptr, dx.ptr, gamma.ptr, stats.ptr, dgamma.ptr, dbeta.ptr, ...dims, ...tail);
      return { y: y.toArray(), stats: kept, dx: dx.toArray(), dgamma: dgamma.toArray(), dbeta: dbeta.toArray() };
    });
  }

  /** Every output finite, and within `tol` of the twin's relative to the twin's largest magnitude. */
  function expectFiniteTwins(got: Outputs, want: Outputs, tol: number): void {
    for (const name of Object.keys(want)) {
      const [a, b] = [got[name]!, want[name]!];
      expect(a.every(Number.isFinite) && b.every(Number.isFinite), `${name} finite: ${a.slice(0, 4)}`).toBe(true);
      const scale = Math.max(...b.map(Math.abs));
      const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      expect(diff / scale, name).toBeLessThanOrEqual(tol);
    }
  }

  // In f32, squares and products of deviations near 1e30 pass f32's 3.4e38 although every
  // result (mean ~1e30, invstd ~1e-30, y, dx, dgamma ~ dy xhat) is an ordinary f32: the sums
  // must not overflow (they had: var = Infinity, invstd = 0, y = beta, dgamma = Infinity).
  const cases: Array<["batchnorm" | "groupnorm", number[], number]> = [
    ["batchnorm", [37, 5, 1], 5], // (N, C) rows
    ["batchnorm", [3, 2, 13], 2], // NCHW planes
    ["groupnorm", [3, 1, 9, 1], 9], // layer norm: gamma per element
    ["groupnorm", [2, 2, 3, 5], 6], // group norm: runs of S
  ];
  it.each(cases)("f32 %s %j on inputs and gradients around 1e30 stays finite", (family, dims, C) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const inputs = {
      x: Array.from(uniformArray(n, 1), (v) => v * 1e30),
      dy: Array.from(uniformArray(n, 2), (v) => v * 1e30),
      gamma: Array.from(uniformArray(C, 3, 0.5, 1.5)),
    };
    expectFiniteTwins(run(wasm, "f32", family, dims, inputs), run(js, "f32", family, dims, inputs), TOL.f32);
  });
});

it("f64 batch norm backward keeps full accuracy when gamma invstd^2 is subnormal (B = -gamma invstd^2 dgamma / M)", () => {
  // gamma = 1e-260, invstd ~ 2e-30 (x ~ 1e30), dy ~ 1e30: gamma invstd^2 ~ 4e-320 is a
  // subnormal with a dozen significant bits, though B = -gamma invstd^2 dgamma / M ~ 1e-290
  // and every dx ~ 1e-260 are normal numbers. Forming gamma invstd^2 first had cost dx
  // about four digits.
  const outputs = (rt: Runtime) =>
    rt.scope(() => {
      const [N, C, S] = [4, 1, 9];
      const t = (values: ArrayLike<number>) => rt.fromArray(values, [values.length], { dtype: "f64" });
      const x = t(Array.from(uniformArray(N * S, 11), (v) => v * 1e30));
      const dy = t(Array.from(uniformArray(N * S, 12), (v) => v * 1e30));
      const [gamma, beta, dgamma, dbeta] = [t([1e-260]), t([0]), t([0]), t([0])];
      const [y, dx] = [rt.tensor([N * S], { dtype: "f64" }), rt.tensor([N * S], { dtype: "f64" })];
      const stats = rt.tensor([BATCH_NORM_STATS_ROWS * C], { dtype: "f64" });
      rt.kernels.f64_batchnorm_forward(x.ptr, y.ptr, gamma.ptr, beta.ptr, stats.ptr, N, C, S, 1e-5, 0);
      rt.kernels.f64_batchnorm_backward(x.ptr, dy.ptr, dx.ptr, gamma.ptr, stats.ptr, dgamma.ptr, dbeta.ptr, N, C, S, 1);
      return dx.toArray();
    });
  const [got, want] = [outputs(wasm), outputs(js)];
  const scale = Math.max(...want.map(Math.abs));
  expect(scale).toBeGreaterThan(1e-300);
  expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!))) / scale).toBeLessThanOrEqual(TOL.f64);
});
