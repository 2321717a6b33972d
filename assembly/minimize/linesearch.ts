// The line-search state machine. The facade owns a block of LS_SLOTS f64 at `state`, fills
// the inputs, and calls f64_linesearch_step; each call returns what to do next:
//   LS_EVALUATE (1): evaluate f and phi'(stp) = g(x + stp d)'d at state[STP], store them in
//                    state[F] and state[G], and call again;
//   LS_CONVERGED (0): stp satisfies the conditions of the mode;
//   < 0: a failure, see the codes below (the last trial is at state[STP]).
// Modes (state[MODE]):
//   0 strong Wolfe: More & Thuente (1994), "Line search algorithms with guaranteed sufficient
//     decrease", ACM TOMS 20(3): find stp with
//       f(stp) <= f(0) + ftol stp f'(0)   and   |f'(stp)| <= gtol |f'(0)|,
//     keeping an interval of uncertainty [stx, sty] updated by the safeguarded step of the
//     paper's Section 4 (cubic and quadratic interpolation, bisection when the interval does not
//     shrink by 0.66 in two steps), on the auxiliary function psi(stp) = f(stp) - f(0) - ftol stp
//     f'(0) until a point with psi <= 0 and f' >= 0 is seen (stage 1), on f afterwards (stage 2).
//   1 Armijo: backtracking from the initial stp with the minimizer of the quadratic through
//     f(0), f'(0), f(stp), kept in [0.1 stp, 0.5 stp] (Nocedal & Wright 2006, Sec. 3.5).
// A trial where f or f' is not finite counts as "too far": the step moves halfway back toward
// the best point (stx) and the interval's upper end is capped below it.

/**
 * Slots of the state block (f64 indices; the same table is src/reference/minimize/linesearch-layout.ts).
 * Inputs: STP (first trial), F = f(0), G = f'(0), FTOL (c1), GTOL (c2), XTOL, STPMIN, STPMAX, MODE,
 * and TASK = 0 to start a search. The rest is the machine's own state.
 */
const STP = 0;
const F = 1;
const G = 2;
const FTOL = 3;
const GTOL = 4;
const XTOL = 5;
const STPMIN = 6;
const STPMAX = 7;
const TASK = 8; // 0: start (F, G hold f(0), f'(0)); 1: F, G belong to the trial at STP
const FINIT = 9;
const GINIT = 10;
const GTEST = 11;
const WIDTH = 12;
const WIDTH1 = 13;
const STX = 14;
const FX = 15;
const GX = 16;
const STY = 17;
const FY = 18;
const GY = 19;
const STMIN = 20;
const STMAX = 21;
const BRACKT = 22;
const STAGE = 23;
const MODE = 24;
const CAP = 25; // smallest step seen with a non-finite value (Infinity if none)

const LS_CONVERGED = 0;
const LS_EVALUATE = 1;
const LS_NOT_DESCENT = -1;
const LS_ROUNDING = -2;
const LS_XTOL = -3;
const LS_AT_STPMAX = -4;
const LS_AT_STPMIN = -5;

const XTRAPL: f64 = 1.1;
const XTRAPU: f64 = 4.0;

// @ts-ignore: decorator
@inline
function get(state: usize, slot: i32): f64 {
  return load<f64>(state + (<usize>slot << 3));
}

// @ts-ignore: decorator
@inline
function set(state: usize, slot: i32, value: f64): void {
  store<f64>(state + (<usize>slot << 3), value);
}

/** Advances the line search held in the state block at `state`; returns the next action. */
export function f64_linesearch_step(state: usize): i32 {
  if (get(state, TASK) == 0) return start(state);
  const stp = get(state, STP);
  const f = get(state, F);
  const g = get(state, G);
  if (!isFinite(f) || !isFinite(g)) {
    // Too far: cap the step and retreat halfway toward the best point.
    const stx = get(state, STX);
    set(state, CAP, min<f64>(get(state, CAP), stp));
    const next = stx + 0.5 * (stp - stx);
    if (next <= get(state, STPMIN) || next - stx <= get(state, XTOL) * next) return LS_XTOL;
    set(state, STP, next);
    return LS_EVALUATE;
  }
  if (get(state, MODE) == 1) return armijo(state, stp, f);
  return moreThuente(state, stp, f, g);
}

