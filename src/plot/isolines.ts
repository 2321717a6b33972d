// Level sets f = level of a function sampled on a grid, as joined polylines: marching squares
// (Lorensen & Cline 1987, in 2-D) finds one or two segments per cell, and the segments are then
// chained through the grid edges they share, so a level comes out as a few paths (a closed ring
// for a closed curve) instead of thousands of separate segments.

/** One connected piece of a level set, in grid coordinates (x along i, y along j). */
export interface Isoline {
  /** Flat [x0, y0, x1, y1, ...]; a closed ring does not repeat its first point. */
  points: number[];
  closed: boolean;
}

/**
 * The level set f = level of `values` (row-major, nx columns along x, ny rows along y). A corner
 * counts as inside when its value is above the level; cells with a non-finite corner are skipped,
 * so a curve entering one ends there. At a saddle cell (inside and outside corners alternating)
 * the value at the cell centre, the mean of the corners, decides which corners the curves cut off.
 */
export function isolines(values: ArrayLike<number>, nx: number, ny: number, level: number): Isoline[] {
  const segments = cellSegments(values, nx, ny, level);
  return joinSegments(segments).map((keys) => {
    const closed = keys.length > 2 && keys[0] === keys[keys.length - 1];
    const ring = closed ? keys.slice(0, -1) : keys;
    return { points: ring.flatMap((key) => crossing(values, nx, level, key)), closed };
  });
}

// A grid edge is named by a key: 2 * (j * nx + i) for the edge from (i, j) to (i + 1, j), and
// 2 * (j * nx + i) + 1 for the edge from (i, j) to (i, j + 1). Neighbouring cells name the edge
// they share alike, which is what joins their segments.
const horizontal = (nx: number, i: number, j: number) => 2 * (j * nx + i);
const vertical = (nx: number, i: number, j: number) => 2 * (j * nx + i) + 1;

/** Where the level crosses the edge `key`, linearly interpolated between its two corners. */
function crossing(values: ArrayLike<number>, nx: number, level: number, key: number): [number, number] {
  const corner = key >> 1;
  const [i, j] = [corner % nx, Math.floor(corner / nx)];
  const [di, dj] = key & 1 ? [0, 1] : [1, 0];
  const a = values[corner]!;
  const b = values[corner + di + dj * nx]!;
  const t = a === b ? 0.5 : (level - a) / (b - a);
  return [i + t * di, j + t * dj];
}

/** Every cell's segments, each as the keys of the two edges it joins. */
function cellSegments(values: ArrayLike<number>, nx: number, ny: number, level: number): Array<[number, number]> {
  const segments: Array<[number, number]> = [];
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      // Corners counter-clockwise from (i, j); edge k runs from corner k to corner k + 1.
      const corners = [values[j * nx + i]!, values[j * nx + i + 1]!, values[(j + 1) * nx + i + 1]!, values[(j + 1) * nx + i]!];
      if (!corners.every(Number.isFinite)) continue;
      const inside = corners.map((v) => v > level);
      const edges = [horizontal(nx, i, j), vertical(nx, i + 1, j), horizontal(nx, i, j + 1), vertical(nx, i, j)];
      const cut = [0, 1, 2, 3].filter((k) => inside[k] !== inside[(k + 1) % 4]);
      if (cut.length === 2) segments.push([edges[cut[0]!]!, edges[cut[1]!]!]);
      else if (cut.length === 4) {
        // Saddle: cut off the two corners on the other side of the level from the centre;
        // corner k lies between edges k - 1 and k.
        const centreInside = (corners[0]! + corners[1]! + corners[2]! + corners[3]!) / 4 > level;
        for (let k = 0; k < 4; k++) if (inside[k] !== centreInside) segments.push([edges[(k + 3) % 4]!, edges[k]!]);
      }
    }
  }
  return segments;
}

/**
 * Chains segments that share an edge into lists of edge keys. Every edge belongs to at most two
 * cells, so a chain is unambiguous: open chains start at an edge used once (the grid's border,
 * or a skipped cell), and what remains after them are closed rings, whose last key repeats the first.
 */
function joinSegments(segments: ReadonlyArray<[number, number]>): number[][] {
  const byEdge = new Map<number, number[]>();
  segments.forEach(([a, b], s) => {
    for (const key of [a, b]) {
      const list = byEdge.get(key);
      if (list) list.push(s);
      else byEdge.set(key, [s]);
    }
  });
  const used = new Uint8Array(segments.length);
  const walk = (start: number, first: number): number[] => {
    const keys = [start];
    let [key, s] = [start, first as number | undefined];
    while (s !== undefined) {
      used[s] = 1;
      const [a, b] = segments[s]!;
      key = a === key ? b : a;
      keys.push(key);
      s = byEdge.get(key)!.find((next) => !used[next]);
    }
    return keys;
  };
  const chains: number[][] = [];
  for (const [key, list] of byEdge) if (list.length === 1 && !used[list[0]!]) chains.push(walk(key, list[0]!));
  segments.forEach(([a], s) => {
    if (!used[s]) chains.push(walk(a, s));
  });
  return chains;
}
