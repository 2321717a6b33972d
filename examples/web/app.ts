// The descend demo page: an optimizer playground on canvas contour plots, live training of the
// demo network in a worker, and a quick wasm-vs-js benchmark in this browser.
import { init } from "../../src/runtime/create";
import { RACERS, run, type RaceResult } from "../../src/race/race";
import { SURFACES, type Surface } from "../../src/race/surfaces";
import { equalAspect, quantileLevels, sampleGrid } from "../../src/plot/contour";
import { isolines } from "../../src/plot/isolines";
import { seriesStyle, strokeOf } from "../../src/plot/svg";
import { seededUniform } from "../../src/data/dataset";
import { OPTIMIZERS, planTraining, type TrainOptions } from "../../src/demo/train";
import type { Reply, Request } from "./protocol";
import { checkWhileTyping, readNumbers } from "./form";
import { MARGIN, drawAxes, drawStar, drawStart, frame, type Frame } from "./canvas";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What the page exposes for its end-to-end tests (and the curious, in the console). */
interface DemoState {
  ready: boolean;
  threads: boolean;
  playground: Record<string, Array<Pick<RaceResult, "name" | "steps" | "final">>>;
  training: { losses: number[]; testAccuracy: number; done: boolean; error?: string };
  bench: Array<{ name: string; backend: string; perUnit: number; unit: string; msPerOp: number }>;
  benchDone: boolean;
}
const state: DemoState = {
  ready: false,
  threads: self.crossOriginIsolated,
  playground: {},
  training: { losses: [], testAccuracy: 0, done: false },
  bench: [],
  benchDone: false,
};
(window as unknown as { __demo: DemoState }).__demo = state;

// ---- playground ---------------------------------------------------------------------------

const rtPromise = init();
/** Pixels along the longer side of the contour plot; the other side keeps x and y at 1:1. */
const PLOT_SIDE = 440;
const LEVELS = 24;

/** Draws the surface (shaded bands, contour lines, axes) sized to its view at 1:1. */
function drawSurface(canvas: HTMLCanvasElement, surface: Surface): Frame {
  const { x, y } = surface.view;
  const [w, h] = equalAspect(x, y, PLOT_SIDE);
  canvas.width = MARGIN.left + w + MARGIN.right;
  canvas.height = MARGIN.top + h + MARGIN.bottom;
  const ctx = canvas.getContext("2d")!;
  const xAxis = { lo: x[0], hi: x[1], label: "x" };
  const yAxis = { lo: y[0], hi: y[1], label: "y" };
  const plot = frame(MARGIN.left, MARGIN.top, w, h, xAxis, yAxis);
  // Shade each pixel by the band of levels it falls in (levels at quantiles: every surface
  // shows its valleys, however many decades it spans).
  const pixels = sampleGrid(surface.f, x, y, w, h);
  const levels = quantileLevels(pixels, LEVELS);
  const image = ctx.createImageData(w, h);
  for (let row = 0; row < h; row++) {
    for (let i = 0; i < w; i++) {
      const v = pixels[(h - 1 - row) * w + i]!;
      let band = 0;
      while (band < levels.length && v > levels[band]!) band++;
      const t = band / levels.length;
      image.data.set([Math.round(250 - 150 * t), Math.round(250 - 110 * t), Math.round(255 - 60 * t), 255], 4 * (row * w + i));
    }
  }
  ctx.putImageData(image, plot.left, plot.top);
  // Contour lines on a coarser grid, joined into paths.
  const [nx, ny] = equalAspect(x, y, 160).map((n) => n + 1) as [number, number];
  const grid = sampleGrid(surface.f, x, y, nx, ny);
  ctx.strokeStyle = "rgba(40, 40, 60, 0.35)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const level of levels) {
    for (const line of isolines(grid, nx, ny, level)) {
      for (let k = 0; k < line.points.length; k += 2) {
        const [px, py] = [plot.left + (line.points[k]! / (nx - 1)) * w, plot.top + h - (line.points[k + 1]! / (ny - 1)) * h];
        if (k) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
      }
      if (line.closed) ctx.closePath();
    }
  }
  ctx.stroke();
  drawAxes(ctx, plot, xAxis, yAxis);
  return plot;
}

/** The first `shown` points of each trajectory, in its racer's colour and dash pattern, clipped to the plot. */
function drawTrajectories(ctx: CanvasRenderingContext2D, plot: Frame, results: RaceResult[], shown: number): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.left, plot.top, plot.width, plot.height);
  ctx.clip();
  ctx.lineWidth = 2;
  for (const r of results) {
    const { colour, dash } = seriesStyle(RACERS.findIndex((racer) => racer.name === r.name));
    ctx.strokeStyle = colour;
    ctx.setLineDash(dash as number[]);
    ctx.beginPath();
    for (const [x, y] of r.trajectory.slice(0, shown)) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) break;
      ctx.lineTo(plot.x(x), plot.y(y));
    }
    ctx.stroke();
  }
  ctx.restore();
}

