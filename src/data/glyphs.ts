import { gaussian, type Dataset, type Uniform } from "./dataset";

/** A stroke: a polyline in the unit box, x to the right, y down. */
type Stroke = ReadonlyArray<readonly [number, number]>;

/** A closed ellipse as a 12-gon. */
function ellipse(cx: number, cy: number, rx: number, ry: number): Stroke {
  return Array.from({ length: 13 }, (_, i) => {
    const a = (2 * Math.PI * i) / 12;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as const;
  });
}

/** Digit-like shapes 0-9 drawn with a few strokes each. */
const DIGITS: ReadonlyArray<readonly Stroke[]> = [
  [ellipse(0.5, 0.5, 0.32, 0.46)],
  [[[0.3, 0.22], [0.55, 0]], [[0.55, 0], [0.55, 1]]],
  [[[0.15, 0.25], [0.35, 0.03], [0.65, 0.03], [0.85, 0.25], [0.15, 1], [0.88, 1]]],
  [[[0.15, 0.05], [0.85, 0.05], [0.45, 0.45], [0.82, 0.68], [0.55, 0.98], [0.15, 0.88]]],
  [[[0.7, 1], [0.7, 0], [0.1, 0.65], [0.92, 0.65]]],
  [[[0.85, 0.02], [0.22, 0.02], [0.17, 0.45], [0.68, 0.42], [0.86, 0.7], [0.6, 0.98], [0.15, 0.9]]],
  [[[0.75, 0.02], [0.3, 0.4], [0.17, 0.78], [0.45, 1], [0.82, 0.8], [0.62, 0.52], [0.22, 0.62]]],
  [[[0.1, 0.02], [0.9, 0.02], [0.42, 1]], [[0.35, 0.52], [0.75, 0.52]]],
  [ellipse(0.5, 0.26, 0.28, 0.24), ellipse(0.5, 0.72, 0.34, 0.27)],
  [ellipse(0.5, 0.3, 0.3, 0.27), [[0.8, 0.3], [0.58, 1]]],
];

/** Side of a glyph image in pixels (each example has GLYPH_SIZE^2 features). */
export const GLYPH_SIZE = 16;

/** Options of {@link glyphs}. */
export interface GlyphOptions {
  /**
   * Examples to draw.
   * @defaultValue 10000
   */
  count?: number;
  /**
   * Largest shift in pixels, each axis.
   * @defaultValue 2
   */
  shift?: number;
  /**
   * Standard deviation of the additive pixel noise.
   * @defaultValue 0.3
   */
  noise?: number;
}


function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/**
 * A small procedurally drawn image task: 16x16 grey-level digits, each drawn from its stroke
 * template under a random affine jitter (scale, shear, rotation, shift), a random pen width,
 * and Gaussian pixel noise. Ten classes, 256 features in [0, 1] plus noise.
 */
export function glyphs(uniform: Uniform, { count = 10000, shift = 2, noise = 0.3 }: GlyphOptions = {}): Dataset {
  const n = GLYPH_SIZE;
  const x = new Float32Array(count * n * n);
  const y = new Uint8Array(count);
  const jitter = (amount: number) => (2 * uniform() - 1) * amount;
  for (let s = 0; s < count; s++) {
    const digit = Math.floor(uniform() * 10);
    y[s] = digit;
    const scale = 10.5 * (1 + jitter(0.12));
    const angle = jitter(0.25);
    const shear = jitter(0.25);
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    const [ox, oy] = [n / 2 + jitter(shift), n / 2 + jitter(shift)];
    const pen = 0.55 + 0.5 * uniform();
    // Template point (u, v) in the unit box -> pixel coordinates.
    const place = ([u, v]: readonly [number, number]): [number, number] => {
      const [a, b] = [(u - 0.5 + shear * (v - 0.5)) * scale * 0.75, (v - 0.5) * scale];
      return [ox + cos * a - sin * b, oy + sin * a + cos * b];
    };
    const segments = DIGITS[digit]!.flatMap((stroke) => stroke.slice(1).map((p, i) => [...place(stroke[i]!), ...place(p)]));
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        let d = Infinity;
        for (const [ax, ay, bx, by] of segments) d = Math.min(d, distanceToSegment(col + 0.5, row + 0.5, ax!, ay!, bx!, by!));
        const ink = Math.max(0, Math.min(1, 1 - (d - pen) / 0.8));
        x[s * n * n + row * n + col] = ink + noise * gaussian(uniform);
      }
    }
  }
  return { x, y, count, features: n * n, classes: 10 };
}
