import { ShapeError, ValueError } from "../runtime/errors";
import { runtimeOf } from "../runtime/runtime";
import { checkFloatTensor, checkTensor, sizeOf, type Tensor } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { Philox, toGenerator } from "../random/philox";

/**
 * Fills `target` in place and returns it (it writes nothing else, so there is nothing to alias).
 * `rng` is a {@link Philox} generator (advanced by the draws) or a seed (a fresh generator on
 * stream 0); default `runtimeOf(target).nextSeed()`, so two tensors filled without a seed differ,
 * reproducibly from the runtime's seed. Deterministic initializers ignore it. Pass one to
 * `rt.param(shape, { init, seed })`.
 */
export type Initializer = <T extends Tensor>(target: T, rng?: Philox | number) => T;

/** How many inputs (fan-in) and outputs (fan-out) feed one weight tensor. */
export interface Fans {
  /** Inputs feeding each output unit (m in Glorot's b = sqrt(6 / (m + n))). */
  fanIn: number;
  /** Outputs each input feeds (n in Glorot's formula). */
  fanOut: number;
}

/**
 * Fans of a weight of `shape`, in descend's (and Keras/tfjs's) layout where a dense weight is
 * [inputs, outputs] (y = x W) and a convolution kernel is [...receptive field, in, out]:
 * rank 1: fanIn = fanOut = shape[0]; rank >= 2: fanIn = shape[-2] r, fanOut = shape[-1] r with
 * r the product of the leading dimensions. PyTorch stores [out, in]: pass `fans` to override.
 *
 * @throws {@link ShapeError} for an empty shape or one whose dimensions are not non-negative integers.
 */
export function computeFans(shape: readonly number[]): Fans {
  sizeOf(shape); // a list of non-negative integers, else ShapeError
  if (shape.length === 0) throw new ShapeError("Invalid shape []: fans need at least one dimension");
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape.at(-2)! * receptive, fanOut: shape.at(-1)! * receptive };
}

/** Nonlinearities {@link calculateGain} knows. */
export type Nonlinearity = "linear" | "identity" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/**
 * The gain that keeps activations' variance steady through a layer followed by
 * `nonlinearity` (PyTorch's `calculate_gain` values): linear/identity/sigmoid 1, tanh 5/3,
 * relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) (default slope 0.01), selu 3/4.
 *
 * @throws {@link ValueError} for an unknown nonlinearity or a slope that is not a finite number.
 */
export function calculateGain(nonlinearity: Nonlinearity, slope = 0.01): number {
  switch (nonlinearity) {
    case "linear":
    case "identity":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
      checkNumber("slope", slope);
      return Math.sqrt(2 / (1 + slope * slope));
    case "selu":
      return 3 / 4;
    default:
      throw new ValueError(
        `Invalid nonlinearity: ${String(nonlinearity)} (expected linear, identity, sigmoid, tanh, relu, leaky_relu or selu)`,
      );
  }
}

/** The option every fan-based initializer shares. */
export interface FanOptions {
  /**
   * Overrides the fans computed from the shape (e.g. for PyTorch's [out, in] layout).
   * @defaultValue computed from the shape (computeFans)
   */
  fans?: Fans;
}

const FAN_OPTIONS = optionNames<FanOptions>({ fans: true });

/** Which fan a He/variance-scaling initializer preserves: forward (fanIn) or backward (fanOut). */
export type FanMode = "fanIn" | "fanOut" | "fanAvg";

/** Options of {@link varianceScaling}. */
export interface VarianceScalingOptions extends FanOptions {
  /**
   * Target variance times the fan; default 1.
   * @defaultValue 1
   */
  scale?: number;
  /**
   * The fan the variance is divided by (see {@link FanMode}).
   * @defaultValue 'fanIn'
   */
  mode?: FanMode;
  /**
   * The law drawn from: 'normal' (plain, not truncated) or 'uniform' with the same variance.
   * @defaultValue 'normal'
   */
  distribution?: "uniform" | "normal";
}

