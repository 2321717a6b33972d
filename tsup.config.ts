import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { relative, resolve } from "node:path";
import { buildSync, type Plugin } from "esbuild";
import { defineConfig } from "tsup";

/** Ships the wasm modules beside the bundles: Node reads the one variant it runs (initSync). */
function copyWasm(): void {
  mkdirSync("dist/wasm", { recursive: true });
  for (const file of readdirSync("src/runtime/wasm").filter((name) => name.endsWith(".wasm"))) {
    cpSync(`src/runtime/wasm/${file}`, `dist/wasm/${file}`);
  }
}

/** The package's entry points: "descend", "descend/js" (the reference backend), "descend/tfjs". */
const ENTRIES = { index: "src/index.ts", js: "src/js.ts", tfjs: "src/tfjs/index.ts" };

/** Every source module the library reaches from its entries (statically or lazily). */
function libraryModules(): string[] {
  const { metafile } = buildSync({
    entryPoints: Object.values(ENTRIES), bundle: true, write: false, metafile: true, format: "esm", splitting: true, outdir: "dist", logLevel: "error",
    external: ["@tensorflow/*"],
  });
  return Object.keys(metafile.inputs).filter((file) => file.startsWith("src/"));
}

/**
 * Keeps each module a file of its own (relative imports stay imports, with the .js extension
 * Node needs): bundlers then drop whole modules the app does not use (package.json
 * "sideEffects": false), which a single pre-bundled file would not let them do.
 */
const preserveModules: Plugin = {
  name: "preserve-modules",
  setup(build) {
    build.onResolve({ filter: /^\.{1,2}\// }, (args) => (args.kind === "entry-point" ? undefined : { path: `${args.path}.js`, external: true }));
  },
};

const library = libraryModules();

/**
 * descend/tfjs in CommonJS uses the main entry's bundle (one copy of the classes its
 * optimizers check with instanceof): its imports of src/index become require("./index.cjs").
 */
const mainEntryExternal: Plugin = {
  name: "main-entry-external",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index$/ }, (args) => (args.importer.includes("/src/tfjs/") ? { path: "./index.cjs", external: true } : undefined));
  },
};

/** The command's own modules are bundled; the library's are imported from dist/ (no second copy). */
const libraryExternal: Plugin = {
  name: "library-external",
  setup(build) {
    build.onResolve({ filter: /^\.{1,2}\// }, (args) => {
      const file = relative(".", resolve(args.resolveDir, `${args.path}.ts`));
      return library.includes(file) ? { path: `./${relative("src", file).replace(/\.ts$/, ".js")}`, external: true } : undefined;
    });
  },
};

/**
 * CommonJS runs in Node, which reads the wasm files in dist/wasm (initSync and init alike):
 * the base64 chunks that carry the wasm to browsers are left out of the CommonJS bundles,
 * which would otherwise inline both variants.
 */
const wasmFilesOnly: Plugin = {
  name: "wasm-files-only",
  setup(build) {
    build.onResolve({ filter: /\/wasm\/wasm-(relaxed|simd)\.generated$/ }, (args) => ({ path: args.path, namespace: "wasm-files-only" }));
    build.onLoad({ filter: /.*/, namespace: "wasm-files-only" }, () => ({
      contents: 'throw new Error("descend (CommonJS) found no wasm file in dist/wasm: reinstall the package, or load its ES module build");',
      loader: "js",
    }));
  },
};

export default defineConfig([

  // The library as ES modules, one file per source module: each wasm variant and the reference
  // kernels load only when a runtime needs them. Runs in Node and, served statically or bundled,
  // in browsers, with nothing to configure. Whitespace and syntax are minified as in CommonJS
  // (names stay, for stack traces): apps minify again anyway, the tarball is a third smaller.
  {
    entry: library,
    format: ["esm"],
    dts: { entry: { index: ENTRIES.index, js: ENTRIES.js, "tfjs/index": ENTRIES.tfjs } },
    clean: true,
    minifyWhitespace: true,
    minifySyntax: true,
    target: "es2022",
    esbuildPlugins: [preserveModules],
    onSuccess: async () => copyWasm(),
  },
  // CommonJS, one file per entry (Node's require): both variants' wasm files are read from dist/wasm.
  // Whitespace and syntax are minified to keep the tarball small; names stay, for stack traces.
  {
    entry: { index: ENTRIES.index, tfjs: ENTRIES.tfjs },
    format: ["cjs"],
    dts: { entry: ENTRIES },
    shims: true,
    minifyWhitespace: true,
    minifySyntax: true,
    target: "es2022",
    esbuildPlugins: [mainEntryExternal, wasmFilesOnly],
  },
  // descend/js in CommonJS (its types come with the entry above): its own copy of the reference
  // twins (the main bundle does not export them), fully minified: the largest file a subpath adds.
  {
    entry: { js: ENTRIES.js },
    format: ["cjs"],
    minify: true,
    target: "es2022",
  },
  // The `descend` command (Node only): train, race, bench. The benchmark peers stay external and
  // optional: one that is not installed is reported as skipped.
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    minifyWhitespace: true,
    minifySyntax: true,
    noExternal: ["tinybench"],
    esbuildPlugins: [libraryExternal],
    external: [/^@tensorflow\//, "playwright-core", "ml-matrix"],
  },
]);
