import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { startPreview, type Served } from "../helpers/preview";
import { hasChromium, launchChromium } from "../helpers/chromium";
import { initSyncWithTwins } from "../helpers/runtime";
import { train, type TrainOptions } from "../../src/demo/train";
import { RACERS } from "../../src/race/race";
import { SURFACES } from "../../src/race/surfaces";
import { quickBench } from "../../examples/web/quick-bench";

/** Screenshots and the in-browser benchmark figures land here (ignored by git). */
const ARTIFACTS = "test-results/browser";

/** The demo's Vite config: the page with its worker, served with the cross-origin-isolation headers. */
const CONFIG = "examples/web/vite.config.ts";

interface DemoState {
  ready: boolean;
  threads: boolean;
  playground: Record<string, Array<{ name: string; steps: number | null; final: number }>>;
  training: { losses: number[]; testAccuracy: number; done: boolean; error?: string };
  bench: Array<{ name: string; backend: string; perUnit: number; unit: string; msPerOp: number }>;
  benchDone: boolean;
}
const demo = (page: Page) => page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo);

describe.skipIf(!hasChromium)("the web demo, built by Vite and served by its preview server, in headless Chromium", () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    await build({ configFile: CONFIG, logLevel: "error" });
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startPreview({ configFile: CONFIG });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => (window as unknown as { __demo?: DemoState }).__demo?.ready === true, null, { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("is cross-origin isolated, so threads (SharedArrayBuffer) are available", async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated && typeof SharedArrayBuffer === "function")).toBe(true);
    expect((await demo(page)).threads).toBe(true);
    expect(await page.locator("#env").innerText()).toMatch(/^threads: available/);
    expect(Number(await page.inputValue("#train-threads"))).toBeGreaterThanOrEqual(1);
  });

  describe("checks its inputs and says what is wrong next to them", () => {
    const fieldMessage = (id: string) => page.locator(`#${id}-error`).innerText();

    it("playground: lr × -1, steps -5 and an empty noise get a message each, and nothing runs", async () => {
      await page.selectOption("#surface", "quadratic");
      await page.selectOption("#optimizer", "SGD");
      await page.fill("#lr-scale", "-1");
      await page.fill("#steps", "-5");
      await page.fill("#noise", "");
      const before = Object.keys((await demo(page)).playground);
      await page.click("#run");
      expect(await fieldMessage("lr-scale")).toBe("lr ×: expected a number from 0.001 to 100");
      expect(await fieldMessage("steps")).toBe("steps: expected an integer from 1 to 20000");
      expect(await fieldMessage("noise")).toBe("gradient noise: expected a number from 0 to 10");
      expect(await page.getAttribute("#lr-scale", "aria-invalid")).toBe("true");
      await page.fill("#steps", "2.5");
      expect(await fieldMessage("steps")).toBe("steps: expected an integer from 1 to 20000"); // checked while typing
      expect(Object.keys((await demo(page)).playground)).toEqual(before);
      for (const [id, value] of [["lr-scale", "1"], ["steps", "1500"], ["noise", "0"]] as const) await page.fill(`#${id}`, value);
      await page.click("#run");
      await page.waitForFunction(() => "quadratic/SGD" in (window as unknown as { __demo: DemoState }).__demo.playground);
      expect(await page.locator(".field-error:visible").count()).toBe(0);
      expect(await page.getAttribute("#lr-scale", "aria-invalid")).toBe("false");
    });

    it("training: epochs 0 and samples 5 are refused under their fields; the library's ValueError shows for a batch it rejects", async () => {
      await page.fill("#train-epochs", "0");
      await page.fill("#train-samples", "5");
      await page.click("#train");
      expect(await fieldMessage("train-epochs")).toBe("epochs: expected an integer from 1 to 100");
      expect(await fieldMessage("train-samples")).toBe("samples: expected an integer from 100 to 100000");
      await page.fill("#train-epochs", "1");
      await page.fill("#train-samples", "100");
      await page.click("#train");
      // 100 samples leave 80 for training: less than one batch of 128 (planTraining's ValueError).
      expect(await page.locator("#train-error").innerText()).toBe(
        "batch 128 is larger than the 80 training examples of samples 100: lower batch or raise samples",
      );
      await page.fill("#train-samples", "1500");
      await page.fill("#train-batch", "1");
      await page.click("#train");
      expect(await page.locator("#train-error").innerText()).toMatch(/^norm 'batch' needs batch >= 2/);
      await page.fill("#train-batch", "128");
      expect((await demo(page)).training.losses).toEqual([]); // nothing was trained
      expect(errors).toEqual([]);
    });
  });

  it("runs the playground for every optimizer on every surface", async () => {
    for (const surface of SURFACES) {
      await page.selectOption("#surface", surface.name);
      for (const racer of RACERS) {
        await page.selectOption("#optimizer", racer.name);
        await page.click("#run");
        await page.waitForFunction((key) => key in (window as unknown as { __demo: DemoState }).__demo.playground, `${surface.name}/${racer.name}`);
        const [result] = (await demo(page)).playground[`${surface.name}/${racer.name}`]!;
        expect(result!.name).toBe(racer.name);
        // A run either ends at a finite value or is reported as diverged (Nesterov on Beale does).
        const row = await page.locator("#playground-table tr").first().innerText();
        expect(row).toMatch(Number.isFinite(result!.final) ? /\d\.\d+e[+-]\d+/ : /diverged/);
      }
      await page.selectOption("#optimizer", "all");
      await page.click("#run");
      await page.waitForFunction((key) => key in (window as unknown as { __demo: DemoState }).__demo.playground, `${surface.name}/all`);
      await page.waitForTimeout(2500); // let the animation finish before the picture
      await page.locator("#playground").screenshot({ path: `${ARTIFACTS}/playground-${surface.name}.png` });
    }
    expect(errors).toEqual([]);
  }, 180_000);

  it("trains with a fixed seed on 2 threads in a worker and matches Node's losses on 1", async () => {
    const options: TrainOptions = { dataset: "glyphs", optimizer: "adam", lr: 1e-3, epochs: 1, batch: 128, hidden: 64, samples: 1500, seed: 3 };
    const fields = [["train-epochs", 1], ["train-batch", 128], ["train-hidden", 64], ["train-samples", 1500], ["train-seed", 3], ["train-lr", 0.001], ["train-threads", 2]] as const;
    await page.selectOption("#train-optimizer", "adam");
    for (const [id, value] of fields) {
      await page.fill(`#${id}`, String(value));
    }
    await page.click("#train");
    await page.waitForFunction(() => {
      const t = (window as unknown as { __demo: DemoState }).__demo.training;
      return t.done || t.error !== undefined;
    }, null, { timeout: 120_000 });
    const browserRun = (await demo(page)).training;
    expect(browserRun.error).toBeUndefined();
    const nodeRun = train(initSyncWithTwins({ backend: "wasm" }), options);
    expect(browserRun.losses).toHaveLength(nodeRun.losses.length);
    // Same wasm, same data generator: the losses agree to 1e-6 relative (bit for bit in practice).
    browserRun.losses.forEach((loss, i) => expect(Math.abs(loss - nodeRun.losses[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(nodeRun.losses[i]!)));
    expect(browserRun.testAccuracy).toBe(nodeRun.testAccuracy);
    expect(await page.locator("#train-status").innerText()).toMatch(/2 thread\(s\)$/);
    expect(await page.locator("#train-error").innerText()).toBe("");
    await page.locator("#training").screenshot({ path: `${ARTIFACTS}/training.png` });
  }, 180_000);

  it("runs the quick benchmark in the browser at the same sizes for wasm and js, wasm faster", async () => {
    await page.click("#bench");
    await page.waitForFunction(() => (window as unknown as { __demo: DemoState }).__demo.benchDone, null, { timeout: 120_000 });
    const rows = (await demo(page)).bench;
    expect(rows.map((r) => r.backend)).toEqual(["wasm", "wasm", "js", "js"]);
    expect(rows.slice(2).map((r) => r.name)).toEqual(rows.slice(0, 2).map((r) => r.name));
    for (const [k, wasm] of rows.slice(0, 2).entries()) expect(wasm.msPerOp, wasm.name).toBeLessThan(rows[k + 2]!.msPerOp);
    expect(await page.locator("#bench-table tr").first().innerText()).toMatch(/\d+(\.\d)?× faster/);
    // The same benchmark code in Node, for the Node-vs-Chromium comparison.
    const node: Array<{ name: string; backend: string; perUnit: number; unit: string }> = [];
    await quickBench(["wasm", "js"], (row) => node.push(row));
    const comparison = rows.map((r, i) => ({ case: r.name, backend: r.backend, unit: r.unit, chromium: r.perUnit, node: node[i]!.perUnit }));
    writeFileSync(`${ARTIFACTS}/bench-node-vs-chromium.json`, JSON.stringify(comparison, null, 2));
    await page.locator("#benchmark").screenshot({ path: `${ARTIFACTS}/benchmark.png` });
    expect(errors).toEqual([]);
  }, 180_000);
});
