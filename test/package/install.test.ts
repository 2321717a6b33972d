import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { hasChromium, launchChromium } from "../helpers/chromium";
import { serveFolder, type Served } from "../helpers/preview";

// The package as users receive it: dist/ (built by `npm test`'s pretest) packed once, installed
// from the tarball into fresh projects that have no dev dependencies, and used from Node ESM,
// Node CJS, strict TypeScript and a Vite build (run in Node and, where Chromium is, in a page).

const repo = resolve(import.meta.dirname, "../..");
const bin = (path: string) => join(repo, "node_modules", path);
let work: string;
let tarball: string;

/** A fresh project with the tarball installed (offline: the package has no dependencies). */
function project(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  execFileSync("npm", ["install", tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, stdio: "pipe" });
  return dir;
}

function node(dir: string, args: string[]): string {
  try {
    return execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8", stdio: "pipe" }).trim();
  } catch (error) {
    // Keep the report readable: a minified bundle in the message would fill the screen.
    throw new Error(String((error as { stderr?: string }).stderr ?? error).slice(-2000));
  }
}

// Adam's first step moves each weight by lr against the sign of its gradient.
const TRAIN = `const w = rt.param([3], { values: [1, 2, 3] });
const opt = new Adam(rt, [w], { lr: 0.1 });
w.grad.set([1, -1, 1]);
opt.step();
const info = rt.info();
console.log(JSON.stringify({ w: Array.from(w.data, (x) => Math.round(x * 1e4) / 1e4), variant: info.variant, backend: info.backend }));`;
const EXPECTED = { w: [0.9, 2.1, 2.9], backend: "wasm" };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "descend-install-"));
  const [pack] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: repo, encoding: "utf8" }),
  );
  tarball = join(work, pack.filename);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("installed from the packed tarball", () => {
  it("ships dist/ (one wasm file per variant, no source maps) and the docs, nothing else", () => {
    const listed = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(listed.filter((f) => !/^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f))).toEqual([]);
    expect(listed.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(listed.filter((f) => f.endsWith(".wasm")).sort()).toEqual(["package/dist/wasm/descend-relaxed.wasm", "package/dist/wasm/descend-simd.wasm"]);
  });

  it("runs from Node ESM: initSync reads one variant from the package, init() too", () => {
    const dir = project("esm", {
      "main.js": `import { Adam, initSync, init } from "descend";
{
  const rt = initSync({ wasmVariant: "simd" });
  ${TRAIN}
}
{
  const rt = await init({ wasmVariant: "simd" });
  ${TRAIN}
}`,
    });
    const [sync, async] = node(dir, ["main.js"]).split("\n").map((line) => JSON.parse(line));
    expect(sync).toEqual({ ...EXPECTED, variant: "simd" });
    expect(async).toEqual({ ...EXPECTED, variant: "simd" });
  });

  it("runs from Node CommonJS (require), threads included", () => {
    const dir = project("cjs", {
      "main.cjs": `const { Adam, initSync } = require("descend");
const rt = initSync({ threads: 2, wasmVariant: "simd" });
${TRAIN}`,
    });
    expect(JSON.parse(node(dir, ["main.cjs"]))).toEqual({ ...EXPECTED, variant: "simd-threads" });
  });

  it("type-checks a program under TypeScript strict, as ESM and as CommonJS", () => {
    const program = `import { Adam, initSync, type RuntimeInfo } from "descend";
const rt = initSync();
const details: RuntimeInfo = rt.info();
const variant: "relaxed" | "simd" | "relaxed-threads" | "simd-threads" | null = details.variant;
${TRAIN}
export { variant };
`;
    const dir = project("ts", {
      "main.mts": program,
      "main.cts": program,
      "tsconfig.json": JSON.stringify({
        compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom"], types: [], noEmit: true, skipLibCheck: false },
        files: ["main.mts", "main.cts"],
      }),
    });
    expect(node(dir, [bin("typescript/bin/tsc"), "-p", "."])).toBe("");
  });

  describe("the subpaths descend/js and descend/tfjs", () => {
    // The reference backend, then a tfjs variable updated by descend's Adam: its first step moves
    // each weight by lr against the sign of its gradient, as TRAIN's does.
    const SUBPATHS = (imports: string) => `${imports}
const rt = initSync({ backend: jsBackend });
${TRAIN}
const v = tf.variable(tf.tensor1d([1, 2, 3]));
const tfOpt = descendAdam({ lr: 0.1 });
tfOpt.applyGradients({ [v.name]: tf.tensor1d([1, -1, 1]) });
console.log(JSON.stringify({ tfjs: Array.from(v.dataSync(), (x) => Math.round(x * 1e4) / 1e4), optimizer: tfOpt instanceof tf.Optimizer }));`;
    const ESM = SUBPATHS(`import { Adam, initSync } from "descend";
import { jsBackend } from "descend/js";
import { descendAdam } from "descend/tfjs";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";`);
    const CJS = SUBPATHS(`const { Adam, initSync } = require("descend");
const { jsBackend } = require("descend/js");
const { descendAdam } = require("descend/tfjs");
const tf = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu");`);

    /** The peer and a tfjs backend, as `npm install` would place them (linked: the tests run offline). */
    function withTfjsCore(dir: string): string {
      mkdirSync(join(dir, "node_modules", "@tensorflow"), { recursive: true });
      for (const name of ["tfjs-core", "tfjs-backend-cpu"]) symlinkSync(bin(`@tensorflow/${name}`), join(dir, "node_modules", "@tensorflow", name), "dir");
      return dir;
    }

    it("run from Node ESM and CommonJS with @tensorflow/tfjs-core installed", () => {
      const dir = withTfjsCore(project("subpaths", { "main.js": ESM, "main.cjs": CJS }));
      for (const main of ["main.js", "main.cjs"]) {
        const [js, tfjs] = node(dir, [main]).split("\n").map((line) => JSON.parse(line));
        expect(js, main).toEqual({ ...EXPECTED, backend: "js", variant: null });
        expect(tfjs, main).toEqual({ tfjs: [0.9, 2.1, 2.9], optimizer: true });
      }
    });

    it("descend/tfjs without @tensorflow/tfjs-core fails naming the missing peer; descend/js needs nothing", () => {
      const dir = project("no-peer", {
        "tfjs.mjs": `import "descend/tfjs";`,
        "tfjs.cjs": `require("descend/tfjs");`,
        "js.mjs": `import { jsBackend } from "descend/js";\nimport { initSync } from "descend";\nconsole.log(initSync({ backend: jsBackend }).info().backend);`,
      });
      for (const main of ["tfjs.mjs", "tfjs.cjs"]) expect(() => node(dir, [main]), main).toThrow(/Cannot find (package|module) '@tensorflow\/tfjs-core'/);
      expect(node(dir, ["js.mjs"])).toBe("js");
    });

    it("type-check under TypeScript strict, as ESM and as CommonJS", () => {
      const program = `import { initSync } from "descend";
import { jsBackend } from "descend/js";
import { descendAdam, type DescendOptimizer } from "descend/tfjs";
import type * as tf from "@tensorflow/tfjs-core";
const rt = initSync({ backend: jsBackend });
const opt: DescendOptimizer<"Adam"> = descendAdam({ lr: 0.1, convention: "tfjs", runtime: rt });
const base: tf.Optimizer = opt;
export { base };
`;
      const dir = withTfjsCore(project("subpaths-ts", {
        "main.mts": program,
        "main.cts": program,
        "tsconfig.json": JSON.stringify({
          compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom"], types: [], noEmit: true, skipLibCheck: true },
          files: ["main.mts", "main.cts"],
        }),
      }));
      expect(node(dir, [bin("typescript/bin/tsc"), "-p", "."])).toBe("");
    });
  });

  describe("a Vite app", () => {
    let dir: string;
    let assets: string[];

    beforeAll(() => {
      dir = project("vite", {
        "index.html": `<!doctype html><script type="module" src="./main.js"></script>`,
        // Only so that the built entry also runs in Node (the preload polyfill reads document).
        "vite.config.js": `export default { build: { modulePreload: { polyfill: false } } };`,
        "main.js": `import { Adam, init } from "descend";
const rt = await init();
${TRAIN.replace("console.log(JSON.stringify(", "globalThis.__result = ((")}
globalThis.document?.body.append(JSON.stringify(globalThis.__result));
if (!globalThis.document) console.log(JSON.stringify(globalThis.__result));`,
      });
      execFileSync(process.execPath, [bin("vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: dir, stdio: "pipe" });
      assets = readdirSync(join(dir, "dist", "assets"));
    }, 120_000);

    it("builds with no configuration, each wasm variant in a chunk of its own", () => {
      const chunks = assets.filter((f) => f.endsWith(".js"));
      expect(chunks.filter((f) => f.startsWith("wasm-relaxed"))).toHaveLength(1);
      expect(chunks.filter((f) => f.startsWith("wasm-simd"))).toHaveLength(1);
      const main = chunks.find((f) => f.startsWith("index"))!;
      // The entry holds no wasm and no reference kernels: they load on demand.
      expect(readFileSync(join(dir, "dist", "assets", main)).length).toBeLessThan(100_000);
    });

    it("runs, loading its wasm from the lazily imported chunk (no file beside the bundle)", () => {
      const main = assets.find((f) => f.startsWith("index") && f.endsWith(".js"))!;
      const result = JSON.parse(node(join(dir, "dist", "assets"), [main]));
      expect(result).toMatchObject(EXPECTED);
    });

    describe.skipIf(!hasChromium)("in headless Chromium", () => {
      let server: Served;
      let browser: Browser;

      beforeAll(async () => {
        server = await serveFolder(join(dir, "dist"));
        browser = await launchChromium();
      });

      afterAll(async () => {
        await browser?.close();
        await server?.close();
      });

      it("loads the built app and trains a step with the relaxed build", async () => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(String(error)));
        await page.goto(`${server.url}/index.html`);
        await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined);
        const result = await page.evaluate(() => (window as unknown as { __result: unknown }).__result);
        expect(errors).toEqual([]);
        expect(result).toEqual({ ...EXPECTED, variant: "relaxed" });
        await page.close();
      });
    });
  });
});
