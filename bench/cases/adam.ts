// Adam step: descend wasm vs the reference twin, in ns per parameter.
import { initSync } from "../../src/runtime/init";
import { Adam } from "../../src/optim/adam";
import type { Backend } from "../../src/runtime/runtime";
import type { BenchCase, Contender } from "../harness";

function adamContender(backend: Backend, n: number): Contender {
  const rt = initSync({ backend });
  const w = rt.param([n]);
  const data = w.data;
  for (let i = 0; i < n; i++) data[i] = Math.sin(i);
  const grad = w.grad.data;
  for (let i = 0; i < n; i++) grad[i] = Math.cos(i) * 1e-2;
  const opt = new Adam(rt, [w], { lr: 1e-3 });
  return { name: `descend-${backend}`, fn: () => opt.step(), dispose: () => (opt.dispose(), w.dispose()) };
}

export const cases: BenchCase[] = [1e5, 1e6, 1e7].map((n) => ({
  family: "adam",
  name: `adam n=${n.toExponential(0)}`,
  size: n,
  elements: n,
  // Reads theta, g, s, r and writes theta, s, r: 7 f32 per parameter.
  bytes: 28 * n,
  unit: "ns/param",
  contenders: () => [adamContender("wasm", n), adamContender("js", n)],
}));
