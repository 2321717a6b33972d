import { describe, expect, it } from "vitest";
import { twinRuntimes } from "../helpers/backends";
import { expectSameBits } from "../helpers/optim";
import { uniformArray } from "../helpers/random";
import { sizesFor } from "../helpers/sizes";
import type { KernelName } from "../../src/runtime/kernels";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType, Tensor } from "../../src/runtime/tensor";

/**
 * Every optimizer kernel against its reference twin, both dtypes: identical inputs in two
 * runtimes, five steps with fresh gradients each, every buffer compared bit for bit (the
 * twins round each operation to the dtype, so they must agree exactly). Each update kernel
 * runs with the prologue off (the plain loop) and on (clip, L2, L1, decoupled decay, a
 * negative gradScale for maximize).
 */
interface KernelCase {
  op: string;
  /** Buffers in argument order, the first two being theta and g for update kernels, with value ranges. */
  buffers: Array<[name: string, lo: number, hi: number]>;
  /** Scalars after n (without the prologue). */
  scalars: number[];
  /** Whether the kernel takes the five prologue scalars last. */
  prologue: boolean;
  /** Gradients of 0 and of 1e-30 (whose square underflows in f32) at every fourth element. */
  vanishing?: boolean;
}

const rmspropBuffers: KernelCase["buffers"] = [["p", -1, 1], ["g", -1, 1], ["r", 0.5, 1], ["ga", -0.1, 0.1], ["b", -0.1, 0.1]];
const rmspropScalars = [0.9, 0.1, 1e-7, 0, 0.9, -1e-3, 1, -1e-3];
/** r of 0, for eps = 0 with `vanishing` gradients: 0/0 and tiny/0 lanes. */
const rmspropZeros: KernelCase["buffers"] = [["p", -1, 1], ["g", -1, 1], ["r", 0, 0], ["ga", -0.1, 0.1], ["b", -0.1, 0.1]];

const CASES: KernelCase[] = [
  { op: "sgd_step", buffers: [["p", -1, 1], ["g", -1, 1]], scalars: [-0.01], prologue: true },
  { op: "momentum_step", buffers: [["p", -1, 1], ["g", -1, 1], ["b", -0.1, 0.1]], scalars: [0.9, 1, -0.01, -0.01], prologue: true },
  {
    op: "adam_step",
    buffers: [["p", -1, 1], ["g", -1, 1], ["s", -0.1, 0.1], ["r", 0, 0.01]],
    scalars: [1e-3 / 0.271, 0.1, 0.001, 0, 1e-8, 1 / Math.sqrt(0.002997)],
    prologue: true,
  },
  {
    op: "adam_step",
    buffers: [["p", -1, 1], ["g", -1, 1], ["s", -0.1, 0.1], ["r", 0, 0.01]],
    scalars: [1e-3 / 0.271, 0.1, 0.001, 1e-8 * 0.002997, 0, 1 / Math.sqrt(0.002997)],
    prologue: true,
  },
  {
    op: "adam_step_amsgrad",
    buffers: [["p", -1, 1], ["g", -1, 1], ["s", -0.1, 0.1], ["r", 0, 0.01], ["rmax", 0, 0.02]],
    scalars: [1e-3 / 0.271, 0.1, 0.001, 0, 1e-8, 1 / Math.sqrt(0.002997), 1],
    prologue: true,
  },
  {
    op: "adam_step_amsgrad_fed_back",
    buffers: [["p", -1, 1], ["g", -1, 1], ["s", -0.1, 0.1], ["r", 0, 0.5]],
    scalars: [1e-3 / 0.271, 0.1, 0.001, 0, 1e-8, 1 / Math.sqrt(0.002997)],
    prologue: true,
  },
  {
    op: "adam_step_amsgrad_fed_back",
    buffers: [["p", -1, 1], ["g", -1, 1], ["s", -0.1, 0.1], ["r", 0, 0.5]],
    scalars: [1e-3, 0.1, 0.1, 1e-8, 0, 1],
    prologue: true,
  },
  {
    op: "nadam_step",
    buffers: [["p", -1, 1], ["g", -1, 1], ["s", -0.1, 0.1], ["r", 0, 0.01]],
    scalars: [2e-3, 1e-3, 0.1, 0.001, 1e-8, 1 / Math.sqrt(0.002997)],
    prologue: true,
  },
  {
    op: "adamax_step",
    buffers: [["p", -1, 1], ["g", -1, 1], ["m", -0.1, 0.1], ["u", 0, 1]],
    scalars: [2e-3 / 0.271, 0.1, 0.999, 1e-8, 1e-7],
    prologue: true,
  },
  { op: "adagrad_step", buffers: [["p", -1, 1], ["g", -1, 1], ["r", 0, 1]], scalars: [0.01, 1e-10, 1e-7], prologue: true },
  { op: "adadelta_step", buffers: [["p", -1, 1], ["g", -1, 1], ["eg", 0, 1], ["edx", 0, 1]], scalars: [1, 0.9, 0.1, 1e-6, 0], prologue: true },
  { op: "adadelta_step", buffers: [["p", -1, 1], ["g", -1, 1], ["eg", 0, 1], ["edx", 0, 1]], scalars: [1e-3, 0.95, 0.05, 1e-7, 1], prologue: true },
  { op: "rmsprop_step", buffers: rmspropBuffers, scalars: rmspropScalars, prologue: true },
  { op: "rmsprop_step_centered", buffers: rmspropBuffers, scalars: rmspropScalars, prologue: true },
  { op: "rmsprop_step_momentum", buffers: rmspropBuffers, scalars: rmspropScalars, prologue: true },
  { op: "rmsprop_step_centered_momentum", buffers: rmspropBuffers, scalars: [0.99, 0.01, 0, 1e-8, 0.9, 1, -1e-2, 0], prologue: true },
  // eps = 0 (Alg. 8.6 without delta) on an r that holds zeros: the masked 0/0 lanes.
  { op: "rmsprop_step_momentum", buffers: rmspropZeros, scalars: [0.9, 0.1, 0, 0, 0.9, -1e-3, 0.9, -1e-3], prologue: true, vanishing: true },
  { op: "rmsprop_step", buffers: rmspropZeros, scalars: [0.9, 0.1, 0, 0, 0, 0, 0, -1e-3], prologue: true, vanishing: true },
  {
    op: "delta_bar_delta_step",
    buffers: [["p", -1, 1], ["g", -1, 1], ["eta", 0.001, 0.01], ["bar", -1, 1]],
    scalars: [1e-3, 0.9, 0.7, 0.3],
    prologue: true,
  },
  { op: "stream", buffers: [["g", -1, 1], ["a", -1, 1], ["b", -1, 1], ["c", -1, 1], ["d", -1, 1]], scalars: [3], prologue: false },
];

