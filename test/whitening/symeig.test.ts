import { expect, it } from "vitest";
import type { Runtime } from "../../src/index";
import { describeBackends, twinRuntimes } from "../helpers/backends";
import { seededRandom } from "../helpers/random";
import { symmetricWithSpectrum } from "../diagnostics/problems";

const ORDERS = [1, 3, 5, 7, 15, 17, 33];

/** Runs f64_symeig on a copy of A; returns eigenvalues, eigenvector rows and the sweeps. */
function symeig(rt: Runtime, A: readonly number[], n: number, maxSweeps = 60) {
  return rt.scope(() => {
    const a = rt.fromArray(A, [n, n], { dtype: "f64" });
    const w = rt.tensor([n], { dtype: "f64" });
    const e = rt.tensor([n, n], { dtype: "f64" });
    const sweeps = rt.kernels.f64_symeig(a.ptr, w.ptr, e.ptr, n, maxSweeps);
    return { w: Array.from(w.data), e: Array.from(e.data), sweeps };
  });
}

/** max |E E' - I| and max |E' diag(w) E - A| / max |A|. */
function residuals(A: readonly number[], w: number[], e: number[], n: number) {
  let orthogonality = 0;
  let reconstruction = 0;
  const scale = Math.max(...A.map(Math.abs), Number.MIN_VALUE);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      let rebuilt = 0;
      for (let k = 0; k < n; k++) {
        dot += e[i * n + k]! * e[j * n + k]!;
        rebuilt += e[k * n + i]! * w[k]! * e[k * n + j]!;
      }
      orthogonality = Math.max(orthogonality, Math.abs(dot - (i === j ? 1 : 0)));
      reconstruction = Math.max(reconstruction, Math.abs(rebuilt - A[i * n + j]!) / scale);
    }
  }
  return { orthogonality, reconstruction };
}

describeBackends("f64_symeig (cyclic Jacobi)", (rt) => {
  for (const n of ORDERS) {
    it(`finds a known spectrum of order ${n}: decreasing values, orthonormal rows, A = E' diag(w) E`, () => {
      const random = seededRandom(n);
      // Mixed signs, a repeated eigenvalue and a zero: the cases cyclic Jacobi must not trip on.
      const spectrum = Array.from({ length: n }, (_, i) => (i === 1 ? 0 : i === 2 ? 3 : 10 * (random() - 0.4)));
      if (n > 3) spectrum[3] = 3;
      const A = symmetricWithSpectrum(spectrum, random);
      const { w, e, sweeps } = symeig(rt, A, n);
      const sorted = [...spectrum].sort((x, y) => y - x);
      for (let i = 0; i < n; i++) expect(Math.abs(w[i]! - sorted[i]!)).toBeLessThan(1e-12 * 10);
      const { orthogonality, reconstruction } = residuals(A, w, e, n);
      expect(orthogonality).toBeLessThan(1e-13);
      expect(reconstruction).toBeLessThan(1e-13);
      expect(sweeps).toBeGreaterThan(0);
      expect(sweeps).toBeLessThanOrEqual(12);
    });
  }

  it("matches numpy.linalg.eigh on a fixed 3 x 3 matrix", () => {
    // numpy.linalg.eigh([[4, 1, -2], [1, 2, 0], [-2, 0, 3]]) (ascending): 1, 2.2679491924311233,
    // 5.732050807568877, i.e. 1 and 3 -+ sqrt(3).
    const { w } = symeig(rt, [4, 1, -2, 1, 2, 0, -2, 0, 3], 3);
    expect(w[0]).toBeCloseTo(5.732050807568877, 13);
    expect(w[1]).toBeCloseTo(2.2679491924311233, 13);
    expect(w[2]).toBeCloseTo(1, 13);
  });

  it("returns a diagonal matrix as it is (sorted), in one sweep, and the zero matrix too", () => {
    const diagonal = symeig(rt, [1, 0, 0, 0, 5, 0, 0, 0, -2], 3);
    expect(diagonal.w).toEqual([5, 1, -2]);
    expect(diagonal.e).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
    expect(diagonal.sweeps).toBe(1);
    expect(symeig(rt, [0, 0, 0, 0], 2).w).toEqual([0, 0]);
  });

  it("reports -1 when maxSweeps is too few to converge", () => {
    const A = symmetricWithSpectrum([1, 2, 3, 4, 5, 6, 7], seededRandom(9));
    expect(symeig(rt, A, 7, 1).sweeps).toBe(-1);
  });
});

it("the wasm kernel and its twin give the same bits", () => {
  const { wasm, js } = twinRuntimes();
  for (const n of ORDERS) {
    const A = symmetricWithSpectrum(Array.from({ length: n }, (_, i) => Math.cos(i) * 100), seededRandom(40 + n));
    expect(symeig(wasm, A, n)).toEqual(symeig(js, A, n));
  }
});
