import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { build } from "vite";
import { serveFolder, type Served } from "../helpers/preview";
import { hasChromium, launchChromium } from "../helpers/chromium";
import { initSyncWithTwins } from "../helpers/runtime";
import { Adam } from "../../src/optim/adam";

/** The app's program, in Node, for comparison. */
function expected(): number[] {
  const rt = initSyncWithTwins();
  const w = rt.param([5], { values: [1, 2, 3, 4, 5] });
  const opt = new Adam(rt, [w], { lr: 0.1 });
  for (let t = 0; t < 10; t++) {
    w.grad.set(Array.from(w.data, (x) => 2 * x));
    opt.step();
  }
  return Array.from(w.data);
}

describe.skipIf(!hasChromium)("a Vite app importing descend, in headless Chromium", () => {
  let server: Served;
  let browser: Browser;

  beforeAll(async () => {
    const outDir = mkdtempSync(join(tmpdir(), "descend-vite-"));
    await build({ configFile: "examples/vite-app/vite.config.ts", build: { outDir, emptyOutDir: true } });
    server = await serveFolder(outDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("bundles with Vite (wasm inside, nothing to configure) and computes what Node computes", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined);
    const result = await page.evaluate(() => (window as unknown as { __result: { ok: boolean; values?: number[]; error?: string } }).__result);
    expect(result.ok, result.error).toBe(true);
    expect(result.values).toEqual(expected());
    await page.close();
  });
});
