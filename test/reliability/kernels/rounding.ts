import type { Tolerance } from "./harness";

/**
 * Running error analysis (Wilkinson; Higham, "Accuracy and Stability of Numerical Algorithms",
 * 2nd ed. 2002, sec. 3.3) of f64 computations, for the tolerances of kernels whose wasm code
 * and reference twin round differently: other summation orders (v128 lanes), other groupings
 * of a product, another libm for exp and log1p.
 *
 * A `Bounded` r stands for one quantity X that both implementations compute: each one's result
 * lies within r.e of X, and so does r.v, the value computed here. The two implementations
 * therefore agree within 2 r.e (`agreement`). r.e = 0 means both perform the same IEEE
 * operations on the same operands, so both produce exactly r.v.
 *
 * Model of one operation (Higham eq. 2.4, with underflow as in his sec. 2.1):
 *   fl(x op y) = (x op y)(1 + d) + h,  |d| <= u = 2^-53,  |h| <= 2^-1074 for * and /, h = 0
 *   for + and - (a sum that underflows is exact).
 * u is padded by 2^-20 of itself to absorb the (1 + u) factors of second order.
 */
export const U = 2 ** -53 * (1 + 2 ** -20);
export const ETA = 2 ** -1074;

/** gamma_n = n u / (1 - n u): the relative error of n roundings in a row (Higham Lemma 3.1). */
export const gamma = (n: number): number => (n * U) / (1 - n * U);

export class Bounded {
  constructor(
    readonly v: number,
    readonly e: number,
  ) {}

  /** A bound on |X| (and so on every exact value it stands for). */
  get abs(): number {
    return Math.abs(this.v) + this.e;
  }

  /** A bound on the magnitude either implementation can compute for it. */
  get mag(): number {
    return Math.abs(this.v) + 2 * this.e;
  }

  get exact(): boolean {
    return this.e === 0;
  }
}

/** An input: both implementations see exactly v. */
export const lit = (v: number): Bounded => new Bounded(v, 0);
export const lits = (vs: ArrayLike<number>): Bounded[] => Array.from(vs, lit);

export const neg = (a: Bounded): Bounded => new Bounded(-a.v, a.e);
export const abs = (a: Bounded): Bounded => new Bounded(Math.abs(a.v), a.e);
/** max(a, 0) is 1-Lipschitz and exact. */
export const max0 = (a: Bounded): Bounded => new Bounded(Math.max(a.v, 0), a.e);

/** a + b, rounded once, by both implementations. */
export function add(a: Bounded, b: Bounded): Bounded {
  const v = a.v + b.v;
  if (a.exact && b.exact) return lit(v);
  return new Bounded(v, a.e + b.e + U * (Math.abs(v) + 2 * (a.e + b.e)));
}

export const sub = (a: Bounded, b: Bounded): Bounded => add(a, neg(b));

/** a b, rounded once, by both implementations. */
export function mul(a: Bounded, b: Bounded): Bounded {
  const v = a.v * b.v;
  if (a.exact && b.exact) return lit(v);
  // |a'b' - XaXb| <= |Xa| |b' - Xb| + |b'| |a' - Xa|; then the rounding of a'b'.
  const propagated = a.abs * b.e + b.mag * a.e;
  return new Bounded(v, propagated + U * a.mag * b.mag + ETA);
}

/** a / b, rounded once, by both implementations; unbounded when b may be 0. */
export function div(a: Bounded, b: Bounded): Bounded {
  const v = a.v / b.v;
  if (a.exact && b.exact) return lit(v);
  const low = Math.abs(b.v) - 2 * b.e; // |b'| >= low, |Xb| >= low
  if (!(low > 0)) return new Bounded(v, Infinity);
  // |a'/b' - Xa/Xb| = |(a' - Xa) Xb - Xa (b' - Xb)| / |b' Xb|.
  const propagated = a.e / low + (a.abs * b.e) / (low * low);
  return new Bounded(v, propagated + (U * a.mag) / low + ETA);
}

