import fc from "fast-check";
import { buffer, floats, kernelProperty, lengths, withRuns, type KernelProperty } from "./harness";
import { position, stream } from "./random";

/**
 * The continuation kernels (assembly/continuation/): Gaussian perturbations drawn from Philox
 * positions and the f32 scaled sum, bit-identical to their twins like every random kernel.
 */
const size = lengths(300);

export const CONTINUATION: KernelProperty[] = withRuns(
  (["f32", "f64"] as const).flatMap((type): KernelProperty[] => {
    const values = floats(type);
    return [
      kernelProperty({
        name: `${type} philox_perturb: theta + sigma z, out separate or theta itself`,
        kernels: [`${type}_philox_perturb`],
        cases: size.chain((n) =>
          fc.record({
            buffers: fc.record({ out: buffer(type, n, values), theta: buffer(type, n, values) }),
            scalars: fc.record({ n: fc.constant(n), ...stream, pos: position(2), sigma: floats("f64"), inPlace: fc.boolean() }),
          }),
        ),
        call: (k, p, s) => k[`${type}_philox_perturb`](s.inPlace ? p.theta! : p.out!, p.theta!, s.n, s.k0, s.k1, s.s0, s.s1, s.pos, s.sigma),
      }),
      kernelProperty({
        name: `${type} philox_normal_axpy: acc + alpha z, rounded once`,
        kernels: [`${type}_philox_normal_axpy`],
        cases: size.chain((n) =>
          fc.record({
            buffers: fc.record({ acc: buffer(type, n, values) }),
            scalars: fc.record({ n: fc.constant(n), ...stream, pos: position(2), alpha: floats("f64") }),
          }),
        ),
        call: (k, p, s) => k[`${type}_philox_normal_axpy`](p.acc!, s.n, s.k0, s.k1, s.s0, s.s1, s.pos, s.alpha),
      }),
    ];
  }).concat(
    kernelProperty({
      name: "f32 scaled_add: acc + alpha x, elementwise (f64_scaled_add is a minimize kernel)",
      kernels: ["f32_scaled_add"],
      cases: lengths().chain((n) =>
        fc.record({
          buffers: fc.record({ acc: buffer("f32", n, floats("f32")), x: buffer("f32", n, floats("f32")) }),
          scalars: fc.record({ n: fc.constant(n), alpha: floats("f32") }),
        }),
      ),
      call: (k, p, s) => k.f32_scaled_add(p.acc!, p.x!, s.n, s.alpha),
    }),
  ),
  100,
);