function start(state: usize): i32 {
  const stp = get(state, STP);
  const finit = get(state, F);
  const ginit = get(state, G);
  if (!(ginit < 0)) return LS_NOT_DESCENT;
  set(state, TASK, 1);
  set(state, FINIT, finit);
  set(state, GINIT, ginit);
  set(state, GTEST, get(state, FTOL) * ginit);
  const width = get(state, STPMAX) - get(state, STPMIN);
  set(state, WIDTH, width);
  set(state, WIDTH1, 2 * width);
  set(state, STX, 0);
  set(state, FX, finit);
  set(state, GX, ginit);
  set(state, STY, 0);
  set(state, FY, finit);
  set(state, GY, ginit);
  set(state, STMIN, 0);
  set(state, STMAX, stp + XTRAPU * stp);
  set(state, BRACKT, 0);
  set(state, STAGE, 1);
  set(state, CAP, Infinity);
  return LS_EVALUATE;
}

function armijo(state: usize, stp: f64, f: f64): i32 {
  const finit = get(state, FINIT);
  const ginit = get(state, GINIT);
  if (f <= finit + stp * get(state, GTEST)) return LS_CONVERGED;
  // Minimizer of q(t) = finit + ginit t + c t^2 with q(stp) = f, c > 0 since f > finit + ginit stp.
  const curvature = (f - finit - ginit * stp) / (stp * stp);
  let next = -ginit / (2 * curvature);
  next = min<f64>(max<f64>(next, 0.1 * stp), 0.5 * stp);
  if (next < get(state, STPMIN)) return LS_AT_STPMIN;
  set(state, STP, next);
  return LS_EVALUATE;
}

function moreThuente(state: usize, stp: f64, f: f64, g: f64): i32 {
  const gtol = get(state, GTOL);
  const xtol = get(state, XTOL);
  const stpmin = get(state, STPMIN);
  const stpmax = get(state, STPMAX);
  const finit = get(state, FINIT);
  const ginit = get(state, GINIT);
  const gtest = get(state, GTEST);
  let brackt = get(state, BRACKT) != 0;
  let stage = <i32>get(state, STAGE);
  let stmin = get(state, STMIN);
  let stmax = get(state, STMAX);

  const ftest = finit + stp * gtest;
  if (stage == 1 && f <= ftest && g >= 0) stage = 2;

  // Tests for convergence and for the ends of what can be done.
  if (f <= ftest && Math.abs(g) <= gtol * -ginit) return LS_CONVERGED;
  if (brackt && (stp <= stmin || stp >= stmax)) return LS_ROUNDING;
  if (brackt && stmax - stmin <= xtol * stmax) return LS_XTOL;
  if (stp == stpmax && f <= ftest && g <= gtest) return LS_AT_STPMAX;
  if (stp == stpmin && (f > ftest || g >= gtest)) return LS_AT_STPMIN;

  let stx = get(state, STX);
  let fx = get(state, FX);
  let gx = get(state, GX);
  let sty = get(state, STY);
  let fy = get(state, FY);
  let gy = get(state, GY);

  let next: f64;
  if (stage == 1 && f <= fx && f > ftest) {
    // Stage 1 works on psi(t) = f(t) - f(0) - gtest t, whose minimizers satisfy the Armijo
    // condition; values and slopes are shifted in and out of psi around the safeguarded step.
    next = safeguardedStep(
      stx, fx - stx * gtest, gx - gtest,
      sty, fy - sty * gtest, gy - gtest,
      stp, f - stp * gtest, g - gtest,
      brackt, stmin, stmax,
    );
    stx = r_stx; fx = r_fx + stx * gtest; gx = r_gx + gtest;
    sty = r_sty; fy = r_fy + sty * gtest; gy = r_gy + gtest;
    brackt = r_brackt;
  } else {
    next = safeguardedStep(stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax);
    stx = r_stx; fx = r_fx; gx = r_gx;
    sty = r_sty; fy = r_fy; gy = r_gy;
    brackt = r_brackt;
  }

  if (brackt) {
    // Bisect when the interval has not shrunk by 0.66 in two steps.
    if (Math.abs(sty - stx) >= 0.66 * get(state, WIDTH1)) next = stx + 0.5 * (sty - stx);
    set(state, WIDTH1, get(state, WIDTH));
    set(state, WIDTH, Math.abs(sty - stx));
    stmin = min<f64>(stx, sty);
    stmax = max<f64>(stx, sty);
  } else {
    stmin = next + XTRAPL * (next - stx);
    stmax = next + XTRAPU * (next - stx);
  }
  next = max<f64>(next, stpmin);
  next = min<f64>(next, stpmax);
  // Beyond a step that gave a non-finite value lies no answer: stay below it.
  const cap = get(state, CAP);
  if (next >= cap) next = stx + 0.5 * (cap - stx);
  // When no further progress is possible, let the last evaluation be at the best point.
  if ((brackt && (next <= stmin || next >= stmax)) || (brackt && stmax - stmin <= xtol * stmax)) next = stx;

  set(state, STP, next);
  set(state, STX, stx); set(state, FX, fx); set(state, GX, gx);
  set(state, STY, sty); set(state, FY, fy); set(state, GY, gy);
  set(state, STMIN, stmin);
  set(state, STMAX, stmax);
  set(state, BRACKT, brackt ? 1 : 0);
  set(state, STAGE, <f64>stage);
  return LS_EVALUATE;
}

