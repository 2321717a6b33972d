// The demo's worker: trains the demo network and runs the quick benchmark off the main thread
// (and compiles wasm asynchronously, as browsers require for modules over 4 KB).
import { init } from "../../src/runtime/create";
import { train } from "../../src/demo/train";
import type { Reply, Request } from "./protocol";
import { quickBench } from "./quick-bench";

const post = (reply: Reply) => (self as unknown as Worker).postMessage(reply);

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  try {
    if (request.kind === "train") {
      const rt = await init({ backend: request.backend, threads: request.threads });
      const result = train(
        rt,
        request.options,
        (step, total, loss) => post({ kind: "step", step, total, loss }),
        (report) => post({ kind: "epoch", report }),
      );
      rt.dispose(); // stops the runtime's worker threads
      post({ kind: "trained", losses: result.losses, testAccuracy: result.testAccuracy, msPerStep: result.msPerStep });
    } else {
      await quickBench(request.backends, (row) => post({ kind: "bench-row", ...row }));
    }
    post({ kind: "done" });
  } catch (error) {
    post({ kind: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
