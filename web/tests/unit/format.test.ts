import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatAmount, formatBp, formatDuration, formatLocalTime, formatTime, parseAmount, relativeTo } from "../../src/lib/format";

// Golden vectors shared with the Rust formatter (chain_client::amount, used by the demo and deploy
// consoles): both must print the same text for the same base units.
const VECTORS = new URL("../../../packages/chain-client/amount-vectors.json", import.meta.url);
const vectors: { base: string; decimals: number; text: string }[] = JSON.parse(
  readFileSync(VECTORS, "utf8"),
);

describe("amount formatting", () => {
  it("base units to display decimals, exactly", () => {
    expect(formatAmount("1234567", 6)).toBe("1.234567");
    expect(formatAmount("100000000", 6)).toBe("100");
    expect(formatAmount("100000000000000000", 6)).toBe("100,000,000,000");
    expect(formatAmount("1", 6)).toBe("0.000001");
    expect(formatAmount("0", 6)).toBe("0");
    expect(formatAmount("1500000", 6, false)).toBe("1.5");
    expect(formatAmount("340282366920938463463374607431768211455", 6)).toBe(
      "340,282,366,920,938,463,463,374,607,431,768.211455",
    );
    expect(formatAmount(42n, 0)).toBe("42");
  });
  it("the golden vectors shared with the Rust consoles", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(12);
    for (const v of vectors) {
      expect(formatAmount(v.base, v.decimals), JSON.stringify(v)).toBe(v.text);
    }
  });
  it("display to base units and back", () => {
    expect(parseAmount("1.5", 6)).toBe(1_500_000n);
    expect(parseAmount("1,000", 6)).toBe(1_000_000_000n);
    expect(parseAmount("0.000001", 6)).toBe(1n);
    expect(parseAmount("7", 0)).toBe(7n);
    for (const v of ["0", "1", "999999", "1000001", "123456789012345678901234567890"]) {
      expect(parseAmount(formatAmount(v, 6), 6)).toBe(BigInt(v));
    }
  });
  it("rejects what is not an amount", () => {
    expect(() => parseAmount("1.0000001", 6)).toThrow("more than 6 decimals");
    expect(() => parseAmount("-1", 6)).toThrow("not an amount");
    expect(() => parseAmount("abc", 6)).toThrow("not an amount");
  });
  it("basis points as multipliers", () => {
    expect(formatBp(13500)).toBe("1.35");
    expect(formatBp(10000)).toBe("1");
    expect(formatBp(5000)).toBe("0.5");
  });
});

describe("times", () => {
  const t = 1_765_157_400; // 2025-12-08 01:30:00 UTC
  it("UTC, and the same instant in the reader's zone beside it", () => {
    expect(formatTime(t)).toBe("2025-12-08 01:30:00 UTC");
    expect(formatLocalTime(t, "Asia/Tokyo")).toMatch(/^2025-12-08 10:30:00 /);
    expect(formatLocalTime(t, "America/New_York")).toMatch(/^2025-12-07 20:30:00 /);
    expect(formatLocalTime(t, "UTC")).toBe("");
  });
  it("durations and relative times in words", () => {
    expect([45, 60, 125, 3600, 3660, 86400, 90000].map(formatDuration)).toEqual(["45 s", "1 min", "2 min 5 s", "1 h", "1 h 1 min", "1 d", "1 d 1 h"]);
    expect(relativeTo(t + 90, t)).toBe("in 1 min 30 s");
    expect(relativeTo(t - 7200, t)).toBe("2 h ago");
  });
});
