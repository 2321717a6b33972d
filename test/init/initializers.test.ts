import { describe, expect, it } from "vitest";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import {
  calculateGain,
  computeFans,
  constant,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  lecunNormal,
  lecunUniform,
  lstmForgetBias,
  marginalBias,
  ones,
  orthogonal,
  reluBias,
  sparse,
  uniformFanIn,
  varianceScaling,
  zeros,
  type Initializer,
} from "../../src/init/initializers";
import { Philox } from "../../src/random/philox";
import { ShapeError, ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { DType, Tensor } from "../../src/runtime/tensor";

function moments(x: ArrayLike<number>): { mean: number; variance: number; maxAbs: number } {
  let sum = 0;
  let sq = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    sq += x[i]! * x[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
  }
  return { mean: sum / x.length, variance: sq / x.length, maxAbs };
}

/** W'W (cols x cols) of a row-major rows x cols matrix, in f64. */
function gram(w: ArrayLike<number>, rows: number, cols: number, transpose = false): number[] {
  const [r, c] = transpose ? [cols, rows] : [rows, cols];
  const at = (i: number, j: number) => (transpose ? w[j * cols + i]! : w[i * cols + j]!);
  const g: number[] = [];
  for (let a = 0; a < c; a++) {
    for (let b = 0; b < c; b++) {
      let s = 0;
      for (let i = 0; i < r; i++) s += at(i, a) * at(i, b);
      g.push(s);
    }
  }
  return g;
}

const identity = (n: number, scale = 1) => Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? scale : 0));

describe("fans and gains", () => {
  it("computes fans in the [inputs, outputs] layout, with receptive fields in front", () => {
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(computeFans([784, 256])).toEqual({ fanIn: 784, fanOut: 256 });
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    expect(() => computeFans([])).toThrow(ShapeError);
  });

  it("calculateGain matches the published values", () => {
    expect(calculateGain("linear")).toBe(1);
    expect(calculateGain("sigmoid")).toBe(1);
    expect(calculateGain("tanh")).toBeCloseTo(5 / 3, 15);
    expect(calculateGain("relu")).toBeCloseTo(Math.sqrt(2), 15);
    expect(calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(calculateGain("leaky_relu")).toBeCloseTo(Math.sqrt(2 / 1.0001), 15);
    expect(calculateGain("selu")).toBe(0.75);
    expect(() => calculateGain("softplus" as never)).toThrow(/Invalid nonlinearity: softplus/);
  });
});

describeBackends("fan-scaled initializers", (rt) => {
  // [400, 300]: m = 400 inputs, n = 300 outputs, N = 120000 weights.
  const [m, n] = [400, 300];
  const N = m * n;
  const cases: Array<{ name: string; init: Initializer; bound?: number; variance: number; normal?: boolean }> = [
    { name: "uniformFanIn", init: uniformFanIn(), bound: 1 / Math.sqrt(m), variance: 1 / (3 * m) },
    { name: "glorotUniform", init: glorotUniform(), bound: Math.sqrt(6 / (m + n)), variance: 2 / (m + n) },
    { name: "glorotUniform gain 2", init: glorotUniform({ gain: 2 }), bound: 2 * Math.sqrt(6 / (m + n)), variance: 8 / (m + n) },
    { name: "glorotNormal", init: glorotNormal(), variance: 2 / (m + n), normal: true },
    { name: "heUniform", init: heUniform(), bound: Math.sqrt(6 / m), variance: 2 / m },
    { name: "heNormal", init: heNormal(), variance: 2 / m, normal: true },
    { name: "heNormal fanOut", init: heNormal({ mode: "fanOut" }), variance: 2 / n, normal: true },
    { name: "heNormal tanh", init: heNormal({ nonlinearity: "tanh" }), variance: 25 / 9 / m, normal: true },
    { name: "lecunUniform", init: lecunUniform(), bound: Math.sqrt(3 / m), variance: 1 / m },
    { name: "lecunNormal", init: lecunNormal(), variance: 1 / m, normal: true },
    { name: "torch layout via fans", init: uniformFanIn({ fans: { fanIn: 300, fanOut: 400 } }), bound: 1 / Math.sqrt(300), variance: 1 / 900 },
  ];

  for (const c of cases) {
    it(`${c.name}: bounds, mean 0 and variance within 5 standard errors`, () => {
      rt.scope(() => {
        const w = c.init(rt.tensor([m, n]), 7);
        const { mean, variance, maxAbs } = moments(w.data);
        // Uniform(-b, b): var(x^2) = b^4 (1/5 - 1/9); normal: var(x^2) = 2 sigma^4.
        const varOfSquare = c.normal ? 2 * c.variance ** 2 : c.variance ** 2 * 9 * (1 / 5 - 1 / 9);
        expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(c.variance / N));
        expect(Math.abs(variance - c.variance)).toBeLessThan(5 * Math.sqrt(varOfSquare / N));
        if (c.bound !== undefined) {
          expect(maxAbs).toBeLessThanOrEqual(Math.fround(c.bound));
          expect(maxAbs).toBeGreaterThan(0.999 * c.bound);
        } else {
          expect(maxAbs).toBeGreaterThan(3.5 * Math.sqrt(c.variance)); // an untruncated normal
        }
      });
    });
  }

  it("is reproducible from the seed and differs between seeds", () => {
    rt.scope(() => {
      const a = glorotUniform()(rt.tensor([20, 10]), 3).toArray();
      const b = glorotUniform()(rt.tensor([20, 10]), new Philox(3)).toArray();
      const c = glorotUniform()(rt.tensor([20, 10]), 4).toArray();
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    });
  });

  it("rejects bad options and shapes, changing nothing", () => {
    rt.scope(() => {
      const w = rt.tensor([0, 5]).fill(0);
      expect(() => glorotUniform({ gain: 0 })).toThrow(/Invalid gain: 0/);
      expect(() => varianceScaling({ mode: "fan" as never })).toThrow(ValueError);
      expect(() => varianceScaling({ distribution: "cauchy" as never })).toThrow(ValueError);
      expect(() => uniformFanIn({ fans: { fanIn: 0, fanOut: 3 } })).toThrow(/Invalid fans.fanIn/);
      expect(() => heNormal()(w)).toThrow(ShapeError);
      expect(() => lecunNormal()(null as never)).toThrow(/Invalid target/);
      const g = new Philox(1);
      const v = rt.tensor([3, 0]);
      expect(() => heNormal({ mode: "fanOut" })(v, g)).toThrow(ShapeError);
      expect(g.position).toBe(0);
    });
  });
});

