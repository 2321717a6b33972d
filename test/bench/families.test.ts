import { describe, expect, it } from "vitest";
import { BENCH_FAMILIES } from "../../bench/families";
import { ALL_CASES } from "../../bench/registry";

describe("benchmark families", () => {
  it("`--only` offers exactly the families of the registry, in report order", () => {
    expect(BENCH_FAMILIES).toEqual([...new Set(ALL_CASES.map((c) => c.family))]);
  });
});
