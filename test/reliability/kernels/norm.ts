import fc from "fast-check";
import type { Kernels } from "../../../src/runtime/kernels";
import { BATCH_NORM_STATS_ROWS, groupNormStatsLength } from "../../../src/norm/stats";
import { buffer, floats, kernelProperty, type BufferCase, type KernelCase, type KernelProperty } from "./harness";

/** Cases per property: under a second each on the development machine. */
const RUNS = 300;

/**
 * Batch and group normalization, wasm against the twins. The kernels sum in T (f32 or f64)
 * over blocks of at most CHUNK elements, each block shifted by its first element, and merge
 * the blocks in f64; the twins run two-pass f64 sums. So outputs agree within error bounds
 * derived per element from the inputs (`model` below), not bit for bit; only the running-
 * statistics update, which is the same f64 expression on both sides, must be exact.
 *
 * Domain: x, dy, beta anywhere up to 1e30 (normalization is scale-free: statistics of
 * 1e30-sized f32 data must not overflow); eps in [1e-12, 1] (the facade takes any eps > 0;
 * from 1e-12 up, gamma invstd stays inside f32 for |gamma| <= 1e30); where a product of
 * gamma, dy or x - runningMean, and 1 / sqrt(eps) could leave f32 although the result need
 * not (backward, evaluation with unrelated running statistics), |gamma| <= 1.
 *
 * Batch norm is checked in both forms the kernels take: the standard invstd = 1 / sqrt(var +
 * eps) and the book's 1 / (sqrt(var) + eps) (`book` = 1, Goodfellow et al. 2016, eq. 8.35),
 * whose eps in [1e-8, 1] keeps gamma invstd <= 1e38 inside f32 for |gamma| <= 1e30.
 */

type Float = "f32" | "f64";
type Family = "batchnorm" | "groupnorm";

const CHUNK = 1024; // assembly/norm/segments.ts
const U = { f32: 2 ** -24, f64: 2 ** -53 } as const; // unit roundoff
const TINY = { f32: 2 ** -149, f64: 2 ** -1074 } as const; // smallest subnormal
const U64 = U.f64;
const TINY64 = TINY.f64;

/**
 * Rounding model for sums of `terms` values: the kernel sums at most CHUNK of them in T
 * (inT: relative to the sum of their magnitudes, a few roundings per term included), then in
 * f64, like the twin (inF64; inF64Tiny where those f64 results are subnormal, half a
 * subnormal each); op covers a short chain of about ten roundings in T or f64.
 */
function model(type: Float, terms: number) {
  const u = U[type];
  return {
    u,
    tiny: TINY[type],
    inT: (Math.min(terms, CHUNK) + 6) * u,
    inF64: (terms + 8) * U64,
    inF64Tiny: (terms + 8) * TINY64,
    op: 10 * u + 10 * U64,
  };
}
type Model = ReturnType<typeof model>;

// ---------------------------------------------------------------------------------------------
// Layouts: which statistics group and which channel each element of x belongs to

interface Layout {
  /** The elements of each statistics group: a channel (batch norm) or a row (group norm). */
  groups: number[][];
  /** The channel of each element: its gamma, beta, dgamma and dbeta entry. */
  channel: number[];
  channels: number;
  /** Values per sum, for the rounding model: per group, and per channel across groups. */
  terms: number;
}

/** (N, C, S): channel c holds elements (n, c, s) for all n, s. */
function batchLayout([N, C, S]: number[]): Layout {
  const groups = Array.from({ length: C! }, () => [] as number[]);
  const channel: number[] = [];
  for (let n = 0; n < N!; n++) {
    for (let c = 0; c < C!; c++) {
      for (let s = 0; s < S!; s++) {
        groups[c]!.push((n * C! + c) * S! + s);
        channel.push(c);
      }
    }
  }
  return { groups, channel, channels: C!, terms: N! * S! };
}

/** (N, G, Cg, S): row r = (n, g) holds L = Cg S contiguous elements, element k in channel g Cg + floor(k / S). */
function groupLayout([N, G, Cg, S]: number[]): Layout {
  const L = Cg! * S!;
  const groups: number[][] = [];
  const channel: number[] = [];
  for (let r = 0; r < N! * G!; r++) {
    groups.push(Array.from({ length: L }, (_, k) => r * L + k));
    for (let k = 0; k < L; k++) channel.push((r % G!) * Cg! + Math.floor(k / S!));
  }
  return { groups, channel, channels: G! * Cg!, terms: Math.max(L, N! * S!) };
}

