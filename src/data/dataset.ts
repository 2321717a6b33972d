import { Philox } from "../random/philox";

/** A labelled classification dataset held in plain arrays (copied into tensors per batch). */
export interface Dataset {
  /** Row-major features, `count` rows of `features` values. */
  x: Float32Array;
  /** Class of each row, in [0, classes). */
  y: Uint8Array;
  count: number;
  features: number;
  classes: number;
}

/** A source of uniform numbers in [0, 1). */
export type Uniform = () => number;

/** A seeded uniform source for data generation: descend's Philox stream, read in blocks. */
export function seededUniform(seed: number): Uniform {
  const generator = new Philox(seed);
  let block: Float64Array = new Float64Array(0);
  let next = 0;
  return () => {
    if (next === block.length) {
      block = generator.uniformArray(4096);
      next = 0;
    }
    return block[next++]!;
  };
}

/** A standard normal draw by Box-Muller from two uniforms. */
export function gaussian(uniform: Uniform): number {
  const u = 1 - uniform(); // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** Splits off the last `testFraction` of the rows (the generators already interleave classes randomly). */
export function split(data: Dataset, testFraction: number): { train: Dataset; test: Dataset } {
  const testCount = Math.round(data.count * testFraction);
  const cut = data.count - testCount;
  const part = (from: number, to: number): Dataset => ({
    ...data,
    x: data.x.slice(from * data.features, to * data.features),
    y: data.y.slice(from, to),
    count: to - from,
  });
  return { train: part(0, cut), test: part(cut, data.count) };
}