describeBackends("orthogonal", (rt) => {
  const shapes: Array<[number, number]> = [
    [64, 64],
    [100, 30],
    [30, 100],
    [1, 9],
    [17, 1],
  ];
  for (const [rows, cols] of shapes) {
    it(`[${rows}, ${cols}] in f32: ${rows >= cols ? "W'W" : "WW'"} = gain^2 I to 1e-5`, () => {
      rt.scope(() => {
        for (const gain of [1, 2]) {
          const w = orthogonal({ gain })(rt.tensor([rows, cols]), 5).data;
          const g = rows >= cols ? gram(w, rows, cols) : gram(w, rows, cols, true);
          const k = Math.min(rows, cols);
          expectClose(g, identity(k, gain * gain), { atol: 1e-5 * gain * gain, context: `gain ${gain}` });
        }
      });
    });
  }

  it("f64: W'W = I to 1e-13, and a 4-D tensor is viewed as shape[0] x the rest", () => {
    rt.scope(() => {
      const w = orthogonal()(rt.tensor([50, 20], { dtype: "f64" }), 1).data;
      expectClose(gram(w, 50, 20), identity(20), { atol: 1e-13 });
      const k = orthogonal()(rt.tensor([6, 2, 2, 3]), 2).data; // 6 x 12: orthonormal rows
      expectClose(gram(k, 6, 12, true), identity(6), { atol: 1e-5 });
    });
  });

  it("one column is the Gaussian draw normalized (diag(R) > 0 fixes the signs)", () => {
    rt.scope(() => {
      const q = orthogonal()(rt.tensor([9, 1], { dtype: "f64" }), 4).toArray();
      const x = new Philox(4).normal(rt.tensor([9], { dtype: "f64" })).toArray();
      const norm = Math.hypot(...x);
      expectClose(q, x.map((v) => v / norm), { rtol: 1e-14, atol: 1e-15 });
    });
  });

  it("is Haar-distributed: E[W_ij] = 0 and E[W_ij^2] = 1/n over 400 draws of a 4 x 4", () => {
    rt.scope(() => {
      const g = new Philox(6);
      const sums = new Array(16).fill(0);
      const squares = new Array(16).fill(0);
      const draws = 400;
      const w = rt.tensor([4, 4], { dtype: "f64" });
      for (let d = 0; d < draws; d++) {
        orthogonal()(w, g).data.forEach((v, i) => {
          sums[i] += v;
          squares[i] += v * v;
        });
      }
      // Each entry of a Haar 4 x 4 has mean 0 and variance 1/4 (E[x^4] = 1/8 -> sd(x^2) = 1/(4 sqrt(3))).
      for (let i = 0; i < 16; i++) {
        expect(Math.abs(sums[i] / draws)).toBeLessThan(5 * Math.sqrt(0.25 / draws));
        expect(Math.abs(squares[i] / draws - 0.25)).toBeLessThan(5 / (4 * Math.sqrt(3)) / Math.sqrt(draws));
      }
    });
  });

  it("rejects tensors of fewer than two dimensions and a bad gain", () => {
    rt.scope(() => {
      expect(() => orthogonal()(rt.tensor([5]))).toThrow(ShapeError);
      expect(() => orthogonal({ gain: -1 })).toThrow(/Invalid gain/);
    });
  });
});