function swatch(racerName: string): string {
  const k = RACERS.findIndex((racer) => racer.name === racerName);
  return `<svg class="swatch" width="30" height="10"><line x1="1" x2="29" y1="5" y2="5" ${strokeOf(k)} stroke-width="2.5"/></svg>`;
}

async function runPlayground(): Promise<void> {
  const error = $("playground-error");
  error.textContent = "";
  const inputs = readNumbers({ lrScale: "lr-scale", steps: "steps", noise: "noise" });
  if (!inputs) return;
  const rt = await rtPromise;
  const surface = SURFACES.find((s) => s.name === $<HTMLSelectElement>("surface").value)!;
  const choice = $<HTMLSelectElement>("optimizer").value;
  const racers = choice === "all" ? RACERS : RACERS.filter((r) => r.name === choice);
  const uniform = seededUniform(1);
  let results: RaceResult[];
  try {
    results = racers.map((racer) => {
      const lr = Object.fromEntries(Object.entries(racer.lr).map(([k, v]) => [k, v * inputs.lrScale])) as typeof racer.lr;
      return run(rt, surface, { ...racer, lr }, { steps: inputs.steps, noise: inputs.noise, uniform });
    });
  } catch (cause) {
    error.textContent = messageOf(cause);
    return;
  }
  state.playground[`${surface.name}/${choice}`] = results.map(({ name, steps, final }) => ({ name, steps, final }));
  const canvas = $<HTMLCanvasElement>("surface-canvas");
  const ctx = canvas.getContext("2d")!;
  const plot = drawSurface(canvas, surface);
  $("playground-table").innerHTML = results
    .map((r) => `<tr><td>${swatch(r.name)}${r.name}</td><td class="number">${r.steps ?? "-"}</td><td class="number">${Number.isFinite(r.final) ? r.final.toExponential(2) : "diverged"}</td></tr>`)
    .join("");
  // Animate: reveal every trajectory a few points per frame, then mark the start and the minimum.
  const background = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const longest = Math.max(...results.map((r) => r.trajectory.length));
  const perFrame = Math.max(1, Math.ceil(longest / 120));
  await new Promise<void>((done) => {
    let shown = 1;
    const draw = () => {
      shown = Math.min(longest, shown + perFrame);
      ctx.putImageData(background, 0, 0);
      drawTrajectories(ctx, plot, results, shown);
      drawStart(ctx, plot.x(surface.start[0]), plot.y(surface.start[1]));
      if (surface.minimum) drawStar(ctx, plot.x(surface.minimum[0]), plot.y(surface.minimum[1]));
      if (shown < longest) requestAnimationFrame(draw);
      else done();
    };
    requestAnimationFrame(draw);
  });
  const marks = surface.minimum ? "○ start, ★ minimum" : "○ start";
  $("playground-status").textContent = `${surface.title}: ${results.length} optimizer(s), ${inputs.steps} steps; ${marks}`;
}

// ---- training and benchmark (worker) -------------------------------------------------------

/** Training loss per step on a log axis, over the run's `total` steps. */
function drawLosses(losses: number[], total: number): void {
  const canvas = $<HTMLCanvasElement>("loss-canvas");
  const ctx = canvas.getContext("2d")!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const finite = losses.filter((l) => Number.isFinite(l) && l > 0);
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  const xAxis = { lo: 1, hi: Math.max(2, total), label: "step" };
  const yAxis = { lo: lo === hi ? lo / 2 : lo, hi: lo === hi ? hi * 2 : hi, label: "training loss", log: true };
  const plot = frame(MARGIN.left, MARGIN.top, canvas.width - MARGIN.left - MARGIN.right, canvas.height - MARGIN.top - MARGIN.bottom, xAxis, yAxis);
  drawAxes(ctx, plot, xAxis, yAxis);
  ctx.strokeStyle = seriesStyle(0).colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  losses.forEach((loss, i) => {
    if (Number.isFinite(loss) && loss > 0) ctx.lineTo(plot.x(i + 1), plot.y(loss));
  });
  ctx.stroke();
}

function startWorker(request: Request, onReply: (reply: Reply) => void): void {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<Reply>) => {
    onReply(event.data);
    if (event.data.kind === "done" || event.data.kind === "error") worker.terminate();
  };
  worker.postMessage(request);
}

