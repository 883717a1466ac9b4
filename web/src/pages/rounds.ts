// Rounds: every round by number, newest first (including rounds that ended without any
// attestation, which the contract's `Rounds` list does not store), with status, votes against
// quorum, batches, total score, reward, paid, dust, claim deadline and policy version; and the
// round page with its ranked, paginated leaderboard and per-owner breakdown.
import type { Chain } from "../chain";
import { tokenInfo } from "../chain";
import type { ConfigResponse, RoundResponse, RoundSummary, ScoreResponse } from "../generated/MiningRound.types";
import { formatAmount, formatBp, formatDuration, formatScore, shortAddr } from "../lib/format";
import { breakdown, payout } from "../lib/score";
import { myAddress } from "../session";
import { html, raw, when, type Raw } from "../ui";
import { roundVotes, type RoundVotes } from "./votes";

export const ROUNDS_PAGE = 20;
/** Owners per leaderboard page; `?per=N` (1..100) in the URL overrides it. */
export const LEADERBOARD_PAGE = 25;
/** A round page for a round more than this many rounds ahead of the current one is flagged. */
export const FAR_FUTURE_ROUNDS = 1;

function leaderboardPage(): number {
  const per = Number(new URLSearchParams(location.search).get("per"));
  return Number.isInteger(per) && per >= 1 && per <= 100 ? per : LEADERBOARD_PAGE;
}