const FAMILIES: Record<Family, { layout: (dims: number[]) => Layout; statsLength: (dims: number[]) => number }> = {
  batchnorm: { layout: batchLayout, statsLength: ([, C]) => BATCH_NORM_STATS_ROWS * C! },
  groupnorm: { layout: groupLayout, statsLength: ([N, G, Cg]) => groupNormStatsLength(N!, G!, Cg!) },
};

// ---------------------------------------------------------------------------------------------
// Statistics and their error bounds

interface Moments {
  mean: number;
  variance: number;
  invstd: number;
  /** max x - min x: bounds every |x - shift| the kernel's shifted sums see. */
  range: number;
  /** max |x| */
  level: number;
}

/** 1 / sqrt(var + eps), or in the book form 1 / (sqrt(var) + eps). */
function invstdOf(variance: number, eps: number, book: boolean): number {
  return book ? 1 / (Math.sqrt(variance) + eps) : 1 / Math.sqrt(variance + eps);
}

/** Two-pass f64 statistics of each group, as the twins compute them. */
function groupMoments(x: number[], layout: Layout, eps: number, book: boolean): Moments[] {
  return layout.groups.map((idx) => {
    const values = idx.map((i) => x[i]!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    return { mean, variance, invstd: invstdOf(variance, eps, book), range: hi - lo, level: Math.max(-lo, hi) };
  });
}

interface MomentErrors {
  mean: number;
  variance: number;
  invstd: number;
}

/**
 * |kernel - twin| bounds for a group's statistics:
 *   mean: the shifted T sums round relative to the range (inT range), the f64 parts (block
 *     means, merges, the twin's sum) relative to the level (inF64 level, or inF64Tiny);
 *   var: the sum of squares, the squared sum and their difference each round by inT range^2;
 *     the kernel's block means round at the level in f64, which each block's deviation from
 *     the mean (at most the range) carries into the merged sum of squares (2 inF64 range
 *     level: f64 data whose spread is near the resolution of their offset lose relative
 *     accuracy in their variance); a variance around a mean off by d is off by d^2 (constant
 *     data: the twin's mean is inexact); squares that underflow lose a subnormal;
 *   invstd: its formula (standard or book) at the ends of the variance's interval, plus a few
 *     roundings (both forms fall as the variance grows, so the ends bound it).
 */
function momentErrors(e: Model, m: Moments, eps: number, book: boolean): MomentErrors {
  const mean = e.inT * m.range + e.inF64 * m.level + e.inF64Tiny;
  const variance = 3 * (e.inT + e.inF64) * m.range ** 2 + 2 * e.inF64 * m.range * m.level + mean ** 2 + e.tiny + e.inF64Tiny;
  const at = (v: number) => invstdOf(Math.max(v, 0), eps, book);
  const invstd = Math.max(at(m.variance - variance) - m.invstd, m.invstd - at(m.variance + variance)) + 4 * U64 * m.invstd;
  return { mean, variance, invstd };
}

/** Bounds for the stats buffer: rows mean, var, invstd of `groups` entries each, then scratch (unchecked). */
function statsBounds(length: number, errors: MomentErrors[]): number[] {
  const bounds = new Array<number>(length).fill(Infinity);
  errors.forEach((err, g) => {
    bounds[g] = err.mean;
    bounds[errors.length + g] = err.variance;
    bounds[2 * errors.length + g] = err.invstd;
  });
  return bounds;
}

/**
 * y = gamma xhat + beta per element: the statistics' errors through gamma (x - mean) invstd,
 * plus op roundings of |gamma| invstd (|x - mean| + u |mean|) (the f64 mean enters T as
 * hi + lo) and of |beta|, plus subnormal intermediates losing half a subnormal each: in the
 * kernel a = gamma invstd (times |x - mean|), x - mean (times a), y; in the twin (f64 data
 * only) gamma (x - mean) (times invstd).
 */
function outputBounds(e: Model, c: KernelCase<any>, layout: Layout, moments: Moments[], errors: MomentErrors[]): number[] {
  const [x, gamma, beta] = [c.buffers.x!.values, c.buffers.gamma!.values, c.buffers.beta!.values];
  const bounds = new Array<number>(x.length);
  layout.groups.forEach((idx, g) => {
    const { mean, invstd } = moments[g]!;
    const err = errors[g]!;
    for (const i of idx) {
      const [gm, bt] = [Math.abs(gamma[layout.channel[i]!]!), Math.abs(beta[layout.channel[i]!]!)];
      const xc = Math.abs(x[i]! - mean);
      const fromStats = gm * (invstd * err.mean + xc * err.invstd);
      const rounding = e.op * (gm * invstd * (xc + e.u * Math.abs(mean)) + bt);
      const subnormal = 2 * e.tiny * (3 + xc + gm * invstd) + 2 * TINY64 * (1 + invstd);
      bounds[i] = fromStats + rounding + subnormal;
    }
  });
  return bounds;
}

/**
 * The backward's bounds, from the exact statistics it is given. With dxhat = gamma dy,
 *   dx = invstd (dxhat - sum dxhat / M - xhat sum dxhat xhat / M)   (batch statistics)
 *   dx = invstd dxhat                                                (frozen statistics)
 * so dx errs by invstd (inT + inF64) (sum |dxhat| + |xhat| sum |dxhat xhat|) / M from the
 * sums, op roundings of each of its three terms, and subnormal products in the sums (half a
 * subnormal each, scaled by invstd^2 |xhat| through B). dgamma and dbeta err by the sums'
 * rounding relative to sum |dy xhat|, sum |dy|, plus op of their old value and of the sum.
 * Magnitudes of xhat use |x - mean| + u |mean|, and x is centered on the split hi + lo in T,
 * which holds the mean to u |lo| <= u^2 |mean| and to T's smallest subnormal (a mean of
 * 1e-47 is 0 in f32, though dy (x - mean) with dy ~ 1e27 is not): that centering error
 * times invstd shifts every xhat, so dgamma by it times sum |dy|, dx through B and xhat.
 * The twin's f64 intermediates (xhat, dy (x - mean), gamma dy, ...) are subnormal only for
 * f64 data that are: half a subnormal each, scaled by at most invstd^2 max|dy| max|xhat| M.
 * The book form's B = -K dgamma / M has K = 1 / sigma, which is (sigma + eps) / sigma times
 * invstd: the bound of every dx term is scaled by that ratio (conservative: only B's terms
 * grow, and with sigma = 0, K = 0 drops B altogether).
 */
function gradientBounds(e: Model, c: KernelCase<any>, layout: Layout, moments: Moments[], batchStats: boolean, book: boolean): Record<string, number[]> {
  const [x, dy, gamma] = [c.buffers.x!.values, c.buffers.dy!.values, c.buffers.gamma!.values];
  const dxBounds = new Array<number>(x.length);
  const channelSums = Array.from({ length: layout.channels }, () => ({ dyXhat: 0, absDyXhat: 0, dy: 0, absDy: 0, centering: 0, subnormal: 0 }));
  const sum = e.inT + e.inF64;
  layout.groups.forEach((idx, g) => {
    const { mean, variance, invstd } = moments[g]!;
    const M = idx.length;
    const sigma = Math.sqrt(variance);
    const bookScale = book && sigma > 0 ? Math.max(1, (sigma + c.scalars.eps) / sigma) : 1;
    const xhatMag = (i: number) => (Math.abs(x[i]! - mean) + e.u * Math.abs(mean)) * invstd;
    const centering = (e.u * e.u * Math.abs(mean) + e.tiny) * invstd;
    let [sW, sWX, absW, absWX, meanXhat] = [0, 0, 0, 0, 0];
    let [maxDy, maxXhat, absDy, absDyX] = [0, 0, 0, 0];
    for (const i of idx) {
      [maxDy, maxXhat] = [Math.max(maxDy, Math.abs(dy[i]!)), Math.max(maxXhat, xhatMag(i))];
      [absDy, absDyX] = [absDy + Math.abs(dy[i]!), absDyX + Math.abs(dy[i]!) * xhatMag(i)];
    }
    const twinFloor = 4 * TINY64 * (1 + invstd) ** 2 * (1 + maxDy) * (1 + maxXhat) * M;
    for (const i of idx) {
      const w = gamma[layout.channel[i]!]! * dy[i]!;
      const xhat = (x[i]! - mean) * invstd;
      [sW, sWX, absW, absWX] = [sW + w, sWX + w * xhat, absW + Math.abs(w), absWX + Math.abs(w) * xhatMag(i)];
      meanXhat += xhatMag(i) / M;
      const ch = channelSums[layout.channel[i]!]!;
      ch.dy += dy[i]!;
      ch.absDy += Math.abs(dy[i]!);
      ch.dyXhat += dy[i]! * xhat;
      ch.absDyXhat += Math.abs(dy[i]!) * xhatMag(i);
      ch.centering += Math.abs(dy[i]!) * centering;
      ch.subnormal += e.tiny * (1 + invstd) + twinFloor / M;
    }
    for (const i of idx) {
      const [w, xh] = [Math.abs(gamma[layout.channel[i]!]! * dy[i]!), xhatMag(i)];
      // The kernel's factor (batch norm's A = gamma invstd) may be subnormal: half a subnormal
      // times the bracket dy + B xc + D it multiplies, |dy| + (sum |dy| + |xhat| sum |dy xhat|) / M.
      const factor = Math.abs(dy[i]!) + (batchStats ? (absDy + xh * absDyX) / M : 0);
      const subnormal = 2 * e.tiny * (2 + factor + xh / invstd + invstd * (1 + xh * (invstd + meanXhat))) + twinFloor;
      if (!batchStats) {
        dxBounds[i] = invstd * e.op * w + subnormal;
        continue;
      }
      const sums = (sum * (absW + xh * absWX) + centering * (xh * absW + Math.abs(sWX))) / M;
      const rounding = e.op * (w + Math.abs(sW) / M + (xh * Math.abs(sWX)) / M);
      dxBounds[i] = bookScale * (invstd * (sums + rounding) + subnormal);
    }
  });
  const dgamma = c.buffers.dgamma!.values.map((old, p) => {
    const s = channelSums[p]!;
    return sum * s.absDyXhat + s.centering + e.op * (Math.abs(old) + Math.abs(s.dyXhat)) + s.subnormal;
  });
  const dbeta = c.buffers.dbeta!.values.map((old, p) => {
    const s = channelSums[p]!;
    return sum * s.absDy + e.op * (Math.abs(old) + Math.abs(s.dy)) + s.subnormal;
  });
  return { dx: dxBounds, dgamma, dbeta };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const int = (min: number, max: number) => fc.integer({ min, max });

/** (N, C, S): mostly small (lane blocks and leftover channels, vector bodies and tails along S), sometimes past a CHUNK of rows or of a plane. */
const batchShapes = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(int(1, 9), int(1, 9), fc.constantFrom(1, 1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33)) },
  { weight: 1, arbitrary: fc.tuple(int(CHUNK + 1, CHUNK + 80), int(1, 3), fc.constant(1)) },
  { weight: 1, arbitrary: fc.tuple(int(1, 2), int(1, 2), int(CHUNK + 1, CHUNK + 80)) },
);

