// The test surfaces of the optimizer race: the pictures of the book's chapter 8.

export interface Surface {
  name: string;
  title: string;
  f(x: number, y: number): number;
  /** Writes the gradient at (x, y) into g. */
  grad(x: number, y: number, g: Float32Array | Float64Array): void;
  start: readonly [number, number];
  /** The minimizer, when there is one. */
  minimum?: readonly [number, number];
  /** A run has arrived when f - fStar <= tolerance (or, without fStar, when f <= -tolerance: escaped). */
  fStar?: number;
  tolerance: number;
  view: { x: readonly [number, number]; y: readonly [number, number] };
}

/** f = (x^2 + 30 y^2) / 2: condition number 30, the valley where plain SGD zig-zags. */
const illConditioned: Surface = {
  name: "quadratic",
  title: "Ill-conditioned quadratic (x² + 30y²)/2",
  f: (x, y) => 0.5 * (x * x + 30 * y * y),
  grad: (x, y, g) => {
    g[0] = x;
    g[1] = 30 * y;
  },
  start: [-4.5, 1.2],
  minimum: [0, 0],
  fStar: 0,
  tolerance: 1e-4,
  view: { x: [-5, 5], y: [-2, 2] },
};

/** Rosenbrock (1960): the curved valley, minimum 0 at (1, 1). */
const rosenbrock: Surface = {
  name: "rosenbrock",
  title: "Rosenbrock (1 - x)² + 100(y - x²)²",
  f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  grad: (x, y, g) => {
    g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    g[1] = 200 * (y - x * x);
  },
  start: [-1.2, 1],
  minimum: [1, 1],
  fStar: 0,
  tolerance: 1e-4,
  view: { x: [-2, 2], y: [-1, 3] },
};

/** Beale (1958): flat plateaus and a narrow valley, minimum 0 at (3, 0.5). */
const beale: Surface = {
  name: "beale",
  title: "Beale function",
  f: (x, y) => (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2,
  grad: (x, y, g) => {
    const [a, b, c] = [1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y ** 3];
    g[0] = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1);
    g[1] = 2 * a * x + 4 * b * x * y + 6 * c * x * y * y;
  },
  start: [1, 1.4],
  minimum: [3, 0.5],
  fStar: 0,
  tolerance: 1e-4,
  view: { x: [-1, 4.5], y: [-1.5, 2] },
};

/** x^2 - y^2: a saddle at the origin; the race is to escape it (f <= -tolerance). */
const saddle: Surface = {
  name: "saddle",
  title: "Saddle x² - y²",
  f: (x, y) => x * x - y * y,
  grad: (x, y, g) => {
    g[0] = 2 * x;
    g[1] = -2 * y;
  },
  start: [-1.5, 1e-3],
  tolerance: 1,
  view: { x: [-1.6, 1.6], y: [-1.6, 1.6] },
};

export const SURFACES: readonly Surface[] = [illConditioned, rosenbrock, beale, saddle];
