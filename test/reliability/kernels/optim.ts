import fc from "fast-check";
import { expect } from "vitest";
import { momentumCoefficients } from "../../../src/optim/sgd";
import type { Kernels } from "../../../src/runtime/kernels";
import { LARGEST_FINITE } from "../../../src/runtime/validate";
import { buffer, floats, kernelProperty, lengths, uniform, type KernelProperty } from "./harness";

/**
 * The optimizer kernels (assembly/optim) against their twins (src/reference/optim). Every
 * update is elementwise and the f32 twins round each IEEE operation with Math.fround (exact:
 * see src/reference/optim/lanes.ts), so every buffer must agree bit for bit; sumsq's twin
 * reproduces the kernel's f64 summation order, so its result must too. No tolerances.
 *
 * Scalars come from the hyperparameters the facade accepts (src/optim/*.ts: lr >= 0,
 * 0 <= rho < 1, eps > 0, clipValue > 0 or Infinity for off, ...), turned into kernel
 * arguments by the facade's own formulas; buffers hold values of any magnitude from the
 * smallest subnormal to 1e30, -0, and now and then NaN or an infinity (what a gradient may
 * carry under the default nonFinite: 'propagate', and what state holds after such a step).
 */

type Float = "f32" | "f64";
type Ptr = Record<string, number>;

// ---------------------------------------------------------------------------------------------
// Buffer values

/** Mostly `finite`, with about one value in fifty drawn from `specials`. */
function withNonFinite(finite: fc.Arbitrary<number>, specials = [Number.NaN, Infinity, -Infinity]): fc.Arbitrary<number> {
  return fc.oneof({ weight: 50, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(...specials) });
}

/** Parameters, gradients, first moments, momentum buffers: any sign. */
const signed = (type: Float) => withNonFinite(floats(type));
/** Accumulators of squares and magnitudes (r, E[g^2], u, rmax) and per-parameter rates: >= 0. */
const nonNegative = (type: Float) => withNonFinite(floats(type, { nonNegative: true }), [Number.NaN, Infinity]);

// ---------------------------------------------------------------------------------------------
// Hyperparameters, as the facade validates them (JS doubles; an f32 kernel rounds them on entry)

/** lr >= 0, weightDecay >= 0, kappa >= 0, momentum >= 0. */
const rate = floats("f64", { nonNegative: true, max: 10 });
/** eps > 0, clipValue > 0. */
const positive = floats("f64", { nonNegative: true, zeros: false, max: 1e30 });
/** Decay rates rho, beta1, beta2, theta in [0, 1): typical ones, uniform ones, and 1 - 2^-e up to the last double below 1. */
const decay = fc.oneof(
  fc.constantFrom(0, 0.9, 0.99, 0.999),
  uniform(0, 1).filter((rho) => rho < 1),
  fc.integer({ min: 1, max: 53 }).map((e) => 1 - 2 ** -e),
);
/** dampening, phi in [0, 1]. */
const fraction = fc.oneof(fc.constantFrom(0, 1), uniform(0, 1));
/** The step count t >= 1 of the bias corrections: the first steps, and late ones where they vanish. */
const step = fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10_000_000 }));
/** epsIn, epsOut: eps on one side of the square root, 0 on the other (the facade's epsPlacement). */
const epsPlaced = fc.tuple(positive, fc.boolean()).map(([eps, inside]) => (inside ? { epsIn: eps, epsOut: 0 } : { epsIn: 0, epsOut: eps }));

/** The gradient prologue's scalars, the last five arguments of every update kernel. */
interface Prologue {
  gradScale: number;
  clip: number;
  l2: number;
  l1: number;
  pScale: number;
}

const OFF = { clip: Infinity, l2: 0, l1: 0, pScale: 1 };

