import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { twinRuntimes } from "../../helpers/backends";
import { BatchNorm } from "../../../src/norm/batchnorm";
import { GroupNorm, InstanceNorm, LayerNorm, type RowNorm } from "../../../src/norm/groupnorm";
import { ValueError } from "../../../src/runtime/errors";
import type { Backend, Runtime } from "../../../src/runtime/runtime";
import type { FloatDType, Tensor } from "../../../src/runtime/tensor";

/**
 * Class "both backends on extreme data": every normalization module, f32 and f64, on data at
 * the ends of the range (1e30, +-3e38, subnormals, constant batches) and on empty inputs,
 * must give the same answer on the wasm and js backends, and the stated one where there is
 * one (a constant batch normalizes to beta with variance 0). Each case runs the whole module:
 * forward in training and evaluation, backward, and for BatchNorm the running update.
 */

const { wasm, js } = twinRuntimes();
const RUNTIMES: Record<Backend, Runtime> = { wasm, js };
const DTYPES = ["f32", "f64"] as const;

type Kind = "batch" | "layer" | "instance" | "group";
type Norm = BatchNorm<FloatDType> | RowNorm<FloatDType>;
const KINDS: readonly Kind[] = ["batch", "layer", "instance", "group"];

/** A module of `kind` for inputs [N, 4, S] (LayerNorm: over the trailing [4, S]). */
function makeNorm(rt: Runtime, kind: Kind, dtype: FloatDType, S: number): Norm {
  switch (kind) {
    case "batch":
      return new BatchNorm(rt, 4, { dtype });
    case "layer":
      return new LayerNorm(rt, [4, S], { dtype });
    case "instance":
      return new InstanceNorm(rt, 4, { dtype, affine: true });
    case "group":
      return new GroupNorm(rt, 2, 4, { dtype });
  }
}

/** What one module reports after forward (training), backward and forward (evaluation). */
interface Run {
  y: number[];
  dx: number[];
  dgamma: number[];
  dbeta: number[];
  yEval: number[];
  variance?: number[];
  runningMean?: number[];
  runningVar?: number[];
}

function run(rt: Runtime, kind: Kind, dtype: FloatDType, shape: number[], x: number[], dy: number[], beta: number[]): Run {
  return rt.scope(() => {
    const norm = makeNorm(rt, kind, dtype, shape[2]!);
    try {
      norm.beta!.set(beta);
      const input = rt.fromArray(x, shape, { dtype });
      const y = Array.from(norm.forward(input as Tensor<FloatDType>, { training: true }).data);
      const dx = Array.from(norm.backward(rt.fromArray(dy, shape, { dtype }) as Tensor<FloatDType>).data);
      const out: Run = { y, dx, dgamma: Array.from(norm.gamma!.grad.data), dbeta: Array.from(norm.beta!.grad.data), yEval: [] };
      if (norm instanceof BatchNorm) {
        out.variance = norm.lastStatistics().variance;
        out.runningMean = Array.from(norm.runningMean!.data);
        out.runningVar = Array.from(norm.runningVar!.data);
      }
      out.yEval = Array.from(norm.forward(input as Tensor<FloatDType>, { training: false }).data);
      return out;
    } finally {
      norm.dispose();
    }
  });
}

/** Backends agree: the same non-finite values, finite ones within rtol of the larger magnitude in the buffer. */
function expectAgree(a: number[], b: number[], rtol: number, context: string): void {
  expect(a.length, context).toBe(b.length);
  const scale = Math.max(1, ...b.filter(Number.isFinite).map(Math.abs));
  a.forEach((v, i) => {
    const w = b[i]!;
    if (!Number.isFinite(v) || !Number.isFinite(w)) expect(v, `${context}[${i}]`).toBe(w);
    else expect(Math.abs(v - w), `${context}[${i}]: wasm ${v}, js ${w}`).toBeLessThanOrEqual(rtol * scale);
  });
}

