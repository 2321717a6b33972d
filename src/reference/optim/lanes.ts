import type { Heap } from "../../runtime/heap";

/**
 * How a twin reads one dtype: the typed view, the rounding after each IEEE operation
 * (Math.fround for f32, identity for f64) and log2 of the element size. A twin rule is
 * written once over a Lanes and bound to both dtypes by {@link twins}. Rounding every
 * f64 result to f32 gives exactly the f32 operation (the double rounding of +, -, *, / and
 * sqrt is innocuous), so the f32 twins agree bit for bit with the wasm kernels.
 *
 * Internal to the optimizer twins: not re-exported from the index, which lists kernels only.
 */
export interface Lanes {
  a: Float32Array | Float64Array;
  r: (x: number) => number;
  shift: number;
}

const identity = (x: number) => x;

/** The f32 and f64 twins of one rule, each taking the Heap first, as the kernel table expects. */
export function twins<A extends number[], R>(rule: (v: Lanes, ...args: A) => R) {
  return [
    (h: Heap, ...args: A): R => rule({ a: h.f32, r: Math.fround, shift: 2 }, ...args),
    (h: Heap, ...args: A): R => rule({ a: h.f64, r: identity, shift: 3 }, ...args),
  ] as const;
}

/** The gradient prologue's switches (see assembly/optim/prologue.ts), rounded to the dtype. */
export interface Prologue {
  gradScale: number;
  clip: number;
  l2: number;
  l1: number;
  pScale: number;
  /** True when clip, L2, L1 and the decoupled decay are all off. */
  plain: boolean;
}

export function prologue(v: Lanes, gradScale: number, clip: number, l2: number, l1: number, pScale: number): Prologue {
  const [s, c, a, b, d] = [gradScale, clip, l2, l1, pScale].map(v.r) as [number, number, number, number, number];
  return { gradScale: s, clip: c, l2: a, l1: b, pScale: d, plain: c === Infinity && a === 0 && b === 0 && d === 1 };
}

/** pmax(a, b) = a < b ? b : a, wasm's pseudo-maximum (a NaN in a comes through). */
export const pmax = (a: number, b: number) => (a < b ? b : a);

/** pmin(a, b) = b < a ? b : a, wasm's pseudo-minimum (a NaN in a comes through). */
export const pmin = (a: number, b: number) => (b < a ? b : a);

/** sign(x) with sign(+-0) = 0. */
const sign = (x: number) => (x === 0 ? 0 : x < 0 ? -1 : 1);

/** x = clamp(gradScale g, -clip, clip) + l2 theta + l1 sign(theta), in the dtype's arithmetic. */
export function effectiveGrad(v: Lanes, pre: Prologue, g: number, theta: number): number {
  const r = v.r;
  let x = r(pre.gradScale * g);
  if (!pre.plain) {
    x = pmin(pmax(x, -pre.clip), pre.clip);
    x = r(x + r(pre.l2 * theta));
    x = r(x + r(pre.l1 * sign(theta)));
  }
  return x;
}

/** theta0 = pScale theta (decoupled weight decay), or theta when the prologue is plain. */
export function decayed(v: Lanes, pre: Prologue, theta: number): number {
  return pre.plain ? theta : v.r(pre.pScale * theta);
}
