// Turns measured cases into the harness's outputs: a terminal table per case, a Markdown
// summary, and SVG charts (speed-up over each peer per case; the family's metric vs size).
import { barChart, lineChart } from "../src/plot/svg";
import { metrics, type BenchCase, type Sample } from "./harness";

export interface CaseResult {
  case: BenchCase;
  samples: Sample[];
  skipped: Array<{ name: string; skipped: string }>;
  /** Set when the whole case failed; the run goes on. */
  error?: string;
}

/** The headline figure of a sample: GFLOP/s when the case counts flops, else ns per element, else µs. */
export function headline(c: BenchCase, s: Sample): { value: number; label: string; higherIsBetter: boolean } {
  const m = metrics(c, s);
  if (m.gflops !== undefined) return { value: m.gflops, label: "GFLOP/s", higherIsBetter: true };
  if (m.nsPerElement !== undefined) return { value: m.nsPerElement, label: c.unit ?? "ns/element", higherIsBetter: false };
  return { value: m.us, label: "µs", higherIsBetter: false };
}

/**
 * Rows of one case: every contender's figure, spread, time relative to descend-wasm, and, when
 * the case measures a bandwidth bound, the share of it each contender reaches.
 */
export function rows(r: CaseResult): Array<Record<string, string | number>> {
  const base = r.samples[0]?.median ?? NaN;
  const ceilings = [
    ["% of bound", r.samples.find((s) => s.contender === r.case.bound)?.median],
    ["% of peak", r.samples.find((s) => s.contender === r.case.peak)?.median],
  ] as const;
  return [
    ...r.samples.map((s) => {
      const h = headline(r.case, s);
      const row: Record<string, string | number> = {
        contender: s.contender,
        [h.label]: Number(h.value.toPrecision(4)),
        spread: `${(s.spread * 100).toFixed(1)}%`,
        "time vs first": Number((s.median / base).toFixed(2)),
      };
      for (const [label, ceiling] of ceilings) if (ceiling !== undefined) row[label] = `${((100 * ceiling) / s.median).toFixed(0)}%`;
      return row;
    }),
    ...r.skipped.map((s) => ({ contender: s.name, skipped: s.skipped })),
  ];
}

export function markdown(results: CaseResult[], envLine: string): string {
  const lines = [`# Benchmark results`, ``, envLine, ``];
  for (const family of [...new Set(results.map((r) => r.case.family))]) {
    lines.push(`## ${family}`, ``);
    for (const r of results.filter((x) => x.case.family === family)) {
      lines.push(`### ${r.case.name}`, ``);
      if (r.error) {
        lines.push(`failed: ${r.error}`, ``);
        continue;
      }
      const table = rows(r);
      const keys = [...new Set(table.flatMap((row) => Object.keys(row)))];
      lines.push(`| ${keys.join(" | ")} |`, `| ${keys.map(() => "---").join(" | ")} |`);
      for (const row of table) lines.push(`| ${keys.map((k) => String(row[k] ?? "")).join(" | ")} |`);
      lines.push(``);
    }
  }
  return lines.join("\n");
}

/** The contenders of a case that are ceilings (bound, peak), not implementations. */
function isCeiling(r: CaseResult, contender: string): boolean {
  return contender === r.case.bound || contender === r.case.peak;
}

/** Times faster than `peer` (peer time / descend time), to two significant digits. */
function ratio(peer: Sample, first: Sample): string {
  const x = peer.median / first.median;
  return `${x >= 10 ? x.toFixed(0) : x.toPrecision(2)}x`;
}

export const SUMMARY_LEGEND = "per case: descend-wasm's figure; Nx peer = the peer takes N times as long; % of the bound or peak";