/** sqrt(a), correctly rounded by both implementations. */
export function sqrt(a: Bounded): Bounded {
  const v = Math.sqrt(a.v);
  if (a.exact) return lit(v);
  // |sqrt(a') - sqrt(Xa)| <= min(sqrt|a' - Xa|, |a' - Xa| / sqrt(Xa)).
  const low = a.v - a.e;
  const propagated = Math.min(Math.sqrt(a.e), low > 0 ? a.e / Math.sqrt(low) : Infinity);
  return new Bounded(v, propagated + U * Math.sqrt(a.mag));
}

/**
 * A sum of terms in any order (v128 lanes, a scalar tail, or a plain loop): each order is
 * within gamma_{n-1} sum |t'| of the exact sum of its terms (Higham eq. 4.4).
 */
export function sum(terms: Bounded[]): Bounded {
  if (terms.length <= 2) return terms.reduce(add, lit(0));
  let v = 0;
  let e = 0;
  let mags = 0;
  for (const t of terms) {
    v += t.v;
    e += t.e;
    mags += t.mag;
  }
  return new Bounded(v, e + gamma(terms.length - 1) * mags);
}

/** sum_i x_i y_i in any order: products of two inputs are the same on both sides. */
export const dot = (x: Bounded[], y: Bounded[]): Bounded => sum(x.map((xi, i) => mul(xi, y[i]!)));

/**
 * A polynomial, sum over monomials of the product of their factors, evaluated in any grouping
 * (x (y z) or (x y) z, a (b + c) or a b + a c) with at most `depth` roundings on the path of
 * any monomial: every monomial is then off by a factor (1 + theta), |theta| <= gamma_depth
 * (Higham Lemma 3.1), plus each underflow (<= 2^-1074) times the factors applied after it.
 */
export function polynomial(monomials: Bounded[][], depth: number): Bounded {
  let v = 0;
  let propagated = 0;
  let magnitude = 0;
  let underflow = 0;
  for (const factors of monomials) {
    let value = 1;
    let exactAbs = 1; // prod |X_k| bound
    let perturbed = 1; // prod (|X_k| + e_k): bound on the product of the implementations' factors
    let cofactors = 1;
    for (const f of factors) {
      value *= f.v;
      exactAbs *= f.abs;
      perturbed *= f.abs + f.e;
      cofactors *= Math.max(1, f.abs + f.e);
    }
    v += value;
    propagated += perturbed - exactAbs;
    magnitude += perturbed;
    underflow += factors.length * cofactors;
  }
  return new Bounded(v, propagated + gamma(depth) * magnitude + ETA * underflow);
}

/**
 * exp(a) from two libms (V8's fdlibm port and AssemblyScript's musl port), each within one ulp
 * (<= 2u relative, or 2^-1074 below the normal range) of the exact exp of its argument.
 */
export function exp(a: Bounded): Bounded {
  const high = Math.exp(a.v + 2 * a.e); // exp is increasing: bounds exp of every argument seen
  return new Bounded(Math.exp(a.v), high * a.e + 2 * U * high + ETA);
}

/** log1p(a) for a >= 0 from two libms, each within one ulp: |d/dt log1p(t)| <= 1. */
export function log1p(a: Bounded): Bounded {
  const high = Math.log1p(Math.max(0, a.v + 2 * a.e));
  const low = Math.max(0, a.v - 2 * a.e);
  return new Bounded(Math.log1p(a.v), a.e / (1 + low) + 2 * U * high + ETA);
}

/** The tolerance of an output: the two implementations agree within 2 e per element. */
export function agreement(values: Bounded[]): Tolerance {
  return { bounds: values.map((b) => 2 * b.e) };
}

/**
 * Whether any value may come near the overflow threshold, where one implementation may
 * overflow and the other not: cases are drawn away from it.
 */
export const mayOverflow = (values: Bounded[]): boolean => values.some((b) => !(b.mag < 2 ** 1020));