const PLAIN = [0.7, Number.POSITIVE_INFINITY, 0, 0, 1];
const FULL = [-0.7, 0.5, 1e-2, 1e-3, 0.999];

/** Runs five steps of `c` on n elements of `dtype` in `rt`; returns every buffer's final values. */
function run(rt: Runtime, c: KernelCase, dtype: FloatDType, n: number, prologue: number[]): Array<Float32Array | Float64Array> {
  return rt.scope(() => {
    const tensors: Tensor<FloatDType>[] = c.buffers.map(([, lo, hi], k) => {
      const values = uniformArray(n, 17 * k + n, lo, hi);
      if (k === 0) for (let i = 0; i < n; i += 7) values[i] = 0; // sign(0) = 0 in the L1 term
      return rt.fromArray(values, [n], { dtype });
    });
    const kernel = rt.kernels[`${dtype}_${c.op}` as KernelName] as (...args: number[]) => void;
    const gradIndex = c.prologue ? 1 : 0;
    for (let t = 1; t <= 5; t++) {
      const grad = uniformArray(n, 1000 + t, -1, 1); // a fresh gradient each step
      if (c.vanishing) for (let i = 0; i < n; i += 4) (grad[i] = 0), i + 1 < n && (grad[i + 1] = 1e-30);
      tensors[gradIndex]!.set(grad);
      kernel(...tensors.map((x) => x.ptr), n, ...c.scalars, ...(c.prologue ? prologue : []));
    }
    return tensors.map((x) => x.data.slice());
  });
}

const { wasm, js } = twinRuntimes();

