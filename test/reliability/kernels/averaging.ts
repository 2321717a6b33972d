import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, type KernelProperty } from "./harness";

/** Polyak averaging: both kernels are elementwise and exactly rounded, so bit-identical. */
export const AVERAGING: KernelProperty[] = (["f32", "f64"] as const).flatMap((type): KernelProperty[] => [
  kernelProperty({
    name: `${type} avg <- avg + w (p - avg)`,
    kernels: [`${type}_lerp_toward`],
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ avg: buffer(type, n, floats(type)), p: buffer(type, n, floats(type)) }),
        // w = 1/t for the mean, 1 - decay for the EMA: always in (0, 1].
        scalars: fc.record({ n: fc.constant(n), w: fc.double({ min: 2 ** -20, max: 1, noNaN: true }) }),
      }),
    ),
    call: (k, ptr, s) => k[`${type}_lerp_toward`](ptr.avg!, ptr.p!, s.n, s.w),
  }),
  kernelProperty({
    name: `${type} swap exchanges every bit`,
    kernels: [`${type}_swap`],
    cases: lengths().chain((n) =>
      fc.record({
        buffers: fc.record({ a: buffer(type, n, floats(type)), b: buffer(type, n, floats(type)) }),
        scalars: fc.record({ n: fc.constant(n) }),
      }),
    ),
    call: (k, ptr, s) => k[`${type}_swap`](ptr.a!, ptr.b!, s.n),
  }),
]);
