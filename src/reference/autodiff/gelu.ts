import type { Heap } from "../../runtime/heap";

// Reference twins of assembly/autodiff/gelu.ts: the same f64 formulas in the same order; only
// Math.exp may differ from the kernel's exp in the last bit of an f64.

const SQRT_HALF = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_2_OVER_PI = 0.7978845608028654;
const CUBIC = 0.044715;

function erfc(z: number): number {
  const a = Math.abs(z);
  const t = 1 / (1 + 0.5 * a);
  const p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-a * a + p);
  return z >= 0 ? r : 2 - r;
}

function tanhGate(x: number): number {
  const z = 2 * SQRT_2_OVER_PI * (x + CUBIC * x * x * x);
  const q = Math.exp(-Math.abs(z));
  return z >= 0 ? 1 / (1 + q) : q / (1 + q);
}

/** Reference twin: y = x Phi(x) (or its tanh approximation) in f64, rounded once. */
export function f32_gelu(h: Heap, y: number, x: number, n: number, approximate: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) {
    const v = f32[(x >>> 2) + i]!;
    f32[(y >>> 2) + i] = v * (approximate ? tanhGate(v) : 0.5 * erfc(-v * SQRT_HALF));
  }
}

/** Reference twin: dx += dy * fl32(gelu'(x)). */
export function f32_gelu_backward(h: Heap, dx: number, dy: number, x: number, n: number, approximate: number): void {
  const f32 = h.f32;
  for (let i = 0; i < n; i++) {
    const v = f32[(x >>> 2) + i]!;
    let slope: number;
    if (approximate) {
      const s = tanhGate(v);
      slope = s + 2 * v * (s * (1 - s)) * (SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v));
    } else {
      slope = 0.5 * erfc(-v * SQRT_HALF) + v * (INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
    f32[(dx >>> 2) + i] = f32[(dx >>> 2) + i]! + Math.fround(f32[(dy >>> 2) + i]! * Math.fround(slope));
  }
}
