// A minimal consumer app: `import ... from "descend"`, bundled by Vite, no wasm configuration.
import { init, Adam } from "descend";

async function run(): Promise<number[]> {
  const rt = await init();
  const w = rt.param([5], { values: [1, 2, 3, 4, 5] });
  const opt = new Adam(rt, [w], { lr: 0.1 });
  for (let t = 0; t < 10; t++) {
    w.grad.set(Array.from(w.data, (x) => 2 * x)); // gradient of sum x^2
    opt.step();
  }
  return Array.from(w.data);
}

run().then(
  (values) => {
    document.getElementById("out")!.textContent = JSON.stringify(values);
    (window as unknown as { __result: unknown }).__result = { ok: true, values };
  },
  (error) => {
    (window as unknown as { __result: unknown }).__result = { ok: false, error: String(error) };
  },
);
