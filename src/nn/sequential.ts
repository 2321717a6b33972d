import type { Param, Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";

/** Layers applied in order; backward runs them in reverse. */
export class Sequential implements Layer {
  constructor(readonly layers: readonly Layer[]) {}

  forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32">{
    return this.layers.reduce((h, layer) => layer.forward(h, options), x);
  }

  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    return this.layers.reduceRight((g, layer) => layer.backward(g), dy);
  }

  parameters(): Param<"f32">[] {
    return this.layers.flatMap((layer) => layer.parameters());
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
