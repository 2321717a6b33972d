// Ships each entry's types once. tsup writes them twice, for ES modules (.d.ts) and for CommonJS
// (.d.cts), identical but for chunk names; ES modules may import CommonJS types (the reverse is
// an error for TypeScript users who check libraries), so each ES entry's .d.ts becomes a
// re-export of its .d.cts and the ES chunks go. Run after tsup.
import { readdirSync, rmSync, writeFileSync } from "node:fs";

const ENTRIES = { "dist/index.d.ts": "./index.cjs", "dist/js.d.ts": "./js.cjs", "dist/tfjs/index.d.ts": "../tfjs.cjs" };

for (const [file, target] of Object.entries(ENTRIES)) writeFileSync(file, `export * from "${target}";\n`);
for (const name of readdirSync("dist")) if (/-[\w-]+\.d\.ts$/.test(name)) rmSync(`dist/${name}`);