/**
 * Weights with variance scale / fan: N(0, scale / fan) or U(-sqrt(3 scale / fan),
 * +sqrt(3 scale / fan)), fan = fanIn, fanOut or (fanIn + fanOut) / 2. Every fan-based
 * initializer below is one of these.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function varianceScaling(options: VarianceScalingOptions = {}): Initializer {
  checkOptions(options, { of: "varianceScaling", known: optionNames<VarianceScalingOptions>({ fans: true, scale: true, mode: true, distribution: true }) });
  const scale = checkNumber("scale", options.scale ?? 1, { above: 0 });
  const mode = options.mode ?? "fanIn";
  if (mode !== "fanIn" && mode !== "fanOut" && mode !== "fanAvg") {
    throw new ValueError(`Invalid mode: ${String(mode)} (expected 'fanIn', 'fanOut' or 'fanAvg')`);
  }
  const distribution = options.distribution ?? "normal";
  if (distribution !== "uniform" && distribution !== "normal") {
    throw new ValueError(`Invalid distribution: ${String(distribution)} (expected 'uniform' or 'normal')`);
  }
  const fixedFans = options.fans === undefined ? undefined : checkFans(options.fans);
  return (target, rng) => {
    const { fanIn, fanOut } = fixedFans ?? computeFans(shapeOf(target));
    const fan = mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2;
    if (!(fan > 0)) throw new ShapeError(`Cannot scale by a ${mode} of ${fan} (shape [${target.shape.join(", ")}])`);
    const generator = toGenerator(rng ?? runtimeOf(target).nextSeed());
    if (distribution === "normal") return generator.normal(target, { std: Math.sqrt(scale / fan) });
    const bound = Math.sqrt((3 * scale) / fan);
    return generator.uniform(target, { low: -bound, high: bound });
  };
}

/**
 * The book's heuristic (Goodfellow et al. 2016, sec. 8.4; PyTorch's default for Linear):
 * W ~ U(-1/sqrt(m), 1/sqrt(m)) for m inputs. Variance 1 / (3 m).
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function uniformFanIn(options: FanOptions = {}): Initializer {
  const { fans } = checkOptions(options, { of: "uniformFanIn", known: FAN_OPTIONS });
  return varianceScaling({ fans, scale: 1 / 3, mode: "fanIn", distribution: "uniform" });
}

/** Options of {@link glorotUniform} and {@link glorotNormal}. */
export interface GainOptions extends FanOptions {
  /**
   * Multiplies the standard deviation (see {@link calculateGain}); default 1.
   * @defaultValue 1
   */
  gain?: number;
}

const GAIN_OPTIONS = optionNames<GainOptions>({ fans: true, gain: true });

/**
 * Glorot & Bengio (2010), "normalized initialization": W ~ U(-b, b) with
 * b = gain sqrt(6 / (m + n)) for m inputs and n outputs; variance gain^2 2 / (m + n).
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function glorotUniform(options: GainOptions = {}): Initializer {
  checkOptions(options, { of: "glorotUniform", known: GAIN_OPTIONS });
  const gain = checkNumber("gain", options.gain ?? 1, { above: 0 });
  return varianceScaling({ fans: options.fans, scale: gain * gain, mode: "fanAvg", distribution: "uniform" });
}

/**
 * Glorot & Bengio (2010) with a normal law: W ~ N(0, gain^2 2 / (m + n)).
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function glorotNormal(options: GainOptions = {}): Initializer {
  checkOptions(options, { of: "glorotNormal", known: GAIN_OPTIONS });
  const gain = checkNumber("gain", options.gain ?? 1, { above: 0 });
  return varianceScaling({ fans: options.fans, scale: gain * gain, mode: "fanAvg", distribution: "normal" });
}

/** Options of {@link heNormal} and {@link heUniform}. */
export interface HeOptions extends FanOptions {
  /**
   * The nonlinearity after the layer; default 'relu' (gain sqrt(2)).
   * @defaultValue 'relu'
   */
  nonlinearity?: Nonlinearity;
  /**
   * Negative slope for 'leaky_relu'; default 0.01.
   * @defaultValue 0.01
   */
  slope?: number;
  /**
   * Preserve the forward ('fanIn', default) or backward ('fanOut') variance.
   * @defaultValue 'fanIn'
   */
  mode?: "fanIn" | "fanOut";
}

function heScale(options: HeOptions, of: string): number {
  checkOptions(options, { of, known: optionNames<HeOptions>({ fans: true, nonlinearity: true, slope: true, mode: true }) });
  const gain = calculateGain(options.nonlinearity ?? "relu", options.slope);
  return gain * gain;
}

/**
 * He et al. (2015): W ~ N(0, gain^2 / fan), gain = sqrt(2) for ReLU; fan = fanIn by default.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function heNormal(options: HeOptions = {}): Initializer {
  return varianceScaling({ scale: heScale(options, "heNormal"), fans: options.fans, mode: options.mode ?? "fanIn", distribution: "normal" });
}

/**
 * He et al. (2015) with a uniform law: W ~ U(-b, b), b = gain sqrt(3 / fan).
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function heUniform(options: HeOptions = {}): Initializer {
  return varianceScaling({ scale: heScale(options, "heUniform"), fans: options.fans, mode: options.mode ?? "fanIn", distribution: "uniform" });
}

/**
 * LeCun et al. (1998), "Efficient BackProp": W ~ N(0, 1 / m) for m inputs.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function lecunNormal(options: FanOptions = {}): Initializer {
  const { fans } = checkOptions(options, { of: "lecunNormal", known: FAN_OPTIONS });
  return varianceScaling({ fans, scale: 1, mode: "fanIn", distribution: "normal" });
}

/**
 * LeCun et al. (1998) with a uniform law: W ~ U(-sqrt(3 / m), sqrt(3 / m)).
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target, one without dimensions, or a zero fan.
 */
