// Votes of a round against the quorum, per batch.
import type { Chain } from "../chain";

export interface BatchVotes {
  batchIndex: number;
  /** Votes of the leading hash. */
  votes: number;
  accepted: boolean;
}

export async function roundVotes(chain: Chain, round: number): Promise<{ quorum: number; batches: BatchVotes[] }> {
  const [r, cfg] = await Promise.all([chain.round.round({ round }), chain.round.config()]);
  const byBatch = new Map<number, BatchVotes>();
  for (const v of r.votes) {
    const cur = byBatch.get(v.batch_index);
    if (!cur || v.votes > cur.votes || v.accepted) {
      byBatch.set(v.batch_index, { batchIndex: v.batch_index, votes: v.votes, accepted: v.accepted || (cur?.accepted ?? false) });
    }
  }
  return { quorum: cfg.quorum, batches: [...byBatch.values()].sort((a, b) => a.batchIndex - b.batchIndex) };
}
