// Pool: every figure of the reward pool's state, the level and balance over time (RateHistory)
// and a projection of the next halving at the recent drain rate.
import { QuerySmartContractStateRequest, QuerySmartContractStateResponse } from "cosmjs-types/cosmwasm/wasm/v1/query";
import { fromUtf8, toUtf8 } from "@cosmjs/encoding";
import type { QueryClient } from "@cosmjs/stargate";
import type { Chain } from "../chain";
import { tokenInfo } from "../chain";
import type { QueryMsg, RateEvent, StateResponse } from "../generated/RewardPool.types";
import { formatAmount, formatTime, nanosToSecs } from "../lib/format";
import { drainRate, projectHalving, type HalvingProjection } from "../lib/halving";
import { figure, html, raw, type Raw } from "../ui";

/** How far back the drain rate is measured (blocks). */
const RATE_WINDOW_BLOCKS = 200;

async function allEvents(chain: Chain): Promise<RateEvent[]> {
  const events: RateEvent[] = [];
  let after: number | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await chain.pool.rateHistory({ startAfter: after, limit: 100 });
    events.push(...r.events);
    if (r.events.length < 100) break;
    after = r.events[r.events.length - 1].seq;
  }
  return events;
}

/** The pool's state at an earlier height (smart query through ABCI with a height). */
async function stateAt(chain: Chain, height: number): Promise<StateResponse> {
  const q: QueryMsg = { state: {} };
  // CosmWasmClient keeps its QueryClient protected; ABCI queries at a height need it.
  const qc = (chain.client as unknown as { forceGetQueryClient(): QueryClient }).forceGetQueryClient();
  const req = QuerySmartContractStateRequest.encode({ address: chain.cfg.pool, queryData: toUtf8(JSON.stringify(q)) }).finish();
  const res = await qc.queryAbci("/cosmwasm.wasm.v1.Query/SmartContractState", req, height);
  return JSON.parse(fromUtf8(QuerySmartContractStateResponse.decode(res.value).data)) as StateResponse;
}

async function blockTime(chain: Chain, height?: number): Promise<{ height: number; time: number }> {
  const b = await chain.client.getBlock(height);
  return { height: b.header.height, time: Math.floor(new Date(b.header.time).getTime() / 1000) };
}

export async function poolPage(chain: Chain): Promise<Raw> {
  const [state, config, events, tok, now] = await Promise.all([
    chain.pool.state(),
    chain.pool.config(),
    allEvents(chain),
    tokenInfo(chain, chain.cfg.tok),
    blockTime(chain),
  ]);
  const d = tok.decimals;
  const amt = (v: string | null | undefined) => (v == null ? "—" : `${formatAmount(v, d)} ${tok.symbol}`);
  const ts = (v: string | null | undefined) => (v == null ? "—" : formatTime(nanosToSecs(v)));

  // Drain rate: growth of total_rewarded over the last RATE_WINDOW_BLOCKS blocks.
  let drain: number | null = null;
  let window = "";
  try {
    const h0 = Math.max(1, now.height - RATE_WINDOW_BLOCKS);
    const [earlierState, earlier] = await Promise.all([stateAt(chain, h0), blockTime(chain, h0)]);
    drain = drainRate(
      { time: earlier.time, totalRewarded: BigInt(earlierState.total_rewarded) },
      { time: now.time, totalRewarded: BigInt(state.total_rewarded) },
    );
    window = `blocks ${earlier.height}–${now.height}, ${now.time - earlier.time} s`;
  } catch {
    window = "no history at the earlier height (contract younger or state pruned)";
  }
  const proj = projectHalving({
    now: now.time,
    available: BigInt(state.available),
    threshold: state.next_halving_threshold == null ? null : BigInt(state.next_halving_threshold),
    rewardPerAction: BigInt(state.current_reward),
    cooldownEnd: state.cooldown_end == null ? null : nanosToSecs(state.cooldown_end),
    drainPerSec: drain ?? 0,
  });

  return html`
  <h1>Reward pool</h1>
  <section class="figs">
    ${figure("Available", amt(state.available), "available")}
    ${figure("Owed (unclaimed rewards)", amt(state.owed), "owed")}
    ${figure("Level (halvings in force)", state.level, "level")}
    ${figure("Reward per action", amt(state.current_reward), "reward")}
    ${figure("Next halving threshold", amt(state.next_halving_threshold), "next-threshold", "halves when available falls below")}
    ${figure("Reversal threshold", amt(state.reversal_threshold), "reversal-threshold", "un-halves when a deposit lifts available to this")}
    ${figure("Cooldown end", state.cooldown_active ? ts(state.cooldown_end) : "no cooldown running", "cooldown")}
    ${figure("Halving pending", state.halving_pending ? "yes" : "no", "pending")}
    ${figure("Last halving", ts(state.last_halving), "last-halving")}
    ${figure("Total funded", amt(state.total_funded), "funded")}
    ${figure("Total ad fees", amt(state.total_ad_fees), "ad-fees")}
    ${figure("Total rewarded", amt(state.total_rewarded), "rewarded")}
    ${figure("Total claimed", amt(state.total_claimed), "claimed")}
    ${figure("Total reconciled", amt(state.total_reconciled), "reconciled")}
    ${figure("Base reward (level 0)", amt(config.base_reward), "base-reward")}
    ${figure("Reference pool S", amt(config.reference_pool), "reference")}
    ${figure("Halving cooldown", `${config.halving_cooldown} s`, "cooldown-secs")}
    ${figure("Reversal margin", `${config.hysteresis_bps / 100} %`, "margin")}
  </section>
  <h2>Level and balance over time</h2>
  ${chart(events, state, now.time, d)}
  <h2>Next halving</h2>
  ${projection(proj, drain, window, state, d, tok.symbol)}
  <h2>Rate history</h2>
  <div class="scroll"><table class="events">
    <thead><tr><th>#</th><th>time</th><th>kind</th><th>level</th><th>reward/action</th><th>available</th></tr></thead>
    <tbody>${events.map((e) => html`<tr><td>${e.seq}</td><td>${ts(e.time)}</td><td>${e.kind}</td><td>${e.from_level} → ${e.to_level}</td><td>${amt(e.reward)}</td><td>${amt(e.balance)}</td></tr>`)}
    ${events.length === 0 ? html`<tr><td colspan="6">no halving or reversal yet</td></tr>` : ""}</tbody>
  </table></div>`;
}

