import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkTensor, type Param, type Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";
import { Workspace } from "../runtime/workspace";

/** y = max(x, 0) elementwise; backward dx = dy * [y > 0] (written into dy, which it returns). */
export class ReLU implements Layer {
  private readonly buffers: Workspace;
  private output: Tensor<"f32"> | null = null;

  constructor(private readonly rt: Runtime) {
    this.buffers = new Workspace(checkRuntime(rt));
  }

  forward(x: Tensor<"f32">): Tensor<"f32"> {
    const input = checkTensor("x", x, this.rt);
    if (input.dtype !== "f32" || input.shape.length === 0) throw new ShapeError(`ReLU expects an f32 input of rank >= 1, got ${input.describe()}`);
    const y = this.buffers.get("y", [input.shape[0]!, input.length / input.shape[0]! || 0]);
    this.rt.kernels.f32_relu(y.ptr, input.ptr, input.length);
    this.output = y;
    return y;
  }

  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    const y = this.output;
    if (y === null) throw new ValueError("ReLU.backward() needs a forward() first");
    if (y.disposed) throw new DisposedError("ReLU.backward(): the output of forward() was disposed; run forward() again");
    const grad = checkTensor("dy", dy, this.rt);
    if (grad.dtype !== "f32" || grad.length !== y.length) {
      throw new ShapeError(`Invalid dy: ${grad.describe()} (expected the forward output's shape [${y.shape.join(", ")}])`);
    }
    this.rt.kernels.f32_relu_backward(grad.ptr, y.ptr, grad.length);
    return dy;
  }

  parameters(): Param<"f32">[] {
    return [];
  }

  dispose(): void {
    this.buffers.dispose();
  }
}
