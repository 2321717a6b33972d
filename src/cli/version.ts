// `descend --version` and the backend named in command headers: the package version and the
// wasm variant this engine loads (relaxed SIMD with fused multiply-add, or plain SIMD128).
import { version } from "../../package.json";
import { supportsVariant } from "../runtime/backend-wasm";
import { initSync } from "../runtime/create";
import type { RuntimeInfo } from "../runtime/runtime";

/** The kernels a runtime runs, from its info(): "wasm (relaxed SIMD)", "wasm (SIMD128)" or "js (reference twins)". */
export function kernelsLabel({ backend, variant }: RuntimeInfo): string {
  if (backend === "js") return "js (reference twins)";
  return variant === "relaxed" ? "wasm (relaxed SIMD)" : "wasm (SIMD128)";
}

/** The kernels a default runtime loads on this engine. */
function engineKernels(): string {
  try {
    const rt = initSync();
    const label = kernelsLabel(rt.info());
    rt.dispose();
    return label;
  } catch (error) {
    return `wasm unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function versionText(): string {
  const relaxed = supportsVariant("relaxed");
  const nodeMajor = Number(process.versions.node.split(".")[0]);
  const hint = !relaxed && nodeMajor === 20 ? "; Node 20 enables relaxed SIMD with --experimental-wasm-relaxed-simd" : "";
  return [
    `descend ${version}`,
    `kernels: ${engineKernels()}${relaxed ? "" : ` (relaxed SIMD not available${hint})`}`,
    `engine: Node ${process.version} (V8 ${process.versions.v8}), ${process.platform} ${process.arch}`,
  ].join("\n");
}
