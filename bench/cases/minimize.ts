// Minimizers: time of a fixed number of L-BFGS (m = 10) iterations on extended Rosenbrock with
// the objective in wasm, descend wasm vs the reference twins, in ns per element per iteration;
// and a whole L-BFGS / BFGS / CG run over the small Moré-Garbow-Hillstrom problems.
// The scipy comparison and the evaluation counts live in bench/minimize-report.ts.
import { initSyncWithTwins } from "../../test/helpers/runtime";
import { extendedRosenbrock, minimize, type Method } from "../../src/minimize/index";
import { MGH_PROBLEMS, extendedRosenbrockStart, mghFG } from "../../test/helpers/mgh";
import type { Backend } from "../../src/runtime/runtime";
import type { Contender } from "../harness";
import type { BenchCase } from "../harness";

const ITERATIONS = 10;

function lbfgsContender(backend: Backend, n: number): Contender & { dispose: () => void } {
  const rt = initSyncWithTwins({ backend });
  const objective = extendedRosenbrock(rt, n);
  const x0 = extendedRosenbrockStart(n);
  return {
    name: `descend-${backend}`,
    fn: () => {
      const r = minimize(objective, x0, { method: "lbfgs", maxIter: ITERATIONS, gtol: 0, ftol: 0 });
      if (r.nit !== ITERATIONS) throw new Error(`expected ${ITERATIONS} iterations, got ${r.nit}`);
    },
    dispose: () => objective.dispose(),
  };
}

function mghContender(backend: Backend, method: Method): Contender {
  const rt = initSyncWithTwins({ backend });
  const problems = MGH_PROBLEMS.map((p) => ({ fg: mghFG(p), x0: p.x0 }));
  return { name: `descend-${backend}`, fn: () => problems.forEach((p) => minimize(p.fg, p.x0, { method, runtime: rt })) };
}

export const cases: BenchCase[] = [
  ...[1e4, 1e5, 1e6].map((n) => ({
    family: "minimize",
    name: `lbfgs m=10 extended Rosenbrock n=${n.toExponential(0)}, ${ITERATIONS} iterations (wasm objective)`,
    elements: n * ITERATIONS,
    unit: "ns/element/iteration",
    contenders: () => [lbfgsContender("wasm", n), lbfgsContender("js", n)],
  })),
  ...(["lbfgs", "bfgs", "cg"] as Method[]).map((method) => ({
    family: "minimize",
    name: `${method} over the ${MGH_PROBLEMS.length} small MGH problems (JS callbacks)`,
    elements: MGH_PROBLEMS.length,
    unit: "ns/problem",
    contenders: () => [mghContender("wasm", method), mghContender("js", method)],
  })),
];
