// descend/tfjs: descend's update rules as TensorFlow.js optimizers (peer: @tensorflow/tfjs-core).
import { DescendOptimizer, type TfjsAdapterOptions, type TfjsOptimizerOptions } from "./optimizer";
import type { RuleName } from "./rules";

export { DescendOptimizer, type TfjsAdapterOptions, type TfjsOptimizerOptions };
export type { RuleName, RuleOptions } from "./rules";

/**
 * A `tf.Optimizer` running descend's rule `rule` with `options` (descend's option names:
 * `lr`, `beta1`, `convention`, ...). The factories below name the rule for you.
 * @throws ValueError when `rule` is not a descend rule or an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendOptimizer<R extends RuleName>(rule: R, options?: TfjsOptimizerOptions<R>): DescendOptimizer<R> {
  return new DescendOptimizer(rule, options);
}

/**
 * Adam (AMSGrad with `amsgrad: true`); `convention: 'tfjs'` matches `tf.train.adam` (eps 1e-7).
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendAdam(options?: TfjsOptimizerOptions<"Adam">): DescendOptimizer<"Adam"> {
  return new DescendOptimizer("Adam", options);
}

/**
 * AdamW: Adam with decoupled weight decay.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendAdamW(options?: TfjsOptimizerOptions<"AdamW">): DescendOptimizer<"AdamW"> {
  return new DescendOptimizer("AdamW", options);
}

/**
 * SGD, with (Nesterov) momentum when `momentum > 0`: `tf.train.sgd(lr)` is
 * `descendSGD({ lr })`, `tf.train.momentum(lr, m, nesterov)` is `descendSGD({ lr, momentum: m, nesterov })`.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendSGD(options?: TfjsOptimizerOptions<"SGD">): DescendOptimizer<"SGD"> {
  return new DescendOptimizer("SGD", options);
}

/**
 * NAdam (Dozat 2016).
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendNAdam(options?: TfjsOptimizerOptions<"NAdam">): DescendOptimizer<"NAdam"> {
  return new DescendOptimizer("NAdam", options);
}

/**
 * Adamax; `convention: 'tfjs'` matches `tf.train.adamax`.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendAdamax(options?: TfjsOptimizerOptions<"Adamax">): DescendOptimizer<"Adamax"> {
  return new DescendOptimizer("Adamax", options);
}

/**
 * AdaGrad; `convention: 'tfjs'` matches `tf.train.adagrad`.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendAdaGrad(options?: TfjsOptimizerOptions<"AdaGrad">): DescendOptimizer<"AdaGrad"> {
  return new DescendOptimizer("AdaGrad", options);
}

/**
 * RMSProp (centered, with momentum); `convention: 'tfjs'` matches `tf.train.rmsprop`.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendRMSProp(options?: TfjsOptimizerOptions<"RMSProp">): DescendOptimizer<"RMSProp"> {
  return new DescendOptimizer("RMSProp", options);
}

/**
 * AdaDelta; `convention: 'tfjs'` matches `tf.train.adadelta`.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendAdaDelta(options?: TfjsOptimizerOptions<"AdaDelta">): DescendOptimizer<"AdaDelta"> {
  return new DescendOptimizer("AdaDelta", options);
}

/**
 * Delta-bar-delta (Jacobs 1988): a learning rate per weight.
 * @throws ValueError when an option is unknown or out of range.
 * @throws BackendError when no `runtime` is given and the engine cannot run descend's wasm.
 */
export function descendDeltaBarDelta(options?: TfjsOptimizerOptions<"DeltaBarDelta">): DescendOptimizer<"DeltaBarDelta"> {
  return new DescendOptimizer("DeltaBarDelta", options);
}
