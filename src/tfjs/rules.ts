import {
  AdaDelta, AdaGrad, Adam, AdamW, Adamax, DeltaBarDelta, NAdam, RMSProp, SGD,
  type BaseHyper, type Optimizer, type Param, type ParamGroupInput, type Runtime,
} from "../index";

/**
 * Every descend update rule the tfjs adapter offers, with the names its state buffers get in
 * `getWeights()`: tfjs's slot names where tfjs has the rule (`m`, `v`, `momentum`, `rms`,
 * `mg`, `accumulator`, `accum_grad`, `accum_var`), Keras's `vhat` for AMSGrad's maximum, and
 * descend's own buffer names where neither has an equivalent; and the scalar accumulators it
 * keeps per parameter.
 */
export const RULES = {
  SGD: { create: SGD, slots: { momentum: "momentum" }, scalars: [] },
  Adam: { create: Adam, slots: { s: "m", r: "v", rmax: "vhat" }, scalars: [] },
  AdamW: { create: AdamW, slots: { s: "m", r: "v", rmax: "vhat" }, scalars: [] },
  NAdam: { create: NAdam, slots: { s: "m", r: "v" }, scalars: ["muProduct"] },
  Adamax: { create: Adamax, slots: { m: "m", u: "v" }, scalars: [] },
  AdaGrad: { create: AdaGrad, slots: { r: "accumulator" }, scalars: [] },
  RMSProp: { create: RMSProp, slots: { r: "rms", momentum: "momentum", ga: "mg" }, scalars: [] },
  AdaDelta: { create: AdaDelta, slots: { eg: "accum_grad", edx: "accum_var" }, scalars: [] },
  DeltaBarDelta: { create: DeltaBarDelta, slots: { eta: "eta", bar: "bar" }, scalars: [] },
} as const;

/** The name of a descend update rule: `'Adam'`, `'SGD'`, `'RMSProp'`, ... */
export type RuleName = keyof typeof RULES;

/** The options a rule's descend constructor takes (hyperparameters, convention, clipping). */
export type RuleOptions<R extends RuleName> = NonNullable<ConstructorParameters<(typeof RULES)[R]["create"]>[2]>;

export const RULE_NAMES = Object.keys(RULES) as RuleName[];

/** Makes rule `rule` over no parameters yet: the adapter hands it the tfjs variables' copies step by step. */
export function createRule(rule: RuleName, runtime: Runtime, options: object): Optimizer<BaseHyper> {
  const Rule = RULES[rule].create as unknown as new (rt: Runtime, params: Param[] | ParamGroupInput<BaseHyper>[], options: object) => Optimizer<BaseHyper>;
  return new Rule(runtime, [], options);
}
