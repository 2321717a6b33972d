import { ValueError } from "../runtime/errors";
import type { Param, Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";
import { checkTraining } from "../runtime/validate";

const LAYER_METHODS = ["forward", "backward", "parameters", "dispose"] as const;

/**
 * Layers applied in order; backward runs them in reverse. Each layer checks its own input, so
 * a layer that rejects what the one before it produced throws after the earlier layers have
 * run (their outputs, which they own, then hold this call's values).
 */
export class Sequential implements Layer {
  constructor(readonly layers: readonly Layer[]) {
    if (!Array.isArray(layers)) throw new ValueError(`Invalid layers: ${String(layers)} (expected an array of layers)`);
    layers.forEach((layer, i) => {
      if (LAYER_METHODS.some((m) => typeof (layer as unknown as Record<string, unknown>)?.[m] !== "function")) {
        throw new ValueError(`Invalid layer at index ${i}: ${String(layer)} (expected ${LAYER_METHODS.map((m) => `${m}()`).join(", ")})`);
      }
    });
  }

  forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32">{
    checkTraining(options, "Sequential.forward");
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
