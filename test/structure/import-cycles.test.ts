import { readdirSync, readFileSync } from "node:fs";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";

// A module that imports, at run time, a module that imports it back sees that module half
// evaluated: a class it extends is still undefined ("Class extends value undefined"). Type-only
// imports are erased and cannot do this, so only the value imports that esbuild keeps count.
const ENTRIES = ["src/index.ts", "src/js.ts", "src/tfjs/index.ts", "src/cli/main.ts"];

function valueImportGraph(): Map<string, string[]> {
  const { metafile } = buildSync({
    entryPoints: ENTRIES, bundle: true, write: false, metafile: true, format: "esm", splitting: true,
    outdir: "out", platform: "node", logLevel: "error", external: ["@tensorflow/*"],
  });
  const ours = (path: string) => path.startsWith("src/");
  return new Map(
    Object.entries(metafile.inputs)
      .filter(([file]) => ours(file))
      .map(([file, input]) => [file, input.imports.filter((i) => ours(i.path) && i.kind === "import-statement").map((i) => i.path)]),
  );
}

// The runtime's own modules must not depend on each other in a circle even through types: a
// tensor knows its runtime only through the TensorOwner contract it declares, so that the
// runtime can be read, tested and replaced without the tensor module. Every import and
// re-export counts here, `import type` included.
const RUNTIME_DIR = "src/runtime";

function runtimeImportGraph(): Map<string, string[]> {
  const files = readdirSync(RUNTIME_DIR).filter((f) => f.endsWith(".ts"));
  const specifier = /^(?:import|export)\b[^;]*?\bfrom\s+"\.\/([^"]+)"/gm;
  return new Map(
    files.map((file) => {
      const text = readFileSync(`${RUNTIME_DIR}/${file}`, "utf8");
      return [file, [...text.matchAll(specifier)].map((m) => `${m[1]}.ts`)];
    }),
  );
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe("module structure", () => {
  it("has no run-time import cycle among the package's modules", () => {
    const graph = valueImportGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it("has no import cycle among src/runtime's modules, type-only imports included", () => {
    const graph = runtimeImportGraph();
    expect(graph.get("runtime.ts")).toContain("tensor.ts");
    expect(graph.get("tensor.ts")).toContain("heap.ts");
    expect(cycles(graph).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it("finds a cycle when there is one (the checker itself)", () => {
    const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(cycles(graph)).toEqual([["a", "b", "c", "a"]]);
  });
});
