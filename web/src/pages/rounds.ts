// Rounds: every round with status, votes against quorum, batches, total score, reward, dust and
// policy version; and the round page with its paginated leaderboard and per-owner breakdown.
import type { Chain } from "../chain";
import { tokenInfo } from "../chain";
import type { RoundSummary, ScoreResponse } from "../generated/MiningRound.types";
import { formatAmount, formatBp, formatScore, formatTime, shortAddr } from "../lib/format";
import { breakdown, payout } from "../lib/score";
import { html, raw, type Raw } from "../ui";
import { roundVotes, type RoundVotes } from "./votes";

export const ROUNDS_PAGE = 20;
/** Owners per leaderboard page; `?per=N` (1..100) in the URL overrides it. */
export const LEADERBOARD_PAGE = 25;

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

export async function roundsPage(chain: Chain, startAfter?: number): Promise<Raw> {
  const [cfg, current, list, ect] = await Promise.all([
    chain.round.config(),
    chain.round.currentRound(),
    chain.round.rounds({ startAfter, limit: ROUNDS_PAGE }),
    tokenInfo(chain, chain.cfg.ect),
  ]);
  const rounds = list.rounds;
  const details = await Promise.all(rounds.map((r) => chain.round.round({ round: r.round })));
  const votes = await Promise.all(rounds.map((r, i) => roundVotes(chain, r.round, details[i].quorum)));
  const amt = (v: string) => formatAmount(v, ect.decimals);
  const next = list.next ?? null;
  return html`
  <h1>Mining rounds</h1>
  <p>Rounds of ${cfg.round_duration} s from ${formatTime(cfg.genesis_time)}; quorum ${cfg.quorum} oracle votes per batch;
  reward ${amt(cfg.round_reward)} ${ect.symbol} per round. Current round: ${current.round ?? "—"}.</p>
  <div class="scroll"><table class="rounds">
    <thead><tr><th>round</th><th>status</th><th>votes / quorum</th><th>batches</th><th>owners</th><th>total score (points)</th>
      <th>reward (${ect.symbol})</th><th>paid</th><th>dust</th><th>policy</th></tr></thead>
    <tbody>${rounds.map((r: RoundSummary, i: number) => html`<tr data-round="${r.round}">
      <td><a href="#/round/${r.round}">${r.round}</a></td>
      <td><span class="status s-${r.status}">${r.status.replace(/_/g, " ")}</span></td>
      <td>${votesCell(votes[i], details[i].batches_with_votes)}</td>
      <td>${r.accepted_batches}/${r.batch_count ?? "?"}</td>
      <td>${r.scored_owners}</td>
      <td class="num" data-total-score="${r.total_score}">${formatScore(r.total_score)}</td>
      <td class="num">${amt(r.reward)}</td>
      <td class="num">${amt(r.paid)}</td>
      <td class="num">${amt(r.dust)}</td>
      <td>v${r.policy_version}</td></tr>`)}
    ${rounds.length === 0 ? html`<tr><td colspan="10">no round has started yet</td></tr>` : ""}</tbody>
  </table></div>
  <nav class="pager">${startAfter !== undefined ? html`<a href="#/rounds">first page</a>` : ""}
   ${next !== null ? html`<a href="#/rounds/after/${next}" data-next>next ${ROUNDS_PAGE} rounds →</a>` : ""}</nav>`;
}

/** Breakdown table of one owner's score: recomputable by hand. */
export function breakdownTable(s: ScoreResponse, reward: string, totalScore: string, decimals: number, sym: string): Raw {
  const b = breakdown(s);
  const pay = payout(reward, s.score, totalScore);
  const ok = b.score.toString() === s.score;
  return html`<table class="breakdown" data-owner="${s.owner}" data-round="${s.round}" data-score="${s.score}" data-m3="${s.product_mix_bp}">
    <thead><tr><th>battery</th><th>time of use</th><th>Wh</th><th>M1</th><th>M2</th><th>Wh·M1·M2</th></tr></thead>
    <tbody>${b.terms.map((t) => html`<tr class="term" data-wh="${t.wh}" data-m1="${t.m1Bp}" data-m2="${t.m2Bp}">
      <td>${t.battery}</td><td>${t.tou}</td><td class="num">${t.wh}</td><td>${formatBp(t.m1Bp)}</td><td>${formatBp(t.m2Bp)}</td>
      <td class="num">${formatAmount(t.product, 8)}</td></tr>`)}</tbody>
    <tfoot>
      <tr><td colspan="2">Σ</td><td class="num">${b.totalWh}</td><td></td><td></td><td class="num">${formatAmount(b.sum, 8)}</td></tr>
      <tr><td colspan="5">× M3 (${s.dual_product ? "holds CubeV1 and CubeV2" : "single product"})</td><td>${formatBp(s.product_mix_bp)}</td></tr>
      <tr><td colspan="5">score = floor(Σ · M3, 6 decimals) ${ok ? "" : raw('<b class="bad">≠ on-chain</b>')}</td><td class="num">${formatScore(s.score)}</td></tr>
      <tr><td colspan="5">payout = floor(${formatAmount(reward, decimals)} × ${formatScore(s.score)} ÷ ${formatScore(totalScore)})</td>
        <td class="num" data-payout="${pay}">${formatAmount(pay, decimals)} ${sym}</td></tr>
    </tfoot></table>`;
}

