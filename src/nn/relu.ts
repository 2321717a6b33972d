import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";
import { Workspace } from "../runtime/workspace";

/** y = max(x, 0) elementwise; backward dx = dy * [y > 0] (written into dy, which it returns). */
export class ReLU implements Layer {
  private readonly buffers: Workspace;
  private output: Tensor<"f32"> | null = null;

  constructor(private readonly rt: Runtime) {
    this.buffers = new Workspace(rt);
  }

  forward(x: Tensor<"f32">): Tensor<"f32"> {
    const y = this.buffers.get("y", [x.shape[0]!, x.length / x.shape[0]! || 0]);
    this.rt.kernels.f32_relu(y.ptr, x.ptr, x.length);
    this.output = y;
    return y;
  }

  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    this.rt.kernels.f32_relu_backward(dy.ptr, this.output!.ptr, dy.length);
    return dy;
  }

  parameters(): Param<"f32">[] {
    return [];
  }

  dispose(): void {
    this.buffers.dispose();
  }
}
