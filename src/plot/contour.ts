// Contour plots of f(x, y) with optimizer trajectories on top, as standalone SVG. Level sets
// come from marching squares joined into paths (isolines.ts), at levels taken from quantiles of
// the grid values, so surfaces spanning many decades (Rosenbrock, Beale) and signed ones (a
// saddle) both read well. x and y share one scale (1:1), so an ill-conditioned valley looks it.
import { isolines } from "./isolines";
import { escapeXml, formatTick, legend, scale, strokeOf, ticks } from "./svg";

export interface Trajectory {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ContourOptions {
  title: string;
  f: (x: number, y: number) => number;
  x: readonly [number, number];
  y: readonly [number, number];
  /** Axis labels; default "x" and "y". */
  xLabel?: string;
  yLabel?: string;
  trajectories?: readonly Trajectory[];
  /** Marked with a ring; default the first point of the first trajectory. */
  start?: readonly [number, number];
  /** Marked with a star, e.g. the minimum. */
  target?: readonly [number, number];
  levels?: number;
  /** Grid points along the longer side. */
  grid?: number;
  /** Pixels along the longer side of the plot area. */
  size?: number;
}

/** Values at `count` quantiles strictly inside the distribution of `values`. */
export function quantileLevels(values: ArrayLike<number>, count: number): number[] {
  const sorted = Float64Array.from(Array.prototype.filter.call(values, Number.isFinite) as number[]).sort();
  const levels = Array.from({ length: count }, (_, k) => sorted[Math.floor(((k + 1) / (count + 1)) * (sorted.length - 1))]!);
  return [...new Set(levels)];
}

/** Samples f on an nx-by-ny grid over the view, row-major with rows along y (j = 0 at y0). */
export function sampleGrid(
  f: (x: number, y: number) => number, x: readonly [number, number], y: readonly [number, number], nx: number, ny: number,
): Float64Array {
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) values[j * nx + i] = f(x[0] + ((x[1] - x[0]) * i) / (nx - 1), y[0] + ((y[1] - y[0]) * j) / (ny - 1));
  }
  return values;
}

/** Width and height of a view drawn at 1:1 with `longer` units along its longer side. */
export function equalAspect(x: readonly [number, number], y: readonly [number, number], longer: number): [number, number] {
  const [dx, dy] = [x[1] - x[0], y[1] - y[0]];
  return dx >= dy ? [longer, Math.round((longer * dy) / dx)] : [Math.round((longer * dx) / dy), longer];
}

/** A coordinate with at most one decimal, the precision of a screen pixel. */
const px = (v: number) => String(Math.round(v * 10) / 10);

/**
 * Points that move at least `minStep` px from the last one kept (and the last point): a
 * converged run's thousands of steps in place collapse to one, the picture does not change.
 */
export function thin(points: ReadonlyArray<readonly [number, number]>, minStep: number): Array<readonly [number, number]> {
  const kept: Array<readonly [number, number]> = [];
  for (const p of points) {
    const last = kept[kept.length - 1];
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= minStep) kept.push(p);
  }
  const end = points[points.length - 1];
  if (end && kept[kept.length - 1] !== end) kept.push(end);
  return kept;
}

/**
 * The points a polyline needs to stay within `tolerance` px of the original (Ramer, Douglas and
 * Peucker 1972-73): the long straight stretches of a contour or a path keep only their ends.
 */
export function simplify<P extends readonly [number, number]>(points: readonly P[], tolerance: number): P[] {
  if (points.length < 3) return [...points];
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack: Array<[number, number]> = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [[ax, ay], [bx, by]] = [points[a]!, points[b]!];
    const length = Math.hypot(bx - ax, by - ay);
    let [farthest, distance] = [-1, tolerance];
    for (let k = a + 1; k < b; k++) {
      const [x, y] = points[k]!;
      const d = length ? Math.abs((bx - ax) * (ay - y) - (ax - x) * (by - ay)) / length : Math.hypot(x - ax, y - ay);
      if (d > distance) [farthest, distance] = [k, d];
    }
    if (farthest < 0) continue;
    keep[farthest] = 1;
    stack.push([a, farthest], [farthest, b]);
  }
  return points.filter((_, k) => keep[k]);
}

/**
 * SVG path data in tenths of a pixel, relative after the first point ("M12.3,4l1.5-2 .3.4"),
 * the shortest form that stays exact: each step is the difference of rounded positions.
 */
function polyline(points: ReadonlyArray<readonly [number, number]>, closed = false): string {
  const tenths = points.map(([x, y]) => [Math.round(x * 10), Math.round(y * 10)] as const);
  const num = (t: number) => String(t / 10).replace(/^(-?)0\./, "$1.");
  let d = "";
  tenths.forEach(([x, y], n) => {
    if (!n) d += `M${num(x)},${num(y)}`;
    else {
      const [dx, dy] = [x - tenths[n - 1]![0], y - tenths[n - 1]![1]];
      if (dx || dy) d += `${n === 1 ? "l" : dx < 0 ? "" : " "}${num(dx)}${dy < 0 ? "" : ","}${num(dy)}`;
    }
  });
  return d + (closed ? "Z" : "");
}

