// Votes of a round against the quorum, per batch, from the `Batches` query (paginated with
// `next`; each batch's tallies count current oracles only).
import type { Chain } from "../chain";

export interface BatchVotes {
  batchIndex: number;
  /** Votes of the leading hash (current oracles). */
  votes: number;
  accepted: boolean;
}

export interface RoundVotes {
  quorum: number;
  /** Batches that have votes; null when the contract could not answer `Batches`. */
  batches: BatchVotes[] | null;
  /** Why `batches` is null. */
  unavailable?: string;
}

/** At most this many pages of 30 batches are read for one round. */
const MAX_PAGES = 20;

export async function roundVotes(chain: Chain, round: number, quorum: number): Promise<RoundVotes> {
  const batches: BatchVotes[] = [];
  let after: number | undefined;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await chain.round.batches({ round, startAfter: after, limit: 30 });
      for (const b of r.batches) {
        const lead = b.tallies.reduce((m, t) => Math.max(m, t.votes), 0);
        batches.push({ batchIndex: b.batch_index, votes: lead, accepted: b.accepted_hash != null });
      }
      if (r.next == null) break;
      after = r.next;
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /Generic error: ([^:]+?)(?:: query wasm| \[|$)/.exec(msg);
    return { quorum, batches: null, unavailable: m?.[1] ?? "the contract did not answer the Batches query" };
  }
  return { quorum, batches };
}
