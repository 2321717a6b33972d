// The shared options checker (src/runtime/validate.ts): which hint a misspelt key gets.
import { describe, expect, it } from "vitest";
import { ValueError } from "../../src/runtime/errors";
import { checkKeys, checkOptions, checkValues, optionNames } from "../../src/runtime/validate";

const KNOWN = ["lr", "beta1", "beta2", "eps", "weightDecay", "amsgrad", "momentumDecay", "training"];

function hint(key: string, known: readonly string[] = KNOWN): string {
  try {
    checkKeys({ [key]: 1 }, known, "Thing");
  } catch (error) {
    expect(error).toBeInstanceOf(ValueError);
    return (error as Error).message.replace(`Invalid options for Thing: unknown option '${key}' (`, "").slice(0, -1);
  }
  return "accepted";
}

describe("checkKeys hints", () => {
  it.each([
    ["a typo", "weightDecy", "did you mean 'weightDecay'?"],
    ["another case", "EPS", "did you mean 'eps'?"],
    ["snake_case", "momentum_decay", "did you mean momentumDecay (PyTorch's momentum_decay)?"],
    ["snake_case without a dialect entry", "weight_decayy", "did you mean 'weightDecay'?"],
    ["a prefix", "train", "did you mean 'training'?"],
    ["PyTorch's betas", "betas", "did you mean beta1/beta2 (PyTorch's betas)?"],
    ["tfjs's learningRate", "learningRate", "did you mean lr (tfjs's learningRate)?"],
    ["Keras's epsilon", "epsilon", "did you mean eps (tfjs's and Keras's epsilon)?"],
    ["tfjs's amsGrad", "amsGrad", "did you mean amsgrad (tfjs's amsGrad)?"],
    ["nothing close", "zzzzzz", `expected one of ${KNOWN.join(", ")}`],
  ])("%s: %s -> %s", (_, key, expected) => {
    expect(hint(key)).toBe(expected);
  });

  it("gives a dialect hint only when the call has the descend option", () => {
    expect(hint("betas", ["lr", "momentum"])).toBe("expected one of lr, momentum");
  });

  it("says so when the call takes no options", () => {
    expect(hint("x", [])).toBe("this call takes no options");
  });

  it("accepts the known keys, and inherited or symbol keys are not options", () => {
    expect(() => checkKeys(Object.create({ stray: 1 }) as object, ["lr"], "Thing")).not.toThrow();
    expect(() => checkKeys({ lr: 1, [Symbol("s")]: 1 }, ["lr"], "Thing")).not.toThrow();
  });
});

describe("checkOptions", () => {
  it("returns {} for undefined options, and rejects null and non-objects before the keys", () => {
    expect(checkOptions(undefined, { of: "f", known: ["a"] })).toEqual({});
    expect(() => checkOptions(null as never, { of: "f", known: ["a"] })).toThrow(/Invalid options: null \(expected an object\)/);
    expect(() => checkOptions(undefined, { required: true, of: "f", known: ["a"] })).toThrow(/Invalid options: undefined/);
  });

  it("names the entry point in the message", () => {
    expect(() => checkOptions({ b: 1 } as object, { of: "rt.tensor", known: ["a"] })).toThrow(/^Invalid options for rt\.tensor: unknown option 'b'/);
  });

  it("optionNames lists an interface's keys", () => {
    expect(optionNames<{ a?: number; b: string }>({ a: true, b: true })).toEqual(["a", "b"]);
  });
});

describe("checkValues", () => {
  it("takes arrays, typed arrays and array-likes of numbers", () => {
    expect(checkValues("values", [1, 2])).toEqual([1, 2]);
    expect(checkValues("values", new Float64Array(2))).toEqual(new Float64Array(2));
    const arrayLike = { 0: 1, 1: 2, length: 2 };
    expect(checkValues("values", arrayLike)).toBe(arrayLike);
  });

  it.each([
    ["null", null, /Invalid values: null/],
    ["a string", "12", /Invalid values: 12/],
    ["a BigUint64Array", new BigUint64Array(1), /Invalid values: BigUint64Array/],
    ["a DataView", new DataView(new ArrayBuffer(8)), /Invalid values: DataView/],
    ["a length that is not a count", { length: -1 }, /Invalid values: Object/],
    ["a hole", [1, , 3], /Invalid values\[1\]: undefined/],
    ["a numeric string", [1, "2"], /Invalid values\[1\]: 2 \(expected a number\)/],
  ])("rejects %s", (_, values, message) => {
    expect(() => checkValues("values", values)).toThrow(ValueError);
    expect(() => checkValues("values", values)).toThrow(message);
  });
});