const EXTREMES = [1e30, -1e30, 3e38, -3e38, 1e-40, -1e-40, 2 ** -149, 5e-324, 0];
/**
 * In f32, x - mean must itself be an f32: a batch holding both 3e38 and -3e38 has deviations
 * past 3.4e38 and normalizes to +-Infinity on wasm (a documented limit, docs/norm.md). So
 * mixed f32 draws take one sign of 3e38; constant batches take both.
 */
const MIXED: Record<FloatDType, number[]> = { f32: EXTREMES.filter((v) => v !== -3e38), f64: EXTREMES };

/** Values of one input: extremes mixed with ordinary numbers, or one value repeated (a constant batch). */
const values = (dtype: FloatDType, n: number) =>
  fc.oneof(
    fc.array(fc.oneof(fc.constantFrom(...MIXED[dtype]), fc.double({ min: -3, max: 3, noNaN: true })), { minLength: n, maxLength: n }),
    fc.constantFrom(...EXTREMES, 1, -2.5).map((v) => new Array<number>(n).fill(v)),
  );

const cases = (dtype: FloatDType) => fc
  .record({ N: fc.integer({ min: 2, max: 3 }), S: fc.integer({ min: 2, max: 5 }) })
  .chain(({ N, S }) =>
    fc.record({
      shape: fc.constant<number[]>([N, 4, S]),
      x: values(dtype, N * 4 * S),
      dy: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: N * 4 * S, maxLength: N * 4 * S }),
      beta: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
    }),
  );

/** beta[c] of the channel c of each element of an [N, C, S] tensor. */
function betaOf(shape: number[], beta: number[]): number[] {
  const [N, C, S] = shape as [number, number, number];
  return Array.from({ length: N * C * S }, (_, i) => beta[Math.floor(i / S) % C]!);
}

describe("norm modules on extreme data: wasm = js", () => {
  for (const kind of KINDS) {
    for (const dtype of DTYPES) {
      const rtol = dtype === "f32" ? 1e-4 : 1e-9;
      it(`${kind} norm, ${dtype}: forward, backward, running update and evaluation agree`, () => {
        fc.assert(
          fc.property(cases(dtype), ({ shape, x, dy, beta }) => {
            // LayerNorm's beta covers the trailing [4, S]: spread the 4 drawn values over it.
            const b = kind === "layer" ? betaOf([1, ...shape.slice(1)], beta) : beta;
            const [w, j] = (["wasm", "js"] as const).map((backend) => run(RUNTIMES[backend], kind, dtype, shape, x, dy, b));
            for (const key of Object.keys(j!) as (keyof Run)[]) expectAgree(w![key]!, j![key]!, rtol, `${kind} ${dtype} ${key}`);
          }),
          { numRuns: 40 },
        );
      });
    }
  }
});

describe("norm modules on a constant batch: y = beta, variance 0", () => {
  for (const backend of ["wasm", "js"] as const) {
    for (const kind of KINDS) {
      for (const dtype of DTYPES) {
        for (const value of [1e30, -3e38, 3e38, 1e-40, 7]) {
          it(`${kind} norm, ${dtype}, [${backend}], every x = ${value}`, () => {
            const shape = [3, 4, 2];
            const beta = [0.5, -1, 0, 2];
            const r = run(RUNTIMES[backend], kind, dtype, shape, new Array(24).fill(value), new Array(24).fill(1), kind === "layer" ? betaOf([1, 4, 2], beta) : beta);
            const stored = (v: number) => (dtype === "f32" ? Math.fround(v) : v);
            expect(r.y).toEqual(betaOf(shape, beta).map(stored));
            if (r.variance) {
              expect(r.variance).toEqual([0, 0, 0, 0]);
              expect(r.runningVar).toEqual(new Array(4).fill(stored(0.9)));
            }
          });
        }
      }
    }
  }
});

/** Shapes with a zero-size dimension, per kind; null where the module rejects the shape in training. */
const EMPTY_SHAPES: Record<Kind, number[][]> = {
  batch: [[0, 4], [0, 4, 3], [2, 4, 0]],
  layer: [[0, 4], [0, 2, 4], [2, 0, 4]],
  instance: [[0, 4, 3]],
  group: [[0, 4, 3], [2, 4, 0], [2, 4, 3, 0]],
};

