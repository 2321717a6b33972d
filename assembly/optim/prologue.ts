// The pieces every fused update shares. The gradient prologue, applied per element before the rule:
//   x  = clamp(gradScale * g, -clip, clip)   (NaN stays NaN) + l2 * theta + l1 * sign(theta)
//   theta0 = pScale * theta                       (decoupled weight decay, AdamW-style)
// gradScale folds global/per-tensor norm clipping and `maximize` (a negative sign) into the
// pass; clip = +Infinity, l2 = l1 = 0 and pScale = 1 switch the rest off. When they are all
// off (`isPlain`) the kernels run a loop without them: x = gradScale * g, theta0 = theta.
// sign(0) = 0 (the L1 subgradient torch and optax use at 0).

/** True when clip, L2, L1 and the decoupled decay are all switched off. */
// @ts-ignore: decorator
@inline
export function isPlain<T>(clip: T, l2: T, l1: T, pScale: T): bool {
  return clip == <T>Infinity && l2 == 0 && l1 == 0 && pScale == 1;
}

/** Bytes per element of T. */
// @ts-ignore: decorator
@inline
export function bytes<T>(): usize {
  return sizeof<T>();
}

/** Elements of T per v128. */
// @ts-ignore: decorator
@inline
export function lanes<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

// Clamps and running maxima use the pseudo-min/max, one instruction on x86 (the IEEE
// f32x4.min/max lower to about eight): pmin(a, b) = b < a ? b : a, pmax(a, b) = a < b ? b : a.
// A NaN in `a` always comes through, so callers put the value that may be NaN first.

/** pmax(a, b) = a < b ? b : a on one element: the scalar twin of v128.pmax. */
// @ts-ignore: decorator
@inline
export function pmaxS<T>(a: T, b: T): T {
  return a < b ? b : a;
}

/** pmin(a, b) = b < a ? b : a on one element: the scalar twin of v128.pmin. */
// @ts-ignore: decorator
@inline
export function pminS<T>(a: T, b: T): T {
  return b < a ? b : a;
}

/** sign(x) per lane: +-1 with the sign of x, 0 for +-0. */
// @ts-ignore: decorator
@inline
export function signV<T>(x: v128): v128 {
  const magnitudeOne = v128.or(v128.and(x, v128.splat<T>(<T>-0.0)), v128.splat<T>(<T>1));
  return v128.and(magnitudeOne, v128.ne<T>(x, v128.splat<T>(<T>0)));
}

/** sign(x): +-1 with the sign of x, 0 for +-0 (the scalar twin of signV). */
// @ts-ignore: decorator
@inline
export function signS<T>(x: T): T {
  return select<T>(copysign<T>(<T>1, x), <T>0, x != 0);
}

/** The effective gradient x of four (f32) or two (f64) lanes. */
// @ts-ignore: decorator
@inline
export function gradV<T>(gv: v128, pv: v128, scale: T, clip: T, l2: T, l1: T, FULL: bool): v128 {
  // The splats are loop-invariant: the engine hoists them out of the kernels' loops.
  let x = v128.mul<T>(v128.splat<T>(scale), gv);
  if (FULL) {
    x = v128.pmin<T>(v128.pmax<T>(x, v128.splat<T>(-clip)), v128.splat<T>(clip));
    x = v128.add<T>(x, v128.mul<T>(v128.splat<T>(l2), pv));
    x = v128.add<T>(x, v128.mul<T>(v128.splat<T>(l1), signV<T>(pv)));
  }
  return x;
}

/** The effective gradient x of one element: the same IEEE operations as one lane of gradV. */
// @ts-ignore: decorator
@inline
export function gradS<T>(gi: T, pi: T, scale: T, clip: T, l2: T, l1: T, FULL: bool): T {
  let x: T = scale * gi;
  if (FULL) {
    x = pminS<T>(pmaxS<T>(x, -clip), clip);
    x = x + l2 * pi;
    x = x + l1 * signS<T>(pi);
  }
  return x;
}

/** The momentum step shared by SGD and RMSProp: b <- mu b + k u (stored at b); returns theta + a b. */
// @ts-ignore: decorator
@inline
export function momentumV<T>(b: usize, theta: v128, u: v128, mu: T, k: T, a: T): v128 {
  const bi = v128.add<T>(v128.mul<T>(v128.splat<T>(mu), v128.load(b)), v128.mul<T>(v128.splat<T>(k), u));
  v128.store(b, bi);
  return v128.add<T>(theta, v128.mul<T>(v128.splat<T>(a), bi));
}

/** momentumV on one element: the same IEEE operations as one lane. */
// @ts-ignore: decorator
@inline
export function momentumS<T>(b: usize, theta: T, u: T, mu: T, k: T, a: T): T {
  const bi: T = mu * load<T>(b) + k * u;
  store<T>(b, bi);
  return theta + a * bi;
}
