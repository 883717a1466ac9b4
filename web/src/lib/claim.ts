// How one ECT claim pays the rounds the contract owes: `Claim { rounds }` takes at most
// `max_claim_rounds` rounds, so a holder with more gets one message per chunk, all in one
// transaction, up to MAX_CLAIM_MESSAGES messages; what does not fit is said before signing.
import type { ClaimableRound } from "../generated/MiningRound.types";

/** At most this many claim messages go into one transaction (each pays `max_claim_rounds`). */
export const MAX_CLAIM_MESSAGES = 10;

/**
 * How one ECT claim pays `rounds`: one `Claim { rounds }` message per `maxPerMessage` rounds
 * (the contract's `max_claim_rounds`), at most MAX_CLAIM_MESSAGES messages in the transaction.
 * What does not fit stays claimable and is said before signing.
 */
export interface EctPlan {
  chunks: number[][];
  pays: bigint;
  paidRounds: number;
  remainingRounds: number;
  remains: bigint;
}

export function planEctClaim(rounds: ClaimableRound[], maxPerMessage: number): EctPlan {
  const per = Math.max(1, maxPerMessage);
  const fit = rounds.slice(0, per * MAX_CLAIM_MESSAGES);
  const chunks: number[][] = [];
  for (let i = 0; i < fit.length; i += per) chunks.push(fit.slice(i, i + per).map((r) => r.round));
  const pays = fit.reduce((s, r) => s + BigInt(r.amount), 0n);
  const rest = rounds.slice(fit.length);
  return {
    chunks,
    pays,
    paidRounds: fit.length,
    remainingRounds: rest.length,
    remains: rest.reduce((s, r) => s + BigInt(r.amount), 0n),
  };
}

