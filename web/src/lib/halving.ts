// When will the reward pool halve next, if content actions keep coming at the recent rate?
//
// The pool halves before an action when `available < next_halving_threshold` and the cooldown
// since the last halving is over (one halving per cooldown window). Rewards granted leave
// `available` at `drain` base units per second (measured: the growth of `total_rewarded`
// between two chain heights, divided by the seconds between their blocks). Ad fees refill the
// pool and are not extrapolated, so this is the date *without* further ad fees.
//   crossing = now + (available − threshold + 1) / drain    (first second available < T)
//   halving  = max(crossing, cooldown end)
//   actions/s = drain / reward per action

export interface HalvingInput {
  now: number; // seconds
  available: bigint;
  threshold: bigint | null; // next_halving_threshold; null = no further level
  rewardPerAction: bigint;
  cooldownEnd: number | null; // seconds; null = no cooldown running
  drainPerSec: number; // base units per second, >= 0
}

export type HalvingProjection =
  | { kind: "none"; reason: string }
  | { kind: "pending"; at: number; reason: string }
  | { kind: "never"; reason: string }
  | { kind: "at"; at: number; crossing: number; actionsPerSec: number; reason: string };

export function projectHalving(p: HalvingInput): HalvingProjection {
  if (p.threshold === null) {
    return { kind: "none", reason: "the pool is at its last level: no further halving threshold" };
  }
  const cooldown = p.cooldownEnd ?? 0;
  if (p.available < p.threshold) {
    const at = Math.max(p.now, cooldown);
    return {
      kind: "pending",
      at,
      reason:
        at > p.now
          ? "available is already below the threshold; the halving happens at the first action after the cooldown ends"
          : "available is already below the threshold; the next action halves the reward",
    };
  }
  if (!(p.drainPerSec > 0)) {
    return { kind: "never", reason: "no rewards were granted recently: at this rate the pool never halves" };
  }
  const gap = Number(p.available - p.threshold + 1n);
  const crossing = p.now + Math.ceil(gap / p.drainPerSec);
  const actionsPerSec = p.rewardPerAction > 0n ? p.drainPerSec / Number(p.rewardPerAction) : 0;
  const at = Math.max(crossing, cooldown);
  return {
    kind: "at",
    at,
    crossing,
    actionsPerSec,
    reason:
      at > crossing
        ? "available crosses the threshold before the cooldown ends; the halving waits for the cooldown"
        : "available crosses the threshold at the recent drain rate",
  };
}

/** Drain rate (base units/s) from two samples of total_rewarded. */
export function drainRate(
  earlier: { time: number; totalRewarded: bigint },
  later: { time: number; totalRewarded: bigint },
): number {
  const dt = later.time - earlier.time;
  if (dt <= 0) return 0;
  const d = later.totalRewarded - earlier.totalRewarded;
  return d > 0n ? Number(d) / dt : 0;
}
