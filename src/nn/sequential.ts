import { DisposedError, ValueError } from "../runtime/errors";
import { checkShape, checkTensor, type Param, type Tensor } from "../runtime/tensor";
import type { Layer } from "./layer";
import { checkTraining } from "../runtime/validate";
import type { Ops } from "../autodiff/ops";
import { isOps, Module } from "./module";

const LAYER_METHODS = ["forward", "backward", "outputShape", "parameters", "dispose"] as const;

const isLayer = (layer: unknown): layer is Layer =>
  LAYER_METHODS.every((m) => typeof (layer as Record<string, unknown> | null)?.[m] === "function");

/**
 * Modules (or hand-wired layers) applied in order, named by their index as in PyTorch's
 * nn.Sequential (`0.weight`, `1.running_mean`). Two ways to run it:
 *
 * - through the tape, `forward(ops, x)` inside valueAndGrad: every entry must be a Module;
 * - hand-wired, `forward(x, { training })` then `backward(dy)` in reverse: every entry must be
 *   a Layer (Linear, ReLU, the norms). forward() first walks the shapes through every layer's
 *   outputShape(), so an input some layer would reject throws before any layer runs.
 *
 * The same entry may not appear twice (a layer keeps one input for its backward): reuse needs
 * a second one.
 */
export class Sequential extends Module implements Layer {
  /**
   * @throws {ValueError} for something other than an array of Modules or Layers, or an entry that appears twice.
   */
  constructor(
    /** The entries, applied in order; entry i is named `i` in the state dict. */
    readonly layers: ReadonlyArray<Layer | Module>,
  ) {
    super();
    if (!Array.isArray(layers)) throw new ValueError(`Invalid layers: ${String(layers)} (expected an array of layers)`);
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module) && !isLayer(layer)) {
        throw new ValueError(`Invalid layer at index ${i}: ${String(layer)} (expected a Module, or a layer with ${LAYER_METHODS.map((m) => `${m}()`).join(", ")})`);
      }
      if (layers.indexOf(layer) !== i) {
        throw new ValueError(`Invalid layer at index ${i}: the same layer as at index ${layers.indexOf(layer)} (a layer keeps one input for backward)`);
      }
    });
    layers.forEach((layer, i) => layer instanceof Module && this.registerModule(String(i), layer));
  }

  /**
   * Through the tape: each module's forward(ops, x) in order. Hand-wired: each layer's
   * forward(x, options) in order, after checking the shapes through all of them.
   * @throws {ValueError} for an entry that cannot run that way, bad options or a tensor of another runtime.
   * @throws {ShapeError} for an input some layer rejects.
   * @throws {DisposedError} once the model, a layer or the input was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;
  override forward(x: Tensor<"f32">, options: { training: boolean }): Tensor<"f32">;
  override forward(first: Ops | Tensor<"f32">, second: unknown): Tensor<"f32"> {
    this.assertUsable();
    if (isOps(first)) {
      const bad = this.layers.findIndex((layer) => !(layer instanceof Module));
      if (bad >= 0) throw new ValueError(`Sequential.forward(ops, x): the layer at index ${bad} is not a Module (it has no forward through the tape)`);
      return (this.layers as Module[]).reduce((h, module) => module.forward(first, h), second as Tensor<"f32">);
    }
    const options = second as { training: boolean };
    checkTraining(options, "Sequential.forward");
    this.outputShape(checkTensor("x", first).shape, options);
    return this.handWired().reduce((h, layer) => layer.forward(h, options), first);
  }

  /**
   * The output shape of the last layer, each layer's outputShape applied in order.
   * @throws {ShapeError} for a shape that is not a list of sizes, or that some layer rejects.
   * @throws {ValueError} when an entry is not a hand-wired Layer; whatever a layer's outputShape()
   *   throws for its input shape (a norm: ValueError for `options.training` that is not a boolean).
   * @throws {DisposedError} once the model or a layer was disposed.
   */
  outputShape(shape: readonly number[], options?: { training: boolean }): number[] {
    this.assertUsable();
    return this.handWired().reduce<number[]>((s, layer) => layer.outputShape(s, options), [...checkShape(shape)]);
  }

  /**
   * Each layer's backward() in reverse order; returns the first layer's dx.
   * @throws {ValueError} when an entry is not a hand-wired Layer; whatever a layer's backward() throws
   *   (StateError before forward(), ShapeError for a dy of the wrong shape).
   * @throws {DisposedError} once the model or a layer was disposed.
   */
  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    this.assertUsable();
    return this.handWired().reduceRight((g, layer) => layer.backward(g), dy);
  }

  /**
   * Every entry's parameters, in order.
   * @throws {DisposedError} once the model or a layer was disposed.
   */
  override parameters(): Param<"f32">[] {
    this.assertUsable();
    return this.layers.flatMap((layer) => layer.parameters() as Param<"f32">[]);
  }

  /** Disposes every layer; afterwards every method but dispose() throws DisposedError. Idempotent. */
  override dispose(): void {
    this.markDisposed();
    for (const layer of this.layers) layer.dispose();
  }

  /** The layers, when every one runs hand-wired (forward(x, options) and backward(dy)). */
  private handWired(): Layer[] {
    const bad = this.layers.findIndex((layer) => !isLayer(layer));
    if (bad >= 0) throw new ValueError(`Sequential: the layer at index ${bad} has no hand-wired backward(); run the model through the tape (forward(ops, x))`);
    return this.layers as Layer[];
  }

  private assertUsable(): void {
    if (this.disposed) throw new DisposedError("Sequential was used after dispose()");
  }
}
