// The descend demo page: an optimizer playground on canvas contour plots, live training of the
// demo network in a worker, and a quick wasm-vs-js benchmark in this browser.
import { init } from "../../src/runtime/init";
import { RACERS, run, type RaceResult } from "../../src/race/race";
import { SURFACES, type Surface } from "../../src/race/surfaces";
import { marchingSquares, quantileLevels } from "../../src/plot/contour";
import { PALETTE } from "../../src/plot/svg";
import { seededUniform } from "../../src/data/dataset";
import type { Reply, Request } from "./protocol";
import type { TrainOptions } from "../../src/demo/train";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the page exposes for its end-to-end tests (and the curious, in the console). */
interface DemoState {
  ready: boolean;
  playground: Record<string, Array<Pick<RaceResult, "name" | "steps" | "final">>>;
  training: { losses: number[]; testAccuracy: number; done: boolean; error?: string };
  bench: Array<{ name: string; backend: string; perUnit: number; unit: string }>;
  benchDone: boolean;
}
const state: DemoState = { ready: false, playground: {}, training: { losses: [], testAccuracy: 0, done: false }, bench: [], benchDone: false };
(window as unknown as { __demo: DemoState }).__demo = state;

// ---- playground ---------------------------------------------------------------------------

const rtPromise = init();

function drawSurface(ctx: CanvasRenderingContext2D, surface: Surface): (x: number, y: number) => [number, number] {
  const { width, height } = ctx.canvas;
  const [x0, x1] = surface.view.x;
  const [y0, y1] = surface.view.y;
  const values = new Float64Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) values[j * width + i] = surface.f(x0 + ((x1 - x0) * i) / (width - 1), y1 - ((y1 - y0) * j) / (height - 1));
  }
  // Shade by the rank of log-ish value so every surface shows its valleys.
  const levels = quantileLevels(values, 24);
  const image = ctx.createImageData(width, height);
  values.forEach((v, k) => {
    let band = 0;
    while (band < levels.length && v > levels[band]!) band++;
    const t = band / levels.length;
    image.data.set([Math.round(250 - 150 * t), Math.round(250 - 110 * t), Math.round(255 - 60 * t), 255], 4 * k);
  });
  ctx.putImageData(image, 0, 0);
  ctx.strokeStyle = "rgba(40, 40, 60, 0.35)";
  ctx.lineWidth = 1;
  for (const level of levels) {
    ctx.beginPath();
    for (const [i0, j0, i1, j1] of marchingSquares(values, width, height, level)) {
      ctx.moveTo(i0!, j0!);
      ctx.lineTo(i1!, j1!);
    }
    ctx.stroke();
  }
  return (x, y) => [((x - x0) / (x1 - x0)) * (width - 1), ((y1 - y) / (y1 - y0)) * (height - 1)];
}

async function runPlayground(): Promise<void> {
  const rt = await rtPromise;
  const surface = SURFACES.find((s) => s.name === $<HTMLSelectElement>("surface").value)!;
  const choice = $<HTMLSelectElement>("optimizer").value;
  const racers = choice === "all" ? RACERS : RACERS.filter((r) => r.name === choice);
  const lrScale = Number($<HTMLInputElement>("lr-scale").value);
  const steps = Number($<HTMLInputElement>("steps").value);
  const noise = Number($<HTMLInputElement>("noise").value);
  const uniform = seededUniform(1);
  const results = racers.map((racer) =>
    run(rt, surface, { ...racer, lr: Object.fromEntries(Object.entries(racer.lr).map(([k, v]) => [k, v * lrScale])) as typeof racer.lr }, { steps, noise, uniform }),
  );
  state.playground[`${surface.name}/${choice}`] = results.map(({ name, steps: s, final }) => ({ name, steps: s, final }));
  const canvas = $<HTMLCanvasElement>("surface-canvas");
  const ctx = canvas.getContext("2d")!;
  const toPixel = drawSurface(ctx, surface);
  $("playground-table").innerHTML = results
    .map((r, k) => `<tr><td><span class="swatch" style="background:${PALETTE[RACERS.indexOf(racers[k]!) % PALETTE.length]}"></span>${r.name}</td><td>${r.steps ?? "-"}</td><td>${Number.isFinite(r.final) ? r.final.toExponential(2) : "diverged"}</td></tr>`)
    .join("");
  // Animate: reveal every trajectory a few points per frame.
  const background = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const longest = Math.max(...results.map((r) => r.trajectory.length));
  const perFrame = Math.max(1, Math.ceil(longest / 120));
  await new Promise<void>((done) => {
    let shown = 1;
    const frame = () => {
      shown = Math.min(longest, shown + perFrame);
      ctx.putImageData(background, 0, 0);
      results.forEach((r, k) => {
        ctx.strokeStyle = PALETTE[RACERS.indexOf(racers[k]!) % PALETTE.length]!;
        ctx.lineWidth = 2;
        ctx.beginPath();
        r.trajectory.slice(0, shown).forEach(([x, y], n) => {
          const [px, py] = toPixel(x, y);
          if (n) ctx.lineTo(px, py);
          else ctx.moveTo(px, py);
        });
        ctx.stroke();
      });
      if (shown < longest) requestAnimationFrame(frame);
      else done();
    };
    requestAnimationFrame(frame);
  });
  $("playground-status").textContent = `${surface.title}: ${results.length} optimizer(s), ${steps} steps`;
}

