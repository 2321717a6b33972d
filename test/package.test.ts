import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

// The built package, as a user gets it: `npm test` builds dist/ first (pretest).
const program = (load: string) => `${load}
const rt = descend.initSync();
const w = rt.param([3], { values: [1, 2, 3] });
const opt = new descend.Adam(rt, [w], { lr: 0.1 });
w.grad.set([1, -1, 1]);
opt.step();
console.log(JSON.stringify(Array.from(w.data, (x) => Math.round(x * 1e4) / 1e4)));`;

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: process.cwd(), encoding: "utf8" }).trim();
}

/** The dist files an import of `entry` can load: its relative static and dynamic imports, followed. */
function reachableFrom(entry: string): string[] {
  const seen = new Set<string>([entry]);
  for (const file of seen) {
    const code = readFileSync(join("dist", file), "utf8");
    for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport\(?)\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      seen.add(join(dirname(file), spec!).replace(/\\/g, "/"));
    }
  }
  return [...seen];
}

describe("built package", () => {
  it("exists (npm run build)", () => {
    expect(existsSync("dist/index.js") && existsSync("dist/index.cjs") && existsSync("dist/index.d.ts")).toBe(true);
  });

  it("loads with ESM import in plain Node, no bundler", () => {
    const out = runNode(["--input-type=module", "-e", program(`import * as descend from "descend";`)]);
    expect(out).toBe("[0.9,2.1,2.9]");
  });

  it("loads with CommonJS require in plain Node", () => {
    const out = runNode(["--input-type=commonjs", "-e", program(`const descend = require("descend");`)]);
    expect(out).toBe("[0.9,2.1,2.9]");
  });

  it("ships the descend command (bin), which runs and reports bad commands", () => {
    const out = mkdtempSync(join(tmpdir(), "cli-"));
    const json = runNode(["dist/cli.js", "race", "--surface", "quadratic", "--steps", "50", "--json", "--out", out]);
    expect(JSON.parse(json)[0].surface).toBe("quadratic");
    expect(() => execFileSync(process.execPath, ["dist/cli.js", "nope"], { stdio: "pipe" })).toThrow(/Unknown command: nope/);
  });

  it("has no Node built-ins and no bare imports in the browser (ESM) path", () => {
    const modules = reachableFrom("index.js");
    expect(modules.length).toBeGreaterThan(50);
    const builtins = new Set<string>();
    for (const file of modules) {
      const esm = readFileSync(join("dist", file), "utf8");
      expect(esm, file).not.toMatch(/\bfrom\s+["'](?!\.)[^"']+["']/);
      expect(esm, file).not.toMatch(/\brequire\(/);
      expect(esm, file).not.toMatch(/["']node:/);
      // Lazy imports (one wasm variant, the reference kernels) are relative files of the package.
      expect(esm, file).not.toMatch(/\bimport\(\s*["'](?!\.)/);
      for (const m of esm.matchAll(/getBuiltinModule\??\.?\(\s*([^)]*)\)/g)) builtins.add(m[1]!);
    }
    // Threads reach worker_threads, and Node's initSync reads the wasm file, only at run time,
    // through the feature-detected process.getBuiltinModule, never through an import a bundler
    // would follow.
    expect(builtins).toEqual(new Set(['"worker_threads"', '"fs"']));
  });

  it("runs gemm on a thread pool from the built package (worker_threads + shared memory)", () => {
    const out = runNode([
      "--input-type=module",
      "-e",
      `import * as descend from "descend";
const rt = descend.initSync({ threads: 2 });
const A = rt.fromArray(Array.from({ length: 64 * 300 }, (_, i) => (i % 7) - 3), [64, 300]);
const B = rt.fromArray(Array.from({ length: 300 * 256 }, (_, i) => (i % 5) - 2), [300, 256]);
const C = descend.matmul(A, B);
console.log(descend.threadCount(rt), C.data[0], C.data[64 * 256 - 1]);`,
    ]);
    expect(out).toBe("2 5 5");
  });
});

describe("examples", () => {
  it("the README's quickstart runs and frees every tensor", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "examples/quickstart.ts"], { encoding: "utf8" });
    expect(out).toMatch(/L-BFGS: f = [\d.]+e-1\d/);
    expect(out).toMatch(/live tensors at the end: 0/);
  });
});
