// Amounts: CW20 base units (integer strings, Uint128) <-> display decimals. BigInt only, never
// floating point, so a shown amount is exactly the on-chain amount.

/**
 * "1234567" with 6 decimals -> "1.234567"; trailing zeros trimmed; thousands grouped. The Rust
 * consoles (demo, deploy) print the same text with chain_client::amount::format_amount; both are
 * checked against packages/chain-client/amount-vectors.json.
 */
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

/** Seconds since the epoch -> UTC text ("2026-12-08 01:40:00 UTC"). */
export function formatTime(secs: number): string {
  return new Date(secs * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/**
 * Seconds since the epoch -> the same instant in the browser's (or the given) time zone:
 * "2026-12-08 02:40:00 CET". Empty when that zone is UTC (the UTC text says it already).
 */
export function formatLocalTime(secs: number, timeZone?: string): string {
  const d = new Date(secs * 1000);
  const opts: Intl.DateTimeFormatOptions = {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  };
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", opts).formatToParts(d).map((p) => [p.type, p.value]));
  const zone = parts.timeZoneName ?? "";
  if (zone === "UTC" || zone === "GMT") return "";
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${zone}`;
}

/** A duration in seconds, in words a person reads at a glance: "3 d 4 h", "12 min", "45 s". */
export function formatDuration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ""}`;
}

/** "in 3 d 4 h" / "5 min ago" relative to `now` (seconds). */
export function relativeTo(secs: number, now: number): string {
  return secs >= now ? `in ${formatDuration(secs - now)}` : `${formatDuration(now - secs)} ago`;
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
