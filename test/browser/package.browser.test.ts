import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { serveFolder, type Served } from "../helpers/preview";
import { hasChromium, launchChromium } from "../helpers/chromium";
import { initSyncWithTwins } from "../helpers/runtime";
import { Adam } from "../../src/optim/adam";

/** The same program as fixtures/adam.html, in Node. */
function adamInNode(backend: "wasm" | "js"): number[] {
  const rt = initSyncWithTwins({ backend });
  const n = 37;
  const w = rt.param([n], { values: Array.from({ length: n }, (_, i) => Math.sin(i + 1)) });
  const opt = new Adam(rt, [w], { lr: 0.01 });
  for (let t = 1; t <= 25; t++) {
    w.grad.set(Array.from({ length: n }, (_, i) => Math.cos(t * (i + 1))));
    opt.step();
  }
  return Array.from(w.data);
}

describe.skipIf(!hasChromium)("the built package in headless Chromium", () => {
  let server: Served;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveFolder(".");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("imports dist/index.js as an ES module, finds its wasm, and matches Node bit for bit", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${server.url}/test/browser/fixtures/adam.html`);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined);
    const result = await page.evaluate(() => (window as unknown as { __result: Record<string, unknown> }).__result);
    expect(errors).toEqual([]);
    expect(result, String(result.error)).toMatchObject({ ok: true, crossOriginIsolated: false });
    const results = result.results as Record<"wasm" | "js", number[]>;
    // Same wasm bytes, same IEEE f32 operations: identical bits in Chromium and Node.
    expect(results.wasm).toEqual(adamInNode("wasm"));
    // The js backend computes in f64 and rounds on store in both engines alike.
    expect(results.js).toEqual(adamInNode("js"));
    await page.close();
  });
});