describeBackends("sparse (Martens 2010)", (rt) => {
  it("gives every unit exactly k non-zero incoming weights, N(0, std^2)", () => {
    rt.scope(() => {
      for (const [rows, cols, k] of [
        [50, 20, 15],
        [15, 3, 15],
        [100, 200, 1],
      ] as const) {
        const w = sparse({ k, std: 0.5 })(rt.tensor([rows, cols]), 9).data;
        for (let j = 0; j < cols; j++) {
          let nonZero = 0;
          for (let i = 0; i < rows; i++) if (w[i * cols + j] !== 0) nonZero++;
          expect(nonZero, `column ${j} of [${rows}, ${cols}]`).toBe(k);
        }
      }
      const w = sparse({ std: 0.5 })(rt.tensor([300, 400], { dtype: "f64" }), 10).data;
      const values = w.filter((v) => v !== 0);
      expect(values.length).toBe(15 * 400);
      const { mean, variance } = moments(values);
      expect(Math.abs(mean)).toBeLessThan(5 * 0.5 / Math.sqrt(values.length));
      expect(Math.abs(variance - 0.25)).toBeLessThan(5 * Math.sqrt(2 / values.length) * 0.25);
    });
  });

  it("picks inputs uniformly: each row of [8, 4000] with k = 2 holds about 1/4 of the non-zeros", () => {
    rt.scope(() => {
      const w = sparse({ k: 2 })(rt.tensor([8, 4000]), 11).data;
      const counts = new Array(8).fill(0);
      w.forEach((v, i) => {
        if (v !== 0) counts[Math.floor(i / 4000)] += 1;
      });
      const expected = 8000 / 8;
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(24.32); // 7 degrees of freedom, p = 0.001
    });
  });

  it("rejects k above the fan-in, k < 1 and non-matrix shapes", () => {
    rt.scope(() => {
      const w = rt.tensor([4, 3]).fill(2);
      expect(() => sparse({ k: 5 })(w)).toThrow(/Invalid k: 5/);
      expect(() => sparse({ k: 0 })).toThrow(ValueError);
      expect(() => sparse()(rt.tensor([3, 3, 3]))).toThrow(ShapeError);
      expect(w.toArray().every((v) => v === 2)).toBe(true);
    });
  });
});