function makeEmptyCaseNorm(rt: Runtime, kind: Kind, dtype: FloatDType): Norm {
  if (kind === "layer") return new LayerNorm(rt, 4, { dtype });
  return makeNorm(rt, kind, dtype, 1);
}

describe("norm modules on empty inputs: empty outputs, zero parameter gradients", () => {
  for (const backend of ["wasm", "js"] as const) {
    const rt = RUNTIMES[backend];
    for (const kind of KINDS) {
      for (const dtype of DTYPES) {
        for (const shape of EMPTY_SHAPES[kind]) {
          it(`${kind} norm, ${dtype}, [${backend}], x of shape [${shape.join(", ")}]`, () => {
            rt.scope(() => {
              const norm = makeEmptyCaseNorm(rt, kind, dtype);
              try {
                const x = rt.tensor(shape, { dtype }) as Tensor<FloatDType>;
                // BatchNorm has no batch variance of 0 values in training: evaluation only.
                const training = kind !== "batch";
                if (kind === "batch") expect(() => norm.forward(x, { training: true })).toThrow(ValueError);
                const y = norm.forward(x, { training });
                expect(y.shape).toEqual(shape);
                const dx = norm.backward(rt.tensor(shape, { dtype }) as Tensor<FloatDType>);
                expect(dx.shape).toEqual(shape);
                expect(Array.from(norm.gamma!.grad.data)).toEqual(new Array(norm.gamma!.length).fill(0));
                expect(Array.from(norm.beta!.grad.data)).toEqual(new Array(norm.beta!.length).fill(0));
              } finally {
                norm.dispose();
              }
            });
          });
        }
      }
    }
  }
});

describe("nearly constant f64 data: the variance to full accuracy", () => {
  // x = 1e4 + j 2^-23 with small integers j (spread 7e-7, about 1e-10 of the offset; every
  // value exact in f64). The variance is var(j) 2^-46 exactly, var(j) = (M sum j^2 - (sum j)^2) / M^2
  // in integers. Lengths of 3000 span three blocks of the kernels' sums (1024 + 1024 + 952),
  // whose merge must not lose the low digits of the mean.
  const M = 3000;
  const j = Array.from({ length: M }, (_, i) => (i * i + 3 * i + Math.floor(i / 700)) % 8);
  const x = j.map((v) => 1e4 + v * 2 ** -23);
  const sum = j.reduce((a, b) => a + b, 0);
  const squares = j.reduce((a, b) => a + b * b, 0);
  const variance = ((M * squares - sum * sum) / (M * M)) * 2 ** -46;
  const layouts: Record<string, number[]> = { "[3000, 1]": [M, 1], "[3, 1, 1000]": [3, 1, 1000], "[1, 1, 3000]": [1, 1, M] };

  for (const backend of ["wasm", "js"] as const) {
    const rt = RUNTIMES[backend];
    for (const [name, shape] of Object.entries(layouts)) {
      it(`BatchNorm [${backend}], x of shape ${name}`, () => {
        const bn = new BatchNorm(rt, 1, { dtype: "f64" });
        rt.scope(() => bn.forward(rt.fromArray(x, shape, { dtype: "f64" }), { training: true }));
        const got = bn.lastStatistics().variance[0]!;
        bn.dispose();
        expect(Math.abs(got - variance) / variance).toBeLessThan(1e-12);
      });
    }
    it(`GroupNorm [${backend}], one row of 3000`, () => {
      // y = (x - mean) / sqrt(var + eps): with eps = 1e-30 the output's spread shows the variance.
      const gn = new GroupNorm(rt, 1, 1, { dtype: "f64", eps: 1e-30, affine: false });
      const y = rt.scope(() => Array.from(gn.forward(rt.fromArray(x, [1, 1, M], { dtype: "f64" })).data));
      gn.dispose();
      const meanSquare = y.reduce((a, v) => a + v * v, 0) / M;
      expect(Math.abs(meanSquare - 1)).toBeLessThan(1e-9);
    });
  }
});