/** (N, G, Cg, S): layer norm (G = 1, S = 1), instance norm (Cg = 1), group norm; rows past a CHUNK; more than CHUNK rows (T partial sums of dgamma flushed). */
const groupShapes = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(int(1, 5), int(1, 4), int(1, 9), fc.constantFrom(1, 1, 1, 2, 3, 4, 5, 7, 9, 16, 17)) },
  { weight: 1, arbitrary: fc.tuple(int(1, 2), int(1, 2), int(1, 3), int(350, 600)) },
  { weight: 1, arbitrary: fc.tuple(int(CHUNK + 1, CHUNK + 40), fc.constant(1), int(1, 2), fc.constant(1)) },
);

const round = (type: Float) => (type === "f32" ? Math.fround : (v: number) => v);

/**
 * Values of x: the harness's mix (ordinary, log-uniform down to subnormals, -0, 1e30), or
 * data around an offset with a spread (each drawn from that mix), the case the shifted sums
 * are for (1e4 +- 1e-2 sums its deviations, not its offset).
 */
function inputs(type: Float, n: number): fc.Arbitrary<BufferCase> {
  const offsetData = fc
    .tuple(floats(type), floats(type, { nonNegative: true }))
    .map(([offset, spread]) => fc.double({ min: -2, max: 2, noNaN: true }).map((z) => round(type)(offset + spread * z)));
  return fc.oneof(fc.constant(floats(type)), offsetData).chain((values) => buffer(type, n, values));
}

