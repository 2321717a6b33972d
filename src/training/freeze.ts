import { ValueError } from "../runtime/errors";
import { Param } from "../runtime/tensor";

/** A layer or model (anything with parameters()), or a list of params. */
export type Freezable = {
  /** The layer's or model's learnable parameters. */
  parameters(): Param[];
} | readonly Param[];

/**
 * Freezes parameters: sets `requiresGrad = false` on each, so optimizers skip them (no update,
 * no state created or advanced, not counted in clipping norms). Used by greedy layer-wise
 * pretraining (Goodfellow et al. 2016, Sec. 8.7.4) to train a new layer on top of trained,
 * frozen ones. Returns the params.
 *
 * @throws ValueError when `target` is neither a layer with parameters() nor an array of Params.
 * @example
 * freeze(firstLayer);             // train what was added on top
 * unfreeze(model);                // then fine-tune everything jointly
 */
export function freeze(target: Freezable): Param[] {
  return setRequiresGrad(target, false);
}

/**
 * Unfreezes parameters (`requiresGrad = true`); an optimizer creates their state fresh at its
 * next step if it had none. Returns the params.
 * @throws ValueError when `target` is neither a layer with parameters() nor an array of Params.
 */
export function unfreeze(target: Freezable): Param[] {
  return setRequiresGrad(target, true);
}

function setRequiresGrad(target: Freezable, value: boolean): Param[] {
  const params = paramsOf(target);
  for (const param of params) param.requiresGrad = value;
  return params;
}

function paramsOf(target: Freezable): Param[] {
  const params = Array.isArray(target)
    ? [...target]
    : typeof (target as { parameters?: unknown } | null)?.parameters === "function"
      ? (target as { parameters(): unknown }).parameters()
      : null;
  if (!Array.isArray(params) || !params.every((p) => p instanceof Param)) {
    throw new ValueError(`Invalid target: ${String(target)} (expected a layer with parameters() or an array of Params)`);
  }
  return params;
}
