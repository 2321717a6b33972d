// Every schedule of descend over 300 steps: a terminal chart per schedule, and one SVG with
// all of them as small multiples. Run: npx tsx examples/schedules.ts [--out schedules.svg] [--steps 300]
import { writeFileSync } from "node:fs";
import { escapeXml } from "../src/plot/svg";
import {
  ReduceOnPlateau,
  chainSchedules,
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  inverseTimeDecay,
  joinSchedules,
  linearSchedule,
  linearWarmup,
  multiStepDecay,
  oneCycle,
  oneCycleMomentum,
  polynomialDecay,
  sample,
  sgdr,
  stepDecay,
  warmupCosine,
} from "../src/index";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const steps = Number(option("steps", "300"));
const out = option("out", "schedules.svg");
const lr = 0.1;

/** The lr curve ReduceOnPlateau produces for a loss that falls, then stalls at 0.3. */
function plateauCurve(length: number): Float64Array {
  const groups = [{ lr }];
  const plateau = new ReduceOnPlateau({ paramGroups: groups }, { factor: 0.5, patience: 15, cooldown: 5 });
  const curve = new Float64Array(length);
  for (let t = 0; t < length; t++) {
    curve[t] = groups[0]!.lr;
    const loss = Math.max(0.3, Math.exp(-t / 40)) + 0.002 * Math.sin(t);
    plateau.step(loss);
  }
  return curve;
}

const curves: Array<{ name: string; values: Float64Array }> = [
  { name: "constantSchedule(0.1)", values: sample(constantSchedule(lr), steps) },
  { name: "linearSchedule (book 8.14, tau 200)", values: sample(linearSchedule({ init: lr, end: lr / 100, steps: 200 }), steps) },
  { name: "exponentialDecay (alpha 0.01)", values: sample(exponentialDecay({ init: lr, alpha: 0.01 }), steps) },
  { name: "inverseTimeDecay (alpha 0.02)", values: sample(inverseTimeDecay({ init: lr, alpha: 0.02 }), steps) },
  { name: "stepDecay (every 100, x0.5)", values: sample(stepDecay({ init: lr, stepSize: 100, gamma: 0.5 }), steps) },
  { name: "multiStepDecay ([100, 200, 250], x0.3)", values: sample(multiStepDecay({ init: lr, milestones: [100, 200, 250], gamma: 0.3 }), steps) },
  { name: "polynomialDecay (power 2)", values: sample(polynomialDecay({ init: lr, steps, power: 2 }), steps) },
  { name: "cosineDecay", values: sample(cosineDecay({ init: lr, steps, end: lr / 100 }), steps) },
  { name: "sgdr (T0 20, Tmult 2)", values: sample(sgdr({ init: lr, T0: 20, Tmult: 2, end: lr / 100 }), steps) },
  { name: "sgdr (T0 50, peakDecay 0.7)", values: sample(sgdr({ init: lr, T0: 50, peakDecay: 0.7 }), steps) },
  { name: "linearWarmup (50 steps)", values: sample(linearWarmup({ peak: lr, steps: 50 }), steps) },
  { name: "warmupCosine (30 + 270)", values: sample(warmupCosine({ peak: lr, warmupSteps: 30, steps }), steps) },
  { name: "oneCycle", values: sample(oneCycle({ peak: lr, steps }), steps) },
  { name: "oneCycle (three phases, linear)", values: sample(oneCycle({ peak: lr, steps, threePhase: true, anneal: "linear" }), steps) },
  { name: "oneCycleMomentum (beta1)", values: sample(oneCycleMomentum({ steps }), steps) },
  {
    name: "joinSchedules (constant | exponential)",
    values: sample(joinSchedules([constantSchedule(lr), exponentialDecay({ init: lr, alpha: 0.02 })], [100]), steps),
  },
  {
    name: "chainSchedules (sgdr x warm-up)",
    values: sample(chainSchedules(sgdr({ init: lr, T0: 100 }), linearWarmup({ peak: 1, steps: 40 })), steps),
  },
  { name: "ReduceOnPlateau (loss stalls at 0.3)", values: plateauCurve(steps) },
];

// ---- terminal: an area chart of eighth-blocks per schedule, one column per `stride` steps
const WIDTH = 75;
const HEIGHT = 6;
const BLOCKS = " ▁▂▃▄▅▆▇█";

function terminalChart(values: Float64Array): string[] {
  const stride = Math.max(1, Math.ceil(values.length / WIDTH));
  const columns: number[] = [];
  for (let c = 0; c * stride < values.length; c++) columns.push(values[c * stride]!);
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const rows: string[] = [];
  for (let r = HEIGHT - 1; r >= 0; r--) {
    let line = "";
    for (const v of columns) {
      const eighths = Math.round(((v - min) / span) * HEIGHT * 8) - r * 8;
      line += BLOCKS[Math.max(0, Math.min(8, eighths))];
    }
    rows.push(line);
  }
  return rows;
}

for (const { name, values } of curves) {
  const max = Math.max(...values);
  console.log(`\n${name}   start ${fmt(values[0]!)}  max ${fmt(max)}  end ${fmt(values[values.length - 1]!)}`);
  const rows = terminalChart(values);
  rows.forEach((row, i) => console.log(`${i === 0 ? fmt(max).padStart(9) : " ".repeat(9)} │${row}`));
  console.log(`${" ".repeat(9)} └${"─".repeat(rows[0]!.length)} ${values.length} steps`);
}

function fmt(x: number): string {
  return x === 0 ? "0" : Math.abs(x) >= 0.01 ? x.toFixed(3) : x.toExponential(1);
}

// ---- SVG: small multiples, 3 per row, each scaled to its own maximum
const COLS = 3;
const PANEL_W = 300;
const PANEL_H = 150;
const PAD = 28;
const rowsCount = Math.ceil(curves.length / COLS);
const panels = curves.map(({ name, values }, k) => {
  const x0 = (k % COLS) * PANEL_W;
  const y0 = Math.floor(k / COLS) * PANEL_H;
  const max = Math.max(...values) || 1;
  const plotW = PANEL_W - 2 * PAD;
  const plotH = PANEL_H - 2 * PAD;
  const points = Array.from(values, (v, t) => {
    const x = x0 + PAD + (t / Math.max(1, values.length - 1)) * plotW;
    const y = y0 + PAD + plotH - (v / max) * plotH;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
  return [
    `<rect x="${x0 + PAD}" y="${y0 + PAD}" width="${plotW}" height="${plotH}" fill="#f7f7f7" stroke="#ccc"/>`,
    `<text x="${x0 + PAD}" y="${y0 + PAD - 8}" font-size="11">${escapeXml(name)}</text>`,
    `<text x="${x0 + PAD - 3}" y="${y0 + PAD + 4}" font-size="8" text-anchor="end">${fmt(max)}</text>`,
    `<text x="${x0 + PAD - 3}" y="${y0 + PAD + plotH}" font-size="8" text-anchor="end">0</text>`,
    `<text x="${x0 + PAD + plotW}" y="${y0 + PAD + plotH + 11}" font-size="8" text-anchor="end">${values.length}</text>`,
    `<polyline points="${points}" fill="none" stroke="#1f6fb2" stroke-width="1.5"/>`,
  ].join("\n");
});

const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${COLS * PANEL_W}" height="${rowsCount * PANEL_H}" font-family="sans-serif">`,
  `<rect width="100%" height="100%" fill="white"/>`,
  ...panels,
  `</svg>`,
].join("\n");
writeFileSync(out, svg);
console.log(`\n${curves.length} schedules over ${steps} steps written to ${out}`);
