// Minimizer report: `npx tsx bench/minimize-report.ts [--quick] [--bfgs-large]`.
// 1. Every method of descend on the Moré-Garbow-Hillstrom set with default options (and 'lbfgs'
//    with scipy L-BFGS-B's ftol as well, to show the two stop alike): solved or not
//    (the paper's minimum within 1e-8 absolute or relative, or a documented local minimum),
//    iterations, evaluations, wall time.
// 2. scipy's BFGS and L-BFGS-B with default options on the same problems (bench/scipy/mgh.py, run
//    through python3 when `import scipy` works; skipped otherwise): problems solved and the median
//    evaluations over the problems both solve.
// 3. L-BFGS (m = 10) time per iteration on extended Rosenbrock, n = 1e6: descend with the wasm
//    objective vs scipy L-BFGS-B with a numpy objective, in the same run.
// Writes bench/results/minimize.json.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { environment } from "./environment";
import { initSyncWithTwins } from "../test/helpers/runtime";
import { LBFGSB_FTOL, extendedRosenbrock, minimize, type Method, type MinimizeResult } from "../src/minimize/index";
import {
  MGH_PROBLEMS,
  extendedRosenbrockFG,
  extendedRosenbrockStart,
  mghFG,
  mghHess,
  reachesMinimum,
  type MGHProblem,
} from "../test/helpers/mgh";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const rt = initSyncWithTwins();

interface Problem {
  name: string;
  x0: number[];
  p: Pick<MGHProblem, "fStar" | "local">;
  fg: (x: Float64Array, g: Float64Array) => number;
  hess?: (x: Float64Array, H: Float64Array) => void;
}

const PROBLEMS: Problem[] = [
  ...MGH_PROBLEMS.map((p) => ({ name: p.name, x0: p.x0, p, fg: mghFG(p), hess: p.addHess ? mghHess(p) : undefined })),
  { name: "Extended Rosenbrock n=1000", x0: extendedRosenbrockStart(1000), p: { fStar: 0 }, fg: extendedRosenbrockFG },
];

interface Row {
  problem: string;
  method: string;
  solved: boolean;
  f: number;
  nit: number;
  nfev: number;
  status: string;
  ms: number;
  f0?: number;
}

function timed(run: () => MinimizeResult): { r: MinimizeResult; ms: number } {
  const repeats = quick ? 1 : 3;
  let best = Infinity;
  let r!: MinimizeResult;
  for (let k = 0; k < repeats; k++) {
    const t = performance.now();
    r = run();
    best = Math.min(best, performance.now() - t);
  }
  return { r, ms: best };
}

function descendRows(): Row[] {
  const rows: Row[] = [];
  // 'lbfgs/scipy-ftol': L-BFGS with L-BFGS-B's ftol, to show it stops where scipy does.
  const variants: Array<{ label: string; method: Method; ftol?: number }> = [
    { label: "lbfgs", method: "lbfgs" },
    { label: "lbfgs/scipy-ftol", method: "lbfgs", ftol: LBFGSB_FTOL },
    { label: "bfgs", method: "bfgs" },
    { label: "cg", method: "cg" },
    { label: "newton", method: "newton" },
    { label: "steepest", method: "steepest" },
  ];
  for (const { label, method, ftol } of variants) {
    for (const prob of PROBLEMS) {
      if (method === "newton" && !prob.hess) continue;
      const options = { method, ftol, hess: prob.hess, runtime: rt, maxIter: method === "steepest" ? 20000 : undefined };
      const { r, ms } = timed(() => minimize(prob.fg, prob.x0, options));
      const f0 = prob.fg(Float64Array.from(prob.x0), new Float64Array(prob.x0.length));
      rows.push({ problem: prob.name, method: label, solved: reachesMinimum(prob.p, r.f), f: r.f, nit: r.nit, nfev: r.nfev, status: r.status, ms, f0 });
    }
  }
  return rows;
}

interface Scipy {
  scipy: string;
  numpy: string;
  python: string;
  mgh: Array<{ problem: string; method: string; f: number; nit: number; nfev: number; success: boolean; message: string; ms: number; f0: number }>;
  large?: { n: number; iterations: number; nfev: number; msPerIteration: number; f: number };
}

function scipyAvailable(): boolean {
  return spawnSync("python3", ["-c", "import scipy"], { stdio: "ignore" }).status === 0;
}

function runScipy(n: number, iters: number): Scipy {
  const out = execFileSync("python3", ["bench/scipy/mgh.py", "--large", String(n), "--iters", String(iters), ...(args.includes("--bfgs-large") ? ["--bfgs-large"] : [])], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out) as Scipy;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** descend L-BFGS m = 10 on the wasm extended Rosenbrock: ms per iteration over `iters` iterations. */
function largeLBFGS(n: number, iters: number): { msPerIteration: number; nit: number; nfev: number } {
  const objective = extendedRosenbrock(rt, n);
  const x0 = extendedRosenbrockStart(n);
  let best = Infinity;
  let r!: MinimizeResult;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    r = minimize(objective, x0, { method: "lbfgs", memory: 10, maxIter: iters, gtol: 0, ftol: 0 });
    best = Math.min(best, (performance.now() - t) / Math.max(r.nit, 1));
  }
  objective.dispose();
  return { msPerIteration: best, nit: r.nit, nfev: r.nfev };
}

