import { describe, expect, it } from "vitest";
import { MAX_CLAIM_MESSAGES, planEctClaim } from "../../src/lib/claim";
import { niceCeil } from "../../src/lib/axis";

const rounds = (n: number, amount = "7") => Array.from({ length: n }, (_, i) => ({ round: i + 3, amount }));

describe("ECT claim plan", () => {
  it("one message when the rounds fit max_claim_rounds", () => {
    const p = planEctClaim(rounds(10), 10);
    expect(p.chunks).toEqual([rounds(10).map((r) => r.round)]);
    expect(p.pays).toBe(70n);
    expect([p.paidRounds, p.remainingRounds, p.remains]).toEqual([10, 0, 0n]);
  });
  it("eleven rounds at max 10: two messages in one transaction pay all of them", () => {
    const p = planEctClaim(rounds(11), 10);
    expect(p.chunks.map((c) => c.length)).toEqual([10, 1]);
    expect(p.chunks.flat()).toEqual(rounds(11).map((r) => r.round));
    expect(p.pays).toBe(77n);
    expect(p.remainingRounds).toBe(0);
  });
  it("beyond MAX_CLAIM_MESSAGES messages, the rest is the exact remainder", () => {
    const n = 2 * MAX_CLAIM_MESSAGES + 3;
    const p = planEctClaim(rounds(n, "5"), 2);
    expect(p.chunks.length).toBe(MAX_CLAIM_MESSAGES);
    expect(p.paidRounds).toBe(2 * MAX_CLAIM_MESSAGES);
    expect(p.pays).toBe(BigInt(2 * MAX_CLAIM_MESSAGES * 5));
    expect([p.remainingRounds, p.remains]).toEqual([3, 15n]);
  });
  it("a max of 0 (never configured so) still makes one round per message", () => {
    expect(planEctClaim(rounds(2), 0).chunks).toEqual([[3], [4]]);
  });
});

describe("axis top", () => {
  it("the smallest 1, 2, 2.5 or 5 × 10^k at or above the value", () => {
    expect([0n, 1n, 2n, 3n, 9n, 10n, 11n, 21n, 24n, 26n, 51n, 100n].map(niceCeil)).toEqual([1n, 1n, 2n, 5n, 10n, 10n, 20n, 25n, 25n, 50n, 100n, 100n]);
    expect(niceCeil(1_100_000n)).toBe(2_000_000n);
    expect(niceCeil(2_400_000n)).toBe(2_500_000n);
    for (const v of [7n, 1_234_567n, 10n ** 30n + 1n]) expect(niceCeil(niceCeil(v))).toBe(niceCeil(v));
  });
});