export async function roundPage(chain: Chain, round: number, startAfter?: string): Promise<Raw> {
  const [r, lb, ect] = await Promise.all([
    chain.round.round({ round }),
    chain.round.leaderboard({ round, startAfter, limit: leaderboardPage() }),
    tokenInfo(chain, chain.cfg.ect),
  ]);
  const s = r.summary;
  const [policy, votes] = await Promise.all([chain.round.policy({ version: s.policy_version }), roundVotes(chain, round, r.quorum)]);
  const scores = await Promise.all(lb.entries.map((e) => chain.round.score({ owner: e.owner, round })));
  const d = ect.decimals;
  const p = policy.policy;
  const next = lb.next ?? null;
  return html`
  <h1>Round ${round}</h1>
  <p><a href="#/rounds">← all rounds</a></p>
  <section class="figs">
    <div class="fig"><div class="label">status</div><div class="value">${s.status.replace(/_/g, " ")}</div></div>
    <div class="fig"><div class="label">window</div><div class="value small">${formatTime(s.start)} – ${formatTime(s.end)}</div></div>
    <div class="fig"><div class="label">votes / quorum</div><div class="value small">${votesCell(votes, r.batches_with_votes)}</div></div>
    <div class="fig"><div class="label">batches accepted</div><div class="value">${s.accepted_batches}/${s.batch_count ?? "?"}</div></div>
    <div class="fig"><div class="label">owners scored</div><div class="value">${s.scored_owners}</div></div>
    <div class="fig"><div class="label">total score (points)</div><div class="value" data-total-score="${s.total_score}">${formatScore(s.total_score)}</div></div>
    <div class="fig"><div class="label">reward</div><div class="value">${formatAmount(s.reward, d)} ${ect.symbol}</div></div>
    <div class="fig"><div class="label">paid / dust</div><div class="value small">${formatAmount(s.paid, d)} / ${formatAmount(s.dust, d)}</div></div>
    <div class="fig"><div class="label">policy</div><div class="value small">v${s.policy_version}: M1 ${formatBp(p.whitelisted_bp)}/${formatBp(p.standard_bp)},
      M2 ${formatBp(p.valley_bp)}/${formatBp(p.off_peak_bp)}/${formatBp(p.peak_bp)}, M3 ${formatBp(p.dual_product_bp)}/${formatBp(p.single_product_bp)}</div></div>
  </section>
  <p class="how"><b>Recompute a payout by hand.</b> For each battery class × time-of-use cell multiply the Wh by M1 and M2,
  add the six products, multiply by M3 and floor to 6 decimals: that is the owner's score in points. The payout is
  floor(round reward × score ÷ total score) in ${ect.symbol} base units (${d} decimals); the remainder of the floors is the dust.</p>
  <h2>Leaderboard ${startAfter ? html`<small>(after ${shortAddr(startAfter)})</small>` : ""}</h2>
  <div class="leaderboard">${scores.map(
    (sc) => html`<details class="owner" data-owner="${sc.owner}"><summary><span class="addr">${sc.owner}</span>
      <span class="num">${formatScore(sc.score)} pts</span>
      <span class="num">${formatAmount(payout(s.reward, sc.score, s.total_score), d)} ${ect.symbol}</span>${sc.claimed ? html` <span class="muted">claimed</span>` : ""}</summary>
      <div class="scroll">${breakdownTable(sc, s.reward, s.total_score, d, ect.symbol)}</div></details>`,
  )}
  ${scores.length === 0 ? html`<p class="muted" data-leaderboard-end>no scored owner${startAfter ? " after this one" : " (yet)"}.</p>` : ""}</div>
  <nav class="pager">${startAfter ? html`<a href="#/round/${round}">first page</a>` : ""}
    ${next ? html`<a href="#/round/${round}/after/${encodeURIComponent(next)}" data-next>next ${leaderboardPage()} owners →</a>` : ""}</nav>`;
}