export function contourPlot(o: ContourOptions): string {
  const [w, h] = equalAspect(o.x, o.y, o.size ?? 520);
  const [nx, ny] = equalAspect(o.x, o.y, (o.grid ?? 120) - 1).map((n) => n + 1) as [number, number];
  const pad = { left: 58, top: 36, right: 150, bottom: 46 };
  const sx = scale(o.x[0], o.x[1], pad.left, pad.left + w);
  const sy = scale(o.y[0], o.y[1], pad.top + h, pad.top);
  const toPixel = ([x, y]: readonly [number, number]) => [sx(x), sy(y)] as const;
  const gridToPixel = (i: number, j: number) =>
    [pad.left + (i / (nx - 1)) * w, pad.top + h - (j / (ny - 1)) * h] as const;
  const values = sampleGrid(o.f, o.x, o.y, nx, ny);
  const levels = quantileLevels(values, o.levels ?? 16);
  const trajectories = o.trajectories ?? [];
  const body: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w + pad.left + pad.right}" height="${h + pad.top + pad.bottom}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.left + w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
    `<defs><clipPath id="plot"><rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}"/></clipPath></defs>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}" fill="#fbfbfb" stroke="#888"/>`,
  ];
  body.push(...axes(o, { sx, sy, left: pad.left, bottom: pad.top + h, w, h }));
  levels.forEach((level, k) => {
    const d = isolines(values, nx, ny, level)
      .map((line) => polyline(simplify(pairs(line.points).map(([i, j]) => gridToPixel(i, j)), 0.3), line.closed))
      .join("");
    const shade = Math.round(120 + (100 * k) / levels.length);
    if (d) body.push(`<path d="${d}" fill="none" stroke="rgb(${shade},${shade},${shade})" stroke-width="0.8"/>`);
  });
  trajectories.forEach((t, k) => {
    const pts = simplify(thin(t.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(toPixel), 0.75), 0.3);
    if (!pts.length) return;
    body.push(`<g clip-path="url(#plot)" ${strokeOf(k)} fill="none" stroke-width="1.8" opacity="0.9">`);
    body.push(`<path d="${polyline(pts)}"/>`);
    const [ex, ey] = pts[pts.length - 1]!;
    body.push(`<circle cx="${px(ex)}" cy="${px(ey)}" r="3" stroke-dasharray="none" fill="white"/></g>`);
  });
  const start = o.start ?? trajectories[0]?.points[0];
  const marks = legend(trajectories.map((t) => t.name), pad.left + w + 16, pad.top + 10, { lines: true });
  let keyY = pad.top + 10 + trajectories.length * 18 + 8;
  if (start) {
    const [x, y] = toPixel(start);
    body.push(`<circle cx="${px(x)}" cy="${px(y)}" r="5" fill="none" stroke="black" stroke-width="2"/>`);
    marks.push(`<circle cx="${pad.left + w + 29}" cy="${keyY - 4}" r="5" fill="none" stroke="black" stroke-width="2"/>`, `<text x="${pad.left + w + 48}" y="${keyY + 1}">start</text>`);
    keyY += 18;
  }
  if (o.target) {
    const [x, y] = toPixel(o.target);
    body.push(`<text x="${px(x)}" y="${px(y + 6)}" text-anchor="middle" font-size="18">★</text>`);
    marks.push(`<text x="${pad.left + w + 29}" y="${keyY + 3}" text-anchor="middle" font-size="18">★</text>`, `<text x="${pad.left + w + 48}" y="${keyY + 1}">minimum</text>`);
  }
  body.push(...marks, `</svg>`);
  return body.join("\n");
}

/** [x0, y0, x1, y1, ...] as pairs. */
function pairs(flat: readonly number[]): Array<[number, number]> {
  return Array.from({ length: flat.length / 2 }, (_, k) => [flat[2 * k]!, flat[2 * k + 1]!]);
}

/** Ticks with their values below and left of the plot area, and the axis labels. */
function axes(
  o: ContourOptions,
  a: { sx: (v: number) => number; sy: (v: number) => number; left: number; bottom: number; w: number; h: number },
): string[] {
  const out: string[] = [];
  for (const t of ticks(o.x[0], o.x[1])) {
    out.push(`<line x1="${px(a.sx(t))}" x2="${px(a.sx(t))}" y1="${a.bottom}" y2="${a.bottom + 5}" stroke="#888"/>`);
    out.push(`<text x="${px(a.sx(t))}" y="${a.bottom + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of ticks(o.y[0], o.y[1])) {
    out.push(`<line x1="${a.left - 5}" x2="${a.left}" y1="${px(a.sy(t))}" y2="${px(a.sy(t))}" stroke="#888"/>`);
    out.push(`<text x="${a.left - 8}" y="${px(a.sy(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<text x="${a.left + a.w / 2}" y="${a.bottom + 36}" text-anchor="middle" font-style="italic">${escapeXml(o.xLabel ?? "x")}</text>`);
  out.push(`<text x="${a.left - 40}" y="${a.bottom - a.h / 2 + 4}" text-anchor="middle" font-style="italic">${escapeXml(o.yLabel ?? "y")}</text>`);
  return out;
}