describeBackends("constants and bias heuristics", (rt) => {
  it("constant, zeros, ones, reluBias", () => {
    rt.scope(() => {
      expect(constant(-2.5)(rt.tensor([3])).toArray()).toEqual([-2.5, -2.5, -2.5]);
      expect(zeros()(rt.tensor([2]).fill(4)).toArray()).toEqual([0, 0]);
      expect(ones()(rt.tensor([2], { dtype: "f64" })).toArray()).toEqual([1, 1]);
      expect(reluBias()(rt.tensor([2])).toArray()).toEqual([Math.fround(0.1), Math.fround(0.1)]);
      expect(() => reluBias(0)).toThrow(ValueError);
      expect(() => constant(NaN)).toThrow(/Invalid value: NaN/);
    });
  });

  it("lstmForgetBias sets the forget gate's block to 1 and the others to 0", () => {
    rt.scope(() => {
      expect(lstmForgetBias()(rt.tensor([8]).fill(5)).toArray()).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
      expect(lstmForgetBias({ gate: 2, value: 2 })(rt.tensor([4])).toArray()).toEqual([0, 0, 2, 0]);
      expect(() => lstmForgetBias()(rt.tensor([6]))).toThrow(ShapeError);
    });
  });

  it("marginalBias: softmax(b) recovers the class frequencies c; sigmoid(b_i) recovers c_i", () => {
    rt.scope(() => {
      const c = [0.5, 0.25, 0.125, 0.0625, 0.0625];
      const b = marginalBias(c)(rt.tensor([5], { dtype: "f64" })).toArray();
      const e = b.map(Math.exp);
      const z = e.reduce((s, x) => s + x, 0);
      expectClose(e.map((x) => x / z), c, { rtol: 1e-14 });
      expect(Math.abs(b.reduce((s, x) => s + x, 0))).toBeLessThan(1e-12); // centred
      const counts = marginalBias([900, 90, 10])(rt.tensor([3])).toArray(); // counts are normalized
      const ec = counts.map(Math.exp);
      const zc = ec.reduce((s, x) => s + x, 0);
      expectClose(ec.map((x) => x / zc), [0.9, 0.09, 0.01], { rtol: 1e-6 });
      const s = marginalBias([0.2, 0.9], { activation: "sigmoid" })(rt.tensor([2], { dtype: "f64" })).toArray();
      expectClose(s.map((x) => 1 / (1 + Math.exp(-x))), [0.2, 0.9], { rtol: 1e-14 });
    });
  });

  it("marginalBias rejects zero or negative frequencies, sigmoid c >= 1 and a length mismatch", () => {
    rt.scope(() => {
      const t = rt.tensor([2]).fill(3);
      expect(() => marginalBias([0.5, 0])).toThrow(/Invalid frequencies\[1\]: 0/);
      expect(() => marginalBias([])).toThrow(ValueError);
      expect(() => marginalBias([1.5], { activation: "sigmoid" })).toThrow(ValueError);
      expect(() => marginalBias([1, 2, 3])(t)).toThrow(ShapeError);
      expect(t.toArray()).toEqual([3, 3]);
    });
  });
});

describeBackends("rt.param({ init, seed })", (rt) => {
  it("initializes a parameter reproducibly from its seed", () => {
    rt.scope(() => {
      const a = rt.param([784, 256], { init: glorotUniform(), seed: 7 });
      const b = rt.param([784, 256], { init: glorotUniform(), seed: 7 });
      const c = rt.param([784, 256], { init: glorotUniform(), seed: 8 });
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
      expect(moments(a.data).maxAbs).toBeLessThanOrEqual(Math.fround(Math.sqrt(6 / (784 + 256))));
      expect(a.grad.toArray().every((g) => g === 0)).toBe(true);
    });
  });

  it("allocates nothing when init throws or the options are bad", () => {
    const before = rt.memoryStats();
    expect(() => rt.param([5], { init: orthogonal() })).toThrow(ShapeError);
    expect(() => rt.param([5], { init: 3 as never })).toThrow(/Invalid init/);
    expect(() => rt.param([2], { init: zeros(), values: [1, 2] })).toThrow(/Invalid init/);
    expect(() => rt.param([2], { init: zeros(), seed: -1 })).toThrow(/Invalid seed/);
    expect(rt.memoryStats().liveTensors).toBe(before.liveTensors);
  });
});

describe("initializers on wasm and js: identical bits", () => {
  const { wasm, js } = twinRuntimes();
  const cases: Array<[string, Initializer, number[], DType]> = [
    ["orthogonal tall", orthogonal({ gain: 1.5 }), [37, 13], "f32"],
    ["orthogonal wide", orthogonal(), [5, 23], "f64"],
    ["sparse", sparse({ k: 4 }), [21, 9], "f32"],
    ["sparse f64", sparse({ k: 3, std: 0.1 }), [5, 7], "f64"],
    ["heNormal", heNormal(), [33, 17], "f32"],
    ["glorotUniform", glorotUniform(), [33, 17], "f64"],
  ];
  const bytes = (rt: Runtime, init: Initializer, shape: number[], dtype: DType) =>
    rt.scope(() => {
      const t: Tensor = init(rt.tensor(shape, { dtype }), new Philox(21, 2).skip(3));
      return Array.from(new Uint8Array(rt.heap.buffer, t.ptr, t.byteLength));
    });
  it.each(cases)("%s", (_, init, shape, dtype) => {
    expect(bytes(wasm, init, shape, dtype)).toEqual(bytes(js, init, shape, dtype));
  });
});
