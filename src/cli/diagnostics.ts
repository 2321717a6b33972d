// `descend train --diagnostics`: each step's gradient norm, curvature along the gradient, and the
// second-order prediction of the loss change beside the observed one, as CSV, JSON and SVG.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChart } from "../plot/svg";
import type { Curvature } from "../demo/train";
import type { CurvatureMethod, StepDiagnostics } from "../training/step-diagnostics";

const COLUMNS = ["step", "loss", "lr", "gradNorm", "gHg", "predicted", "observed"] as const;

const METHOD_NAMES: Record<CurvatureMethod, string> = {
  exact: "exact Hessian-vector products through the tape (R-operator)",
  "central-differences": "central differences of gradients",
};

/** The stderr line that says how g^T H g was measured. */
export function curvatureLine(c: Curvature): string {
  return `diagnostics: g^T H g by ${METHOD_NAMES[c.method]} (${c.reason})`;
}

export interface DiagnosticsFiles {
  csv: string;
  json: string;
  /** The book's figure: the gradient norm and the loss against the step. */
  svg: string;
  /** The predicted against the observed loss change per step. */
  predictionSvg: string;
}

/**
 * Writes the diagnostics of a run to `out` as `diagnostics-<stem>.csv/.json/.svg` and
 * `prediction-<stem>.svg`. The method of g^T H g heads the CSV as a `#` comment line and is
 * the JSON's `curvature` (beside its `rows`).
 */
export function writeDiagnostics(rows: readonly StepDiagnostics[], curvature: Curvature, out: string, stem: string, title: string): DiagnosticsFiles {
  const files = {
    csv: join(out, `diagnostics-${stem}.csv`),
    json: join(out, `diagnostics-${stem}.json`),
    svg: join(out, `diagnostics-${stem}.svg`),
    predictionSvg: join(out, `prediction-${stem}.svg`),
  };
  const comment = `# gHg: ${curvature.method} (${curvature.reason})`;
  writeFileSync(files.csv, [comment, COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => r[c]).join(","))].join("\n") + "\n");
  writeFileSync(files.json, JSON.stringify({ curvature, rows }));
  writeFileSync(files.svg, lineChart({
    title: `${title}: gradient norm and loss (Goodfellow et al. 2016, Fig. 8.1)`,
    xLabel: "step",
    yLabel: "||g|| / loss",
    logY: true,
    series: [
      { name: "gradient norm ||g||", points: rows.map((r) => [r.step, r.gradNorm] as const) },
      { name: "minibatch loss", points: rows.map((r) => [r.step, r.loss] as const) },
    ],
  }));
  writeFileSync(files.predictionSvg, lineChart({
    title: `${title}: loss change per step`,
    xLabel: "step",
    yLabel: "loss change",
    series: [
      { name: "predicted eps²/2 gᵀHg - eps gᵀg", points: rows.map((r) => [r.step, r.predicted] as const) },
      { name: "observed", points: rows.map((r) => [r.step, r.observed] as const) },
    ],
  }));
  return files;
}

/** The text line of a run's diagnostics: how the gradient norm moved while the loss fell. */
export function diagnosticsLine(rows: readonly StepDiagnostics[], files: DiagnosticsFiles): string {
  const tenth = Math.max(1, Math.floor(rows.length / 10));
  const mean = (part: readonly StepDiagnostics[], key: "gradNorm" | "loss") => part.reduce((s, r) => s + r[key], 0) / part.length;
  const [head, tail] = [rows.slice(0, tenth), rows.slice(-tenth)];
  return (
    `diagnostics: ||g|| ${mean(head, "gradNorm").toPrecision(3)} -> ${mean(tail, "gradNorm").toPrecision(3)} while the loss went ` +
    `${mean(head, "loss").toPrecision(3)} -> ${mean(tail, "loss").toPrecision(3)} (first and last tenth of the steps); ` +
    `${files.csv}, ${files.svg}, ${files.predictionSvg}`
  );
}
