// Bundles the web demo (examples/web/app.ts and its worker) for the browser with esbuild.
import { build } from "esbuild";

await build({
  entryPoints: ["examples/web/app.ts", "examples/web/worker.ts"],
  outdir: "examples/web/build",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
});
console.log("web demo built: examples/web/build/");
