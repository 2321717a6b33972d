import { gaussian, type Dataset, type Uniform } from "./dataset";

/** Options of {@link spirals}. */
export interface SpiralOptions {
  /**
   * Number of arms, one class each.
   * @defaultValue 3
   */
  classes?: number;
  /**
   * Points in all.
   * @defaultValue 1500
   */
  count?: number;
  /**
   * Turns of each arm.
   * @defaultValue 0.75
   */
  turns?: number;
  /**
   * Standard deviation of the angular noise (radians).
   * @defaultValue 0.2
   */
  noise?: number;
}


/**
 * K interleaved spiral arms in the plane: the classic problem no linear model solves. Point i
 * of arm k sits at radius r = t and angle 2 pi (k / K + turns t) + noise, for t uniform in [0, 1].
 */
export function spirals(uniform: Uniform, { classes = 3, count = 1500, turns = 0.75, noise = 0.2 }: SpiralOptions = {}): Dataset {
  const x = new Float32Array(count * 2);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = Math.floor(uniform() * classes);
    const t = uniform();
    const angle = 2 * Math.PI * (k / classes + turns * t) + noise * gaussian(uniform);
    x[2 * i] = t * Math.cos(angle);
    x[2 * i + 1] = t * Math.sin(angle);
    y[i] = k;
  }
  return { x, y, count, features: 2, classes };
}
