// `npm run screenshots`: the pictures in the README. Builds the web demo, serves it with Vite's
// preview server, runs the playground (Beale), a short training and the quick benchmark in
// headless Chromium (playwright-core with the system Chromium, as the browser tests), and saves
// docs/images/demo.png; renders the Rosenbrock plot of `descend race` as docs/images/race.png.
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, preview } from "vite";
import type { Page } from "playwright-core";
import { launchChromium } from "../test/helpers/chromium";
import { RACE } from "../src/cli/race";
import { parseFlags } from "../src/cli/args";

const CONFIG = "examples/web/vite.config.ts";
const OUT = "docs/images";

type Demo = { ready: boolean; playground: Record<string, unknown>; training: { done: boolean; error?: string }; benchDone: boolean };

async function demo(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __demo?: { ready: boolean } }).__demo?.ready === true, null, { timeout: 120_000 });
  await page.selectOption("#surface", "beale");
  await page.click("#run");
  await page.waitForFunction(() => "beale/all" in (window as unknown as { __demo: Demo }).__demo.playground);
  for (const [id, value] of [["train-epochs", "4"], ["train-samples", "4000"], ["train-hidden", "128"]]) await page.fill(`#${id}`, value!);
  await page.click("#train");
  await page.waitForFunction(() => {
    const t = (window as unknown as { __demo: Demo }).__demo.training;
    return t.done || t.error !== undefined;
  }, null, { timeout: 300_000 });
  await page.click("#bench");
  await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.benchDone, null, { timeout: 300_000 });
  await page.screenshot({ path: join(OUT, "demo.png"), fullPage: true });
}

async function race(page: Page): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), "descend-race-"));
  const [report] = RACE.run(parseFlags(["--surface", "rosenbrock", "--out", out], RACE.flags), () => {});
  await page.setContent(`<body style="margin:0">${readFileSync(report!.svg, "utf8")}</body>`);
  await page.locator("svg").first().screenshot({ path: join(OUT, "race.png") });
}

mkdirSync(OUT, { recursive: true });
await build({ configFile: CONFIG, logLevel: "warn" });
const server = await preview({ configFile: CONFIG, preview: { port: 0 }, logLevel: "warn" });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1160, height: 900 } });
  page.on("pageerror", (error) => console.error(`page error: ${error}`));
  await demo(page, server.resolvedUrls!.local[0]!);
  await race(page);
  console.log(`wrote ${OUT}/demo.png and ${OUT}/race.png`);
} finally {
  await browser.close();
  await server.close();
}
