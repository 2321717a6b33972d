// tfjs-layers training with tfjs's Adam vs descend's Adam behind descend/tfjs, on tfjs's wasm and
// cpu backends: one training step of a dense MLP (layers forward, softmax cross-entropy, tfjs
// gradients, optimizer), and the optimizer's applyGradients alone on the same variables with
// fixed gradients. The second case also runs descend's Adam on copies already in wasm memory:
// the adapter's time minus that is what moving tensors between tfjs and wasm memory costs.
import { Adam } from "../../src/optim/adam";
import { initSyncWithTwins } from "../../test/helpers/runtime";
import type { BenchCase, Contender, Skipped } from "../harness";
import { loadTfjs, useTfBackend, type Tf, type TfBackend } from "../peers/tfjs";

const [FEATURES, HIDDEN, CLASSES, BATCH] = [256, 512, 10, 128];
const PARAMS = FEATURES * HIDDEN + HIDDEN + HIDDEN * HIDDEN + HIDDEN + HIDDEN * CLASSES + CLASSES;
const LR = 1e-3;

type TfjsLayers = typeof import("@tensorflow/tfjs");
type Optimizer = InstanceType<Tf["Optimizer"]>;
type Which = "tfjs-adam" | "descend-adam";

/** The MLP as a tfjs-layers model, its weights from fixed seeds. */
function mlp(tfl: TfjsLayers) {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: HIDDEN, inputShape: [FEATURES], activation: "relu", kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tfl.layers.dense({ units: HIDDEN, activation: "relu", kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  model.add(tfl.layers.dense({ units: CLASSES, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  return model;
}

async function makeOptimizer(tf: Tf, which: Which): Promise<Optimizer> {
  if (which === "tfjs-adam") return tf.train.adam(LR);
  const { descendAdam } = await import("../../src/tfjs/index");
  return descendAdam({ lr: LR, convention: "tfjs" });
}

function data(tf: Tf) {
  const x = tf.tensor2d(Float32Array.from({ length: BATCH * FEATURES }, (_, i) => Math.sin(i * 0.37)), [BATCH, FEATURES]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % CLASSES), "int32"), CLASSES);
  return { x, y };
}

/** One step as model.fit takes it: minimize over the model's trainable variables. */
async function fitStep(tfl: TfjsLayers, backend: TfBackend, which: Which): Promise<Contender> {
  const tf = tfl as unknown as Tf;
  const model = mlp(tfl);
  const { x, y } = data(tf);
  const optimizer = await makeOptimizer(tf, which);
  const variables = model.trainableWeights.map((w) => w.read() as ReturnType<Tf["variable"]>);
  return {
    name: `${which}-on-tfjs-${backend}`,
    fn: () => {
      const cost = optimizer.minimize(() => tfl.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as ReturnType<Tf["matMul"]>) as ReturnType<Tf["scalar"]>, true, variables);
      cost!.dataSync();
      cost!.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

/** applyGradients alone, with one fixed gradient per variable. */
async function updateOnly(tfl: TfjsLayers, backend: TfBackend, which: Which): Promise<Contender> {
  const tf = tfl as unknown as Tf;
  const model = mlp(tfl);
  const optimizer = await makeOptimizer(tf, which);
  const grads = model.trainableWeights.map((w, i) => ({ name: (w.read() as ReturnType<Tf["variable"]>).name, tensor: tf.randomNormal(w.shape as number[], 0, 1e-3, "float32", i) }));
  return {
    name: `${which}-on-tfjs-${backend}`,
    fn: () => {
      optimizer.applyGradients(grads);
      tf.engine().registeredVariables[grads[0]!.name]!.dataSync(); // wait for the update (tfjs queues work)
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      tf.dispose(grads.map((g) => g.tensor));
    },
  };
}

/** descend's Adam on the same number of parameters, already in wasm memory: no copies. */
function descendInPlace(): Contender {
  const rt = initSyncWithTwins();
  const sizes = [FEATURES * HIDDEN, HIDDEN, HIDDEN * HIDDEN, HIDDEN, HIDDEN * CLASSES, CLASSES];
  const params = sizes.map((n, i) => {
    const p = rt.param([n]);
    p.grad.data.forEach((_, j, a) => (a[j] = Math.sin(i + j) * 1e-3));
    return p;
  });
  const opt = new Adam(rt, params, { lr: LR, convention: "tfjs" });
  return { name: "descend-adam-in-wasm-memory", fn: () => void opt.step(), dispose: () => rt.dispose() };
}

async function contenders(make: (tfl: TfjsLayers, backend: TfBackend, which: Which) => Promise<Contender>, extra: Contender[] = []): Promise<Array<Contender | Skipped>> {
  const peer = await loadTfjs();
  if (!("backends" in peer)) return [{ name: "tfjs", skipped: peer.skipped }];
  const tfl = (await import("@tensorflow/tfjs")) as TfjsLayers;
  const out: Array<Contender | Skipped> = [];
  for (const backend of ["wasm", "cpu"] as const) {
    for (const which of ["descend-adam", "tfjs-adam"] as const) {
      if (!peer.backends.includes(backend)) {
        out.push({ name: `${which}-on-tfjs-${backend}`, skipped: peer.skipped[backend] ?? "not available" });
        continue;
      }
      await useTfBackend(peer.tf, backend);
      out.push({ ...(await make(tfl, backend, which)), before: () => useTfBackend(peer.tf, backend) });
    }
  }
  return [...out, ...extra];
}

export const cases: BenchCase[] = [
  {
    family: "optimizer-swap",
    name: `tfjs-layers train step, MLP ${FEATURES}-${HIDDEN}-${HIDDEN}-${CLASSES}, batch ${BATCH}: tfjs Adam vs descend/tfjs Adam`,
    contenders: () => contenders(fitStep),
  },
  {
    family: "optimizer-swap",
    name: `tfjs applyGradients, Adam, ${PARAMS} params: tfjs Adam vs descend/tfjs Adam (copies in and out) vs descend in wasm memory`,
    elements: PARAMS,
    unit: "ns/param",
    contenders: () => contenders(updateOnly, [descendInPlace()]),
  },
];
