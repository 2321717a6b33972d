import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { seededRandom } from "../helpers/random";
import { minimize, quadratic, diagonalQuadratic, leastSquares, type CGBeta } from "../../src/minimize/index";

/** A random SPD matrix Q = M'M / n + shift I (row-major n x n) and a right-hand side. */
function spd(n: number, seed: number, shift = 0.1): { A: Float64Array; b: Float64Array } {
  const next = seededRandom(seed);
  const M = Float64Array.from({ length: n * n }, () => 2 * next() - 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += M[k * n + i]! * M[k * n + j]!;
      A[i * n + j] = s / n + (i === j ? shift : 0);
    }
  }
  return { A, b: Float64Array.from({ length: n }, () => 2 * next() - 1) };
}

function residual(A: Float64Array, b: Float64Array, x: ArrayLike<number>): number {
  const n = b.length;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let s = -b[i]!;
    for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
    worst = Math.max(worst, Math.abs(s));
  }
  return worst;
}

describeBackends("quadratic objectives", (rt) => {
  const n = 50;
  const { A, b } = spd(n, 7);

  for (const beta of ["fletcher-reeves", "polak-ribiere", "polak-ribiere+", "hestenes-stiefel", "dai-yuan"] as CGBeta[]) {
    it(`linear CG (${beta}, exact line search) reaches gtol 1e-10 on an SPD quadratic, n = 50, in <= n iterations`, () => {
      const q = quadratic(rt, A, b);
      const r = minimize(q, new Float64Array(n), { method: "cg", beta, lineSearch: "exact", gtol: 1e-10 });
      q.dispose();
      expect(r.status).toBe("gtol");
      expect(r.nit).toBeLessThanOrEqual(n);
      expect(r.nfev).toBe(r.nit + 1); // the exact step needs one evaluation
      expect(residual(A, b, r.x)).toBeLessThanOrEqual(1e-10);
    });
  }

  it("FR and PR coincide on a quadratic with exact line searches (both are linear CG, book Sec. 8.6.2)", () => {
    const q = quadratic(rt, A, b);
    const path = (beta: CGBeta) => {
      const xs: number[][] = [];
      minimize(q, new Float64Array(n), {
        method: "cg", beta, lineSearch: "exact", gtol: 1e-10,
        onIteration: ({ x }) => void xs.push(Array.from(x)),
      });
      return xs;
    };
    const fr = path("fletcher-reeves");
    const pr = path("polak-ribiere");
    q.dispose();
    expect(fr.length).toBe(pr.length);
    // The first iterates agree to rounding; g_k'g_(k-1) = 0 makes the betas equal.
    for (let k = 0; k < 10; k++) {
      for (let i = 0; i < n; i++) expect(Math.abs(fr[k]![i]! - pr[k]![i]!)).toBeLessThan(1e-9);
    }
  });

  it("steepest descent with exact steps zig-zags and contracts f - f* by at most ((k-1)/(k+1))^2 per step", () => {
    // Diagonal Q with eigenvalues 1..20 (condition number k = 20); Nocedal & Wright Thm 3.3.
    const m = 40;
    const a = Float64Array.from({ length: m }, (_, i) => 1 + (19 * i) / (m - 1));
    const bq = Float64Array.from({ length: m }, (_, i) => Math.cos(3 * i));
    const fStar = -0.5 * bq.reduce((s, v, i) => s + (v * v) / a[i]!, 0);
    const q = diagonalQuadratic(rt, a, bq);
    const fs: number[] = [];
    const fg0 = minimize(q, new Float64Array(m), { method: "steepest", lineSearch: "exact", maxIter: 0 });
    fs.push(fg0.f);
    const r = minimize(q, new Float64Array(m), {
      method: "steepest", lineSearch: "exact", gtol: 1e-9, maxIter: 10000,
      onIteration: ({ f }) => void fs.push(f),
    });
    q.dispose();
    expect(r.status).toBe("gtol");
    expect(r.nit).toBeGreaterThan(3 * m); // far from CG's <= m
    const bound = ((20 - 1) / (20 + 1)) ** 2;
    for (let k = 1; k < Math.min(fs.length, 60); k++) {
      expect(fs[k]! - fStar).toBeLessThanOrEqual(bound * (fs[k - 1]! - fStar) * (1 + 1e-9) + 1e-15);
    }
  });

  it("with exact steps, consecutive steepest-descent directions are orthogonal", () => {
    const q = quadratic(rt, A, b);
    const xs: Float64Array[] = [new Float64Array(n)];
    minimize(q, new Float64Array(n), {
      method: "steepest", lineSearch: "exact", maxIter: 4,
      onIteration: ({ x }) => void xs.push(x.slice()),
    });
    q.dispose();
    for (let k = 1; k + 1 < xs.length; k++) {
      let dot = 0;
      let n1 = 0;
      let n2 = 0;
      for (let i = 0; i < n; i++) {
        const d1 = xs[k]![i]! - xs[k - 1]![i]!;
        const d2 = xs[k + 1]![i]! - xs[k]![i]!;
        dot += d1 * d2;
        n1 += d1 * d1;
        n2 += d2 * d2;
      }
      expect(Math.abs(dot) / Math.sqrt(n1 * n2)).toBeLessThan(1e-10);
    }
  });

  it("BFGS with exact line searches terminates in at most n iterations on a quadratic", () => {
    const small = spd(12, 3);
    const q = quadratic(rt, small.A, small.b);
    const r = minimize(q, new Float64Array(12), { method: "bfgs", lineSearch: "exact", gtol: 1e-9 });
    q.dispose();
    expect(r.status).toBe("gtol");
    expect(r.nit).toBeLessThanOrEqual(12 + 1);
    expect(residual(small.A, small.b, r.x)).toBeLessThanOrEqual(1e-9);
  });

  it("newton solves a quadratic in one iteration", () => {
    const q = quadratic(rt, A, b);
    const r = minimize(q, new Float64Array(n), { method: "newton", gtol: 1e-9 });
    q.dispose();
    expect(r.status).toBe("gtol");
    expect(r.nit).toBe(1);
    expect(r.nhev).toBe(1);
  });

  it("coordinate descent uses exact sweeps on a quadratic (Gauss-Seidel) and converges", () => {
    const q = quadratic(rt, A, b);
    const r = minimize(q, new Float64Array(n), { method: "coordinate", gtol: 1e-8, maxIter: 100000 });
    q.dispose();
    expect(r.status).toBe("gtol");
    expect(residual(A, b, r.x)).toBeLessThanOrEqual(1e-8);
    expect(r.nfev).toBe(r.nit + 1); // one evaluation per sweep, none inside it
  });

  it("coordinate descent on a callback uses line searches along each axis", () => {
    const small = spd(6, 11, 1);
    const fg = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let i = 0; i < 6; i++) {
        let s = 0;
        for (let j = 0; j < 6; j++) s += small.A[i * 6 + j]! * x[j]!;
        g[i] = s - small.b[i]!;
        f += x[i]! * (0.5 * s - small.b[i]!);
      }
      return f;
    };
    for (const lineSearch of ["armijo", "strong-wolfe"] as const) {
      const r = minimize(fg, new Float64Array(6), { method: "coordinate", lineSearch, gtol: 1e-7, runtime: rt });
      expect(r.status).toBe("gtol");
      expect(residual(small.A, small.b, r.x)).toBeLessThanOrEqual(1e-7);
    }
  });

  it("a diagonal quadratic and a least-squares objective reach their closed-form minimizers", () => {
    const a = Float64Array.from({ length: 101 }, (_, i) => 1 + i);
    const bd = Float64Array.from({ length: 101 }, (_, i) => Math.sin(i));
    const dq = diagonalQuadratic(rt, a, bd);
    const r1 = minimize(dq, new Float64Array(101), { method: "lbfgs", gtol: 1e-10 });
    dq.dispose();
    r1.x.forEach((xi, i) => expect(xi).toBeCloseTo(bd[i]! / a[i]!, 10));

    // Overdetermined system with an exact solution: the residual goes to 0.
    const m = 31;
    const k = 7;
    const next = seededRandom(5);
    const M = Float64Array.from({ length: m * k }, () => 2 * next() - 1);
    const xTrue = Float64Array.from({ length: k }, (_, i) => i - 3);
    const y = Float64Array.from({ length: m }, (_, i) => M.subarray(i * k, i * k + k).reduce((s, v, j) => s + v * xTrue[j]!, 0));
    const ls = leastSquares(rt, M, y, k);
    for (const method of ["cg", "lbfgs", "steepest"] as const) {
      const r = minimize(ls, new Float64Array(k), { method, lineSearch: "exact", gtol: 1e-10, maxIter: 100000 });
      expect(r.status, method).toBe("gtol");
      r.x.forEach((xi, i) => expect(xi).toBeCloseTo(xTrue[i]!, 7));
    }
    ls.dispose();
  });
});
