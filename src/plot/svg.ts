// Minimal, dependency-free SVG charts for reports: line charts (loss curves, GFLOP/s vs n,
// schedules) and grouped horizontal bars (speed-ups). Output is a standalone SVG string.

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

export interface BarGroup {
  label: string;
  bars: ReadonlyArray<{ name: string; value: number }>;
}

export interface BarChartOptions {
  title: string;
  xLabel: string;
  groups: readonly BarGroup[];
  /** Draw a reference line at this value (e.g. 1 for "as fast as the peer"). */
  reference?: number;
  logX?: boolean;
  width?: number;
}

/**
 * A colour-blind-safe palette (Okabe-Ito) cycled by series index, without its yellow, which
 * is barely visible on white; the dark colours come first.
 */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9"];

/**
 * Dash patterns (SVG stroke-dasharray / canvas setLineDash lengths) cycled by series index with
 * the palette, so lines that cross or overlap stay apart in print and for colour-blind readers.
 */
export const DASHES: ReadonlyArray<readonly number[]> = [[], [7, 3], [2, 2.5], [9, 3, 2, 3], [4, 4], [1, 4], [12, 4]];

/** Colour and dash pattern of series `index`. */
export function seriesStyle(index: number): { colour: string; dash: readonly number[] } {
  return { colour: PALETTE[index % PALETTE.length]!, dash: DASHES[index % DASHES.length]! };
}

/** The SVG stroke attributes of series `index`. */
export function strokeOf(index: number): string {
  const { colour, dash } = seriesStyle(index);
  return `stroke="${colour}"${dash.length ? ` stroke-dasharray="${dash.join(" ")}"` : ""}`;
}

const MARGIN = { left: 70, right: 160, top: 40, bottom: 50 };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Maps [lo, hi] onto [a, b], linearly or in log10. */
export function scale(lo: number, hi: number, a: number, b: number, log = false): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const [l, h] = [f(lo), f(hi)];
  const span = h - l || 1;
  return (v) => a + ((f(v) - l) / span) * (b - a);
}

/** About five round tick values covering [lo, hi] (powers of ten on a log axis). */
export function ticks(lo: number, hi: number, log = false): number[] {
  if (log) {
    const inRange = (t: number) => t >= lo / 1.0001 && t <= hi * 1.0001;
    const decades: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) decades.push(10 ** e);
    const major = decades.filter(inRange);
    // Less than three decades in view: add the 2x and 5x ticks so the axis stays readable.
    return major.length >= 3 ? major : decades.flatMap((d) => [d, 2 * d, 5 * d]).filter(inRange);
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 5 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + nice * 1e-9; t += nice) out.push(Number(t.toPrecision(12)));
  return out;
}

export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    `</svg>`,
  ].join("\n");
}

/**
 * A key: one sample and name per series, 18 px apart, from (x, y). The sample is a colour swatch,
 * or with `lines` a stretch of the series' line in its colour and dash pattern.
 */