/** eps > 0: the conventions' defaults, or log-uniform in [1e-12, 1]. */
const epsilons = fc.oneof(fc.constantFrom(1e-5, 1e-3), fc.double({ min: Math.log2(1e-12), max: 0, noNaN: true }).map((e) => 2 ** e));

/** The book form's delta: its default 1e-6, or log-uniform in [1e-8, 1]. */
const bookEpsilons = fc.oneof(fc.constant(1e-6), fc.double({ min: Math.log2(1e-8), max: 0, noNaN: true }).map((e) => 2 ** e));

/** eps and the invstd form: batch norm in both forms, group norm in the standard one only. */
function forms(family: Family): fc.Arbitrary<{ eps: number; book: boolean }> {
  const standard = fc.record({ eps: epsilons, book: fc.constant(false) });
  return family === "batchnorm" ? fc.oneof(standard, fc.record({ eps: bookEpsilons, book: fc.constant(true) })) : standard;
}

/** Scalars of a case: the fields of `rest`, plus eps and the form. */
function withForm<S extends object>(family: Family, rest: fc.Arbitrary<S>): fc.Arbitrary<S & { eps: number; book: boolean }> {
  return fc.tuple(rest, forms(family)).map(([r, form]) => ({ ...r, ...form }));
}

const kernel = (k: Kernels, name: string) => (k as unknown as Record<string, (...args: number[]) => void>)[name]!;

