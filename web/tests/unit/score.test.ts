import { describe, expect, it } from "vitest";
import { breakdown, payout } from "../../src/lib/score";

const defaults = {
  whitelisted_bp: 12000,
  standard_bp: 10000,
  valley_bp: 5000,
  off_peak_bp: 10000,
  peak_bp: 13500,
};

describe("score breakdown", () => {
  it("the README's examples: 2106 and 500 points", () => {
    const peak = breakdown({ ...defaults, product_mix_bp: 13000, buckets: { wh: [[0, 0, 1000], [0, 0, 0]] } });
    expect(peak.score).toBe(2_106_000_000n);
    const valley = breakdown({ ...defaults, product_mix_bp: 10000, buckets: { wh: [[0, 0, 0], [1000, 0, 0]] } });
    expect(valley.score).toBe(500_000_000n);
  });
  it("every cell in bucket order, summed then floored once", () => {
    const b = breakdown({ ...defaults, product_mix_bp: 13000, buckets: { wh: [[1, 2, 3], [4, 5, 7]] } });
    expect(b.terms.map((t) => `${t.battery}/${t.tou}`)).toEqual([
      "whitelisted/valley", "whitelisted/off-peak", "whitelisted/peak",
      "standard/valley", "standard/off-peak", "standard/peak",
    ]);
    expect(b.totalWh).toBe(22n);
    // Σ wh·M1·M2 = 1·1.2·0.5 + 2·1.2·1 + 3·1.2·1.35 + 4·1·0.5 + 5·1·1 + 7·1·1.35 = 24.31 (× 10^8)
    expect(b.sum).toBe(2_431_000_000n);
    // × 1.3 = 31.603 points
    expect(b.score).toBe(31_603_000n);
  });
  it("floors at micro-points", () => {
    const b = breakdown({ ...defaults, whitelisted_bp: 10001, product_mix_bp: 10001, buckets: { wh: [[0, 1, 0], [0, 0, 0]] } });
    // 1 · 10001 · 10000 · 10001 / 10^6 = 1000200.01 -> 1000200
    expect(b.score).toBe(1_000_200n);
  });
  it("payout is floor(reward · score / Σ scores)", () => {
    expect(payout("1000000", "1", "3")).toBe(333_333n);
    expect(payout("1000000", "2", "3")).toBe(666_666n);
    expect(payout("1000000", "5", "0")).toBe(0n);
    expect(payout("340282366920938463463374607431768211455", "3", "7")).toBe(
      (340282366920938463463374607431768211455n * 3n) / 7n,
    );
  });
});