// The safeguarded step returns its updated interval through these globals (wasm has no
// multiple returns here and kernels never allocate).
let r_stx: f64 = 0;
let r_fx: f64 = 0;
let r_gx: f64 = 0;
let r_sty: f64 = 0;
let r_fy: f64 = 0;
let r_gy: f64 = 0;
let r_brackt: bool = false;

/** Minimizer of the cubic interpolating (a, fa, da) and (b, fb, db), in the form of More & Thuente. */
// @ts-ignore: decorator
@inline
function cubicMin(a: f64, fa: f64, da: f64, b: f64, fb: f64, db: f64): f64 {
  const theta = (3 * (fa - fb)) / (b - a) + da + db;
  const s = max<f64>(Math.abs(theta), max<f64>(Math.abs(da), Math.abs(db)));
  let gamma = s * Math.sqrt((theta / s) * (theta / s) - (da / s) * (db / s));
  if (b < a) gamma = -gamma;
  const p = gamma - da + theta;
  const q = gamma - da + gamma + db;
  return a + (p / q) * (b - a);
}

/**
 * One safeguarded step of More & Thuente (1994), Section 4: from the interval ends (stx, fx, dx)
 * and (sty, fy, dy) and the trial (stp, fp, dp), the next trial step (returned) and the new
 * interval (in the r_* globals). Four cases by the trial's value and slope:
 *   1. fp > fx: the minimum is bracketed; take the cubic step if it is closer to stx than the
 *      quadratic (fx, dx, fp) step, else their midpoint.
 *   2. fp <= fx, slopes of opposite sign: bracketed; the cubic or the secant step, whichever is
 *      farther from stp.
 *   3. fp <= fx, same sign, |dp| < |dx|: the cubic step if it lies beyond stp, else the end of
 *      [stpmin, stpmax]; bounded by 0.66 of the way to sty when bracketed.
 *   4. fp <= fx, same sign, |dp| >= |dx|: the cubic through stp and sty if bracketed, else an end.
 */
function safeguardedStep(
  stx: f64, fx: f64, dx: f64,
  sty: f64, fy: f64, dy: f64,
  stp: f64, fp: f64, dp: f64,
  brackt: bool, stpmin: f64, stpmax: f64,
): f64 {
  const sgnd = dp * (dx / Math.abs(dx));
  let stpf: f64;
  if (fp > fx) {
    const stpc = cubicMin(stx, fx, dx, stp, fp, dp);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) < Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    brackt = true;
  } else if (sgnd < 0) {
    const stpc = cubicMin(stp, fp, dp, stx, fx, dx);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    // The cubic may have no minimizer; the clamped square root keeps gamma real.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = max<f64>(Math.abs(theta), max<f64>(Math.abs(dx), Math.abs(dp)));
    let gamma = s * Math.sqrt(max<f64>(0, (theta / s) * (theta / s) - (dx / s) * (dp / s)));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma + (dx - dp) + gamma;
    const r = p / q;
    let stpc: f64;
    if (r < 0 && gamma != 0) stpc = stp + r * (stx - stp);
    else stpc = stp > stx ? stpmax : stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      stpf = stp > stx ? min<f64>(stp + 0.66 * (sty - stp), stpf) : max<f64>(stp + 0.66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = max<f64>(stpmin, min<f64>(stpmax, stpf));
    }
  } else if (brackt) {
    stpf = cubicMin(stp, fp, dp, sty, fy, dy);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }

  // The new interval keeps the best point at stx and a point beyond the minimizer at sty.
  if (fp > fx) {
    sty = stp; fy = fp; dy = dp;
  } else {
    if (sgnd < 0) {
      sty = stx; fy = fx; dy = dx;
    }
    stx = stp; fx = fp; dx = dp;
  }
  r_stx = stx; r_fx = fx; r_gx = dx;
  r_sty = sty; r_fy = fy; r_gy = dy;
  r_brackt = brackt;
  return stpf;
}
