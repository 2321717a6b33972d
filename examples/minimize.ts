// minimize() three ways: a JS callback (Rosenbrock, every method), a problem whose objective
// lives in wasm memory (L2-regularized logistic regression), and L-BFGS on a million variables.
// Run: npx tsx examples/minimize.ts
import { extendedRosenbrock, initSync, logisticRegression, minimize, type FG, type Method } from "../src/index";

// 1. A callback fills g and returns f. x and g are views into wasm memory, valid during the call.
const rosenbrock: FG = (x, g) => {
  const t = x[1]! - x[0]! * x[0]!;
  g[0] = -400 * t * x[0]! - 2 * (1 - x[0]!);
  g[1] = 200 * t;
  return 100 * t * t + (1 - x[0]!) ** 2;
};
const hess = (x: Float64Array, H: Float64Array) => {
  H.set([1200 * x[0]! ** 2 - 400 * x[1]! + 2, -400 * x[0]!, -400 * x[0]!, 200]);
};
console.log("Rosenbrock from (-1.2, 1):");
for (const method of ["lbfgs", "bfgs", "cg", "newton", "steepest", "coordinate"] as Method[]) {
  const r = minimize(rosenbrock, [-1.2, 1], { method, hess, gtol: 1e-6, maxIter: 50000 });
  console.log(
    `  ${method.padEnd(10)} ${r.status.padEnd(18)} f = ${r.f.toExponential(3)}  x = (${r.x[0]!.toFixed(6)}, ${r.x[1]!.toFixed(6)})` +
      `  ${r.nit} iterations, ${r.nfev} evaluations`,
  );
}

// 2. An objective in wasm memory: each iteration stays inside the module.
const rt = initSync();
const m = 2000;
const n = 20;
const A = Float64Array.from({ length: m * n }, (_, k) => Math.sin(k * 1.7) + Math.cos(k * 0.3));
const y = Float64Array.from({ length: m }, (_, i) => (A.subarray(i * n, i * n + n).reduce((s, v, j) => s + v * (j % 3 - 1), 0) > 0 ? 1 : 0));
const logistic = logisticRegression(rt, A, y, n, 1e-2);
const fit = minimize(logistic, new Float64Array(n), { method: "lbfgs", gtol: 1e-8 });
logistic.dispose();
console.log(`\nlogistic regression, ${m} x ${n}: ${fit.status}, loss ${fit.f.toFixed(6)}, ${fit.nit} iterations`);

// 3. L-BFGS (m = 10) on extended Rosenbrock with a million variables.
const big = extendedRosenbrock(rt, 1_000_000);
const started = performance.now();
const r = minimize(big, Array.from({ length: 1_000_000 }, (_, i) => (i % 2 ? 1 : -1.2)), { method: "lbfgs" });
big.dispose();
console.log(
  `\nextended Rosenbrock, n = 1e6: ${r.status}, f = ${r.f.toExponential(3)}, ${r.nit} iterations, ` +
    `${(performance.now() - started).toFixed(0)} ms`,
);
