import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { seededRandom } from "../helpers/random";
import { Adam, RMSProp, SGD, type BaseHyper, type Optimizer } from "../../src/optim/index";
import { StateError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { Param } from "../../src/runtime/tensor";

/** Variants per optimizer and form; FULL_FUZZ=1 runs ten times as many. */
const VARIANTS = process.env.FULL_FUZZ ? 10_000 : 1_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (keys and indices) to a value inside `value`. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== "object") return [prefix];
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const REPLACEMENTS: Json[] = [null, "NaN", "Infinity", "-0", "x", -1, 0, 1e308, 2.5, true, [], {}, "constructor", "__proto__"];

/** One corruption of a JSON state: replace, delete or truncate at a random place. */
function mutateJson(state: Json, next: () => number): Json {
  const copy = JSON.parse(JSON.stringify(state)) as Json;
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[Math.floor(next() * all.length)]!;
  const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string | number, Json>)[k]!, copy) as Record<string | number, Json>;
  const key = path.at(-1)!;
  const pick = next();
  if (pick < 0.2) delete parent[key];
  else if (pick < 0.35 && Array.isArray(parent[key])) (parent[key] as Json[]).length = Math.floor(next() * (parent[key] as Json[]).length);
  else parent[key] = REPLACEMENTS[Math.floor(next() * REPLACEMENTS.length)]!;
  return copy;
}

/** One corruption of a binary state: truncation or a few flipped bytes. */
function mutateBytes(bytes: Uint8Array, next: () => number): Uint8Array {
  if (next() < 0.3) return bytes.slice(0, Math.floor(next() * bytes.length));
  const copy = bytes.slice();
  for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
    const at = Math.floor(next() * copy.length);
    copy[at] = copy[at]! ^ (1 << Math.floor(next() * 8));
  }
  return copy;
}

/**
 * Per form: how to make it, and the hyperparameters its state format gained after it was first
 * written, with the values a group without them loads as (Adam: test/optim/old-state.test.ts).
 */
const CONFIGS: Array<[string, (rt: Runtime, p: Param[]) => Optimizer<BaseHyper>, Record<string, Json>]> = [
  ["Adam (amsgrad)", (rt, p) => new Adam(rt, p, { lr: 0.01, amsgrad: true }), { epsPlacement: "outside", biasCorrection: true }],
  ["SGD (nesterov)", (rt, p) => new SGD(rt, p, { lr: 0.1, momentum: 0.9, nesterov: true }), {}],
  ["RMSProp (centered)", (rt, p) => new RMSProp(rt, p, { lr: 0.01, centered: true, momentum: 0.5 }), {}],
];

/** An accepted state as the optimizer holds it: `extras` optional, added-later hyperparameters filled. */
function canonical(variant: Json, addedLater: Record<string, Json>): Json {
  const state = variant as Record<string, Json>;
  const groups = state.paramGroups;
  const paramGroups = Array.isArray(groups) ? groups.map((g) => ({ ...addedLater, ...(g as Record<string, Json>) })) : groups!;
  return { ...state, paramGroups, extras: state.extras ?? {} };
}

describeBackends(`corrupted optimizer state (${VARIANTS} variants per form)`, (rt) => {
  for (const [name, make, addedLater] of CONFIGS) {
    it(`${name}: every variant is rejected with StateError and changes nothing, or loads exactly`, () => {
      rt.scope(() => {
        const a = rt.param([5], { values: [1, -2, 3, -4, 5] });
        const b = rt.param([2, 3], { values: [0.5, 0.25, -1, 2, 0, 7] });
        const opt = make(rt, [a, b]);
        for (let t = 1; t <= 3; t++) {
          a.grad.set([t, -t, 0.5, 1, -1]);
          b.grad.set([1, 2, 3, -1, -2, -3].map((g) => g / t));
          opt.step();
        }
        const json = JSON.parse(JSON.stringify(opt.stateDict())) as Json;
        const bytes = opt.stateBytes();
        const next = seededRandom(2026);
        const counts = { rejected: 0, accepted: 0 };
        const check = (load: () => void, verifyAccepted: () => void) => {
          const before = { state: JSON.stringify(opt.stateDict()), params: [a.toArray(), b.toArray()] };
          try {
            load();
          } catch (error) {
            expect(error, String(error)).toBeInstanceOf(StateError);
            expect({ state: JSON.stringify(opt.stateDict()), params: [a.toArray(), b.toArray()] }).toEqual(before);
            counts.rejected++;
            return;
          }
          verifyAccepted();
          counts.accepted++;
          opt.loadStateDict(json); // back to the valid state for the next variant
        };
        for (let i = 0; i < VARIANTS; i++) {
          const variant = mutateJson(json, next);
          // Accepted JSON: the optimizer now holds exactly what was loaded.
          check(() => opt.loadStateDict(variant), () => expect(JSON.parse(JSON.stringify(opt.stateDict()))).toEqual(canonical(variant, addedLater)));
          const raw = mutateBytes(bytes, next);
          // Accepted bytes (a flipped bit in padding or in a value is still a valid state): what
          // was loaded is a complete state that round-trips through its own encoding.
          check(() => opt.loadStateBytes(raw), () => {
            const loaded = JSON.stringify(opt.stateDict());
            opt.loadStateBytes(opt.stateBytes());
            expect(JSON.stringify(opt.stateDict())).toBe(loaded);
          });
        }
        expect(counts.rejected).toBeGreaterThan(VARIANTS); // most corruptions are caught...
        opt.step(); // ...and the optimizer still works after all of them
        expect(a.toArray().every(Number.isFinite)).toBe(true);
        opt.dispose();
      });
    });
  }
});
