import { twins, type Lanes } from "./lanes";

/** Twin of assembly/optim/stream.ts, the bandwidth probe: a_j <- a_j + g for the first k of (a, b, c, d). */
function stream(v: Lanes, g: number, a: number, b: number, c: number, d: number, n: number, k: number): void {
  const { a: m, r, shift } = v;
  const G = g >>> shift;
  const targets = [a, b, c, d].slice(0, Math.min(Math.max(k, 1), 4)).map((ptr) => ptr >>> shift);
  for (let i = 0; i < n; i++) for (const T of targets) m[T + i] = r(m[T + i]! + m[G + i]!);
}

export const [f32_stream, f64_stream] = twins(stream);
