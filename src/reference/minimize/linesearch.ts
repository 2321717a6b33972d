import type { Heap } from "../../runtime/heap";
import { LS, LS_CODE } from "./linesearch-layout";

// Reference twin of assembly/minimize/linesearch.ts: More & Thuente (1994) strong-Wolfe search
// and Armijo backtracking over the same f64 state block. See the wasm file for the method.

const XTRAPL = 1.1;
const XTRAPU = 4.0;

/** Advances the line search held at byte address `state`; returns the next action (LS_CODE). */
export function f64_linesearch_step(h: Heap, state: number): number {
  const s = h.f64.subarray(state >>> 3, (state >>> 3) + 26);
  if (s[LS.TASK] === 0) return start(s);
  const stp = s[LS.STP]!;
  const f = s[LS.F]!;
  const g = s[LS.G]!;
  if (!Number.isFinite(f) || !Number.isFinite(g)) {
    const stx = s[LS.STX]!;
    s[LS.CAP] = Math.min(s[LS.CAP]!, stp);
    const next = stx + 0.5 * (stp - stx);
    if (next <= s[LS.STPMIN]! || next - stx <= s[LS.XTOL]! * next) return LS_CODE.XTOL;
    s[LS.STP] = next;
    return LS_CODE.EVALUATE;
  }
  return s[LS.MODE] === 1 ? armijo(s, stp, f) : moreThuente(s, stp, f, g);
}

function start(s: Float64Array): number {
  const stp = s[LS.STP]!;
  const finit = s[LS.F]!;
  const ginit = s[LS.G]!;
  if (!(ginit < 0)) return LS_CODE.NOT_DESCENT;
  s[LS.TASK] = 1;
  s[LS.FINIT] = finit;
  s[LS.GINIT] = ginit;
  s[LS.GTEST] = s[LS.FTOL]! * ginit;
  const width = s[LS.STPMAX]! - s[LS.STPMIN]!;
  s[LS.WIDTH] = width;
  s[LS.WIDTH1] = 2 * width;
  s[LS.STX] = 0;
  s[LS.FX] = finit;
  s[LS.GX] = ginit;
  s[LS.STY] = 0;
  s[LS.FY] = finit;
  s[LS.GY] = ginit;
  s[LS.STMIN] = 0;
  s[LS.STMAX] = stp + XTRAPU * stp;
  s[LS.BRACKT] = 0;
  s[LS.STAGE] = 1;
  s[LS.CAP] = Infinity;
  return LS_CODE.EVALUATE;
}

function armijo(s: Float64Array, stp: number, f: number): number {
  const finit = s[LS.FINIT]!;
  const ginit = s[LS.GINIT]!;
  if (f <= finit + stp * s[LS.GTEST]!) return LS_CODE.CONVERGED;
  const curvature = (f - finit - ginit * stp) / (stp * stp);
  const next = Math.min(Math.max(-ginit / (2 * curvature), 0.1 * stp), 0.5 * stp);
  if (next < s[LS.STPMIN]!) return LS_CODE.AT_STPMIN;
  s[LS.STP] = next;
  return LS_CODE.EVALUATE;
}

interface Interval {
  stx: number;
  fx: number;
  gx: number;
  sty: number;
  fy: number;
  gy: number;
  brackt: boolean;
}

