// The optimizer race: every optimizer from the same start on the same surface, each step's
// gradient written into the parameter's gradient and one optimizer step taken, as in training.
import type { Runtime } from "../runtime/runtime";
import type { Param } from "../runtime/tensor";
import { Adam } from "../optim/adam";
import { SGD } from "../optim/sgd";
import { gaussian, type Uniform } from "../data/dataset";
import type { Surface } from "./surfaces";

/** The optimizer steps a racer needs. */
export interface Stepper {
  step(): unknown;
  dispose(): void;
}

export interface Racer {
  name: string;
  /** Learning rate per surface (the rate that suits each picture), with a fallback. */
  lr: Record<string, number> & { default: number };
  make(rt: Runtime, params: Param[], lr: number): Stepper;
}

/** The contenders of the race, in the book's order. */
export const RACERS: readonly Racer[] = [
  { name: "SGD", lr: { default: 1e-3, quadratic: 0.03, beale: 1e-3 }, make: (rt, p, lr) => new SGD(rt, p, { lr }) },
  { name: "Adam", lr: { default: 0.05, quadratic: 0.1 }, make: (rt, p, lr) => new Adam(rt, p, { lr }) },
];

export interface RaceResult {
  name: string;
  trajectory: Array<[number, number]>;
  /** Steps until the surface's tolerance was reached, or null if it never was. */
  steps: number | null;
  final: number;
}

export interface RaceOptions {
  steps: number;
  /** Standard deviation of Gaussian noise added to each gradient component. */
  noise: number;
  uniform: Uniform;
}

/** Runs one racer on one surface. */
export function run(rt: Runtime, surface: Surface, racer: Racer, options: RaceOptions): RaceResult {
  return rt.scope(() => {
    const xy = rt.param([2], { values: surface.start });
    const optimizer = racer.make(rt, [xy], racer.lr[surface.name] ?? racer.lr.default);
    const trajectory: Array<[number, number]> = [[surface.start[0], surface.start[1]]];
    const arrived = (f: number) => (surface.fStar === undefined ? f <= -surface.tolerance : f - surface.fStar <= surface.tolerance);
    let steps: number | null = null;
    try {
      for (let t = 1; t <= options.steps && steps === null; t++) {
        const [x, y] = xy.data;
        surface.grad(x!, y!, xy.grad.data);
        if (options.noise > 0) for (let k = 0; k < 2; k++) xy.grad.data[k]! += options.noise * gaussian(options.uniform);
        optimizer.step();
        const [nx, ny] = xy.data;
        trajectory.push([nx!, ny!]);
        if (!Number.isFinite(nx) || !Number.isFinite(ny)) break;
        if (arrived(surface.f(nx!, ny!))) steps = t;
      }
    } finally {
      optimizer.dispose();
    }
    const [x, y] = trajectory[trajectory.length - 1]!;
    return { name: racer.name, trajectory, steps, final: surface.f(x, y) };
  });
}
