import { expect, it } from "vitest";
import { DisposedError, ShapeError, ValueError, Whitening, type Runtime, type Tensor } from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { seededRandom } from "../helpers/random";
import { expectThrowsUnchanged } from "../helpers/snapshot";

/** n samples of d correlated features: z A + offset with z standard normal-ish, A random (scale up to 10). */
function correlated(rt: Runtime, n: number, d: number, seed: number): Tensor<"f64"> {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const A = Array.from({ length: d * d }, () => 10 * (random() - 0.5));
  const values = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: d }, normal);
    for (let j = 0; j < d; j++) {
      let s = 3 + j; // a mean far from 0
      for (let p = 0; p < d; p++) s += z[p]! * A[p * d + j]!;
      values[i * d + j] = s;
    }
  }
  return rt.fromArray(values, [n, d], { dtype: "f64" });
}

/** The sample covariance (divided by n - 1) of the rows of y [n, k]. */
function covariance(y: Tensor<"f64">): number[][] {
  const [n, k] = y.shape as [number, number];
  const data = y.data;
  const mean = Array.from({ length: k }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * k + j]!;
    return s / n;
  });
  return Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (data[i * k + a]! - mean[a]!) * (data[i * k + b]! - mean[b]!);
      return s / (n - 1);
    }),
  );
}

const maxDeviationFromIdentity = (c: number[][]) => Math.max(...c.flatMap((row, i) => row.map((v, j) => Math.abs(v - (i === j ? 1 : 0)))));

/** sum of squared differences between two tensors' data. */
const squaredDistance = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, ai, i) => s + (ai - b[i]!) ** 2, 0);

