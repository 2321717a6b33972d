import { describe, expect, it } from "vitest";
import { skippedNotes, speedupCharts, summaryLine, type CaseResult } from "../../bench/report";
import type { BenchCase, Sample } from "../../bench/harness";

const sample = (contender: string, median: number): Sample => ({ contender, msPerOp: [median], median, spread: 0 });

function adamCase(n: number, family = "adam"): CaseResult {
  const c: BenchCase = { family, name: `adam n=${n}`, size: n, elements: n, unit: "ns/param", bound: "bound (stream k=3)", contenders: () => [] };
  const base = n * 5e-7; // 0.5 ns/param
  return {
    case: c,
    samples: [sample("descend-wasm", base), sample("descend-js", 25 * base), sample("bound (stream k=3)", 0.39 * base), sample("tfjs-wasm (1 thread)", 7.1 * base)],
    skipped: [{ name: "tfjs-cpu", skipped: "not installed" }],
  };
}

describe("the bench's terminal summary", () => {
  it("gives one line per case: descend's figure, the ratio to each peer, the share of the bound", () => {
    const line = summaryLine(adamCase(1e6), 12);
    expect(line).not.toMatch(/\n/);
    expect(line).toMatch(/^adam n=1000000 +0\.5 ns\/param +25x descend-js, 7\.1x tfjs-wasm \(1 thread\) +39% of bound$/);
    expect(line.length).toBeLessThan(100);
  });

  it("says FAILED with the reason for a failed case", () => {
    const failed: CaseResult = { ...adamCase(10), samples: [], error: "out of memory" };
    expect(summaryLine(failed, 10)).toBe("adam n=10   FAILED: out of memory");
  });

  it("notes each skipped contender once", () => {
    expect(skippedNotes([adamCase(10), adamCase(100)])).toEqual(["tfjs-cpu skipped: not installed"]);
  });
});

describe("the speed-up charts", () => {
  const results = [...Array.from({ length: 30 }, (_, i) => adamCase(10 * (i + 1), "optim")), adamCase(5, "adam")];
  const charts = speedupCharts(results);

  it("are one per family, split in pages of at most 12 cases", () => {
    expect([...charts.keys()]).toEqual(["speedup-optim", "speedup-optim-2", "speedup-optim-3", "speedup-adam"]);
    for (const svg of charts.values()) {
      const height = Number(svg.match(/height="(\d+)"/)![1]);
      const width = Number(svg.match(/width="(\d+)"/)![1]);
      expect(height).toBeLessThanOrEqual(800);
      expect(width).toBeLessThanOrEqual(1000);
    }
    expect(charts.get("speedup-optim-3")!).toMatch(/optim: descend-wasm speed-up over each contender \(3 of 3\)/);
  });

  it("show peers, not the bandwidth bound, with fonts of 11 px or more", () => {
    const svg = charts.get("speedup-adam")!;
    expect(svg).toContain(">descend-js<");
    expect(svg).not.toContain(">bound (stream k=3)<");
    for (const [, size] of svg.matchAll(/font-size="(\d+)"/g)) expect(Number(size)).toBeGreaterThanOrEqual(11);
  });

  it("leave room for the longest case name", () => {
    const long = adamCase(1e6);
    long.case = { ...long.case, name: "adam + global-norm clip + non-finite check n=1e+6" };
    const svg = speedupCharts([long]).get("speedup-adam")!;
    const label = svg.match(/<text x="([\d.]+)" y="[\d.]+" text-anchor="end">adam \+ global/)!;
    expect(Number(label[1])).toBeGreaterThanOrEqual(long.case.name.length * 12 * 0.55);
  });
});
