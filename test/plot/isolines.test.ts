import { describe, expect, it } from "vitest";
import { isolines, type Isoline } from "../../src/plot/isolines";
import { quantileLevels, sampleGrid, simplify, thin } from "../../src/plot/contour";

/** f sampled on an n-by-n grid over [lo, hi]^2, and the map from grid to (x, y) coordinates. */
function grid(f: (x: number, y: number) => number, n: number, lo: number, hi: number) {
  const at = (g: number) => lo + ((hi - lo) * g) / (n - 1);
  return { values: sampleGrid(f, [lo, hi], [lo, hi], n, n), toXY: (line: Isoline) => points(line).map(([i, j]) => [at(i), at(j)] as const) };
}

const points = (line: Isoline) => Array.from({ length: line.points.length / 2 }, (_, k) => [line.points[2 * k]!, line.points[2 * k + 1]!] as const);

describe("isolines", () => {
  it("draws the circle x^2 + y^2 = 1 as one closed ring at radius 1", () => {
    const { values, toXY } = grid((x, y) => x * x + y * y, 41, -2, 2);
    const lines = isolines(values, 41, 41, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.closed).toBe(true);
    const ring = toXY(lines[0]!);
    expect(ring.length).toBeGreaterThan(40);
    for (const [x, y] of ring) expect(Math.abs(Math.hypot(x, y) - 1)).toBeLessThan(0.02); // linear interpolation on a 0.1 grid
    // Consecutive points are neighbours on the curve (no jumps): at most one cell diagonal apart.
    ring.forEach(([x, y], k) => {
      const [u, v] = ring[(k + 1) % ring.length]!;
      expect(Math.hypot(u - x, v - y)).toBeLessThanOrEqual(0.1 * Math.SQRT2 + 1e-12);
    });
  });

  it("gives one path per connected piece: two rings for two separate wells, one open line across the grid", () => {
    const wells = grid((x, y) => Math.min((x + 1) ** 2 + y * y, (x - 1) ** 2 + y * y), 61, -3, 3);
    const rings = isolines(wells.values, 61, 61, 0.25);
    expect(rings.map((l) => l.closed)).toEqual([true, true]);
    const plane = grid((x, y) => x + 2 * y, 30, -1, 1);
    const [line, ...rest] = isolines(plane.values, 30, 30, 0.1);
    expect(rest).toEqual([]);
    expect(line!.closed).toBe(false);
    for (const [x, y] of plane.toXY(line!)) expect(x + 2 * y).toBeCloseTo(0.1, 12);
    // It runs from border to border.
    const ends = [points(line!)[0]!, points(line!).at(-1)!];
    for (const [i, j] of ends) expect([i, j].some((c) => c < 1e-9 || c > 29 - 1e-9)).toBe(true);
  });

  describe("at a saddle cell, the centre value decides which corners are cut off", () => {
    // One cell, corners counter-clockwise from (0, 0): 2 at (0, 0) and (1, 1), -1 at (1, 0) and (0, 1).
    it("centre above the level: the high corners connect, the low corners are cut off", () => {
      const lines = isolines([2, -1, -1, 2], 2, 2, 0); // row-major: (0,0), (1,0), (0,1), (1,1)
      const cut = lines.map((l) => points(l).map(([i, j]) => [Math.round(i * 3) / 3, Math.round(j * 3) / 3]));
      expect(lines.every((l) => !l.closed)).toBe(true);
      // around (1, 0): from the bottom edge at i = 2/3 to the right edge at j = 1/3, and around (0, 1).
      expect(cut).toEqual(expect.arrayContaining([
        expect.arrayContaining([[2 / 3, 0], [1, 1 / 3]]),
        expect.arrayContaining([[1 / 3, 1], [0, 2 / 3]]),
      ]));
      expect(cut).toHaveLength(2);
    });

    it("centre below the level: the low corners connect, the high corners are cut off", () => {
      const lines = isolines([1, -2, -2, 1], 2, 2, 0);
      const cut = lines.map((l) => points(l).map(([i, j]) => [Math.round(i * 3) / 3, Math.round(j * 3) / 3]));
      expect(cut).toEqual(expect.arrayContaining([
        expect.arrayContaining([[1 / 3, 0], [0, 1 / 3]]),
        expect.arrayContaining([[2 / 3, 1], [1, 2 / 3]]),
      ]));
      expect(cut).toHaveLength(2);
    });

    it("keeps each branch of the hyperbola xy = -0.001 in its own quadrant", () => {
      // 20 points over [-1, 1]: a cell is centred on the origin and its corners alternate in sign.
      const { values, toXY } = grid((x, y) => x * y + 0.001, 20, -1, 1);
      const lines = isolines(values, 20, 20, 0);
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        const quadrants = new Set(toXY(line).map(([x, y]) => `${Math.sign(x)},${Math.sign(y)}`));
        expect([...quadrants].length, [...quadrants].join(" ")).toBe(1);
      }
    });
  });

  it("ends a curve at a cell with a non-finite corner", () => {
    const { values } = grid((x, y) => x * x + y * y, 41, -2, 2);
    values[20 * 41 + 30] = NaN; // on the circle at (1, 0)
    const lines = isolines(values, 41, 41, 1);
    expect(lines.map((l) => l.closed)).toEqual([false]);
  });

  it("is empty when the level is outside the values", () => {
    expect(isolines([1, 2, 3, 4], 2, 2, 5)).toEqual([]);
  });
});

describe("path helpers", () => {
  it("simplify keeps the ends of a straight run and every corner beyond the tolerance", () => {
    const straight = Array.from({ length: 50 }, (_, k) => [k, 2 * k] as const);
    expect(simplify(straight, 0.3)).toEqual([[0, 0], [49, 98]]);
    const zigzag = Array.from({ length: 9 }, (_, k) => [k, k % 2] as const);
    expect(simplify(zigzag, 0.3)).toEqual(zigzag);
    expect(simplify(zigzag, 1.5)).toEqual([[0, 0], [8, 0]]);
  });

  it("thin drops steps shorter than the minimum, keeping the last point", () => {
    expect(thin([[0, 0], [0.1, 0], [1, 0], [1.2, 0], [1.3, 0]], 0.75)).toEqual([[0, 0], [1, 0], [1.3, 0]]);
  });

  it("takes levels at quantiles, skipping non-finite values", () => {
    expect(quantileLevels(Float64Array.from([5, 1, NaN, 3, 2, 4, Infinity]), 3)).toEqual([2, 3, 4]);
  });
});
