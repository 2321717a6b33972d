import { describe, expect, it } from "vitest";
import { describeFlags, parseFlags, UsageError, type FlagSpec } from "../../src/cli/args";

const SPEC = {
  epochs: { type: "number", default: 20, min: 1, integer: true, help: "passes over the data" },
  lr: { type: "number", default: 1e-3, min: 0, help: "learning rate" },
  optimizer: { type: "choice", choices: ["sgd", "adam"] as const, default: "adam", help: "optimizer" },
  out: { type: "string", default: "out", help: "folder" },
  json: { type: "boolean", help: "json output" },
} satisfies FlagSpec;

describe("command-line flags", () => {
  it("fills defaults and parses every form", () => {
    expect(parseFlags([], SPEC)).toEqual({ epochs: 20, lr: 1e-3, optimizer: "adam", out: "out", json: false });
    expect(parseFlags(["--epochs", "3", "--lr=0.5", "--optimizer", "sgd", "--json", "--out", "x"], SPEC)).toEqual({
      epochs: 3,
      lr: 0.5,
      optimizer: "sgd",
      out: "x",
      json: true,
    });
  });

  const bad: Array<[string[], RegExp]> = [
    [["--epcohs", "3"], /Unknown flag: --epcohs \(did you mean --epochs\?\)/],
    [["--epochs"], /--epochs needs a value/],
    [["--epochs", "--json"], /--epochs needs a value/],
    [["--epochs", "2.5"], /--epochs 2.5: expected an integer >= 1/],
    [["--epochs", "0"], /expected an integer >= 1/],
    [["--lr", "fast"], /--lr fast: expected a number >= 0/],
    [["--lr", ""], /--lr : expected a number/],
    [["--lr", "NaN"], /--lr NaN: expected a number/],
    [["--optimizer", "lbfgs"], /--optimizer lbfgs: expected one of sgd, adam/],
    [["--json=yes"], /--json takes no value/],
    [["train"], /Unexpected argument: train/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(" ")} with a helpful UsageError`, () => {
      expect(() => parseFlags(argv, SPEC)).toThrow(UsageError);
      expect(() => parseFlags(argv, SPEC)).toThrow(message);
    });
  }

  it("describes every flag with its default", () => {
    const help = describeFlags(SPEC);
    expect(help).toMatch(/--epochs <number>\s+passes over the data \(default 20\)/);
    expect(help).toMatch(/--optimizer <sgd\|adam>/);
    expect(help).toMatch(/--json\s+json output$/m);
  });
});
