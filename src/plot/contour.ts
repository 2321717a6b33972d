// Contour plots of f(x, y) with optimizer trajectories on top, as standalone SVG. Level sets
// come from marching squares over a grid, at levels taken from quantiles of the grid values, so
// surfaces spanning many decades (Rosenbrock, Beale) and signed ones (a saddle) both read well.
import { PALETTE, escapeXml, legend, scale } from "./svg";

export interface Trajectory {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ContourOptions {
  title: string;
  f: (x: number, y: number) => number;
  x: readonly [number, number];
  y: readonly [number, number];
  trajectories?: readonly Trajectory[];
  /** Marked with a star, e.g. the minimum. */
  target?: readonly [number, number];
  levels?: number;
  grid?: number;
  size?: number;
}

/** Values at `count` quantiles strictly inside the distribution of `values`. */
export function quantileLevels(values: Float64Array, count: number): number[] {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  const levels = Array.from({ length: count }, (_, k) => sorted[Math.floor(((k + 1) / (count + 1)) * (sorted.length - 1))]!);
  return [...new Set(levels)];
}

/**
 * Segments of the level set f = level on a grid of `values` (row-major, rows along y), as
 * pairs of points in grid coordinates (i along x, j along y).
 */
export function marchingSquares(values: Float64Array, nx: number, ny: number, level: number): number[][] {
  const segments: number[][] = [];
  const at = (i: number, j: number) => values[j * nx + i]!;
  // Where the level crosses the edge between two corners, linearly interpolated.
  const cross = (i0: number, j0: number, i1: number, j1: number): [number, number] => {
    const [a, b] = [at(i0, j0), at(i1, j1)];
    const t = a === b ? 0.5 : (level - a) / (b - a);
    return [i0 + t * (i1 - i0), j0 + t * (j1 - j0)];
  };
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const corners = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
      if (!corners.every(Number.isFinite)) continue;
      const inside = corners.map((v) => v > level);
      const edges: Array<[number, number]> = [];
      // Edges in order: bottom (0-1), right (1-2), top (2-3), left (3-0).
      if (inside[0] !== inside[1]) edges.push(cross(i, j, i + 1, j));
      if (inside[1] !== inside[2]) edges.push(cross(i + 1, j, i + 1, j + 1));
      if (inside[2] !== inside[3]) edges.push(cross(i + 1, j + 1, i, j + 1));
      if (inside[3] !== inside[0]) edges.push(cross(i, j + 1, i, j));
      // Two crossings: one segment; four (a saddle cell): pair them in order.
      for (let k = 0; k + 1 < edges.length; k += 2) segments.push([...edges[k]!, ...edges[k + 1]!]);
    }
  }
  return segments;
}

export function contourPlot(o: ContourOptions): string {
  const size = o.size ?? 520;
  const grid = o.grid ?? 120;
  const pad = { left: 50, top: 36, right: 170, bottom: 40 };
  const [w, h] = [size, size];
  const sx = scale(o.x[0], o.x[1], pad.left, pad.left + w);
  const sy = scale(o.y[0], o.y[1], pad.top + h, pad.top);
  const values = new Float64Array(grid * grid);
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      const x = o.x[0] + ((o.x[1] - o.x[0]) * i) / (grid - 1);
      const y = o.y[0] + ((o.y[1] - o.y[0]) * j) / (grid - 1);
      values[j * grid + i] = o.f(x, y);
    }
  }
  const gx = (i: number) => sx(o.x[0] + ((o.x[1] - o.x[0]) * i) / (grid - 1));
  const gy = (j: number) => sy(o.y[0] + ((o.y[1] - o.y[0]) * j) / (grid - 1));
  const levels = quantileLevels(values, o.levels ?? 16);
  const body: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w + pad.left + pad.right}" height="${h + pad.top + pad.bottom}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.left + w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
    `<defs><clipPath id="plot"><rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}"/></clipPath></defs>`,
    `<rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}" fill="#fbfbfb" stroke="#888"/>`,
  ];
  levels.forEach((level, k) => {
    const d = marchingSquares(values, grid, grid, level)
      .map(([i0, j0, i1, j1]) => `M${gx(i0!).toFixed(1)},${gy(j0!).toFixed(1)}L${gx(i1!).toFixed(1)},${gy(j1!).toFixed(1)}`)
      .join("");
    const shade = Math.round(120 + (100 * k) / levels.length);
    if (d) body.push(`<path d="${d}" fill="none" stroke="rgb(${shade},${shade},${shade})" stroke-width="0.8"/>`);
  });
  (o.trajectories ?? []).forEach((t, k) => {
    const colour = PALETTE[k % PALETTE.length];
    const pts = t.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length) {
      const d = pts.map(([x, y], n) => `${n ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
      body.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.8" clip-path="url(#plot)" opacity="0.9"/>`);
    }
  });
  body.push(...legend((o.trajectories ?? []).map((t) => t.name), pad.left + w + 16, pad.top + 10));
  const start = o.trajectories?.[0]?.points[0];
  if (start) body.push(`<circle cx="${sx(start[0])}" cy="${sy(start[1])}" r="5" fill="none" stroke="black" stroke-width="2"/>`);
  if (o.target) body.push(`<text x="${sx(o.target[0])}" y="${sy(o.target[1]) + 6}" text-anchor="middle" font-size="18">★</text>`);
  body.push(
    `<text x="${pad.left}" y="${pad.top + h + 16}">${o.x[0]}</text>`,
    `<text x="${pad.left + w}" y="${pad.top + h + 16}" text-anchor="end">${o.x[1]}</text>`,
    `<text x="${pad.left - 6}" y="${pad.top + h}" text-anchor="end">${o.y[0]}</text>`,
    `<text x="${pad.left - 6}" y="${pad.top + 10}" text-anchor="end">${o.y[1]}</text>`,
    `</svg>`,
  );
  return body.join("\n");
}
