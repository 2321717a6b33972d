// What users download: bundles three small apps against dist/ (as an installed package) with
// esbuild, minified and code-split as a browser app would ship, and packs the tarball. Reports
// gzip and brotli sizes and exits 1 when one is over its threshold (run `npm run build` first).
//
//   node scripts/size.mjs            table + thresholds
//   node scripts/size.mjs --json     the measurements as JSON (no thresholds)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const KB = 1024;
const APPS = [
  {
    name: "Adam + initSync",
    source: `import { Adam, initSync } from "descend";
const rt = initSync();
const w = rt.param([3], { values: [1, 2, 3] });
new Adam(rt, [w], { lr: 0.1 }).step();
console.log(w.data);`,
    maxGzip: 75 * KB,
  },
  {
    // The reference twins live behind "descend/js": the app above must not carry them (before the
    // subpath, its code was 23.7 KB gzip with them; 13.4 KB without), this one does. Its wasm
    // column counts the .wasm file initSync can read, as for the app above.
    name: "js backend (descend/js)",
    source: `import { Adam, initSync } from "descend";
import { jsBackend } from "descend/js";
const rt = initSync({ backend: jsBackend });
const w = rt.param([3], { values: [1, 2, 3] });
new Adam(rt, [w], { lr: 0.1 }).step();
console.log(w.data);`,
    maxGzip: 75 * KB,
  },
  // Its wasm is the lazily imported chunk (base64): 62 KB gzip while the chunk held the bytes,
  // 44.7 KB since it holds them deflated, about the module's own 44.5 KB (total 131.7 -> 114.6 KB).
  // The v128 exponential inlined in nine kernels (+2.7 KB of wasm) and the exact Hessian-vector
  // products, Conv2d and views (+3.9 KB of code) took it to 121.1 KB; the softmax kernels without
  // the standard library's table-driven exp/log (their 6 KB of tables) brought it to 116.2 KB
  // (wasm 47.4 -> 42.4 KB); L-BFGS-B's box bounds and the early-stop checkpoint tensors (+5.3 KB)
  // and the logistic objectives on ../math/exp (-2.6 KB) make it 118.9 KB. Budget: the 120 KB.
  { name: "whole API", source: `import * as descend from "descend";\nconsole.log(descend);`, maxGzip: 120 * KB },
  { name: "schedule only", source: `import { cosineDecay } from "descend";\nconsole.log(cosineDecay);`, maxGzip: 3 * KB },
];
// 634.7 KB before the ES module and CLI builds were minified (whitespace and syntax) and the
// types shipped once (scripts/types-once.mjs): 530 KB.
const MAX_TARBALL = 600 * KB;


/** The wasm of one variant travels in its own chunk; an app loads exactly one of them. */
const VARIANT_CHUNK = /wasm-(relaxed|simd)\b/;

const root = resolve(import.meta.dirname, "..");
const WASM_FILES = ["descend-relaxed.wasm", "descend-simd.wasm"];

function compressed(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

function add(a, b) {
  return { raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli };
}

/**
 * Bundles `source` as an app that depends on the package, and sums what it can download: the
 * chunks reachable from its entry (static and dynamic imports), counting one wasm variant (the
 * largest) since a runtime loads exactly one.
 */
async function measureApp(work, app, index) {
  const dir = join(work, `app${index}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "main.js"), app.source);
  const result = await build({
    entryPoints: [join(dir, "main.js")],
    bundle: true,
    minify: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: join(dir, "out"),
    nodePaths: [join(work, "node_modules")],
    absWorkingDir: dir,
    metafile: true,
    write: false,
    logLevel: "error",
  });
  const outputs = result.metafile.outputs;
  const reachable = new Set();
  const visit = (path) => {
    if (reachable.has(path)) return;
    reachable.add(path);
    for (const { path: next } of outputs[path].imports) if (outputs[next]) visit(next);
  };
  visit(Object.keys(outputs).find((path) => outputs[path].entryPoint));
  const empty = { raw: 0, gzip: 0, brotli: 0 };
  let code = empty;
  const variants = [];
  for (const file of result.outputFiles) {
    const path = relative(dir, file.path);
    if (!reachable.has(path)) continue;
    const size = compressed(file.contents);
    if (Object.keys(outputs[path].inputs).some((input) => VARIANT_CHUNK.test(input))) variants.push(size);
    else code = add(code, size);
  }
  // An app that reaches no chunk but calls initSync reads the .wasm file Node gets (dist/wasm/).
  const readsFile = result.outputFiles.some((file) => reachable.has(relative(dir, file.path)) && file.text.includes("descend-"));
  if (!variants.length && readsFile) variants.push(...WASM_FILES.map((file) => compressed(readFileSync(join(root, "dist", "wasm", file)))));
  const wasm = variants.sort((a, b) => b.gzip - a.gzip)[0] ?? empty;
  return { name: app.name, code, wasm, total: add(code, wasm), maxGzip: app.maxGzip };
}

function packedSize() {
  const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" }));
  return { packed: pack.size, unpacked: pack.unpackedSize, files: pack.entryCount };
}

export async function measure() {
  const work = mkdtempSync(join(tmpdir(), "descend-size-"));
  try {
    mkdirSync(join(work, "node_modules"));
    symlinkSync(root, join(work, "node_modules", "descend"), "dir");
    const apps = [];
    for (const [index, app] of APPS.entries()) apps.push(await measureApp(work, app, index));
    return { apps, tarball: { ...packedSize(), max: MAX_TARBALL } };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const kb = (bytes) => `${(bytes / KB).toFixed(1)} KB`;

function report({ apps, tarball }) {
  const failures = [];
  const rows = [
    "| app | code gzip | wasm gzip | total gzip | total brotli | limit (gzip) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const app of apps) {
    rows.push(
      `| ${app.name} | ${kb(app.code.gzip)} | ${kb(app.wasm.gzip)} | ${kb(app.total.gzip)} | ${kb(app.total.brotli)} | ${kb(app.maxGzip)} |`,
    );
    if (app.total.gzip > app.maxGzip) failures.push(`${app.name}: ${kb(app.total.gzip)} gzip > ${kb(app.maxGzip)}`);
  }
  rows.push("", `tarball: ${kb(tarball.packed)} packed, ${kb(tarball.unpacked)} unpacked, ${tarball.files} files (limit ${kb(tarball.max)} packed)`);
  if (tarball.packed > tarball.max) failures.push(`tarball: ${kb(tarball.packed)} > ${kb(tarball.max)}`);
  console.log(rows.join("\n"));
  for (const failure of failures) console.error(`over the limit: ${failure}`);
  return failures.length === 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const sizes = await measure();
  if (process.argv.includes("--json")) console.log(JSON.stringify(sizes, null, 2));
  else if (!report(sizes)) process.exitCode = 1;
}