/**
 * As Optimizer.step() passes it: gradScale = +-(a clip-by-norm coefficient in (0, 1]), the
 * sign for `maximize`; the rest either all off (the kernels' plain loop) or each on or off
 * by itself (the facade turns on at most one of l2, l1 and pScale = 1 - lr wd; the kernels
 * take any mix, and so do the twins).
 */
const PROLOGUE: fc.Arbitrary<Prologue> = fc
  .record({
    gradScale: fc
      .tuple(fc.oneof(fc.constant(1), uniform(-30, 0).map((e) => 2 ** e)), fc.boolean())
      .map(([coefficient, maximize]) => (maximize ? -coefficient : coefficient)),
    switches: fc.oneof(
      fc.constant(OFF),
      fc.record({
        clip: fc.oneof(fc.constant(Infinity), positive),
        l2: fc.oneof(fc.constant(0), rate),
        l1: fc.oneof(fc.constant(0), rate),
        pScale: fc.oneof(fc.constant(1), fc.tuple(rate, rate).map(([lr, wd]) => 1 - lr * wd)),
      }),
    ),
  })
  .map(({ gradScale, switches }) => ({ gradScale, ...switches }));

const prologue = (s: Prologue) => [s.gradScale, s.clip, s.l2, s.l1, s.pScale] as const;

// ---------------------------------------------------------------------------------------------
// The kernels

/**
 * One kernel (both dtypes): what it computes, its buffers (name -> the values they hold),
 * its scalars after n (drawn from legal hyperparameters), and the call, written out so the
 * compiler checks every argument against the kernel's signature.
 */
interface OptimKernel<S extends object> {
  op: string;
  about: string;
  buffers: Record<string, (type: Float) => fc.Arbitrary<number>>;
  scalars: fc.Arbitrary<S>;
  /** Whether the five prologue scalars follow (default true). */
  withPrologue?: boolean;
  call: (k: Kernels, t: Float, p: Ptr, s: S & Prologue & { n: number }) => number | void;
}

const optimKernel = <S extends object>(kernel: OptimKernel<S>): OptimKernel<any> => kernel;

/** Adam's hyperparameters and the bias corrections the facade folds into the scalars. */
const adamHyper = fc.record({ lr: rate, beta1: decay, beta2: decay, eps: positive, t: step }).map((h) => ({
  ...h,
  bc1: 1 - h.beta1 ** h.t,
  bc2: 1 - h.beta2 ** h.t,
}));

/** RMSProp's four variants share one signature; the ones without ga or b must leave them alone. */
const rmspropVariants = [
  ["rmsprop_step", false, false],
  ["rmsprop_step_centered", true, false],
  ["rmsprop_step_momentum", false, true],
  ["rmsprop_step_centered_momentum", true, true],
] as const;

