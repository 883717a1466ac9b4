// Chart axes that tell the truth: the top of an amount axis is a round value at or above the
// largest amount drawn, in base units (BigInt), so its label is exact.

/** The smallest 1, 2, 2.5 or 5 × 10^k base units at or above `v` (a round top for an axis). */
export function niceCeil(v: bigint): bigint {
  if (v <= 1n) return 1n;
  let p = 1n;
  while (p * 10n < v) p *= 10n;
  // p < v <= 10p: the first of p, 2p, 2.5p, 5p, 10p that reaches v (2.5p only when exact).
  const candidates = [p, 2n * p, ...(p % 2n === 0n ? [(5n * p) / 2n] : []), 5n * p, 10n * p];
  return candidates.find((c) => c >= v) ?? 10n * p;
}