function projection(p: HalvingProjection, drain: number | null, window: string, s: StateResponse, d: number, sym: string): Raw {
  let head: Raw;
  switch (p.kind) {
    case "at":
      head = html`<p class="big" data-projection="at">Next halving around <strong>${formatTime(p.at)}</strong>
        (${p.actionsPerSec.toFixed(2)} actions/s).</p>`;
      break;
    case "pending":
      head = html`<p class="big" data-projection="pending">Halving pending: at ${formatTime(p.at)} or the first action after.</p>`;
      break;
    default:
      head = html`<p class="big" data-projection="${p.kind}">No halving projected.</p>`;
  }
  const rate = drain == null ? "unknown" : `${formatAmount(BigInt(Math.round(drain)), d)} ${sym}/s`;
  return html`<div class="card">${head}
    <p>${p.reason}.</p>
    <p class="how"><b>How it is computed.</b> The pool halves before an action when <i>available</i>
    falls below the next threshold (${formatAmount(s.next_halving_threshold ?? "0", d)} ${sym}) and the cooldown since the
    last halving is over. The recent drain rate is the growth of <i>total rewarded</i> over the last
    ${RATE_WINDOW_BLOCKS} blocks (${window}): ${rate}. Crossing time = now + (available − threshold) ÷ drain rate;
    the halving happens at the later of the crossing and the cooldown end. Actions/s = drain rate ÷ reward per action.
    Ad fees refill the pool and are not extrapolated, so this is the date if no ad fee arrives.</p></div>`;
}

function chart(events: RateEvent[], s: StateResponse, now: number, d: number): Raw {
  // Points: each event (level after it, available at it), then now.
  const pts = events.map((e) => ({ t: nanosToSecs(e.time), level: e.to_level, bal: BigInt(e.balance) }));
  pts.push({ t: now, level: s.level, bal: BigInt(s.available) });
  if (pts.length < 2) {
    pts.unshift({ t: now - 60, level: s.level, bal: BigInt(s.available) });
  }
  const W = 640, H = 220, L = 56, R = 40, T = 12, B = 28;
  const t0 = pts[0].t, t1 = Math.max(pts[pts.length - 1].t, t0 + 1);
  const maxBal = pts.reduce((m, p) => (p.bal > m ? p.bal : m), 1n);
  const maxLevel = Math.max(1, ...pts.map((p) => p.level));
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const yb = (b: bigint) => T + (1 - Number((b * 10000n) / maxBal) / 10000) * (H - T - B);
  const yl = (l: number) => T + (1 - l / maxLevel) * (H - T - B);
  const bal = pts.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${yb(p.bal).toFixed(1)}`).join(" ");
  let lvl = `M${x(pts[0].t).toFixed(1)},${yl(pts[0].level).toFixed(1)}`;
  for (let i = 1; i < pts.length; i++) {
    lvl += ` H${x(pts[i].t).toFixed(1)} V${yl(pts[i].level).toFixed(1)}`;
  }
  const fmtBal = formatAmount((maxBal / 10n ** BigInt(d)) * 10n ** BigInt(d), d);
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="level and available balance over time">
    <line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" class="axis"/>
    <line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" class="axis"/>
    <path d="${bal}" class="bal"/>
    <path d="${lvl}" class="lvl"/>
    <text x="2" y="${T + 10}" class="tick">${fmtBal}</text>
    <text x="2" y="${H - B}" class="tick">0</text>
    <text x="${W - R + 4}" y="${T + 10}" class="tick lvlt">L${maxLevel}</text>
    <text x="${W - R + 4}" y="${H - B}" class="tick lvlt">L0</text>
    <text x="${L}" y="${H - 8}" class="tick">${formatTime(t0)}</text>
    <text x="${W - R}" y="${H - 8}" class="tick" text-anchor="end">now</text>
  </svg>
  <figcaption><span class="key bal"></span> available balance (TOK, at each halving/reversal and now)
   <span class="key lvl"></span> level (right axis)</figcaption></figure>`;
}

export const _raw = raw;