const KERNELS: OptimKernel<any>[] = [
  optimKernel({
    op: "sgd_step",
    about: "SGD theta <- theta0 - lr x",
    buffers: { p: signed, g: signed },
    scalars: rate.map((lr) => ({ c: -lr })),
    call: (k, t, p, s) => k[`${t}_sgd_step`](p.p!, p.g!, s.n, s.c, ...prologue(s)),
  }),
  optimKernel({
    op: "momentum_step",
    about: "momentum b <- mu b + k x; theta <- theta0 + a b + c x (every convention)",
    buffers: { p: signed, g: signed, b: signed },
    scalars: fc
      .record({
        form: fc.constantFrom("lr-inside", "lr-outside", "ema" as const),
        lr: rate,
        momentum: rate,
        dampening: fraction,
        nesterov: fc.boolean(),
        firstStep: fc.boolean(),
      })
      .map((h) => {
        const [mu, k, a, c] = momentumCoefficients(h.form, h.lr, h.momentum, 1 - h.dampening, h.nesterov, h.firstStep);
        return { mu, k, a, c };
      }),
    call: (k, t, p, s) => k[`${t}_momentum_step`](p.p!, p.g!, p.b!, s.n, s.mu, s.k, s.a, s.c, ...prologue(s)),
  }),
  optimKernel({
    op: "adagrad_step",
    about: "AdaGrad r <- r + x^2; theta <- theta0 - lr x / (sqrt(r + epsIn) + epsOut)",
    buffers: { p: signed, g: signed, r: nonNegative },
    scalars: fc.tuple(rate, epsPlaced).map(([lr, eps]) => ({ lr, ...eps })),
    call: (k, t, p, s) => k[`${t}_adagrad_step`](p.p!, p.g!, p.r!, s.n, s.lr, s.epsIn, s.epsOut, ...prologue(s)),
  }),
  optimKernel({
    op: "adadelta_step",
    about: "AdaDelta (Zeiler), denominator from the current or the previous E[g^2]",
    buffers: { p: signed, g: signed, eg: nonNegative, edx: nonNegative },
    scalars: fc
      // lagged: the facade passes 0 (current) or 1 (previous); the kernel reads any nonzero i32 as 1.
      .record({ lr: rate, rho: decay, eps: positive, lagged: fc.oneof(fc.constantFrom(0, 1), fc.integer()) })
      .map(({ lr, rho, eps, lagged }) => ({ lr, rho, oneMinusRho: 1 - rho, eps, lagged })),
    call: (k, t, p, s) =>
      k[`${t}_adadelta_step`](p.p!, p.g!, p.eg!, p.edx!, s.n, s.lr, s.rho, s.oneMinusRho, s.eps, s.lagged, ...prologue(s)),
  }),
  ...rmspropVariants.map(([op, centered, withMomentum]) =>
    optimKernel({
      op,
      about: `RMSProp${centered ? ", centered" : ""}${withMomentum ? ", with (Nesterov) momentum in every convention" : ""}`,
      buffers: { p: signed, g: signed, r: nonNegative, ga: signed, b: signed },
      scalars: fc
        .record({
          lr: rate,
          rho: decay,
          // eps = 0 (Alg. 8.6 without delta) only uncentered, as the facade allows it.
          eps: centered ? epsPlaced : fc.oneof(epsPlaced, fc.constant({ epsIn: 0, epsOut: 0 })),
          form: fc.constantFrom("lr-inside", "lr-outside", "ema" as const),
          momentum: rate.filter((mu) => mu > 0),
          nesterov: fc.boolean(),
        })
        .map((h) => {
          const [mu, k, a, c] = withMomentum ? momentumCoefficients(h.form, h.lr, h.momentum, 1, h.nesterov) : [0, 0, 0, -h.lr];
          return { rho: h.rho, oneMinusRho: 1 - h.rho, ...h.eps, mu, k, a, c };
        }),
      call: (k, t, p, s) =>
        k[`${t}_${op}`](
          p.p!, p.g!, p.r!, p.ga!, p.b!, s.n, s.rho, s.oneMinusRho, s.epsIn, s.epsOut, s.mu, s.k, s.a, s.c, ...prologue(s),
        ),
    }),
  ),
  ...(["adam_step", "adam_step_amsgrad_fed_back"] as const).map((op) =>
    optimKernel({
      op,
      about: `${op === "adam_step" ? "Adam (book Alg. 8.7)" : "AMSGrad with the maximum fed back into r"}, bias corrections folded into stepSize and invSqrtBc2, eps inside or outside the root`,
      buffers: { p: signed, g: signed, s: signed, r: nonNegative },
      scalars: fc.tuple(adamHyper, fc.boolean(), fc.boolean()).map(([h, corrected, inside]) => {
        const [bc1, bc2] = corrected ? [h.bc1, h.bc2] : [1, 1];
        return {
          stepSize: h.lr / bc1,
          oneMinusRho1: 1 - h.beta1,
          oneMinusRho2: 1 - h.beta2,
          ...(inside ? { epsIn: h.eps * bc2, epsOut: 0 } : { epsIn: 0, epsOut: h.eps }),
          invSqrtBc2: 1 / Math.sqrt(bc2),
        };
      }),
      call: (k, t, p, s) =>
        k[`${t}_${op}`](
          p.p!, p.g!, p.s!, p.r!, s.n, s.stepSize, s.oneMinusRho1, s.oneMinusRho2, s.epsIn, s.epsOut, s.invSqrtBc2, ...prologue(s),
        ),
    }),
  ),
  optimKernel({
    op: "adam_step_amsgrad",
    about: "AMSGrad, the running maximum over raw r or over the corrected r_hat, eps inside or outside the root",
    buffers: { p: signed, g: signed, s: signed, r: nonNegative, rmax: nonNegative },
    scalars: fc.tuple(adamHyper, fc.boolean(), fc.boolean()).map(([h, raw, inside]) => ({
      stepSize: h.lr / h.bc1,
      oneMinusRho1: 1 - h.beta1,
      oneMinusRho2: 1 - h.beta2,
      ...(inside ? { epsIn: h.eps * (raw ? h.bc2 : 1), epsOut: 0 } : { epsIn: 0, epsOut: h.eps }),
      ...(raw ? { invSqrtBc2: 1 / Math.sqrt(h.bc2), maxScale: 1 } : { invSqrtBc2: 1, maxScale: 1 / h.bc2 }),
    })),
    call: (k, t, p, s) =>
      k[`${t}_adam_step_amsgrad`](
        p.p!, p.g!, p.s!, p.r!, p.rmax!, s.n, s.stepSize, s.oneMinusRho1, s.oneMinusRho2, s.epsIn, s.epsOut, s.invSqrtBc2,
        s.maxScale, ...prologue(s),
      ),
  }),
  optimKernel({
    op: "nadam_step",
    about: "NAdam, theta <- theta0 - (stepSize s + gCoef x) / (sqrt(r) invSqrtBc2 + delta)",
    buffers: { p: signed, g: signed, s: signed, r: nonNegative },
    // The constant-momentum coefficients (optax); PyTorch's schedule gives values of the same range.
    scalars: adamHyper.map((h) => ({
      stepSize: (h.lr * h.beta1) / (1 - h.beta1 ** (h.t + 1)),
      gCoef: (h.lr * (1 - h.beta1)) / h.bc1,
      oneMinusRho1: 1 - h.beta1,
      oneMinusRho2: 1 - h.beta2,
      delta: h.eps,
      invSqrtBc2: 1 / Math.sqrt(h.bc2),
    })),
    call: (k, t, p, s) =>
      k[`${t}_nadam_step`](
        p.p!, p.g!, p.s!, p.r!, s.n, s.stepSize, s.gCoef, s.oneMinusRho1, s.oneMinusRho2, s.delta, s.invSqrtBc2, ...prologue(s),
      ),
  }),
  optimKernel({
    op: "adamax_step",
    about: "Adamax u <- max(|x| + epsIn, rho2 u); theta <- theta0 - stepSize m / (u + epsOut)",
    buffers: { p: signed, g: signed, m: signed, u: nonNegative },
    scalars: fc.tuple(adamHyper, epsPlaced).map(([h, eps]) => ({
      stepSize: h.lr / h.bc1,
      oneMinusRho1: 1 - h.beta1,
      rho2: h.beta2,
      ...eps,
    })),
    call: (k, t, p, s) =>
      k[`${t}_adamax_step`](p.p!, p.g!, p.m!, p.u!, s.n, s.stepSize, s.oneMinusRho1, s.rho2, s.epsIn, s.epsOut, ...prologue(s)),
  }),
  optimKernel({
    op: "delta_bar_delta_step",
    about: "delta-bar-delta: eta + kappa or (1 - phi) eta by the sign of bar x",
    buffers: { p: signed, g: signed, eta: nonNegative, bar: signed },
    scalars: fc
      .record({ kappa: rate, phi: fraction, theta: decay })
      .map(({ kappa, phi, theta }) => ({ kappa, oneMinusPhi: 1 - phi, avg: theta, oneMinusAvg: 1 - theta })),
    call: (k, t, p, s) =>
      k[`${t}_delta_bar_delta_step`](p.p!, p.g!, p.eta!, p.bar!, s.n, s.kappa, s.oneMinusPhi, s.avg, s.oneMinusAvg, ...prologue(s)),
  }),
  optimKernel({
    op: "stream",
    about: "bandwidth probe a_j <- a_j + g for the first k of four buffers (the others untouched)",
    buffers: { g: signed, a: signed, b: signed, c: signed, d: signed },
    scalars: fc.record({ k: fc.integer({ min: 1, max: 4 }) }),
    withPrologue: false,
    call: (k, t, p, s) => k[`${t}_stream`](p.g!, p.a!, p.b!, p.c!, p.d!, s.n, s.k),
  }),
];

