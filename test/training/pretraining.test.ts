import { expect, it } from "vitest";
import { comparePretraining } from "../../examples/pretraining";
import { describeBackends } from "../helpers/backends";

// The example at CI size: 800 glyphs, 16 hidden units, 2 epochs per stage.
describeBackends("examples/pretraining.ts", (rt) => {
  it("trains greedily (the frozen layer unchanged while frozen) and from scratch, both well above chance", () => {
    const report = comparePretraining(rt, { samples: 800, hidden: 16, epochsPerStage: 2, batch: 32, lr: 5e-3, seed: 3 });
    expect(report.frozenUnchanged).toBe(true);
    expect(report.greedy.fineTuned).toBeGreaterThan(0.4);
    expect(report.scratch).toBeGreaterThan(0.4);
    // Fine-tuning jointly does not undo what the greedy stages learned.
    expect(report.greedy.fineTuned).toBeGreaterThanOrEqual(report.greedy.shallow - 0.05);
  });
});
