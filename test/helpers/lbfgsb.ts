import { seededRandom } from "./random";

/** An L-BFGS-B kernel input: a point in a box, a gradient and `count` curvature pairs in ring buffers. */
export interface Problem {
  n: number;
  m: number;
  count: number;
  oldest: number;
  theta: number;
  x: Float64Array;
  g: Float64Array;
  l: Float64Array;
  u: Float64Array;
  /** Ring buffers, m rows of n. */
  S: Float64Array;
  Y: Float64Array;
  /** Pairs oldest first. */
  pairs: Array<{ s: Float64Array; y: Float64Array }>;
}

export type BoundKind = "mixed" | "none";

/**
 * count pairs of a curvature diag(0.5..2.5) plus noise in a ring of 5; variables cycle through
 * free, boxed, at lower, at upper ("mixed"), or are all unbounded ("none").
 */
export function makeProblem(n: number, count: number, seed: number, kind: BoundKind = "mixed"): Problem {
  const m = 5;
  const rand = seededRandom(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const curvature = Float64Array.from({ length: n }, () => uniform(0.5, 2.5));
  const oldest = seed % m;
  const S = new Float64Array(m * n);
  const Y = new Float64Array(m * n);
  const pairs: Problem["pairs"] = [];
  while (pairs.length < count) {
    const s = Float64Array.from({ length: n }, () => uniform(-1, 1));
    const y = s.map((v, i) => curvature[i]! * v + 0.1 * uniform(-1, 1));
    if (dot(s, y) <= 0.1 * dot(s, s)) continue;
    const row = (oldest + pairs.length) % m;
    S.set(s, row * n);
    Y.set(y, row * n);
    pairs.push({ s, y });
  }
  const newest = pairs.at(-1);
  const theta = newest ? dot(newest.y, newest.y) / dot(newest.s, newest.y) : 1;
  const x = new Float64Array(n);
  const l = new Float64Array(n).fill(-Infinity);
  const u = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < n; i++) {
    x[i] = uniform(-1, 1);
    if (kind === "none") continue;
    switch (i % 4) {
      case 1: [l[i], u[i]] = [x[i]! - uniform(0.01, 0.5), x[i]! + uniform(0.01, 0.5)]; break;
      case 2: [l[i], u[i]] = [x[i]!, x[i]! + uniform(0.1, 1)]; break;
      case 3: [l[i], u[i]] = [-Infinity, x[i]!]; break;
    }
  }
  const g = Float64Array.from({ length: n }, () => uniform(-1, 1));
  return { n, m, count, oldest, theta, x, g, l, u, S, Y, pairs };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** S'S and S'Y by ring row (m x m). */
export function products(p: Problem): { SS: Float64Array; SY: Float64Array } {
  const { m, n, S, Y } = p;
  const SS = new Float64Array(m * m);
  const SY = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    SS[i * m + j] = dot(S.subarray(i * n, (i + 1) * n), S.subarray(j * n, (j + 1) * n));
    SY[i * m + j] = dot(S.subarray(i * n, (i + 1) * n), Y.subarray(j * n, (j + 1) * n));
  }
  return { SS, SY };
}

