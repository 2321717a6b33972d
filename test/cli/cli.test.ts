// The `descend` command as a user runs it: spawned (src/cli/main.ts through tsx), checking exit
// codes, that stdout carries only the result (JSON that parses) and that errors are one message
// on stderr, never a stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { version } from "../../package.json";
import { main } from "../../src/cli/cli";
import { ALL_CASES } from "../../bench/registry";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function descend(args: string[], env: Record<string, string> = {}): Run {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, ...env, DEBUG: env.DEBUG ?? "" },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The same command line run in this process (every path but the process's own exit). */
async function descendHere(args: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, { out: (line) => stdout.push(`${line}\n`), err: (line) => stderr.push(`${line}\n`) });
  return { code, stdout: stdout.join(""), stderr: stderr.join("") };
}

const STACK = /^\s+at /m;
const out = () => mkdtempSync(join(tmpdir(), "descend-cli-"));
const TINY_TRAIN = ["--samples", "200", "--batch", "32", "--epochs", "1", "--hidden", "8"];

describe("descend: help and version", () => {
  for (const args of [[], ["--help"], ["-h"], ["help"]]) {
    it(`'descend ${args.join(" ")}' lists every command with a one-line description`, async () => {
      const run = args.length ? await descendHere(args) : descend(args);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/^usage: descend <command> \[flags\]/);
      for (const name of ["train", "race", "bench", "help"]) expect(run.stdout).toMatch(new RegExp(`^  ${name} +\\S.{20,}$`, "m"));
      expect(run.stdout).toMatch(/--version/);
    });
  }

  it("--version prints the package version and the kernels this engine runs", () => {
    const run = descend(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(`descend ${version}`);
    expect(run.stdout).toMatch(/^kernels: wasm \((relaxed SIMD|SIMD128)\)/m);
  });

  for (const name of ["train", "race", "bench"]) {
    for (const args of [[name, "--help"], [name, "-h"], ["help", name], [name, "--epochs", "0", "--help"]]) {
      it(`'descend ${args.join(" ")}' prints the command's flags to stdout and exits 0`, async () => {
        // Spawned once per command: a help that loaded the bench would print tfjs notices.
        const run = args[1] === "--help" ? descend(args) : await descendHere(args);
        expect(run.code).toBe(0);
        expect(run.stderr).toBe("");
        expect(run.stdout).toMatch(new RegExp(`^usage: descend ${name} \\[flags\\]`));
        expect(run.stdout).toMatch(/^  -h, --help +show this help$/m);
        expect(run.stdout).not.toMatch(/tfjs|skipped/i);
      });
    }
  }
});

describe("descend: usage errors exit 2 with a message on stderr", () => {
  // Spawned: the cases of the bug report. The others run in this process.
  const spawned = new Set(["toString", "constructor", "bench --only nonsense", "bench --qiuck", "train --seed 1e20", "train --batch 1 --norm batch", "train --samples 100 --schedule cosine"]);
  const cases: Array<[string[], RegExp]> = [
    [["toString"], /^descend: Unknown command: toString\n/],
    [["constructor"], /^descend: Unknown command: constructor\n/],
    [["__proto__"], /^descend: Unknown command: __proto__\n/],
    [["trian"], /Unknown command: trian \(did you mean train\?\)/],
    [["help", "toString"], /Unknown command: toString/],
    [["--verison"], /Unknown command: --verison \(did you mean --version\?\)/],
    [["bench", "--only", "nonsense"], /^descend bench: --only nonsense: expected one of gemm, optim/],
    [["bench", "--qiuck"], /^descend bench: Unknown flag: --qiuck \(did you mean --quick\?\)/],
    [["train", "--seed", "1e20"], /^descend train: --seed 1e20: expected an integer >= 0 and <= 4294967295/],
    [["train", "--batch", "1", "--norm", "batch"], /^descend train: norm 'batch' needs batch >= 2/],
    [["train", "--samples", "100"], /^descend train: batch 128 is larger than the 80 training examples of samples 100/],
    [["train", "--samples", "100", "--schedule", "cosine"], /batch 128 is larger than the 80 training examples/],
    [["train", "--samples", "200", "--batch", "160", "--schedule", "warmup-cosine", "--epochs", "1"], /schedule 'warmup-cosine' over 1 steps: Invalid steps: 1/],
    [["train", "--constructor", "1"], /^descend train: Unknown flag: --constructor\n/],
    [["race", "--surface", "rosenbrok"], /--surface rosenbrok: expected one of .* \(did you mean rosenbrock\?\)/],
    [["race", "--steps", "5", "--steps", "6"], /--steps given twice/],
  ];
  for (const [args, message] of cases) {
    it(`descend ${args.join(" ")}`, async () => {
      const run = spawned.has(args.join(" ")) ? descend(args) : await descendHere(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/Run "descend (\w+ )?--help"/);
      expect(run.stderr).not.toMatch(STACK);
    });
  }
});

