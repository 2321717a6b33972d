import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startStaticServer, type StaticServer } from "../../scripts/static-server";
import { hasChromium, launchChromium } from "../helpers/chromium";
import { initSync } from "../../src/runtime/init";
import { train, type TrainOptions } from "../../src/demo/train";
import { RACERS } from "../../src/race/race";
import { SURFACES } from "../../src/race/surfaces";
import { quickBench } from "../../examples/web/quick-bench";

/** Screenshots and the in-browser benchmark figures land here (ignored by git). */
const ARTIFACTS = "test-results/browser";

interface DemoState {
  ready: boolean;
  playground: Record<string, Array<{ name: string; steps: number | null; final: number }>>;
  training: { losses: number[]; testAccuracy: number; done: boolean; error?: string };
  bench: Array<{ name: string; backend: string; perUnit: number; unit: string }>;
  benchDone: boolean;
}
const demo = (page: Page) => page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo);

describe.skipIf(!hasChromium)("the web demo in headless Chromium", () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "pipe" });
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startStaticServer(".");
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${server.url}/examples/web/`);
    await page.waitForFunction(() => (window as unknown as { __demo?: DemoState }).__demo?.ready === true, null, { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
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

  it("trains with a fixed seed in a worker and matches Node's losses", async () => {
    const options: TrainOptions = { dataset: "glyphs", optimizer: "adam", lr: 1e-3, epochs: 1, batch: 128, hidden: 64, samples: 1500, seed: 3 };
    for (const [id, value] of [["train-epochs", 1], ["train-hidden", 64], ["train-samples", 1500], ["train-seed", 3], ["train-lr", 0.001]] as const) {
      await page.fill(`#${id}`, String(value));
    }
    await page.click("#train");
    await page.waitForFunction(() => {
      const t = (window as unknown as { __demo: DemoState }).__demo.training;
      return t.done || t.error !== undefined;
    }, null, { timeout: 120_000 });
    const browserRun = (await demo(page)).training;
    expect(browserRun.error).toBeUndefined();
    const nodeRun = train(initSync({ backend: "wasm" }), options);
    expect(browserRun.losses).toHaveLength(nodeRun.losses.length);
    // Same wasm, same data generator: the losses agree to 1e-6 relative (bit for bit in practice).
    browserRun.losses.forEach((loss, i) => expect(Math.abs(loss - nodeRun.losses[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(nodeRun.losses[i]!)));
    expect(browserRun.testAccuracy).toBe(nodeRun.testAccuracy);
    await page.locator("#training").screenshot({ path: `${ARTIFACTS}/training.png` });
  }, 180_000);

  it("runs the quick benchmark in the browser, wasm faster than js", async () => {
    await page.click("#bench");
    await page.waitForFunction(() => (window as unknown as { __demo: DemoState }).__demo.benchDone, null, { timeout: 120_000 });
    const rows = (await demo(page)).bench;
    expect(rows.map((r) => r.backend)).toEqual(["wasm", "wasm", "js", "js"]);
    // The same benchmark code in Node, for the Node-vs-Chromium comparison.
    const node: Array<{ name: string; backend: string; perUnit: number; unit: string }> = [];
    await quickBench(["wasm", "js"], (row) => node.push(row));
    const comparison = rows.map((r, i) => ({ case: r.name, backend: r.backend, unit: r.unit, chromium: r.perUnit, node: node[i]!.perUnit }));
    writeFileSync(`${ARTIFACTS}/bench-node-vs-chromium.json`, JSON.stringify(comparison, null, 2));
    await page.locator("#benchmark").screenshot({ path: `${ARTIFACTS}/benchmark.png` });
    expect(errors).toEqual([]);
  }, 180_000);
});
