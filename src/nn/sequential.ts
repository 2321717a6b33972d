import { DisposedError, ValueError } from "../runtime/errors";
import { checkShape, checkTensor, type Param, type Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";
import { checkTraining } from "../runtime/validate";

const LAYER_METHODS = ["forward", "backward", "outputShape", "parameters", "dispose"] as const;

/**
 * Layers applied in order; backward runs them in reverse. forward() first walks the shapes
 * through every layer's outputShape(), so an input some layer would reject throws before any
 * layer runs and every layer's buffers keep their values. The same layer may not appear twice
 * (it keeps one input for its backward): reuse needs a second layer.
 */
export class Sequential implements Layer {
  private disposedModel = false;

  constructor(readonly layers: readonly Layer[]) {
    if (!Array.isArray(layers)) throw new ValueError(`Invalid layers: ${String(layers)} (expected an array of layers)`);
    layers.forEach((layer, i) => {
      if (LAYER_METHODS.some((m) => typeof (layer as unknown as Record<string, unknown>)?.[m] !== "function")) {
        throw new ValueError(`Invalid layer at index ${i}: ${String(layer)} (expected ${LAYER_METHODS.map((m) => `${m}()`).join(", ")})`);
      }
      if (layers.indexOf(layer) !== i) {
        throw new ValueError(`Invalid layer at index ${i}: the same layer as at index ${layers.indexOf(layer)} (a layer keeps one input for backward)`);
      }
    });
  }

  forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32"> {
    checkTraining(options, "Sequential.forward");
    this.outputShape(checkTensor("x", x).shape, options);
    return this.layers.reduce((h, layer) => layer.forward(h, options), x);
  }

  /** The output shape of the last layer, each layer's outputShape applied in order. */
  outputShape(shape: readonly number[], options?: { training: boolean }): number[] {
    this.assertUsable();
    return this.layers.reduce<number[]>((s, layer) => layer.outputShape(s, options), [...checkShape(shape)]);
  }

  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    this.assertUsable();
    return this.layers.reduceRight((g, layer) => layer.backward(g), dy);
  }

  parameters(): Param<"f32">[] {
    this.assertUsable();
    return this.layers.flatMap((layer) => layer.parameters());
  }

  /** Disposes every layer; afterwards every method but dispose() throws DisposedError. Idempotent. */
  dispose(): void {
    this.disposedModel = true;
    for (const layer of this.layers) layer.dispose();
  }

  get disposed(): boolean {
    return this.disposedModel;
  }

  private assertUsable(): void {
    if (this.disposedModel) throw new DisposedError("Sequential was used after dispose()");
  }
}
