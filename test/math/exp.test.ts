import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

// The shared exp of assembly/math/exp.ts, compiled on its own through assembly/math/exp-probe.ts and
// measured against Math.exp: ulps of the reference (rounded to f32 for the f32 version), over a
// dense grid of the whole finite range and the edges (overflow, underflow, subnormals, NaN, +-Inf).

type Probe = Record<"f64_exp_lanes" | "f64_exp_scalar" | "f32_exp_lanes" | "f32_exp_scalar", (y: number, x: number, n: number) => void>;

const N = 1 << 18; // grid points, a multiple of 4
const memory = new WebAssembly.Memory({ initial: 2 * ((16 * N) >> 16) + 1 });
let probe: Probe;

beforeAll(() => {
  const out = join(mkdtempSync(join(tmpdir(), "descend-exp-")), "probe.wasm");
  const asc = createRequire(import.meta.url).resolve("assemblyscript/bin/asc.js");
  execFileSync(process.execPath, [asc, "assembly/math/exp-probe.ts", "--runtime", "stub", "--noAssert", "-O1", "--enable", "simd", "--importMemory", "-o", out]);
  const module = new WebAssembly.Module(readFileSync(out));
  probe = new WebAssembly.Instance(module, { env: { memory, abort: () => {} } }).exports as unknown as Probe;
}, 180_000); // one asc compile; slow when the machine is loaded

/** Runs `fn` over xs in linear memory (inputs at 0, outputs after them) and returns the outputs. */
function run(fn: (y: number, x: number, n: number) => void, xs: Float64Array | Float32Array): number[] {
  const View = xs instanceof Float64Array ? Float64Array : Float32Array;
  const view = new View(memory.buffer);
  view.set(xs, 0);
  fn(xs.length * View.BYTES_PER_ELEMENT, 0, xs.length);
  return Array.from(view.subarray(xs.length, 2 * xs.length));
}

/** |a - ref| in ulps of ref (the subnormal step below the normal range); exact match required at 0 and +-Inf. */
function ulps(a: number, ref: number, mantissaBits: number, minExponent: number): number {
  if (ref === 0 || !Number.isFinite(ref)) return Object.is(a, ref) ? 0 : Infinity;
  const ulp = 2 ** (Math.max(Math.floor(Math.log2(ref)), minExponent) - mantissaBits);
  return Math.abs(a - ref) / ulp;
}

const EDGES = [NaN, -Infinity, Infinity, 0, -0, 1e-300, -1e-300, 709.78, 709.79, -708.4, -745.1, -745.2, 88.72, 88.73, -87.3, -103.2, -103.98, -104, 1e5, -1e5];

/** Largest ulp distance of outputs from ref(x); NaN must map to NaN. */
function worstUlps(xs: ArrayLike<number>, out: number[], ref: (x: number) => number, mantissaBits: number, minExponent: number): number {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const d = Number.isNaN(x) ? (Number.isNaN(out[i]!) ? 0 : Infinity) : ulps(out[i]!, ref(x), mantissaBits, minExponent);
    worst = Math.max(worst, d);
  }
  return worst;
}

function grid(lo: number, hi: number): number[] {
  return Array.from({ length: N - EDGES.length }, (_, i) => lo + ((hi - lo) * i) / (N - EDGES.length - 1)).concat(EDGES);
}

describe("assembly/math/exp.ts against Math.exp", () => {
  it("f64: within 1 ulp over [-750, 750] and the edges; lanes and scalar agree bit for bit", () => {
    const xs = new Float64Array(grid(-750, 750));
    const lanes = run(probe.f64_exp_lanes, xs);
    expect(run(probe.f64_exp_scalar, xs)).toEqual(lanes);
    expect(worstUlps(xs, lanes, Math.exp, 52, -1022)).toBeLessThanOrEqual(1);
  });

  it("f32: within 1 ulp of fl32(Math.exp) over [-110, 95] and the edges; lanes and scalar agree bit for bit", () => {
    const xs = new Float32Array(grid(-110, 95));
    const lanes = run(probe.f32_exp_lanes, xs);
    expect(run(probe.f32_exp_scalar, xs)).toEqual(lanes);
    expect(worstUlps(xs, lanes, (x) => Math.fround(Math.exp(x)), 23, -126)).toBeLessThanOrEqual(1);
  });

  it("f64 is close to the correctly rounded result near 0 (no bias from the fit)", () => {
    const xs = new Float64Array(grid(-1, 1));
    const lanes = run(probe.f64_exp_lanes, xs);
    const exact = Array.from(xs, (x, i) => lanes[i] === Math.exp(x)).filter(Boolean).length;
    expect(exact / xs.length).toBeGreaterThan(0.9);
  });
});