function votesCell(v: RoundVotes, batchesWithVotes?: number): Raw {
  if (v.batches === null) {
    return html`<span class="muted" data-votes-unavailable>${batchesWithVotes ?? "?"} batch(es) with votes; tallies unavailable (${v.unavailable})</span>`;
  }
  if (!v.batches.length) return html`<span class="muted">no votes</span>`;
  return html`${v.batches.map(
    (b) => html`<div class="vote${b.accepted ? " ok" : ""}" data-batch="${b.batchIndex}" data-votes="${b.votes}" data-quorum="${v.quorum}">#${b.batchIndex}: ${b.votes}/${v.quorum}${b.accepted ? " ✓" : ""}</div>`,
  )}`;
}

const STATUS_TEXT: Record<string, string> = {
  upcoming: "upcoming",
  in_progress: "running",
  attesting: "ended, awaiting attestation",
  attestation_expired: "ended, never attested",
  finalized: "finalized",
  void: "void (no reward)",
  swept: "claim window over",
};

export function statusText(s: RoundSummary): string {
  return STATUS_TEXT[s.status] ?? s.status.replace(/_/g, " ");
}

/**
 * The reward a round shows: what finalization locked, or for a round not finalized yet the
 * configured round reward it will share (the contract stores no reward before finalization).
 */
export function rewardOf(s: RoundSummary, cfg: ConfigResponse): { amount: string; locked: boolean } {
  if (s.status === "finalized" || s.status === "swept") return { amount: s.reward, locked: true };
  if (s.status === "void" || s.status === "attestation_expired") return { amount: "0", locked: true };
  return { amount: cfg.round_reward, locked: false };
}

export async function roundsPage(chain: Chain, before?: number): Promise<Raw> {
  const [cfg, current, ect] = await Promise.all([chain.round.config(), chain.round.currentRound(), tokenInfo(chain, chain.cfg.ect)]);
  const amt = (v: string) => formatAmount(v, ect.decimals);
  if (current.round == null) {
    return html`<h1>Mining rounds</h1><p>The first round starts at ${when(cfg.genesis_time, current.now)}.</p>`;
  }
  // Round numbers newest first: the current round, then every earlier one, attested or not.
  const top = before !== undefined ? Math.min(before - 1, current.round) : current.round;
  const ids: number[] = [];
  for (let r = top; r >= 0 && ids.length < ROUNDS_PAGE; r--) ids.push(r);
  const details: RoundResponse[] = await Promise.all(ids.map((r) => chain.round.round({ round: r })));
  const votes = await Promise.all(
    ids.map((r, i) => (details[i].batches_with_votes > 0 ? roundVotes(chain, r, details[i].quorum) : Promise.resolve<RoundVotes>({ quorum: details[i].quorum, batches: [] }))),
  );
  const older = ids.length && ids[ids.length - 1] > 0 ? ids[ids.length - 1] : null;
  const now = current.now;
  return html`
  <h1>Mining rounds</h1>
  <p>Rounds of ${formatDuration(cfg.round_duration)} from ${when(cfg.genesis_time)}; quorum ${cfg.quorum} oracle votes per batch;
  reward ${amt(cfg.round_reward)} ${ect.symbol} per round, claimable for ${formatDuration(cfg.claim_window)} after finalization.
  Current round: <b data-current-round="${current.round}">${current.round}</b>, ends ${when(current.end ?? now, now)}.</p>
  <table class="rounds stack">
    <thead><tr><th>round</th><th>status</th><th>votes / quorum</th><th>batches</th><th>owners</th><th>total score (points)</th>
      <th>reward (${ect.symbol})</th><th>paid</th><th>dust</th><th>claim by</th><th>policy</th></tr></thead>
    <tbody>${details.map((d, i) => {
      const r = d.summary;
      const reward = rewardOf(r, cfg);
      return html`<tr data-round="${r.round}" data-status="${r.status}">
      <td data-label="round"><a href="#/round/${r.round}">${r.round}</a></td>
      <td data-label="status"><span class="status s-${r.status}">${statusText(r)}</span></td>
      <td data-label="votes / quorum"><span>${votesCell(votes[i], d.batches_with_votes)}</span></td>
      <td data-label="batches">${r.accepted_batches}/${r.batch_count ?? "?"}</td>
      <td data-label="owners" data-q>${r.scored_owners}</td>
      <td class="num" data-label="total score" data-q data-total-score="${r.total_score}">${formatScore(r.total_score)}</td>
      <td class="num" data-label="reward (${ect.symbol})" data-q data-reward="${reward.amount}"><span>${amt(reward.amount)}${reward.locked ? "" : html` <span class="muted">(to share)</span>`}</span></td>
      <td class="num" data-label="paid" data-q>${amt(r.paid)}</td>
      <td class="num" data-label="dust" data-q>${amt(r.dust)}</td>
      <td data-label="claim by">${r.claim_deadline != null ? when(r.claim_deadline, now) : r.status === "in_progress" ? html`<span class="muted">ends ${when(r.end, now)}</span>` : "—"}</td>
      <td data-label="policy">v${r.policy_version}</td></tr>`;
    })}</tbody>
  </table>
  <nav class="pager">${before !== undefined ? html`<a href="#/rounds">newest rounds</a>` : ""}
   ${older !== null ? html`<a href="#/rounds/before/${older}" data-next>older rounds →</a>` : ""}</nav>`;
}

/** Breakdown of one owner's score: recomputable by hand; stacks into rows on a phone. */
export function breakdownTable(s: ScoreResponse, reward: string, totalScore: string, decimals: number, sym: string): Raw {
  const b = breakdown(s);
  const pay = payout(reward, s.score, totalScore);
  const ok = b.score.toString() === s.score;
  return html`<table class="breakdown stack" data-owner="${s.owner}" data-round="${s.round}" data-score="${s.score}" data-m3="${s.product_mix_bp}">
    <thead><tr><th>battery</th><th>time of use</th><th>Wh</th><th>M1</th><th>M2</th><th>Wh·M1·M2</th></tr></thead>
    <tbody>${b.terms.map((t) => html`<tr class="term" data-wh="${t.wh}" data-m1="${t.m1Bp}" data-m2="${t.m2Bp}">
      <td data-label="battery">${t.battery}</td><td data-label="time of use">${t.tou}</td><td class="num" data-label="Wh" data-q>${t.wh}</td>
      <td data-label="M1">${formatBp(t.m1Bp)}</td><td data-label="M2">${formatBp(t.m2Bp)}</td>
      <td class="num" data-label="Wh·M1·M2" data-q>${formatAmount(t.product, 8)}</td></tr>`)}</tbody>
    <tfoot>
      <tr><td colspan="2" data-label="Σ Wh">Σ</td><td class="num" data-label="Σ Wh" data-q>${b.totalWh}</td><td class="empty"></td><td class="empty"></td><td class="num" data-label="Σ Wh·M1·M2" data-q>${formatAmount(b.sum, 8)}</td></tr>
      <tr><td colspan="5" class="what">× M3 (${s.dual_product ? "holds CubeV1 and CubeV2" : "single product"})</td><td data-label="M3">${formatBp(s.product_mix_bp)}</td></tr>
      <tr><td colspan="5" class="what">score = floor(Σ · M3, 6 decimals) ${ok ? "" : raw('<b class="bad">≠ on-chain</b>')}</td><td class="num" data-label="score (points)" data-q>${formatScore(s.score)}</td></tr>
      <tr><td colspan="5" class="what">payout = floor(${formatAmount(reward, decimals)} × ${formatScore(s.score)} ÷ ${formatScore(totalScore)})</td>
        <td class="num" data-label="payout" data-q data-payout="${pay}">${formatAmount(pay, decimals)} ${sym}</td></tr>
    </tfoot></table>`;
}

/** `#/round/N[/after/OWNER/rank/K]`: K = rank of the first owner on the page. */
export async function roundPage(chain: Chain, round: number, startAfter?: string, firstRank = 1): Promise<Raw> {
  const [cfg, current, r, ect] = await Promise.all([
    chain.round.config(),
    chain.round.currentRound(),
    chain.round.round({ round }),
    tokenInfo(chain, chain.cfg.ect),
  ]);
  const s = r.summary;
  const now = current.now;
  const d = ect.decimals;
  const ahead = current.round == null ? round + 1 : round - current.round;
  if (ahead > 0) {
    // Nothing of a future round exists on chain: say when it starts, and flag a number far ahead.
    const far = ahead > FAR_FUTURE_ROUNDS;
    return html`<h1>Round ${round}</h1><p><a href="#/rounds">← all rounds</a></p>
    <div class="msg ${far ? "warn" : "info"}" ${raw(far ? "data-far-future" : "data-next-round")}>
      ${far
        ? html`<strong>Round ${round} is ${ahead.toLocaleString("en-US")} rounds in the future.</strong> `
        : html`<strong>Round ${round} has not started.</strong> `}
      It starts ${when(s.start, now)} and ends ${when(s.end, now)}${current.round != null ? html`; the current round is <a href="#/round/${current.round}">${current.round}</a>` : ""}.
      Nothing about it is recorded yet.</div>`;
  }
  const lb = await chain.round.leaderboard({ round, startAfter, limit: leaderboardPage() });
  const [policy, votes] = await Promise.all([chain.round.policy({ version: s.policy_version }), roundVotes(chain, round, r.quorum)]);
  const scores = await Promise.all(lb.entries.map((e) => chain.round.score({ owner: e.owner, round })));
  const p = policy.policy;
  const next = lb.next ?? null;
  const reward = rewardOf(s, cfg);
  const me = myAddress();
  const meShown = me != null && scores.some((sc) => sc.owner === me);
  const nextRank = firstRank + scores.length;
  return html`
  <h1>Round ${round}</h1>
  <p><a href="#/rounds">← all rounds</a></p>
  <section class="figs">
    <div class="fig"><div class="label">status</div><div class="value" data-status="${s.status}">${statusText(s)}</div></div>
    <div class="fig"><div class="label">window</div><div class="value small">${when(s.start)} – ${when(s.end, now)}</div></div>
    <div class="fig"><div class="label">votes / quorum</div><div class="value small">${votesCell(votes, r.batches_with_votes)}</div></div>
    <div class="fig"><div class="label">batches accepted</div><div class="value" data-q>${s.accepted_batches}/${s.batch_count ?? "?"}</div></div>
    <div class="fig"><div class="label">owners scored</div><div class="value" data-q>${s.scored_owners}</div></div>
    <div class="fig"><div class="label">total score (points)</div><div class="value" data-q data-total-score="${s.total_score}">${formatScore(s.total_score)}</div></div>
    <div class="fig"><div class="label">reward</div><div class="value" data-q data-reward="${reward.amount}">${formatAmount(reward.amount, d)} ${ect.symbol}</div>
      ${reward.locked ? "" : html`<div class="note">the configured round reward, shared at finalization</div>`}</div>
    <div class="fig"><div class="label">paid / dust</div><div class="value small" data-q>${formatAmount(s.paid, d)} / ${formatAmount(s.dust, d)}</div></div>
    <div class="fig"><div class="label">claim by</div><div class="value small" data-claim-deadline="${s.claim_deadline ?? ""}">${s.claim_deadline != null
      ? when(s.claim_deadline, now)
      : s.status === "in_progress" || s.status === "attesting"
        ? "set at finalization"
        : "—"}</div></div>
    <div class="fig"><div class="label">policy</div><div class="value small">v${s.policy_version}: M1 ${formatBp(p.whitelisted_bp)}/${formatBp(p.standard_bp)},
      M2 ${formatBp(p.valley_bp)}/${formatBp(p.off_peak_bp)}/${formatBp(p.peak_bp)}, M3 ${formatBp(p.dual_product_bp)}/${formatBp(p.single_product_bp)}</div></div>
  </section>
  <p class="how"><b>Recompute a payout by hand.</b> For each battery class × time-of-use cell multiply the Wh by M1 and M2,
  add the six products, multiply by M3 and floor to 6 decimals: that is the owner's score in points. The payout is
  floor(round reward × score ÷ total score) in ${ect.symbol} base units (${d} decimals); the remainder of the floors is the dust.</p>
  <h2>Leaderboard ${startAfter ? html`<small>(from rank ${firstRank})</small>` : ""}</h2>
  ${me && !meShown && s.scored_owners > 0 ? html`<p class="muted" data-you-elsewhere>Your connected address is not on this page.</p>` : ""}
  <ol class="leaderboard" start="${firstRank}">${scores.map(
    (sc, i) => html`<li><details class="owner${sc.owner === me ? " you" : ""}" data-key="owner-${sc.owner}" data-owner="${sc.owner}" data-rank="${firstRank + i}"${raw(sc.owner === me ? " data-you" : "")}>
      <summary><span class="rank" data-q>#${firstRank + i}</span>${sc.owner === me ? html`<span class="you-badge">you</span>` : ""}<span class="addr">${sc.owner}</span>
      <span class="num" data-q>${formatScore(sc.score)} pts</span>
      <span class="num" data-q>${formatAmount(payout(s.reward, sc.score, s.total_score), d)} ${ect.symbol}</span>${sc.claimed ? html` <span class="muted">claimed</span>` : ""}</summary>
      ${breakdownTable(sc, s.reward, s.total_score, d, ect.symbol)}</details></li>`,
  )}</ol>
  ${scores.length === 0 ? html`<p class="muted" data-leaderboard-end>no scored owner${startAfter ? " after this one" : " (yet)"}.</p>` : ""}
  <nav class="pager">${startAfter ? html`<a href="#/round/${round}">first page</a>` : ""}
    ${next ? html`<a href="#/round/${round}/after/${encodeURIComponent(next)}/rank/${nextRank}" data-next>next ${leaderboardPage()} owners →</a>` : ""}</nav>`;
}
