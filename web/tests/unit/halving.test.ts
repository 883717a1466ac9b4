import { describe, expect, it } from "vitest";
import { drainRate, projectHalving } from "../../src/lib/halving";

const base = { now: 1000, rewardPerAction: 100n, cooldownEnd: null, drainPerSec: 50 };

describe("halving projection", () => {
  it("no threshold: no further halving", () => {
    expect(projectHalving({ ...base, available: 10n, threshold: null }).kind).toBe("none");
  });
  it("crossing at the recent drain rate", () => {
    const p = projectHalving({ ...base, available: 10_000n, threshold: 5_000n });
    // (10000 - 5000 + 1) / 50 = 100.02 -> 101 s
    expect(p).toMatchObject({ kind: "at", at: 1101, crossing: 1101, actionsPerSec: 0.5 });
  });
  it("waits for the cooldown", () => {
    const p = projectHalving({ ...base, available: 10_000n, threshold: 5_000n, cooldownEnd: 5000 });
    expect(p).toMatchObject({ kind: "at", at: 5000, crossing: 1101 });
  });
  it("already below the threshold: pending until the cooldown ends", () => {
    expect(projectHalving({ ...base, available: 10n, threshold: 5_000n, cooldownEnd: 3000 })).toMatchObject({ kind: "pending", at: 3000 });
    expect(projectHalving({ ...base, available: 10n, threshold: 5_000n })).toMatchObject({ kind: "pending", at: 1000 });
  });
  it("no drain: never", () => {
    expect(projectHalving({ ...base, drainPerSec: 0, available: 10_000n, threshold: 5_000n }).kind).toBe("never");
  });
  it("drain rate from two samples", () => {
    expect(drainRate({ time: 100, totalRewarded: 1000n }, { time: 110, totalRewarded: 6000n })).toBe(500);
    expect(drainRate({ time: 100, totalRewarded: 1000n }, { time: 100, totalRewarded: 6000n })).toBe(0);
  });
});