describe("descend: internal errors exit 1", () => {
  const args = ["train", ...TINY_TRAIN, "--out", "/dev/null/descend"];

  it("prints one line without a stack trace", () => {
    const run = descend(args);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^descend train: Error: ENOTDIR.*\(--verbose or DEBUG=descend shows the stack\)\n$/);
    expect(run.stderr).not.toMatch(STACK);
  });

  it("prints the stack with --verbose or DEBUG=descend", async () => {
    expect(descend(args, { DEBUG: "descend" }).stderr).toMatch(STACK);
    const verbose = await descendHere([...args, "--verbose"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(STACK);
  });
});

describe("descend: stdout carries only the result", () => {
  it("train --json prints one JSON object", () => {
    const run = descend(["train", ...TINY_TRAIN, "--json", "--out", out()]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.options).toMatchObject({ samples: 200, batch: 32, epochs: 1 });
    expect(report.steps).toBe(5); // 160 training examples / batch 32
    expect(report.epochs).toHaveLength(1);
    expect(Number.isFinite(report.msPerStep)).toBe(true);
  });

  it("train runs the documented minimum --samples 100 with a batch that fits, with every schedule", async () => {
    for (const schedule of ["constant", "cosine", "warmup-cosine"]) {
      const run = await descendHere(["train", "--samples", "100", "--batch", "40", "--epochs", "1", "--hidden", "8", "--schedule", schedule, "--json", "--out", out()]);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.steps).toBe(2); // 80 training examples / batch 40
      expect(report.losses.every(Number.isFinite)).toBe(true);
    }
  });

  it("race --json prints JSON", () => {
    const run = descend(["race", "--surface", "saddle", "--steps", "20", "--json", "--out", out()]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)[0].surface).toBe("saddle");
  });
});

describe("descend bench --quick", () => {
  it("prints one summary line per case to stdout; notes and progress go to stderr", () => {
    const dir = out();
    const run = descend(["bench", "--only", "random", "--quick", "--out", dir]);
    expect(run.code, run.stderr).toBe(0);
    const cases = ALL_CASES.filter((c) => c.family === "random");
    const lines = run.stdout.trim().split("\n");
    for (const c of cases) expect(lines.filter((l) => l.startsWith(`${c.name} `))).toHaveLength(1);
    expect(lines.length).toBeLessThanOrEqual(cases.length + 8);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(run.stdout).not.toMatch(/tfjs|skipped|\(index\)/i);
    expect(readFileSync(join(dir, "latest.md"), "utf8")).toMatch(/\| contender \|/);
    expect(readFileSync(join(dir, "speedup-random.svg"), "utf8")).toMatch(/^<svg/);
  });
});

describe("descend bench loads its cases and peers only when it runs", () => {
  it("the static import graph of the command line holds no bench case, registry or peer", async () => {
    const result = await build({
      entryPoints: ["src/cli/main.ts"],
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      outdir: "out",
      write: false,
      metafile: true,
      packages: "external",
      logLevel: "silent",
    });
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((name) => outputs[name]!.entryPoint === "src/cli/main.ts")!;
    const reached = new Set<string>();
    const visit = (name: string) => {
      if (reached.has(name) || !outputs[name]) return;
      reached.add(name);
      for (const i of outputs[name]!.imports) if (i.kind === "import-statement") visit(i.path);
    };
    visit(entry);
    const inputs = [...reached].flatMap((name) => Object.keys(outputs[name]!.inputs));
    const external = [...reached].flatMap((name) => outputs[name]!.imports.filter((i) => i.external).map((i) => i.path));
    expect(inputs).toContain("src/cli/train.ts");
    expect(inputs.filter((path) => path.startsWith("bench/"))).toEqual(["bench/families.ts"]);
    expect(external.filter((path) => /tensorflow|tinybench|ml-matrix/.test(path))).toEqual([]);
  });
});
