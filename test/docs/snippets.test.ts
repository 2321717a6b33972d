// Every TypeScript block in README.md and docs/*.md is a complete program a user can copy: this
// suite type-checks each one under `strict` (as a user's project would, without this repository's
// extra flags) and then runs it. A `console.log(...)` line that ends in `// prints <text>` must print
// exactly that text. The only change made to a block is its module specifiers: "descend",
// "descend/js" and "descend/tfjs" resolve to this checkout's sources of those entries.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { format } from "node:util";
import ts from "typescript";
import { afterAll, describe, expect, it, vi } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = join(root, "test-results", "snippets");
/** The package's entry points and the source files they are built from. */
const ENTRIES: Record<string, string> = {
  descend: join(root, "src", "index.ts"),
  "descend/js": join(root, "src", "js.ts"),
  "descend/tfjs": join(root, "src", "tfjs", "index.ts"),
};

interface Snippet { name: string; code: string; file: string; prints: string[] }

/** What the block's `console.log(...) // prints <text>` lines promise, in order. */
function promisedOutput(code: string): string[] {
  return code.split("\n").filter((line) => /^\s*console\.log\(/.test(line))
    .map((line) => /\/\/ prints (.*)$/.exec(line)?.[1]?.trim() ?? "");
}

/** The ```ts blocks of one Markdown file, named after the file and the block's first line. */
function snippetsOf(markdown: string): Snippet[] {
  const text = readFileSync(join(root, markdown), "utf8");
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
  return blocks.map((block, i) => {
    const line = text.slice(0, block.index).split("\n").length;
    const stem = `${markdown.replace(/[/.]/g, "_")}_${i + 1}`;
    const code = block[1]!.replace(/from "(descend(?:\/js|\/tfjs)?)"/g, (_, name: string) => `from ${JSON.stringify(toImport(ENTRIES[name]!))}`);
    return { name: `${markdown}:${line}`, code, file: join(outDir, `${stem}.ts`), prints: promisedOutput(code) };
  });
}

function toImport(target: string): string {
  const path = relative(outDir, target).replace(/\\/g, "/").replace(/\.ts$/, "");
  return path.startsWith(".") ? path : `./${path}`;
}

const markdowns = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const snippets = markdowns.flatMap(snippetsOf);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const s of snippets) writeFileSync(s.file, s.code);

describe("documentation snippets", () => {
  it("there are snippets to check", () => {
    expect(snippets.length).toBeGreaterThan(10);
  });

  it("every snippet type-checks under strict", () => {
    const program = ts.createProgram(snippets.map((s) => s.file), {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: ["node"],
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: false,
    });
    const errors = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file && snippets.some((s) => s.file === d.file!.fileName))
      .map((d) => {
        const snippet = snippets.find((s) => s.file === d.file!.fileName)!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${snippet.name} (block line ${line + 1}): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(errors).toEqual([]);
  }, 120_000);

  let printed: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => { printed.push(format(...args)); });
  afterAll(() => log.mockRestore());

  for (const s of snippets) {
    it(`runs ${s.name}`, async () => {
      printed = [];
      await import(pathToFileURL(s.file).href);
      expect(printed.length).toBe(s.prints.length);
      s.prints.forEach((promise, i) => { if (promise) expect(printed[i]).toBe(promise); });
    });
  }
});