/** The form's options, or null with the reason shown (per field, or the library's ValueError). */
function readTraining(): { options: TrainOptions; threads: number } | null {
  const n = readNumbers({
    lr: "train-lr", epochs: "train-epochs", batch: "train-batch", hidden: "train-hidden",
    samples: "train-samples", seed: "train-seed", threads: "train-threads",
  });
  if (!n) return null;
  const { threads, ...numbers } = n;
  const options: TrainOptions = { dataset: "glyphs", optimizer: $<HTMLSelectElement>("train-optimizer").value as TrainOptions["optimizer"], ...numbers };
  try {
    planTraining(options); // what only the whole set of options can rule out
  } catch (error) {
    $("train-error").textContent = messageOf(error);
    return null;
  }
  return { options, threads };
}

function startTraining(): void {
  $("train-error").textContent = "";
  const form = readTraining();
  if (!form) return;
  state.training = { losses: [], testAccuracy: 0, done: false };
  const log = $("train-log");
  log.textContent = "";
  $<HTMLButtonElement>("train").disabled = true;
  startWorker({ kind: "train", options: form.options, backend: "wasm", threads: form.threads }, (reply) => {
    if (reply.kind === "step") {
      state.training.losses.push(reply.loss);
      if (reply.step % 5 === 0 || reply.step === reply.total) drawLosses(state.training.losses, reply.total);
      $("train-status").textContent = `step ${reply.step}/${reply.total}`;
    } else if (reply.kind === "epoch") {
      const r = reply.report;
      log.textContent += `epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, test accuracy ${(100 * r.testAccuracy).toFixed(2)}%, ${r.msPerStep.toFixed(1)} ms/step\n`;
    } else if (reply.kind === "trained") {
      state.training = { losses: reply.losses, testAccuracy: reply.testAccuracy, done: true };
      drawLosses(reply.losses, reply.losses.length);
      $("train-status").textContent =
        `done: test accuracy ${(100 * reply.testAccuracy).toFixed(2)}%, ${reply.msPerStep.toFixed(1)} ms/step, ${form.threads} thread(s)`;
    } else if (reply.kind === "error") {
      state.training.error = reply.message;
      $("train-error").textContent = reply.message;
      $("train-status").textContent = "";
    }
    if (reply.kind === "done" || reply.kind === "error") $<HTMLButtonElement>("train").disabled = false;
  });
}

/** The benchmark rows; each wasm row says how many times faster it ran than js at the same size. */
function renderBench(): void {
  $("bench-table").innerHTML = state.bench
    .map((row) => {
      const js = state.bench.find((r) => r.name === row.name && r.backend === "js");
      const ratio = row.backend === "wasm" && js ? `${(js.msPerOp / row.msPerOp).toFixed(1)}× faster` : "";
      return `<tr><td>${row.name}</td><td>${row.backend}</td><td class="number">${row.perUnit.toPrecision(3)} ${row.unit}</td><td class="number">${ratio}</td></tr>`;
    })
    .join("");
}

function startBench(): void {
  state.bench = [];
  state.benchDone = false;
  renderBench();
  $<HTMLButtonElement>("bench").disabled = true;
  startWorker({ kind: "bench", backends: ["wasm", "js"] }, (reply) => {
    if (reply.kind === "bench-row") {
      state.bench.push(reply);
      renderBench();
    }
    if (reply.kind === "done" || reply.kind === "error") {
      state.benchDone = true;
      $<HTMLButtonElement>("bench").disabled = false;
      if (reply.kind === "error") $("bench-table").innerHTML += `<tr><td colspan="4" class="form-error">error: ${reply.message}</td></tr>`;
    }
  });
}

// ---- wiring -----------------------------------------------------------------------------------

function fillSelect(id: string, values: readonly string[]): void {
  $<HTMLSelectElement>(id).innerHTML = values.map((v) => `<option value="${v}">${v}</option>`).join("");
}

/** Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages. */
function setUpThreads(): void {
  const input = $<HTMLInputElement>("train-threads");
  if (!self.crossOriginIsolated) {
    input.disabled = true;
    input.title = "threads need a cross-origin isolated page (COOP/COEP headers)";
    return;
  }
  input.max = "16";
  input.value = String(Math.min(4, navigator.hardwareConcurrency || 1));
}

fillSelect("surface", SURFACES.map((s) => s.name));
fillSelect("optimizer", ["all", ...RACERS.map((r) => r.name)]);
fillSelect("train-optimizer", OPTIMIZERS);
$<HTMLSelectElement>("train-optimizer").value = "adam";
setUpThreads();
checkWhileTyping(document.body);
$("run").addEventListener("click", () => void runPlayground());
$("train").addEventListener("click", startTraining);
$("bench").addEventListener("click", startBench);
$("env").textContent =
  `threads: ${self.crossOriginIsolated ? "available (cross-origin isolated)" : "unavailable (not cross-origin isolated)"}; ${navigator.userAgent}`;
rtPromise.then(async () => {
  await runPlayground();
  state.ready = true;
});
