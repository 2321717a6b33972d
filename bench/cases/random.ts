// Philox fills: descend wasm (four blocks per v128 pass) vs the reference twin, in ns per value.
// Both produce the same bits; Math.random() is shown as the floor of what a JS loop costs.
import { initSyncWithTwins } from "../../test/helpers/runtime";
import { Philox } from "../../src/random/philox";
import type { Backend } from "../../src/runtime/runtime";
import type { DType } from "../../src/runtime/tensor";
import type { Contender } from "../harness";
import type { BenchCase } from "../harness";

type Kind = "uniform" | "normal" | "permutation";

function fillContender(backend: Backend, kind: Kind, dtype: DType, n: number): Contender & { dispose: () => void } {
  const rt = initSyncWithTwins({ backend });
  const t = rt.tensor([n], { dtype });
  const g = new Philox(1);
  const fn =
    kind === "uniform" ? () => void g.uniform(t) : kind === "normal" ? () => void g.normal(t) : () => void g.permuteInto(rt, t.ptr, n);
  return { name: `descend-${backend}`, fn, dispose: () => t.dispose() };
}

function mathRandom(n: number): Contender {
  const out = new Float32Array(n);
  return { name: "Math.random loop", fn: () => { for (let i = 0; i < n; i++) out[i] = Math.random(); } };
}

const n = 1 << 20;
export const cases: BenchCase[] = (
  [
    ["uniform", "f32"],
    ["uniform", "f64"],
    ["normal", "f32"],
    ["permutation", "f32"],
  ] as Array<[Kind, DType]>
).map(([kind, dtype]) => ({
  family: "random",
  name: `philox ${kind}${kind === "permutation" ? "" : ` ${dtype}`} n=2^20`,
  elements: n,
  unit: "ns/value",
  contenders: () => [fillContender("wasm", kind, dtype, n), fillContender("js", kind, dtype, n), mathRandom(n)],
}));