export function lecunUniform(options: FanOptions = {}): Initializer {
  const { fans } = checkOptions(options, { of: "lecunUniform", known: FAN_OPTIONS });
  return varianceScaling({ fans, scale: 1, mode: "fanIn", distribution: "uniform" });
}

/**
 * Saxe, McClelland & Ganguli (2014): a (semi-)orthogonal matrix times `gain`. The tensor is
 * viewed as rows = shape[0] by cols = the product of the other dimensions; Q comes from
 * the Householder QR of a max x min Gaussian matrix with diag(R) made positive, so it is
 * uniformly (Haar) distributed. rows >= cols gives orthonormal columns (W'W = gain^2 I),
 * rows < cols orthonormal rows (W W' = gain^2 I). Runs in wasm in f64, then rounds.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target or one with fewer than 2 dimensions.
 */
export function orthogonal(options: {
  /**
   * Multiplies the orthogonal matrix (see {@link calculateGain}).
   * @defaultValue 1
   */
  gain?: number;
} = {}): Initializer {
  checkOptions(options, { of: "orthogonal", known: ["gain"] });
  const gain = checkNumber("gain", options.gain ?? 1, { above: 0 });
  return (target, rng) => {
    const shape = floatShapeOf(target);
    if (shape.length < 2) throw new ShapeError(`orthogonal needs at least 2 dimensions, got [${shape.join(", ")}]`);
    if (target.length === 0) return target;
    const rows = shape[0]!;
    const cols = target.length / rows;
    const [m, n] = rows >= cols ? [rows, cols] : [cols, rows];
    const generator = toGenerator(rng ?? runtimeOf(target).nextSeed());
    const rt = runtimeOf(target);
    rt.scope(() => {
      const gaussian = generator.normal(rt.tensor([m * n], { dtype: "f64" }));
      const work = rt.tensor([m * n + 2 * n], { dtype: "f64" });
      const kernel = target.dtype === "f32" ? rt.kernels.f32_orthogonal : rt.kernels.f64_orthogonal;
      kernel(target.ptr, gaussian.ptr, work.ptr, m, n, rows >= cols ? 0 : 1, gain);
    });
    return target;
  };
}

/**
 * Martens (2010) sparse initialization: each unit (column of an [inputs, units] weight) gets
 * exactly k non-zero incoming weights, drawn N(0, std^2) (Martens: k = 15, std = 1), at
 * inputs chosen uniformly without replacement; all other weights are 0. This keeps the
 * total input to a unit independent of the fan-in without shrinking every weight.
 * PyTorch's `sparse_` instead zeroes a fraction of each column.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for an i32 target or one that is not 2-D, ValueError when k exceeds its inputs.
 */
export function sparse(options: {
  /**
   * Non-zero incoming weights per unit, an integer >= 1 (at most the inputs).
   * @defaultValue 15
   */
  k?: number;
  /**
   * Standard deviation of the non-zero weights, > 0.
   * @defaultValue 1
   */
  std?: number;
} = {}): Initializer {
  checkOptions(options, { of: "sparse", known: ["k", "std"] });
  const k = checkNumber("k", options.k ?? 15, { integer: true, min: 1 });
  const std = checkNumber("std", options.std ?? 1, { above: 0 });
  return (target, rng) => {
    const shape = floatShapeOf(target);
    if (shape.length !== 2) throw new ShapeError(`sparse needs a 2-D [inputs, units] weight, got [${shape.join(", ")}]`);
    const [rows, cols] = shape as [number, number];
    if (k > rows) throw new ValueError(`Invalid k: ${k} (expected <= ${rows} inputs per unit)`);
    const generator = toGenerator(rng ?? runtimeOf(target).nextSeed());
    const rt = runtimeOf(target);
    rt.scope(() => {
      const scratch = rt.tensor([rows]); // 4-byte slots, used as u32 row indices
      const pos = generator.take(k * cols, 4); // one Philox block per non-zero
      const kernel = target.dtype === "f32" ? rt.kernels.f32_sparse : rt.kernels.f64_sparse;
      kernel(target.ptr, rows, cols, k, scratch.ptr, ...generator.key(), pos, std);
    });
    return target;
  };
}

/**
 * Every element = value.
 *
 * @throws {@link ValueError} unless the value is a finite number.
 */
export function constant(value: number): Initializer {
  checkNumber("value", value);
  return (target) => {
    shapeOf(target);
    target.fill(value);
    return target;
  };
}

