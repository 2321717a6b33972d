import { describe, expect, it } from "vitest";
import { closest, describeFlags, parseFlags, UsageError, type FlagSpec } from "../../src/cli/args";

const SPEC = {
  epochs: { type: "number", default: 20, min: 1, integer: true, help: "passes over the data" },
  lr: { type: "number", default: 1e-3, min: 0, help: "learning rate" },
  optimizer: { type: "choice", choices: ["sgd", "adam"] as const, default: "adam", help: "optimizer" },
  only: { type: "list", choices: ["gemm", "norm", "optim"] as const, default: [], help: "families" },
  out: { type: "string", default: "out", value: "dir", help: "folder" },
  json: { type: "boolean", help: "json output" },
} satisfies FlagSpec;

const DEFAULTS = { epochs: 20, lr: 1e-3, optimizer: "adam", only: [], out: "out", json: false, help: false, verbose: false };

describe("command-line flags", () => {
  it("fills defaults and parses every form", () => {
    expect(parseFlags([], SPEC)).toEqual(DEFAULTS);
    expect(parseFlags(["--epochs", "3", "--lr=0.5", "--optimizer", "sgd", "--json", "--out", "x", "--only", "norm,gemm,norm"], SPEC)).toEqual({
      ...DEFAULTS,
      epochs: 3,
      lr: 0.5,
      optimizer: "sgd",
      out: "x",
      json: true,
      only: ["norm", "gemm"],
    });
  });

  it("keeps everything after the first '=' of an inline value", () => {
    expect(parseFlags(["--out=a=b"], SPEC).out).toBe("a=b");
    expect(parseFlags(["--out", "a=b=c"], SPEC).out).toBe("a=b=c");
  });

  it("answers --help and -h anywhere without checking the other flags", () => {
    expect(parseFlags(["--epochs", "0", "--help"], SPEC).help).toBe(true);
    expect(parseFlags(["-h", "--bogus"], SPEC).help).toBe(true);
  });

  const bad: Array<[string[], RegExp]> = [
    [["--epcohs", "3"], /^Unknown flag: --epcohs \(did you mean --epochs\?\)$/],
    [["--jsno"], /^Unknown flag: --jsno \(did you mean --json\?\)$/],
    [["--zzzzzz"], /^Unknown flag: --zzzzzz$/],
    [["-x"], /^Unknown flag: -x$/],
    [["--epochs"], /--epochs needs a value/],
    [["--epochs", "--json"], /--epochs needs a value/],
    [["--epochs", "2.5"], /--epochs 2.5: expected an integer >= 1/],
    [["--epochs", "0"], /expected an integer >= 1/],
    [["--epochs", "1", "--epochs", "2"], /--epochs given twice/],
    [["--lr", "fast"], /--lr fast: expected a number >= 0/],
    [["--lr", ""], /--lr : expected a number/],
    [["--lr", "-1"], /--lr -1: expected a number >= 0/],
    [["--lr", "NaN"], /--lr NaN: expected a number/],
    [["--lr", "1e999"], /--lr 1e999: expected a number/],
    [["--optimizer", "lbfgs"], /^--optimizer lbfgs: expected one of sgd, adam$/],
    [["--optimizer", "adma"], /--optimizer adma: expected one of sgd, adam \(did you mean adam\?\)/],
    [["--only", "nonsense"], /--only nonsense: expected one of gemm, norm, optim$/],
    [["--only", "gemm,nrom"], /--only nrom: expected one of gemm, norm, optim \(did you mean norm\?\)/],
    [["--only", ","], /--only needs at least one of/],
    [["--out="], /--out needs a non-empty value/],
    [["--json=yes"], /--json takes no value/],
    [["train"], /Unexpected argument: train/],
    [["--", "x"], /Unexpected argument: x/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(" ")} with a helpful UsageError`, () => {
      expect(() => parseFlags(argv, SPEC)).toThrow(UsageError);
      expect(() => parseFlags(argv, SPEC)).toThrow(message);
    });
  }

  // Names that an object's prototype has: looked up as plain properties they found functions.
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    it(`rejects --${name} as an unknown flag`, () => {
      expect(() => parseFlags([`--${name}`, "1"], SPEC)).toThrow(/^Unknown flag: --/);
      expect(() => parseFlags(["--optimizer", name], SPEC)).toThrow(/expected one of sgd, adam/);
    });
  }

  it("suggests only close names", () => {
    expect(closest("qiuck", ["quick", "only", "out"])).toBe("quick");
    expect(closest("nonsense", ["gemm", "norm", "optim"])).toBeUndefined();
    expect(closest("x", ["lr"])).toBeUndefined();
  });

  it("describes every flag with its default, in aligned columns", () => {
    const help = describeFlags(SPEC);
    expect(help).toMatch(/--epochs <int>\s+passes over the data \(default 20; >= 1\)/);
    expect(help).toMatch(/--optimizer <name>\s+optimizer: sgd, adam \(default adam\)/);
    expect(help).toMatch(/--only <a,b,...>\s+families: gemm, norm, optim \(default all\)/);
    expect(help).toMatch(/--out <dir>\s+folder \(default out\)/);
    expect(help).toMatch(/--json\s+json output$/m);
    expect(help).toMatch(/-h, --help\s+show this help/);
    const flagLines = help.split("\n").filter((l) => l.startsWith("  -"));
    expect(flagLines).toHaveLength(8);
    const descriptionColumns = flagLines.map((l) => l.match(/^\s+\S+(?: \S+)?\s+/)![0].length);
    expect(new Set(descriptionColumns).size).toBe(1);
  });
});
