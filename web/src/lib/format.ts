// Amounts: CW20 base units (integer strings, Uint128) <-> display decimals. BigInt only, never
// floating point, so a shown amount is exactly the on-chain amount.

/** "1234567" with 6 decimals -> "1.234567"; trailing zeros trimmed; thousands grouped. */
export function formatAmount(base: string | bigint, decimals: number, group = true): string {
  const v = typeof base === "bigint" ? base : BigInt(base);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const unit = 10n ** BigInt(decimals);
  const whole = (abs / unit).toString();
  let frac = decimals > 0 ? (abs % unit).toString().padStart(decimals, "0") : "";
  frac = frac.replace(/0+$/, "");
  const w = group ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : whole;
  return (neg ? "-" : "") + w + (frac ? "." + frac : "");
}

/** "1.5" with 6 decimals -> 1500000n. Rejects more decimals than the token has. */
export function parseAmount(display: string, decimals: number): bigint {
  const s = display.trim().replace(/,/g, "");
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) throw new Error(`not an amount: "${display}"`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) {
    throw new Error(`"${display}" has more than ${decimals} decimals`);
  }
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** Basis points as a multiplier: 13500 -> "1.35". */
export function formatBp(bp: number): string {
  return formatAmount(BigInt(bp), 4, false);
}

/** Seconds since the epoch (number or decimal string, or nanosecond Timestamp) -> UTC text. */
export function formatTime(secs: number): string {
  return new Date(secs * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** cosmwasm Timestamp (nanoseconds as a decimal string) -> seconds. */
export function nanosToSecs(ts: string): number {
  return Number(BigInt(ts) / 1_000_000_000n);
}

/** Micro-points (score unit) -> points with 6 decimals. */
export function formatScore(micro: string | bigint): string {
  return formatAmount(micro, 6);
}

export function shortAddr(a: string): string {
  return a.length > 20 ? `${a.slice(0, 12)}…${a.slice(-6)}` : a;
}
