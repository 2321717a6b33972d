import { decayed, effectiveGrad, prologue, twins, type Lanes } from "./lanes";

/** Twin of assembly/optim/adagrad.ts (book Alg. 8.4): r <- r + x^2; theta <- theta0 - lr x / (sqrt(r + epsIn) + epsOut). */
function adagrad(
  v: Lanes, p: number, g: number, r2: number, n: number, lr: number, epsIn: number, epsOut: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [lr, epsIn, epsOut] = [lr, epsIn, epsOut].map(r) as [number, number, number];
  const [P, G, R] = [p >>> shift, g >>> shift, r2 >>> shift];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    const theta = decayed(v, pre, m[P + i]!);
    const sum = r(m[R + i]! + r(x * x));
    m[R + i] = sum;
    const u = r(x / r(r(Math.sqrt(r(sum + epsIn))) + epsOut));
    m[P + i] = r(theta - r(lr * u));
  }
}

export const [f32_adagrad_step, f64_adagrad_step] = twins(adagrad);
