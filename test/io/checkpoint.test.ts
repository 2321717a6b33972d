import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  Adam, BatchNorm, Linear, NonFiniteError, ReLU, SGD, Sequential, StateError, ValueError, decodeSafetensors, encodeSafetensors,
  SoftmaxCrossEntropy, loadCheckpoint, saveCheckpoint, type Runtime,
} from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { expectThrowsUnchanged } from "../helpers/snapshot";

const bits = (t: { data: ArrayLike<number> }) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
const dir = mkdtempSync(join(tmpdir(), "descend-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Why the numpy tests cannot run here, or null when python3 with numpy is available. */
function numpyMissing(): string | null {
  try {
    execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" });
    return null;
  } catch {
    return "python3 with numpy is not installed (apt-get install python3-numpy)";
  }
}
const missing = numpyMissing();
if (missing) console.warn(`skipping the numpy round trips: ${missing}`);
const numpy = (...args: string[]) => execFileSync("python3", [join(__dirname, "numpy_mlp.py"), ...args]);

/** nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3)), the model the numpy script knows. */
const mlp = (rt: Runtime) => new Sequential([new Linear(rt, 4, 8), new ReLU(rt), new Linear(rt, 8, 3)]);

describeBackends("checkpoints", (rt, backend) => {
  const path = (name: string) => join(dir, `${backend}-${name}`);

  describe("safetensors", () => {
    it("round-trips every dtype and the metadata, and refuses a damaged file whole", () => {
      const tensors = {
        a: { dtype: "f32" as const, shape: [2, 2], data: [1, -0, Number.NaN, Math.fround(3e38)] },
        b: { dtype: "f64" as const, shape: [], data: [Math.PI] },
        c: { dtype: "i64" as const, shape: [1], data: [2 ** 40] },
        d: { dtype: "i32" as const, shape: [0], data: [] },
      };
      const bytes = encodeSafetensors(tensors, { note: "hi" });
      const back = decodeSafetensors(bytes);
      expect(back.metadata).toEqual({ note: "hi" });
      for (const [k, t] of Object.entries(tensors)) {
        expect(back.tensors[k]!.shape).toEqual(t.shape);
        expect(Array.from(back.tensors[k]!.data)).toEqual(t.data);
      }
      expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
      // A Node Buffer (readFileSync's) is a view into a shared pool, and its slice() is a view too.
      const pooled = Buffer.from(bytes);
      expect(pooled.byteOffset === 0 && pooled.buffer.byteLength === pooled.length).toBe(false);
      expect(Array.from(decodeSafetensors(pooled).tensors.b!.data)).toEqual([Math.PI]);
      expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1))).toThrow(new StateError("Cannot read safetensors: 'c' has data_offsets [24, 32] outside the 31 data bytes"));
      const extra = new Uint8Array(bytes.length + 4);
      extra.set(bytes);
      expect(() => decodeSafetensors(extra)).toThrow(/4 bytes after the last tensor belong to no tensor/);
      expect(() => decodeSafetensors(bytes.subarray(0, 4))).toThrow(/fewer than the 8 of the header length/);
      expect(() => encodeSafetensors({ x: { dtype: "u8" as never, shape: [1], data: [1] } })).toThrow(ValueError);
    });
  });

  describe("PyTorch layout through numpy", () => {
    it.skipIf(missing)("numpy reads our checkpoint and reproduces our forward pass", () => {
      rt.scope(() => {
        const model = mlp(rt).resetParameters(5);
        model.layers[0]!.parameters()[1]!.set(uniformArray(8, 2, -0.2, 0.2)); // nonzero biases
        const x = rt.fromArray(uniformArray(20, 3, -1, 1), [5, 4]);
        writeFileSync(path("model.safetensors"), saveCheckpoint(model));
        writeFileSync(path("x.safetensors"), encodeSafetensors({ x }));
        numpy("forward", path("model.safetensors"), path("x.safetensors"), path("y.safetensors"));
        const y = decodeSafetensors(readFileSync(path("y.safetensors"))).tensors.y!;
        const ours = model.forward(x, { training: false });
        expect(y.shape).toEqual([5, 3]);
        Array.from(ours.data).forEach((v, i) => expect(v).toBeCloseTo(y.data[i]!, 5));
        model.dispose();
      });
    });

    it.skipIf(missing)("a file numpy writes in PyTorch's layout loads and gives numpy's outputs", () => {
      rt.scope(() => {
        numpy("write", path("torch.safetensors"), path("data.safetensors"));
        const model = mlp(rt);
        loadCheckpoint(readFileSync(path("torch.safetensors")), model);
        const { x, y } = decodeSafetensors(readFileSync(path("data.safetensors"))).tensors;
        const ours = model.forward(rt.fromArray(x!.data, x!.shape), { training: false });
        Array.from(ours.data).forEach((v, i) => expect(v).toBeCloseTo(y!.data[i]!, 5));
        model.dispose();
      });
    });
  });

  describe("model and optimizer", () => {
    /** A BatchNorm MLP and AMSGrad Adam after `steps` steps on fixed data; `train(n)` takes n more. */
    function trained(steps: number) {
      const model = new Sequential([new Linear(rt, 4, 8, { bias: false }), new BatchNorm(rt, 8), new ReLU(rt), new Linear(rt, 8, 3)]).resetParameters(9);
      const opt = new Adam(rt, model.parameters(), { lr: 1e-2, amsgrad: true });
      const sce = new SoftmaxCrossEntropy(rt);
      const x = rt.fromArray(uniformArray(24, 4, -1, 1), [6, 4]);
      const y = rt.fromArray([0, 1, 2, 0, 1, 2], [6], { dtype: "i32" });
      const train = (n: number) => {
        for (let i = 0; i < n; i++) {
          opt.zeroGrad();
          model.backward(sce.forward(model.forward(x, { training: true }), y).grad);
          opt.step();
        }
      };
      train(steps);
      return { model, opt, train, dispose: () => (sce.dispose(), opt.dispose(), model.dispose()) };
    }

    it("names the optimizer state after torch.optim, transposed like its parameter, and resumes bit for bit", () => {
      rt.scope(() => {
        const a = trained(6);
        const bytes = saveCheckpoint(a.model, { optimizer: a.opt, metadata: { epoch: "6" } });
        const file = decodeSafetensors(bytes);
        expect(Object.keys(file.tensors).filter((k) => k.startsWith("optimizer.state.0.weight."))).toEqual(
          ["optimizer.state.0.weight.exp_avg", "optimizer.state.0.weight.exp_avg_sq", "optimizer.state.0.weight.max_exp_avg_sq", "optimizer.state.0.weight.step"],
        );
        expect(file.tensors["optimizer.state.0.weight.exp_avg"]!.shape).toEqual([8, 4]);
        expect(Array.from(file.tensors["optimizer.state.1.bias.step"]!.data)).toEqual([6]);
        expect(Array.from(file.tensors["1.num_batches_tracked"]!.data)).toEqual([6]);
        a.train(4);
        const b = trained(0);
        expect(loadCheckpoint(bytes, b.model, { optimizer: b.opt })).toMatchObject({ epoch: "6", format: "pt" });
        b.train(4);
        for (const [k, t] of Object.entries(a.model.stateDict())) expect(bits(b.model.stateDict()[k]!), k).toEqual(bits(t));
        expect(b.opt.stateDict()).toEqual(a.opt.stateDict());
        a.dispose();
        b.dispose();
      });
    });

    it("refuses a checkpoint that does not fit, writing neither model nor optimizer", () => {
      rt.scope(() => {
        const a = trained(2);
        const bytes = saveCheckpoint(a.model, { optimizer: a.opt });
        const b = trained(1);
        const sgd = new SGD(rt, b.model.parameters(), { momentum: 0.9 });
        const spoil = (key: string, data: number[]) => {
          const { tensors, metadata } = decodeSafetensors(bytes);
          return encodeSafetensors({ ...tensors, [key]: { ...tensors[key]!, data } }, metadata);
        };
        expectThrowsUnchanged(rt, () => loadCheckpoint(bytes, b.model, { optimizer: sgd }), StateError, /saved by Adam, not SGD/);
        expectThrowsUnchanged(rt, () => loadCheckpoint(spoil("3.bias", [0, Number.NaN, 0]), b.model, { optimizer: b.opt }), NonFiniteError, /'3.bias' holds NaN at 1/);
        expectThrowsUnchanged(rt, () => loadCheckpoint(spoil("optimizer.state.3.bias.step", [-1]), b.model, { optimizer: b.opt }), StateError, /step -1/);
        expectThrowsUnchanged(rt, () => loadCheckpoint(bytes.subarray(0, 100), b.model), StateError, /Cannot read safetensors/);
        const other = mlp(rt);
        expectThrowsUnchanged(rt, () => loadCheckpoint(bytes, other), StateError, /missing keys '0.bias'/);
        expectThrowsUnchanged(rt, () => loadCheckpoint(bytes, b.model, { optimizer: new Adam(rt, other.parameters()) }), ValueError, /not a parameter of the model/);
        loadCheckpoint(bytes, b.model); // the model alone ignores the optimizer's entries
        for (const o of [a, b, sgd, other]) o.dispose();
      });
    });
  });
});