/** Cases per property: the 34 properties take about 4 s on two cores. */
const RUNS = 150;

function updateProperty(type: Float, kernel: OptimKernel<any>): KernelProperty {
  const names = Object.keys(kernel.buffers);
  const scalars = kernel.withPrologue === false ? kernel.scalars : fc.tuple(kernel.scalars, PROLOGUE).map(([s, pro]) => ({ ...s, ...pro }));
  return kernelProperty({
    name: `${type} ${kernel.about}`,
    kernels: [`${type}_${kernel.op}`],
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record(Object.fromEntries(names.map((name) => [name, buffer(type, n, kernel.buffers[name]!(type))]))),
        scalars: scalars.map((s) => ({ n, ...s })),
      }),
    ),
    call: (k, p, s) => kernel.call(k, type, p, s),
    numRuns: RUNS,
  });
}

// ---------------------------------------------------------------------------------------------
// sumsq: the f64 sum of squares behind norm clipping and the non-finite check


const SUMSQ_VALUES = [
  { about: "magnitudes up to 1e30", finite: true, values: (type: Float) => floats(type) },
  // f32: (2^128)^2 n < 2^267 for n < 2^11, far below f64's 2^1024, so the sum stays finite;
  // f64: an element above ~1.3e154 overflows the sum, which the kernel promises as +Infinity, not NaN.
  { about: "the dtype's whole finite range", finite: true, values: (type: Float) => floats(type, { max: LARGEST_FINITE[type] }) },
  { about: "NaN and infinities among finite values", finite: false, values: (type: Float) => withNonFinite(floats(type)) },
];