/** The stats buffer a backward reads: mean, var, invstd of x's groups (as the forward writes them), then scratch. */
function withStats<C extends KernelCase<{ dims: number[]; eps: number; book: boolean }>>(c: C, family: Family): C {
  const layout = FAMILIES[family].layout(c.scalars.dims);
  const moments = groupMoments(c.buffers.x!.values, layout, c.scalars.eps, c.scalars.book);
  const values = [...c.buffers.stats!.values];
  moments.forEach((m, g) => {
    values[g] = m.mean;
    values[moments.length + g] = m.variance;
    values[2 * moments.length + g] = m.invstd;
    // K: invstd in the standard form, 1 / sigma (0 where sigma = 0) in the book's.
    const sigma = Math.sqrt(m.variance);
    if (family === "batchnorm") values[9 * moments.length + g] = !c.scalars.book ? m.invstd : sigma > 0 ? 1 / sigma : 0;
  });
  return { ...c, buffers: { ...c.buffers, stats: { ...c.buffers.stats!, values } } };
}

// ---------------------------------------------------------------------------------------------
// The properties

const shapesOf: Record<Family, fc.Arbitrary<number[]>> = { batchnorm: batchShapes, groupnorm: groupShapes };

/** Training forward (batch statistics) and backward of both families; dims are (N, C, S) or (N, G, Cg, S). */
function familyProperties(type: Float, family: Family): KernelProperty[] {
  const { layout: layoutOf, statsLength } = FAMILIES[family];
  const sized = shapesOf[family].map((dims) => ({ dims, n: dims.reduce((a, b) => a * b, 1), channels: layoutOf(dims).channels }));
  return [
    kernelProperty({
      name: `${type} ${family} forward: statistics and y = gamma xhat + beta (y aliasing x or not${family === "batchnorm" ? "; standard or book form" : ""})`,
      kernels: [`${type}_${family}_forward`],
      numRuns: RUNS,
      cases: sized.chain(({ dims, n, channels }) =>
        fc.record({
          buffers: fc.record({
            x: inputs(type, n),
            y: buffer(type, n, floats(type)),
            gamma: buffer(type, channels, floats(type)),
            beta: buffer(type, channels, floats(type)),
            stats: buffer("f64", statsLength(dims), floats("f64")),
          }),
          scalars: withForm(family, fc.record({ dims: fc.constant(dims), inPlace: fc.boolean() })),
        }),
      ),
      // batchnorm's last argument: the form (book = 1: 1 / (sigma + eps)).
      call: (k, ptr, s) =>
        kernel(k, `${type}_${family}_forward`)(ptr.x!, s.inPlace ? ptr.x! : ptr.y!, ptr.gamma!, ptr.beta!, ptr.stats!, ...s.dims, s.eps, ...(family === "batchnorm" ? [s.book ? 1 : 0] : [])),
      tolerance: (c) => {
        const layout = layoutOf(c.scalars.dims);
        const e = model(type, layout.terms);
        const moments = groupMoments(c.buffers.x!.values, layout, c.scalars.eps, c.scalars.book);
        const errors = moments.map((m) => momentErrors(e, m, c.scalars.eps, c.scalars.book));
        return {
          [c.scalars.inPlace ? "x" : "y"]: { bounds: outputBounds(e, c, layout, moments, errors) },
          stats: { bounds: statsBounds(c.buffers.stats!.values.length, errors) },
        };
      },
    }),
    kernelProperty({
      name: `${type} ${family} backward: dx, dgamma +=, dbeta += (dx aliasing dy or not)`,
      kernels: [`${type}_${family}_backward`],
      numRuns: RUNS,
      cases: sized
        .chain(({ dims, n, channels }) =>
          fc.record({
            buffers: fc.record({
              x: inputs(type, n),
              dy: buffer(type, n, floats(type)),
              dx: buffer(type, n, floats(type)),
              gamma: buffer(type, channels, floats(type, { max: 1 })),
              stats: buffer("f64", statsLength(dims), floats("f64")),
              dgamma: buffer(type, channels, floats(type)),
              dbeta: buffer(type, channels, floats(type)),
            }),
            scalars: withForm(
              family,
              fc.record({
                dims: fc.constant(dims),
                inPlace: fc.boolean(),
                // Batch norm: batch statistics (training) or frozen ones (evaluation).
                batchStats: family === "batchnorm" ? fc.boolean() : fc.constant(true),
              }),
            ),
          }),
        )
        .map((c) => withStats(c, family)),
      call: (k, ptr, s) =>
        kernel(k, `${type}_${family}_backward`)(
          ptr.x!, ptr.dy!, s.inPlace ? ptr.dy! : ptr.dx!, ptr.gamma!, ptr.stats!, ptr.dgamma!, ptr.dbeta!, ...s.dims,
          ...(family === "batchnorm" ? [s.batchStats ? 1 : 0] : []),
        ),
      tolerance: (c) => {
        const layout = layoutOf(c.scalars.dims);
        const e = model(type, layout.terms);
        const moments = groupMoments(c.buffers.x!.values, layout, c.scalars.eps, c.scalars.book);
        const { dx, dgamma, dbeta } = gradientBounds(e, c, layout, moments, c.scalars.batchStats, c.scalars.book);
        // The statistics rows are read, never written; the rest is scratch.
        const stats = statsBounds(c.buffers.stats!.values.length, moments.map(() => ({ mean: 0, variance: 0, invstd: 0 })));
        return { [c.scalars.inPlace ? "dy" : "dx"]: { bounds: dx! }, dgamma: { bounds: dgamma! }, dbeta: { bounds: dbeta! }, stats: { bounds: stats } };
      },
    }),
  ];
}