describe.each(["f32", "f64"] as const)("%s optimizer kernels: wasm vs reference, bit for bit", (dtype) => {
  const sizes = sizesFor(dtype === "f32" ? 8 : 4); // the kernels take two v128 per iteration
  for (const c of CASES) {
    const variants = c.prologue ? ([["plain", PLAIN], ["full prologue", FULL]] as const) : ([["", []]] as const);
    for (const [variant, prologue] of variants) {
      it(`${c.op} ${c.scalars.join(",")} ${variant}`, () => {
        for (const n of sizes) {
          if (n > 1000 && variant !== "plain" && variant !== "") continue;
          const got = run(wasm, c, dtype, n, [...prologue]);
          const want = run(js, c, dtype, n, [...prologue]);
          c.buffers.forEach(([name], k) => expectSameBits(got[k]!, want[k]!, `${dtype}_${c.op} ${name} n=${n} ${variant}`));
        }
      });
    }
  }

  it("sumsq: the same f64 sum in the same order, NaN for a non-finite element", () => {
    for (const n of sizes) {
      for (const rt of [wasm, js]) {
        rt.scope(() => {
          const values = uniformArray(n, n, -3, 3);
          const x = rt.fromArray(values, [n], { dtype });
          const sum = rt.kernels[`${dtype}_sumsq`](x.ptr, n, 1);
          const exact = Array.from(x.data).reduce((acc, v) => acc + v * v, 0);
          expect(Math.abs(sum - exact), `n=${n}`).toBeLessThanOrEqual(1e-12 * Math.max(1, exact));
          if (n > 0) {
            x.data[n - 1] = Number.POSITIVE_INFINITY;
            expect(rt.kernels[`${dtype}_sumsq`](x.ptr, n, 1)).toBeNaN();
            x.data[n >> 1] = Number.NaN;
            expect(rt.kernels[`${dtype}_sumsq`](x.ptr, n, 1)).toBeNaN();
          }
        });
      }
      const bits = [wasm, js].map((rt) =>
        rt.scope(() => {
          const x = rt.fromArray(uniformArray(n, n + 5, -1e3, 1e3), [n], { dtype });
          return rt.kernels[`${dtype}_sumsq`](x.ptr, n, 1);
        }),
      );
      expect(Object.is(bits[0], bits[1]), `n=${n}: ${bits[0]} vs ${bits[1]}`).toBe(true);
    }
  });

  it("adadelta_step: any nonzero `lagged` takes the previous E[g^2], in the SIMD body as in the tail", () => {
    // The SIMD body once built its select mask as splat(-lagged): all ones only for lagged = 1,
    // so lagged = 2 mixed the bits of the previous and the new E[g^2] (the tail and the twin
    // took the previous one). The facade passes 0 or 1; the kernel now agrees for any value.
    const n = 19; // two paired iterations, one single v128 (f32) and a scalar tail
    const step = (rt: Runtime, lagged: number) =>
      rt.scope(() => {
        const [p, g, eg, edx] = [0, 1, 2, 3].map((k) => rt.fromArray(uniformArray(n, 40 + k, k < 2 ? -1 : 0.1, 1), [n], { dtype }));
        rt.kernels[`${dtype}_adadelta_step`](p!.ptr, g!.ptr, eg!.ptr, edx!.ptr, n, 1, 0.9, 0.1, 1e-6, lagged, 1, Infinity, 0, 0, 1);
        return [p!, eg!, edx!].map((x) => x.data.slice());
      });
    const want = step(js, 1);
    for (const lagged of [1, 2, -1, 0x7fffffff]) {
      const got = step(wasm, lagged);
      want.forEach((w, k) => expectSameBits(got[k]!, w, `lagged=${lagged} buffer ${k}`));
    }
  });

  it("sumsq: +Infinity (not NaN) when finite values overflow the f64 sum, in range again when scaled", () => {
    for (const rt of [wasm, js]) {
      rt.scope(() => {
        const big = dtype === "f64" ? 1e200 : 3e38;
        const x = rt.fromArray([big, big, 1], [3], { dtype });
        const sum = rt.kernels[`${dtype}_sumsq`](x.ptr, 3, 1);
        // f32: (3e38)^2 = 9e76 is far inside the f64 range, so the sum stays finite.
        if (dtype === "f64") expect(sum).toBe(Number.POSITIVE_INFINITY);
        else expect(sum / (2 * Math.fround(3e38) ** 2)).toBeCloseTo(1, 12);
        // Scaled by 2^-600 (what clipping does on +Infinity), the f64 sum is back in range.
        const down = 2 ** -600;
        if (dtype === "f64") expect(rt.kernels.f64_sumsq(x.ptr, 3, down) / (2 * (big * down) ** 2)).toBeCloseTo(1, 12);
      });
    }
  });
});
