// Curvature diagnostics (Deep Learning book, Sec. 4.3 and 8.2): Hessian-vector products by central
// differences of gradients, the extreme Hessian eigenvalues by Lanczos, the condition number, and
// the second-derivative test at critical points. Run: npx tsx examples/diagnostics.ts [--backend js]
import {
  HessianVectorProduct, classifyCriticalPoint, diagonalQuadratic, hessianEigenvalues, initSync, minimize,
  type Backend, type FG,
} from "../src/index";
import { jsBackend } from "../src/js";

const backend = (process.argv.includes("--backend") ? process.argv[process.argv.indexOf("--backend") + 1] : "wasm") as Backend;
const rt = initSync({ backend: backend === "js" ? jsBackend : backend });

// Rosenbrock's function: its Hessian at the minimum (1, 1) is [[802, -400], [-400, 200]].
const rosen: FG = (x, g) => {
  const t = x[1]! - x[0]! * x[0]!;
  g[0] = -400 * t * x[0]! - 2 * (1 - x[0]!);
  g[1] = 200 * t;
  return 100 * t * t + (1 - x[0]!) ** 2;
};

const hvp = new HessianVectorProduct(rt, rosen, 2);
const column = hvp.apply([1, 1], [1, 0]);
console.log(`H(1, 1) e1 = [${Array.from(column, (v) => v.toFixed(6)).join(", ")}]   (exact: [802, -400])`);

const found = minimize(rosen, [-1.2, 1], { method: "newton", hessp: hvp.hessp, runtime: rt });
const atMinimum = classifyCriticalPoint(hvp, found.x);
console.log(
  `Newton with these products: x = [${Array.from(found.x, (v) => v.toFixed(8)).join(", ")}] after ${found.nit} iterations; ` +
    `${atMinimum.kind}, eigenvalues ${atMinimum.max.toFixed(4)} and ${atMinimum.min.toFixed(6)}, condition ${atMinimum.condition.toFixed(1)}`,
);
hvp.dispose();

// The saddle x^2 - y^2 and the maximum -x^2 - y^2 at the origin; the start point (-1.2, 1) is not critical.
for (const [name, grad] of [
  ["x^2 - y^2", ((x, g) => ((g[0] = 2 * x[0]!), (g[1] = -2 * x[1]!), 0)) as FG],
  ["-x^2 - y^2", ((x, g) => ((g[0] = -2 * x[0]!), (g[1] = -2 * x[1]!), 0)) as FG],
  ["Rosenbrock at (-1.2, 1)", rosen],
] as const) {
  const product = new HessianVectorProduct(rt, grad, 2);
  const at = name.startsWith("Rosenbrock") ? [-1.2, 1] : [0, 0];
  const point = classifyCriticalPoint(product, at);
  console.log(`${name.padEnd(24)} ${point.kind.padEnd(13)} eigenvalues ${point.max.toFixed(3)}, ${point.min.toFixed(3)}; |g| = ${point.gradNorm}`);
  product.dispose();
}

// An ill-conditioned quadratic with 10,000 variables in wasm memory, eigenvalues spread evenly
// over four decades, 1 ... 1e4, never forming the Hessian. The top converges within a few dozen
// steps; the bottom, crowded relative to the spread, converges slowly: its residual says how far
// the estimate may be, and the condition estimate is a lower bound until it has converged.
const n = 10_000;
const spectrum = Array.from({ length: n }, (_, i) => 10 ** (4 * (i / (n - 1))));
const objective = diagonalQuadratic(rt, spectrum, new Array(n).fill(0));
const big = new HessianVectorProduct(rt, objective, n);
const started = performance.now();
const { max, min, condition, residuals, steps } = hessianEigenvalues(big, new Array(n).fill(0), { steps: 120 });
console.log(
  `n = ${n}: ${steps} Lanczos steps in ${(performance.now() - started).toFixed(0)} ms: lambda_max ${max.toFixed(2)} (residual ${residuals[0]!.toExponential(1)}), ` +
    `lambda_min ${min.toFixed(4)} (residual ${residuals[steps - 1]!.toExponential(1)}), condition estimate ${condition.toFixed(0)} (exact 10000)`,
);
big.dispose();
objective.dispose();
