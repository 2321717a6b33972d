// The optimizer race: every optimizer from the same start on the same surface, each step's
// gradient written into the parameter's gradient and one optimizer step taken, as in training.
import type { Runtime } from "../runtime/runtime";
import type { Param } from "../runtime/tensor";
import { AdaDelta, AdaGrad, Adam, RMSProp, SGD } from "../optim/index";
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

/**
 * Plain SGD, momentum and Nesterov share one learning rate per surface, below plain SGD's
 * stability limit 2/L (as in the book's comparison of momentum with SGD); momentum 0.9.
 */
const SGD_LR = { default: 1e-3, quadratic: 0.03, beale: 0.01, saddle: 0.01 };

/**
 * The contenders of the race, in the book's order (Algorithms 8.1-8.7). The adaptive methods use
 * their customary step sizes, the same on every surface (AdaDelta PyTorch's lr = 1): the race
 * compares the methods' paths, not a tuning budget.
 */
export const RACERS: readonly Racer[] = [
  { name: "SGD", lr: SGD_LR, make: (rt, p, lr) => new SGD(rt, p, { lr }) },
  { name: "Momentum", lr: SGD_LR, make: (rt, p, lr) => new SGD(rt, p, { lr, momentum: 0.9 }) },
  { name: "Nesterov", lr: SGD_LR, make: (rt, p, lr) => new SGD(rt, p, { lr, momentum: 0.9, nesterov: true }) },
  { name: "AdaGrad", lr: { default: 0.5 }, make: (rt, p, lr) => new AdaGrad(rt, p, { lr }) },
  { name: "AdaDelta", lr: { default: 1 }, make: (rt, p, lr) => new AdaDelta(rt, p, { lr }) },
  { name: "RMSProp", lr: { default: 0.01 }, make: (rt, p, lr) => new RMSProp(rt, p, { lr }) },
  { name: "Adam", lr: { default: 0.05 }, make: (rt, p, lr) => new Adam(rt, p, { lr }) },
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
  /** Where every optimizer starts; default the surface's own start. */
  start?: readonly [number, number];
}

/** Runs one racer on one surface. */
export function run(rt: Runtime, surface: Surface, racer: Racer, options: RaceOptions): RaceResult {
  const start = options.start ?? surface.start;
  return rt.scope(() => {
    const xy = rt.param([2], { values: start });
    const optimizer = racer.make(rt, [xy], Object.hasOwn(racer.lr, surface.name) ? racer.lr[surface.name]! : racer.lr.default);
    const trajectory: Array<[number, number]> = [[start[0], start[1]]];
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