export function legend(names: readonly string[], x: number, y: number, { lines = false } = {}): string[] {
  return names.flatMap((name, i) => [
    lines
      ? `<line x1="${x}" x2="${x + 26}" y1="${y + i * 18 - 3}" y2="${y + i * 18 - 3}" ${strokeOf(i)} stroke-width="2.2"/>`
      : `<rect x="${x}" y="${y + i * 18 - 9}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
    `<text x="${x + (lines ? 32 : 18)}" y="${y + i * 18 + 1}">${escapeXml(name)}</text>`,
  ]);
}

/** A line chart of several series over shared axes. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 420;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const usable = (v: number, log?: boolean) => !log || v > 0;
  const xs = all.map((p) => p[0]).filter((v) => usable(v, o.logX));
  const ys = all.map((p) => p[1]).filter((v) => usable(v, o.logY));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  const sx = scale(x0, x1, plot.left, plot.right, o.logX);
  const sy = scale(y0, y1, plot.bottom, plot.top, o.logY);
  const body: string[] = [
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#888"/>`,
  ];
  for (const t of ticks(x0, x1, o.logX)) {
    body.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${plot.top}" y2="${plot.bottom}" stroke="#eee"/>`);
    body.push(`<text x="${sx(t)}" y="${plot.bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of ticks(y0, y1, o.logY)) {
    body.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    body.push(`<text x="${plot.left - 6}" y="${sy(t) + 4}" text-anchor="end">${formatTick(t)}</text>`);
  }
  o.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && usable(x, o.logX) && usable(y, o.logY));
    if (!pts.length) return;
    const d = pts.map(([x, y], k) => `${k ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
    const colour = PALETTE[i % PALETTE.length];
    body.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (pts.length <= 40) for (const [x, y] of pts) body.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colour}"/>`);
  });
  body.push(`<text x="${(plot.left + plot.right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  body.push(
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`,
  );
  body.push(...legend(o.series.map((s) => s.name), plot.right + 16, plot.top + 10));
  return frame(width, height, o.title, body);
}

/** Approximate width in px of `text` at `size` px sans-serif (for margins that fit the labels). */
function textWidth(text: string, size: number): number {
  return text.length * size * 0.6;
}

/**
 * Horizontal bars, one group per row label, one colour per bar name. The label column and the
 * legend are as wide as their longest text, so long case names are not clipped.
 */
export function barChart(o: BarChartOptions): string {
  const names = [...new Set(o.groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const barHeight = 14;
  const groupHeight = names.length * barHeight + 12;
  const left = Math.ceil(Math.max(120, ...o.groups.map((g) => textWidth(g.label, 12))) + 16);
  const legendWidth = Math.ceil(Math.max(60, ...names.map((n) => textWidth(n, 12))) + 40);
  const width = o.width ?? left + 460 + legendWidth;
  const plot = { left, right: width - legendWidth, top: MARGIN.top };
  const height = plot.top + o.groups.length * groupHeight + MARGIN.bottom;
  const values = o.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => Number.isFinite(v) && v > 0);
  const lo = o.logX ? Math.min(...values, o.reference ?? Infinity) / 1.5 : 0;
  const hi = Math.max(...values, o.reference ?? 0) * 1.3;
  const sx = scale(lo, hi, plot.left, plot.right, o.logX);
  const bottom = height - MARGIN.bottom;
  const body: string[] = [];
  for (const t of ticks(lo, hi, o.logX)) {
    body.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${plot.top}" y2="${bottom}" stroke="#eee"/>`);
    body.push(`<text x="${sx(t)}" y="${bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  o.groups.forEach((g, gi) => {
    const y = plot.top + gi * groupHeight;
    if (gi) body.push(`<line x1="8" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    body.push(`<text x="${left - 8}" y="${y + groupHeight / 2 + 4}" text-anchor="end">${escapeXml(g.label)}</text>`);
    for (const bar of g.bars) {
      if (!(Number.isFinite(bar.value) && bar.value > 0)) continue;
      const k = names.indexOf(bar.name);
      const by = y + 6 + k * barHeight;
      body.push(
        `<rect x="${plot.left}" y="${by}" width="${Math.max(1, sx(bar.value) - plot.left).toFixed(1)}" height="${barHeight - 2}" fill="${PALETTE[k % PALETTE.length]}"/>`,
        `<text x="${(sx(bar.value) + 4).toFixed(1)}" y="${by + 10}" font-size="11">${formatTick(bar.value)}</text>`,
      );
    }
  });
  if (o.reference !== undefined) {
    body.push(`<line x1="${sx(o.reference)}" x2="${sx(o.reference)}" y1="${plot.top}" y2="${bottom}" stroke="#c00" stroke-dasharray="4 3"/>`);
  }
  body.push(`<text x="${(plot.left + plot.right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  body.push(...legend(names, plot.right + 16, plot.top + 10));
  return frame(width, height, o.title, body);
}