/** One terminal line for a case: descend's figure, its ratio to every peer, its share of the bound or peak. */
export function summaryLine(r: CaseResult, nameWidth: number): string {
  const name = r.case.name.padEnd(nameWidth);
  const first = r.samples[0];
  if (r.error || !first) return `${name}  FAILED: ${r.error ?? "no sample"}`;
  const h = headline(r.case, first);
  const peers = r.samples.slice(1).filter((s) => !isCeiling(r, s.contender));
  const ceilings = ([["bound", r.case.bound], ["peak", r.case.peak]] as const).flatMap(([label, contender]) => {
    const ceiling = r.samples.find((s) => s.contender === contender);
    return ceiling ? [`${((100 * ceiling.median) / first.median).toFixed(0)}% of ${label}`] : [];
  });
  const figure = `${Number(h.value.toPrecision(3))} ${h.label}`.padEnd(16);
  return [`${name}  ${figure}`, peers.map((s) => `${ratio(s, first)} ${s.contender}`).join(", "), ...ceilings].filter(Boolean).join("   ");
}

/** One note per contender that could not run, with its reason (the same note once). */
export function skippedNotes(results: CaseResult[]): string[] {
  return [...new Set(results.flatMap((r) => r.skipped.map((s) => `${s.name} skipped: ${s.skipped}`)))];
}

/** Bars per speed-up chart (about 650 px of plot) and rows at most: a taller chart is split in pages. */
const BARS_PER_CHART = 40;
const ROWS_PER_CHART = 12;

/**
 * Speed-up of descend-wasm over every other implementation (peer time / descend time), one chart
 * per family, split in pages of at most {@link ROWS_PER_CHART} cases and about
 * {@link BARS_PER_CHART} bars: 'speedup-optim', 'speedup-optim-2', ...
 */
export function speedupCharts(results: CaseResult[]): Map<string, string> {
  const charts = new Map<string, string>();
  for (const family of [...new Set(results.map((r) => r.case.family))]) {
    const groups = results
      .filter((r) => r.case.family === family && r.samples.length > 1)
      .map((r) => ({
        label: r.case.name,
        bars: r.samples.slice(1).filter((s) => !isCeiling(r, s.contender)).map((s) => ({ name: s.contender, value: s.median / r.samples[0]!.median })),
      }))
      .filter((g) => g.bars.length);
    const contenders = new Set(groups.flatMap((g) => g.bars.map((b) => b.name))).size;
    const pages = Math.ceil(groups.length / Math.max(4, Math.min(ROWS_PER_CHART, Math.floor(BARS_PER_CHART / contenders))));
    const rows = Math.ceil(groups.length / pages); // pages of even length
    for (let page = 0; page < pages; page++) {
      const part = pages > 1 ? ` (${page + 1} of ${pages})` : "";
      charts.set(
        `speedup-${family}${page ? `-${page + 1}` : ""}`,
        barChart({
          title: `${family}: descend-wasm speed-up over each contender${part}`,
          xLabel: "speed-up (x, log scale): contender time / descend-wasm time",
          groups: groups.slice(page * rows, (page + 1) * rows),
          reference: 1,
          logX: true,
        }),
      );
    }
  }
  return charts;
}

/** One chart per chart key (default the family) with sizes: each contender's headline figure against the case size. */
export function familyCharts(results: CaseResult[]): Map<string, string> {
  const charts = new Map<string, string>();
  const key = (r: CaseResult) => r.case.chart ?? r.case.family;
  for (const family of [...new Set(results.map(key))]) {
    const sized = results.filter((r) => key(r) === family && r.case.size !== undefined && r.samples.length);
    if (sized.length < 2) continue;
    const names = [...new Set(sized.flatMap((r) => r.samples.map((s) => s.contender)))];
    const label = headline(sized[0]!.case, sized[0]!.samples[0]!).label;
    const series = names.map((name) => ({
      name,
      points: sized.flatMap((r) => {
        const s = r.samples.find((x) => x.contender === name);
        return s ? [[r.case.size!, headline(r.case, s).value] as const] : [];
      }),
    }));
    charts.set(family, lineChart({ title: `${family}: ${label} vs size`, xLabel: "size", yLabel: label, series, logX: true, logY: true }));
  }
  return charts;
}