function main(): void {
  const env = environment();
  console.log(Object.entries(env).map(([k, v]) => `${k}: ${v}`).join(" | "));
  const rows = descendRows();
  console.log("\ndescend on the MGH set, default options");
  console.table(rows.map((r) => ({ problem: r.problem, method: r.method, solved: r.solved, f: r.f.toExponential(6), nit: r.nit, nfev: r.nfev, status: r.status, ms: Number(r.ms.toFixed(2)) })));

  const n = quick ? 100000 : 1000000;
  const iters = quick ? 10 : 30;
  const ours = largeLBFGS(n, iters);
  const report: Record<string, unknown> = { environment: env, descend: rows, large: { n, iterations: iters, descend: ours } };

  if (!scipyAvailable()) {
    console.log("\npython3 with scipy not found: the scipy comparison is skipped.");
  } else {
    const sp = runScipy(n, iters);
    report.scipy = sp;
    console.log(`\nscipy ${sp.scipy}, numpy ${sp.numpy}, python ${sp.python}`);
    // Same problems on both sides: f(x0) must agree.
    for (const s of sp.mgh) {
      const mine = rows.find((r) => r.problem === s.problem && r.method === "lbfgs")!;
      if (Math.abs(mine.f0! - s.f0) > 1e-12 * Math.max(1, Math.abs(s.f0))) throw new Error(`${s.problem}: f(x0) differs (${mine.f0} vs ${s.f0})`);
    }
    const summary = [];
    for (const [ours, theirs] of [["lbfgs", "L-BFGS-B"], ["lbfgs/scipy-ftol", "L-BFGS-B"], ["bfgs", "BFGS"]] as const) {
      const scipyRows = sp.mgh.filter((s) => s.method === theirs);
      const problems = scipyRows.map((s) => s.problem);
      const mineRows = rows.filter((r) => r.method === ours && problems.includes(r.problem));
      const solvedScipy = scipyRows.filter((s) => reachesMinimum(PROBLEMS.find((p) => p.name === s.problem)!.p, s.f));
      const solvedMine = mineRows.filter((r) => r.solved);
      const both = solvedMine.filter((r) => solvedScipy.some((s) => s.problem === r.problem)).map((r) => r.problem);
      const medMine = median(both.map((p) => mineRows.find((r) => r.problem === p)!.nfev));
      const medScipy = median(both.map((p) => scipyRows.find((s) => s.problem === p)!.nfev));
      console.log(`\n${ours} vs scipy ${theirs} (${problems.length} problems)`);
      console.table(problems.map((p) => {
        const m = mineRows.find((r) => r.problem === p)!;
        const s = scipyRows.find((r) => r.problem === p)!;
        return { problem: p, [`${ours} f`]: m.f.toExponential(4), [`${ours} nfev`]: m.nfev, [`${ours} solved`]: m.solved, [`${theirs} f`]: s.f.toExponential(4), [`${theirs} nfev`]: s.nfev, [`${theirs} solved`]: solvedScipy.includes(s), [`${ours} ms`]: Number(m.ms.toFixed(2)), [`${theirs} ms`]: Number(s.ms.toFixed(2)) };
      }));
      const line = {
        descend: ours, scipy: theirs, problems: problems.length,
        solvedDescend: solvedMine.length, solvedScipy: solvedScipy.length,
        bothSolved: both.length, medianNfevDescend: medMine, medianNfevScipy: medScipy,
        targetMet: solvedMine.length >= solvedScipy.length && medMine <= medScipy,
      };
      summary.push(line);
    }
    console.table(summary);
    report.summary = summary;
    if (sp.large) {
      const ratio = ours.msPerIteration / sp.large.msPerIteration;
      console.log(
        `\nL-BFGS m=10, extended Rosenbrock n=${n}, ${iters} iterations: descend wasm ${ours.msPerIteration.toFixed(2)} ms/iteration ` +
          `(${ours.nfev} evaluations), scipy L-BFGS-B ${sp.large.msPerIteration.toFixed(2)} ms/iteration (${sp.large.nfev} evaluations): ` +
          `ratio ${ratio.toFixed(2)} (target <= 1)`,
      );
      report.largeRatio = ratio;
    }
  }
  if (!report.scipy) console.log(`\nL-BFGS m=10, extended Rosenbrock n=${n}: descend wasm ${ours.msPerIteration.toFixed(2)} ms/iteration`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/minimize.json", JSON.stringify(report, null, 2));
}

main();
