// A TensorFlow.js training step as a benchmark contender, shared by the train and autodiff
// families: tf's optimizer minimizes the loss over every trainable variable, and the cost is read
// back so that the step has finished before the timer stops.
import type { Contender, Skipped } from "../harness";
import { loadTfjs, useTfBackend, type Tf, type TfBackend } from "./tfjs";

type Scalar = ReturnType<Tf["scalar"]>;
type TfOptimizer = ReturnType<Tf["train"]["adam"]>;
type TfTensor = Parameters<Tf["dispose"]>[0];

/** What a model gives its training-step contender: the loss of one batch and what the step owns. */
export interface TfjsTrainStep {
  optimizer: TfOptimizer;
  loss: () => Scalar;
  /** Variables and inputs, disposed with the optimizer after the case. */
  owned: TfTensor[];
}

function stepContender(tf: Tf, backend: TfBackend, { optimizer, loss, owned }: TfjsTrainStep): Contender {
  return {
    name: `tfjs-${backend}`,
    fn: () => {
      const cost = optimizer.minimize(loss, true);
      cost!.dataSync(); // wait for the step to finish
      cost!.dispose();
    },
    before: () => useTfBackend(tf, backend),
    dispose: () => {
      optimizer.dispose();
      tf.dispose(owned);
    },
  };
}

/**
 * One training-step contender per tfjs backend asked for: each builds its model on its own
 * backend and switches tfjs to it before each timed block. A backend that is not installed is
 * reported as skipped.
 */
export async function tfjsTrainSteps(backends: readonly TfBackend[], build: (tf: Tf) => TfjsTrainStep): Promise<Array<Contender | Skipped>> {
  const peer = await loadTfjs();
  if (!("backends" in peer)) return backends.map((backend) => ({ name: `tfjs-${backend}`, skipped: peer.skipped }));
  const out: Array<Contender | Skipped> = [];
  for (const backend of backends) {
    if (!peer.backends.includes(backend)) {
      out.push({ name: `tfjs-${backend}`, skipped: peer.skipped[backend] ?? "not available" });
      continue;
    }
    await useTfBackend(peer.tf, backend);
    out.push(stepContender(peer.tf, backend, build(peer.tf)));
  }
  return out;
}