/** Batch norm's evaluation forward and running-statistics update. */
function batchNormExtras(type: Float): KernelProperty[] {
  return [
    kernelProperty({
      name: `${type} batchnorm forward with running statistics (evaluation; standard or book form)`,
      kernels: [`${type}_batchnorm_forward_eval`],
      numRuns: RUNS,
      cases: batchShapes.chain((dims) => {
        const [n, C] = [dims.reduce((a, b) => a * b, 1), dims[1]!];
        return fc.record({
          buffers: fc.record({
            x: inputs(type, n),
            y: buffer(type, n, floats(type)),
            gamma: buffer(type, C, floats(type, { max: 1 })),
            beta: buffer(type, C, floats(type)),
            runMean: buffer(type, C, floats(type)),
            runVar: buffer(type, C, floats(type, { nonNegative: true })),
            stats: buffer("f64", BATCH_NORM_STATS_ROWS * C, floats("f64")),
          }),
          scalars: withForm("batchnorm", fc.record({ dims: fc.constant(dims) })),
        });
      }),
      call: (k, ptr, s) =>
        kernel(k, `${type}_batchnorm_forward_eval`)(ptr.x!, ptr.y!, ptr.gamma!, ptr.beta!, ptr.runMean!, ptr.runVar!, ptr.stats!, ...s.dims, s.eps, s.book ? 1 : 0),
      tolerance: (c) => {
        // The statistics are the running ones, copied and 1 / sqrt(var + eps) taken in f64 by
        // both: exact. y then errs by its own roundings only.
        const layout = batchLayout(c.scalars.dims);
        const e = model(type, layout.terms);
        const moments = c.buffers.runMean!.values.map((mean, ch) => {
          const variance = c.buffers.runVar!.values[ch]!;
          return { mean, variance, invstd: invstdOf(variance, c.scalars.eps, c.scalars.book), range: 0, level: 0 };
        });
        const exact = moments.map(() => ({ mean: 0, variance: 0, invstd: 0 }));
        return {
          y: { bounds: outputBounds(e, c, layout, moments, exact) },
          stats: { bounds: statsBounds(c.buffers.stats!.values.length, exact) },
        };
      },
    }),
    kernelProperty({
      name: `${type} batchnorm running statistics <- keep running + take batch (in f64, rounded once)`,
      kernels: [`${type}_batchnorm_update_running`],
      numRuns: RUNS,
      cases: int(1, 33).chain((C) =>
        fc.record({
          buffers: fc.record({
            runMean: buffer(type, C, floats(type)),
            runVar: buffer(type, C, floats(type, { nonNegative: true })),
            // Rows mean and (biased, so >= 0) var of a forward; the rest is never read.
            stats: buffer("f64", BATCH_NORM_STATS_ROWS * C, floats("f64")).map((b) => ({
              ...b,
              values: b.values.map((v, i) => (i >= C && i < 2 * C ? Math.abs(v) : v)),
            })),
          }),
          scalars: fc.record({
            C: fc.constant(C),
            // PyTorch: keep = 1 - momentum (or 1 - 1/t); Keras: keep = momentum; varScale = M / (M - 1) or 1.
            momentum: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.1, 0.99, 1)),
            varScale: fc.oneof(fc.constant(1), int(2, 1e5).map((M) => M / (M - 1))),
          }),
        }),
      ),
      call: (k, ptr, s) => kernel(k, `${type}_batchnorm_update_running`)(ptr.runMean!, ptr.runVar!, ptr.stats!, s.C, 1 - s.momentum, s.momentum, s.varScale),
    }),
  ];
}