function sumsqProperty(type: Float, { about, finite, values }: (typeof SUMSQ_VALUES)[number]): KernelProperty {
  return kernelProperty({
    name: `${type} sum of squares in f64, ${about}`,
    kernels: [`${type}_sumsq`],
    cases: lengths().chain((n) =>
      // scale: 1, or the power of two that clipping rescales an overflowing f64 sum by.
      fc.record({ buffers: fc.record({ x: buffer(type, n, values(type)) }), scalars: fc.record({ n: fc.constant(n), scale: fc.constantFrom(1, 2 ** -600) }) }),
    ),
    call: (k, p, s) => {
      const sum = k[`${type}_sumsq`](p.x!, s.n, s.scale);
      // What the kernel promises beyond agreeing with its twin: NaN only for a non-finite
      // element, and no f32 input overflows the f64 sum.
      if (finite) expect(sum, "sumsq of finite values").not.toBeNaN();
      if (finite && type === "f32") expect(sum, "f32 sumsq overflowed").toBeLessThan(Infinity);
      return sum;
    },
    numRuns: RUNS,
  });
}

export const OPTIM: KernelProperty[] = (["f32", "f64"] as const).flatMap((type) => [
  ...KERNELS.map((kernel) => updateProperty(type, kernel)),
  ...SUMSQ_VALUES.map((variant) => sumsqProperty(type, variant)),
]);