/** Every element = 0: the usual bias initialization. */
export function zeros(): Initializer {
  return constant(0);
}

/** Every element = 1. */
export function ones(): Initializer {
  return constant(1);
}

/**
 * Bias of ReLU units: a small positive constant (default 0.1; Goodfellow et al. 2016,
 * sec. 8.4) so that most units start active and pass gradients.
 *
 * @throws {@link ValueError} unless the value is a finite number > 0.
 */
export function reluBias(value = 0.1): Initializer {
  return constant(checkNumber("value", value, { above: 0 }));
}

/**
 * Bias of an LSTM's four gates stacked in one vector of 4h: the forget gate's h entries
 * set to `value` (default 1, Jozefowicz et al. 2015; Goodfellow et al. sec. 8.4), the others
 * 0. `gate` is the forget gate's position in the stacking: 1 for PyTorch (i, f, g, o) and
 * Keras (i, f, c, o), the default.
 *
 * @throws {@link ValueError} for an unknown or out-of-range option. The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError for a length that is not a multiple of 4.
 */
export function lstmForgetBias(options: {
  /**
   * The forget gate's bias.
   * @defaultValue 1
   */
  value?: number;
  /**
   * The forget gate's position among the four stacked gates, an integer in [0, 3].
   * @defaultValue 1
   */
  gate?: number;
} = {}): Initializer {
  checkOptions(options, { of: "lstmForgetBias", known: ["value", "gate"] });
  const value = checkNumber("value", options.value ?? 1);
  const gate = checkNumber("gate", options.gate ?? 1, { integer: true, min: 0, max: 3 });
  return (target) => {
    shapeOf(target);
    if (target.length % 4 !== 0) throw new ShapeError(`An LSTM bias has 4 h entries, got ${target.length}`);
    const h = target.length / 4;
    const data = target.fill(0).data;
    data.subarray(gate * h, (gate + 1) * h).fill(value);
    return target;
  };
}

/**
 * Output biases matching the marginal class frequencies c (Goodfellow et al. 2016, sec. 8.4):
 * softmax(b) = c is solved by b_i = log c_i - mean_j log c_j (counts are normalized first);
 * for independent sigmoid outputs, b_i = log(c_i / (1 - c_i)).
 *
 * @throws {@link ValueError} for an unknown activation, or frequencies that are empty or not > 0 (and < 1 for 'sigmoid'). The initializer it returns throws ValueError for a target that is not a Tensor, DisposedError for a disposed one, and ShapeError when its length differs from the number of classes.
 */
export function marginalBias(frequencies: ArrayLike<number>, options: {
  /**
   * The output nonlinearity: 'softmax' (one class per example) or 'sigmoid' (independent labels).
   * @defaultValue 'softmax'
   */
  activation?: "softmax" | "sigmoid";
} = {}): Initializer {
  checkOptions(options, { of: "marginalBias", known: ["activation"] });
  const activation = options.activation ?? "softmax";
  if (activation !== "softmax" && activation !== "sigmoid") {
    throw new ValueError(`Invalid activation: ${String(activation)} (expected 'softmax' or 'sigmoid')`);
  }
  const c = Array.from(frequencies ?? [], (x, i) => checkNumber(`frequencies[${i}]`, x, { above: 0 }));
  if (c.length === 0) throw new ValueError("Invalid frequencies: empty (expected at least one class)");
  let bias: number[];
  if (activation === "softmax") {
    const total = c.reduce((a, b) => a + b, 0);
    const logs = c.map((x) => Math.log(x / total));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    bias = logs.map((x) => x - mean);
  } else {
    c.forEach((x, i) => checkNumber(`frequencies[${i}]`, x, { above: 0, below: 1 }));
    bias = c.map((x) => Math.log(x / (1 - x)));
  }
  return (target) => {
    shapeOf(target);
    if (target.length !== bias.length) {
      throw new ShapeError(`${target.describe()} cannot hold ${bias.length} class biases`);
    }
    return target.set(bias);
  };
}

/** The shape of a live tensor (ValueError for a non-tensor, DisposedError once disposed). */
function shapeOf(target: Tensor): readonly number[] {
  return checkTensor("target", target).shape;
}

/** The shape of a live f32 or f64 tensor: initializers whose kernels write floats (an i32 target is a ShapeError). */
function floatShapeOf(target: Tensor): readonly number[] {
  return checkFloatTensor("target", target).shape;
}

function checkFans(fans: Fans): Fans {
  return {
    fanIn: checkNumber("fans.fanIn", fans?.fanIn, { integer: true, min: 1 }),
    fanOut: checkNumber("fans.fanOut", fans?.fanOut, { integer: true, min: 1 }),
  };
}