/**
 * Weight normalization, forward and backward in one case: the twin performs the kernel's f64
 * operations in the same order (row-major column sums, each element rounded once), so every
 * buffer must agree bit for bit, zero columns (NaN weights) and overflow included.
 */
function weightNormProperty(type: Float): KernelProperty {
  return kernelProperty({
    name: `${type} weight norm: w = g v / ||v|| per column, then dv, dg from dw, bit for bit`,
    kernels: [`${type}_weight_norm_forward`, `${type}_weight_norm_backward`],
    numRuns: RUNS,
    cases: fc.tuple(int(0, 9), int(1, 9)).chain(([rows, cols]) =>
      fc.record({
        buffers: fc.record({
          v: buffer(type, rows * cols, fc.oneof({ weight: 5, arbitrary: floats(type) }, { weight: 1, arbitrary: fc.constant(0) })),
          g: buffer(type, cols, floats(type)),
          w: buffer(type, rows * cols, floats(type)),
          norms: buffer("f64", cols, floats("f64")),
          dw: buffer(type, rows * cols, floats(type)),
          dots: buffer("f64", cols, floats("f64")),
          dv: buffer(type, rows * cols, floats(type)),
          dg: buffer(type, cols, floats(type)),
        }),
        scalars: fc.record({ rows: fc.constant(rows), cols: fc.constant(cols) }),
      }),
    ),
    call: (k, ptr, s) => {
      kernel(k, `${type}_weight_norm_forward`)(ptr.v!, ptr.g!, ptr.w!, ptr.norms!, s.rows, s.cols);
      kernel(k, `${type}_weight_norm_backward`)(ptr.v!, ptr.g!, ptr.norms!, ptr.dw!, ptr.dots!, ptr.dv!, ptr.dg!, s.rows, s.cols);
    },
  });
}

export const NORM: KernelProperty[] = (["f32", "f64"] as const).flatMap((type) => [
  ...familyProperties(type, "batchnorm"),
  ...batchNormExtras(type),
  ...familyProperties(type, "groupnorm"),
  weightNormProperty(type),
]);