// ---- training and benchmark (worker) -------------------------------------------------------

function drawLosses(losses: number[]): void {
  const canvas = $<HTMLCanvasElement>("loss-canvas");
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  if (losses.length < 2) return;
  const logs = losses.map((l) => Math.log10(Math.max(l, 1e-6)));
  const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
  ctx.strokeStyle = PALETTE[0]!;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  logs.forEach((v, i) => {
    const [x, y] = [(i / (logs.length - 1)) * (width - 20) + 10, height - 10 - ((v - lo) / (hi - lo || 1)) * (height - 20)];
    if (i) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#333";
  ctx.fillText(`loss ${losses.at(-1)!.toFixed(4)} (log scale)`, 14, 16);
}

function startWorker(request: Request, onReply: (reply: Reply) => void): void {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<Reply>) => {
    onReply(event.data);
    if (event.data.kind === "done" || event.data.kind === "error") worker.terminate();
  };
  worker.postMessage(request);
}

function startTraining(): void {
  const options: TrainOptions = {
    dataset: "glyphs",
    optimizer: $<HTMLSelectElement>("train-optimizer").value as TrainOptions["optimizer"],
    lr: Number($<HTMLInputElement>("train-lr").value),
    epochs: Number($<HTMLInputElement>("train-epochs").value),
    batch: 128,
    hidden: Number($<HTMLInputElement>("train-hidden").value),
    samples: Number($<HTMLInputElement>("train-samples").value),
    seed: Number($<HTMLInputElement>("train-seed").value),
  };
  state.training = { losses: [], testAccuracy: 0, done: false };
  const log = $("train-log");
  log.textContent = "";
  $<HTMLButtonElement>("train").disabled = true;
  startWorker({ kind: "train", options, backend: "wasm" }, (reply) => {
    if (reply.kind === "step") {
      state.training.losses.push(reply.loss);
      if (reply.step % 5 === 0 || reply.step === reply.total) drawLosses(state.training.losses);
      $("train-status").textContent = `step ${reply.step}/${reply.total}`;
    } else if (reply.kind === "epoch") {
      const r = reply.report;
      log.textContent += `epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, test accuracy ${(100 * r.testAccuracy).toFixed(2)}%, ${r.msPerStep.toFixed(1)} ms/step\n`;
    } else if (reply.kind === "trained") {
      state.training = { losses: reply.losses, testAccuracy: reply.testAccuracy, done: true };
      drawLosses(reply.losses);
      $("train-status").textContent = `done: test accuracy ${(100 * reply.testAccuracy).toFixed(2)}%, ${reply.msPerStep.toFixed(1)} ms/step`;
    } else if (reply.kind === "error") {
      state.training.error = reply.message;
      $("train-status").textContent = `error: ${reply.message}`;
    }
    if (reply.kind === "done" || reply.kind === "error") $<HTMLButtonElement>("train").disabled = false;
  });
}

function startBench(): void {
  state.bench = [];
  state.benchDone = false;
  const body = $("bench-table");
  body.innerHTML = "";
  $<HTMLButtonElement>("bench").disabled = true;
  startWorker({ kind: "bench", backends: ["wasm", "js"] }, (reply) => {
    if (reply.kind === "bench-row") {
      state.bench.push(reply);
      body.innerHTML += `<tr><td>${reply.name}</td><td>${reply.backend}</td><td>${reply.perUnit.toPrecision(3)} ${reply.unit}</td></tr>`;
    }
    if (reply.kind === "done" || reply.kind === "error") {
      state.benchDone = true;
      $<HTMLButtonElement>("bench").disabled = false;
      if (reply.kind === "error") body.innerHTML += `<tr><td colspan="3">error: ${reply.message}</td></tr>`;
    }
  });
}

// ---- wiring -----------------------------------------------------------------------------------

function fillSelect(id: string, values: string[]): void {
  $<HTMLSelectElement>(id).innerHTML = values.map((v) => `<option value="${v}">${v}</option>`).join("");
}

fillSelect("surface", SURFACES.map((s) => s.name));
fillSelect("optimizer", ["all", ...RACERS.map((r) => r.name)]);
$("run").addEventListener("click", () => void runPlayground());
$("train").addEventListener("click", startTraining);
$("bench").addEventListener("click", startBench);
$("env").textContent = `crossOriginIsolated: ${self.crossOriginIsolated}; ${navigator.userAgent}`;
rtPromise.then(async () => {
  await runPlayground();
  state.ready = true;
});
