import { initSync } from "./src/runtime/init";
const rt = initSync({ backend: "wasm" });
const n = 1 << 20;
for (const dtype of ["f32","f64"] as const) {
const t = rt.tensor([n], { dtype });
const k = rt.kernels;
for (const [name, f] of [["bits", () => k.u32_philox_bits(t.ptr, n, 1, 2, 0, 0, 3, 4)], ["uniform", () => (dtype==="f32"?k.f32_philox_uniform:k.f64_philox_uniform)(t.ptr, n, 1, 2, 3, 4, 0, 1, 0)], ["normal", () => (dtype==="f32"?k.f32_philox_normal:k.f64_philox_normal)(t.ptr, n, 1,2,3,4,0,0,1)]] as const) {
  for (let r = 0; r < 3; r++) f();
  const t0 = performance.now(); for (let r = 0; r < 10; r++) f(); const dt = (performance.now() - t0) / 10;
  console.log(dtype, name, (dt * 1e6 / n).toFixed(2), "ns/value");
}}
