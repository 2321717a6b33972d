import { afterAll, describe, expect, it, vi } from "vitest";
import { init } from "../../src/runtime/create";
import { initSyncWithTwins } from "../helpers/runtime";
import { poolOf, threadCount } from "../../src/runtime/pool";
import { supportsVariant } from "../../src/runtime/backend-wasm";
import { gemm } from "../../src/linalg/index";
import { ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType } from "../../src/runtime/tensor";
import { uniformArray } from "../helpers/random";
import { expectProduct, UNIT_ROUNDOFF } from "./oracle";

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  beta?: number;
  bias?: boolean;
  relu?: boolean;
  dtype?: FloatDType;
}

/** Products large enough to be split (2mnk >= 2 * 2^23 flops), by columns (n >= m) and by rows. */
const CASES: Case[] = [
  { m: 129, n: 1031, k: 77 },
  { m: 1031, n: 65, k: 129, transA: true, beta: 0.5 },
  { m: 257, n: 263, k: 300, transB: true, bias: true, relu: true },
  { m: 200, n: 333, k: 517, transA: true, transB: true, beta: -1, bias: true },
  { m: 197, n: 301, k: 160, dtype: "f64", beta: 0.25, bias: true },
];

function product(rt: Runtime, c: Case): { out: number[]; inputs: Record<string, number[]> } {
  return rt.scope(() => {
    const { m, n, k, dtype = "f32", transA = false, transB = false } = c;
    const A = rt.fromArray(uniformArray(m * k, m), transA ? [k, m] : [m, k], { dtype });
    const B = rt.fromArray(uniformArray(k * n, n), transB ? [n, k] : [k, n], { dtype });
    const C = rt.fromArray(uniformArray(m * n, k), [m, n], { dtype });
    const bias = c.bias ? rt.fromArray(uniformArray(n, 5), [n], { dtype }) : null;
    const inputs = { a: A.toArray(), b: B.toArray(), c: C.toArray(), bias: bias?.toArray() ?? [] };
    gemm(A, B, C, { transA, transB, beta: c.beta ?? 0, bias, relu: c.relu ?? false });
    return { out: C.toArray(), inputs };
  });
}

describe("gemm on a thread pool", () => {
  const single = initSyncWithTwins();
  const pools = [2, 3].map((threads) => initSyncWithTwins({ threads }));
  afterAll(() => pools.forEach((rt) => poolOf(rt)?.terminate()));

  it("the test workers run the relaxed-SIMD build (vitest.config.ts passes the flag on Node 20)", () => {
    expect(supportsVariant("relaxed")).toBe(true);
  });

  it("reports its thread count", () => {
    expect(threadCount(single)).toBe(1);
    expect(pools.map(threadCount)).toEqual([2, 3]);
    expect(single.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(pools[0]!.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it.each(CASES)("bit-identical to one thread and correct: %o", (c) => {
    const want = product(single, c);
    for (const rt of pools) {
      const run = vi.spyOn(poolOf(rt)!, "run");
      const got = product(rt, c);
      expect(run, "the product was split between threads").toHaveBeenCalledTimes(1);
      expect(run.mock.calls[0]![1].length, "parts").toBeGreaterThan(1);
      run.mockRestore();
      const mismatch = got.out.findIndex((x, i) => !Object.is(x, want.out[i]));
      expect(mismatch, `threads=${threadCount(rt)}: first differing element`).toBe(-1);
      expect(rt.memoryStats().liveTensors).toBe(0);
    }
    const { a, b, c: c0, bias } = want.inputs;
    expectProduct(want.out, {
      m: c.m, n: c.n, k: c.k, transA: c.transA ?? false, transB: c.transB ?? false, alpha: 1, beta: c.beta ?? 0,
      relu: c.relu ?? false, a: a!, b: b!, c: c0!, bias: c.bias ? bias! : null,
    }, UNIT_ROUNDOFF[c.dtype ?? "f32"], `threads f32 ${JSON.stringify(c)}`);
  });

  it("small products stay on the calling thread", () => {
    const rt = pools[0]!;
    const run = vi.spyOn(poolOf(rt)!, "run");
    expect(product(rt, { m: 64, n: 64, k: 64 }).out).toEqual(product(single, { m: 64, n: 64, k: 64 }).out);
    expect(run).not.toHaveBeenCalled();
    run.mockRestore();
  });

  it("survives memory growth between calls (workers see the grown shared memory)", () => {
    const rt = pools[0]!;
    const c: Case = { m: 128, n: 512, k: 256 };
    const before = product(rt, c).out;
    const big = rt.tensor([8 << 20]); // 32 MiB: forces the shared memory to grow
    const after = product(rt, c).out;
    big.dispose();
    expect(after).toEqual(before);
  });

  it("a kernel that traps on a worker throws on the caller instead of hanging", () => {
    const pool = poolOf(pools[0]!)!;
    const outOfBounds = 0xfffff000; // far beyond the memory: the worker's loads trap
    const args = [0, 0, 4, 4, 4, 1, outOfBounds, 4, outOfBounds, 4, 0, outOfBounds, 4, 0, 0, outOfBounds];
    expect(() => pool.run("f32_gemm", [[], args])).toThrow(/f32_gemm failed on 1 worker thread/);
    expect(product(pools[0]!, CASES[0]!).out).toEqual(product(single, CASES[0]!).out); // still usable
  });

  it("async init waits for its workers", async () => {
    const rt = await init({ threads: 2 });
    expect(threadCount(rt)).toBe(2);
    expect(product(rt, CASES[0]!).out).toEqual(product(single, CASES[0]!).out);
    poolOf(rt)!.terminate();
  });

  it.each([
    [{ threads: 0 }, /Invalid threads: 0/],
    [{ threads: 1.5 }, /Invalid threads: 1.5/],
    [{ threads: "2" }, /Invalid threads: 2/],
    [{ threads: 2, backend: "js" }, /only the 'wasm' backend has threads/],
    [{ wasmVariant: "fast" }, /Invalid wasmVariant: fast/],
  ])("init(%o) throws ValueError", (options, message) => {
    expect(() => initSyncWithTwins(options as never)).toThrow(ValueError);
    expect(() => initSyncWithTwins(options as never)).toThrow(message);
  });
});