describeBackends("Whitening", (rt) => {
  for (const d of [1, 3, 5, 7, 15, 17, 33]) {
    for (const method of ["zca", "pca"] as const) {
      it(`${method}, d = ${d}: whitened covariance = I to 1e-6, inverse(transform(x)) = x`, () => {
        rt.scope(() => {
          const x = correlated(rt, 4 * d + 20, d, d);
          const white = new Whitening(x, { method, epsilon: 0 });
          const y = white.transform(x);
          expect(maxDeviationFromIdentity(covariance(y))).toBeLessThan(1e-6);
          const back = white.inverseTransform(y);
          const scale = Math.max(...Array.from(x.data, Math.abs));
          expect(Math.max(...Array.from(back.data, (v, i) => Math.abs(v - x.data[i]!))) / scale).toBeLessThan(1e-10);
          white.dispose();
        });
      });
    }
  }

  it("ZCA's matrix is symmetric and moves the data least among whitenings (vs PCA and rotated ZCA)", () => {
    rt.scope(() => {
      const d = 6;
      const x = correlated(rt, 200, d, 3);
      const zca = new Whitening(x, { epsilon: 0 });
      const W = zca.matrix.data;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(Math.abs(W[i * d + j]! - W[j * d + i]!)).toBeLessThan(1e-12 * Math.abs(W[0]!) + 1e-15);
      const centered = zca.inverseTransform(rt.tensor([200, d], { dtype: "f64" })); // the mean row, repeated
      const xc = Array.from(x.data, (v, i) => v - centered.data[i]!);
      const moved = (y: Tensor<"f64">) => squaredDistance(y.data, xc);
      const zcaDistance = moved(zca.transform(x));
      const pca = new Whitening(x, { method: "pca", epsilon: 0 });
      expect(zcaDistance).toBeLessThan(moved(pca.transform(x)));
      // Q y is also white for any rotation Q; ZCA is the minimum over them.
      const yz = zca.transform(x).data;
      const random = seededRandom(5);
      for (let trial = 0; trial < 5; trial++) {
        const [a, b] = [Math.floor(random() * d), (Math.floor(random() * (d - 1)) + 1) % d];
        const angle = 0.3 * (random() - 0.5);
        const rotated = Float64Array.from(yz);
        for (let i = 0; i < 200; i++) {
          const [ya, yb] = [yz[i * d + a]!, yz[i * d + ((a + b) % d)]!];
          rotated[i * d + a] = Math.cos(angle) * ya - Math.sin(angle) * yb;
          rotated[i * d + ((a + b) % d)] = Math.sin(angle) * ya + Math.cos(angle) * yb;
        }
        expect(zcaDistance).toBeLessThanOrEqual(squaredDistance(rotated, xc));
      }
      zca.dispose();
      pca.dispose();
    });
  });

  it("PCA orders components by decreasing variance and keeps k of them; epsilon shrinks by lambda / (lambda + eps)", () => {
    rt.scope(() => {
      const x = correlated(rt, 300, 5, 8);
      const epsilon = 2;
      const pca = new Whitening(x, { method: "pca", epsilon, components: 3 });
      const lambda = Array.from(pca.eigenvalues.data);
      expect(lambda).toEqual([...lambda].sort((a, b) => b - a));
      const y = pca.transform(x);
      expect(y.shape).toEqual([300, 3]);
      const c = covariance(y);
      for (let i = 0; i < 3; i++) expect(c[i]![i]).toBeCloseTo(lambda[i]! / (lambda[i]! + epsilon), 9);
      expect(pca.inverseTransform(y).shape).toEqual([300, 5]);
      pca.dispose();
    });
  });

  it("transforms into a given out without allocating, and new data with the fitted statistics", () => {
    rt.scope(() => {
      const x = correlated(rt, 50, 4, 11);
      const white = new Whitening(x);
      const out = rt.tensor([50, 4], { dtype: "f64" });
      const before = rt.memoryStats();
      expect(white.transform(x, out)).toBe(out);
      expect(rt.memoryStats()).toEqual(before);
      white.dispose();
    });
  });

  it("refuses rank-deficient data with epsilon 0, leaving no tensor behind", () => {
    rt.scope(() => {
      const x = rt.fromArray([1, 2, 2, 4, 3, 6, 4, 8], [4, 2], { dtype: "f64" }); // column 2 = 2 column 1
      const live = rt.memoryStats().liveTensors;
      expect(() => new Whitening(x, { epsilon: 0 })).toThrow(/Invalid epsilon: 0 \(the covariance's eigenvalue 2 is/);
      expect(rt.memoryStats().liveTensors).toBe(live);
      const regularized = new Whitening(x); // the default epsilon makes it well posed
      regularized.dispose();
    });
  });

  it("rejects bad data, options and calls before changing anything", () => {
    rt.scope(() => {
      const x = correlated(rt, 10, 3, 1);
      const f32 = rt.tensor([10, 3]);
      const [oneRow, fourColumns, narrowOut] = [[1, 3], [2, 4], [10, 2]].map((shape) => rt.tensor(shape, { dtype: "f64" })) as [Tensor<"f64">, Tensor<"f64">, Tensor<"f64">];
      expectThrowsUnchanged(rt, () => new Whitening(f32 as never), ShapeError, /expected dtype 'f64'/);
      expectThrowsUnchanged(rt, () => new Whitening(oneRow), ShapeError, /x has 1 row/);
      expectThrowsUnchanged(rt, () => new Whitening(x, { method: "pcaa" as never }), ValueError, /Invalid method: pcaa/);
      expectThrowsUnchanged(rt, () => new Whitening(x, { epsilon: -1 }), ValueError, /Invalid epsilon: -1/);
      expectThrowsUnchanged(rt, () => new Whitening(x, { components: 2 }), ValueError, /Invalid components: 2 \(ZCA keeps all 3/);
      expectThrowsUnchanged(rt, () => new Whitening(x, { method: "pca", components: 4 }), ValueError, /Invalid components: 4/);
      expectThrowsUnchanged(rt, () => new Whitening(x, { eps: 1 } as never), ValueError, /Invalid options for Whitening: unknown option 'eps'/);
      const nan = rt.fromArray([1, 2, 3, Number.NaN], [2, 2], { dtype: "f64" });
      expectThrowsUnchanged(rt, () => new Whitening(nan), ValueError, /Invalid x\[3\]: NaN/);
      const white = new Whitening(x);
      expectThrowsUnchanged(rt, () => white.transform(fourColumns), ShapeError, /x has 4 columns \(expected 3\)/);
      expectThrowsUnchanged(rt, () => white.transform(x, narrowOut), ShapeError, /out has shape \[10, 2\]/);
      expectThrowsUnchanged(rt, () => white.inverseTransform(x, x), ValueError, /out overlaps y/);
      white.dispose();
      expectThrowsUnchanged(rt, () => white.transform(x), DisposedError, /Whitening was used after dispose/);
    });
  });
});