function moreThuente(s: Float64Array, stp: number, f: number, g: number): number {
  const [gtol, xtol] = [s[LS.GTOL]!, s[LS.XTOL]!];
  const [stpmin, stpmax] = [s[LS.STPMIN]!, s[LS.STPMAX]!];
  const [finit, ginit, gtest] = [s[LS.FINIT]!, s[LS.GINIT]!, s[LS.GTEST]!];
  let stage = s[LS.STAGE]!;
  let stmin = s[LS.STMIN]!;
  let stmax = s[LS.STMAX]!;
  const bracketed = s[LS.BRACKT] !== 0;

  const ftest = finit + stp * gtest;
  if (stage === 1 && f <= ftest && g >= 0) stage = 2;
  if (f <= ftest && Math.abs(g) <= gtol * -ginit) return LS_CODE.CONVERGED;
  if (bracketed && (stp <= stmin || stp >= stmax)) return LS_CODE.ROUNDING;
  if (bracketed && stmax - stmin <= xtol * stmax) return LS_CODE.XTOL;
  if (stp === stpmax && f <= ftest && g <= gtest) return LS_CODE.AT_STPMAX;
  if (stp === stpmin && (f > ftest || g >= gtest)) return LS_CODE.AT_STPMIN;

  const old: Interval = {
    stx: s[LS.STX]!, fx: s[LS.FX]!, gx: s[LS.GX]!,
    sty: s[LS.STY]!, fy: s[LS.FY]!, gy: s[LS.GY]!,
    brackt: bracketed,
  };
  let next: number;
  let iv: Interval;
  if (stage === 1 && f <= old.fx && f > ftest) {
    // Stage 1 on psi(t) = f(t) - f(0) - gtest t.
    const shifted: Interval = {
      ...old,
      fx: old.fx - old.stx * gtest, gx: old.gx - gtest,
      fy: old.fy - old.sty * gtest, gy: old.gy - gtest,
    };
    [next, iv] = safeguardedStep(shifted, stp, f - stp * gtest, g - gtest, stmin, stmax);
    iv = { ...iv, fx: iv.fx + iv.stx * gtest, gx: iv.gx + gtest, fy: iv.fy + iv.sty * gtest, gy: iv.gy + gtest };
  } else {
    [next, iv] = safeguardedStep(old, stp, f, g, stmin, stmax);
  }

  if (iv.brackt) {
    if (Math.abs(iv.sty - iv.stx) >= 0.66 * s[LS.WIDTH1]!) next = iv.stx + 0.5 * (iv.sty - iv.stx);
    s[LS.WIDTH1] = s[LS.WIDTH]!;
    s[LS.WIDTH] = Math.abs(iv.sty - iv.stx);
    stmin = Math.min(iv.stx, iv.sty);
    stmax = Math.max(iv.stx, iv.sty);
  } else {
    stmin = next + XTRAPL * (next - iv.stx);
    stmax = next + XTRAPU * (next - iv.stx);
  }
  next = Math.min(Math.max(next, stpmin), stpmax);
  const cap = s[LS.CAP]!;
  if (next >= cap) next = iv.stx + 0.5 * (cap - iv.stx);
  if (iv.brackt && (next <= stmin || next >= stmax || stmax - stmin <= xtol * stmax)) next = iv.stx;

  s[LS.STP] = next;
  s[LS.STX] = iv.stx; s[LS.FX] = iv.fx; s[LS.GX] = iv.gx;
  s[LS.STY] = iv.sty; s[LS.FY] = iv.fy; s[LS.GY] = iv.gy;
  s[LS.STMIN] = stmin;
  s[LS.STMAX] = stmax;
  s[LS.BRACKT] = iv.brackt ? 1 : 0;
  s[LS.STAGE] = stage;
  return LS_CODE.EVALUATE;
}

/** Minimizer of the cubic through (a, fa, da) and (b, fb, db). */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const theta = (3 * (fa - fb)) / (b - a) + da + db;
  const sc = Math.max(Math.abs(theta), Math.abs(da), Math.abs(db));
  let gamma = sc * Math.sqrt((theta / sc) * (theta / sc) - (da / sc) * (db / sc));
  if (b < a) gamma = -gamma;
  const p = gamma - da + theta;
  const q = gamma - da + gamma + db;
  return a + (p / q) * (b - a);
}

/** More & Thuente's safeguarded step: the next trial and the updated interval. */
function safeguardedStep(
  iv: Interval, stp: number, fp: number, dp: number, stpmin: number, stpmax: number,
): [number, Interval] {
  const { stx, fx, gx: dx, sty, fy, gy: dy } = iv;
  let brackt = iv.brackt;
  const sgnd = dp * (dx / Math.abs(dx));
  let stpf: number;
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
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const sc = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = sc * Math.sqrt(Math.max(0, (theta / sc) * (theta / sc) - (dx / sc) * (dp / sc)));
    if (stp > stx) gamma = -gamma;
    const r = (gamma - dp + theta) / (gamma + (dx - dp) + gamma);
    const stpc = r < 0 && gamma !== 0 ? stp + r * (stx - stp) : stp > stx ? stpmax : stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      const bound = stp + 0.66 * (sty - stp);
      stpf = stp > stx ? Math.min(bound, stpf) : Math.max(bound, stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.max(stpmin, Math.min(stpmax, stpf));
    }
  } else if (brackt) {
    stpf = cubicMin(stp, fp, dp, sty, fy, dy);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }

  if (fp > fx) return [stpf, { stx, fx, gx: dx, sty: stp, fy: fp, gy: dp, brackt }];
  if (sgnd < 0) return [stpf, { stx: stp, fx: fp, gx: dp, sty: stx, fy: fx, gy: dx, brackt }];
  return [stpf, { stx: stp, fx: fp, gx: dp, sty, fy, gy: dy, brackt }];
}
