// Pool: every figure of the reward pool's state, the level and balance over time (RateHistory)
// and a projection of the next halving at the recent drain rate.
import { QuerySmartContractStateRequest, QuerySmartContractStateResponse } from "cosmjs-types/cosmwasm/wasm/v1/query";
import { fromUtf8, toUtf8 } from "@cosmjs/encoding";
import type { QueryClient } from "@cosmjs/stargate";
import type { Chain } from "../chain";
import { tokenInfo } from "../chain";
import type { QueryMsg, RateEvent, StateResponse } from "../generated/RewardPool.types";
import { formatAmount, formatDuration, nanosToSecs } from "../lib/format";
import { drainRate, projectHalving, type HalvingProjection } from "../lib/halving";
import { niceCeil } from "../lib/axis";
import { figure, html, raw, when, type Raw } from "../ui";

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

/**
 * The pool's start: its state at the deployment's height, which never changes, so it is read
 * once, not on every live refresh. Null when that height is pruned or unknown (the chart then
 * starts at the first recorded event); a failed read is tried again next time.
 */
const starts = new Map<string, Promise<ChartPoint | null>>();
function poolStart(chain: Chain): Promise<ChartPoint | null> {
  const h = chain.cfg.deployment.height;
  const key = `${chain.cfg.pool}@${h}`;
  let p = starts.get(key);
  if (!p) {
    p = Promise.all([stateAt(chain, h), blockTime(chain, h)]).then(
      ([s0, b0]): ChartPoint => ({ t: b0.time, level: s0.level, bal: BigInt(s0.available) }),
      () => {
        starts.delete(key);
        return null;
      },
    );
    starts.set(key, p);
  }
  return p;
}

export async function poolPage(chain: Chain): Promise<Raw> {
  const [state, config, events, tok, now, start] = await Promise.all([
    chain.pool.state(),
    chain.pool.config(),
    allEvents(chain),
    tokenInfo(chain, chain.cfg.tok),
    blockTime(chain),
    poolStart(chain),
  ]);
  const d = tok.decimals;
  const amt = (v: string | null | undefined) => (v == null ? "—" : `${formatAmount(v, d)} ${tok.symbol}`);

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

  // The chart starts where the pool started: its state at the deployment's height.
  const points: ChartPoint[] = events.map((e) => ({ t: nanosToSecs(e.time), level: e.to_level, bal: BigInt(e.balance), kind: e.kind }));
  if (start) points.unshift(start);
  points.push({ t: now.time, level: state.level, bal: BigInt(state.available) });
  if (points.length < 2) points.unshift({ t: now.time - 60, level: state.level, bal: BigInt(state.available) });
  const width = (document.getElementById("view")?.clientWidth ?? 680) - 28;

  return html`
  <h1>Reward pool</h1>
  <section class="figs">
    ${figure("Available", amt(state.available), "available")}
    ${figure("Owed (unclaimed rewards)", amt(state.owed), "owed")}
    ${figure("Level (halvings in force)", state.level, "level")}
    ${figure("Reward per action", amt(state.current_reward), "reward")}
    ${figure("Next halving threshold", amt(state.next_halving_threshold), "next-threshold", "halves when available falls below")}
    ${figure("Reversal threshold", amt(state.reversal_threshold), "reversal-threshold", "un-halves when a deposit lifts available to this")}
    ${figure("Cooldown end", state.cooldown_active && state.cooldown_end != null ? when(nanosToSecs(state.cooldown_end), now.time) : "no cooldown running", "cooldown")}
    ${figure("Halving pending", state.halving_pending ? "yes" : "no", "pending")}
    ${figure("Last halving", state.last_halving == null ? "—" : when(nanosToSecs(state.last_halving), now.time), "last-halving")}
    ${figure("Total funded", amt(state.total_funded), "funded")}
    ${figure("Total ad fees", amt(state.total_ad_fees), "ad-fees")}
    ${figure("Total rewarded", amt(state.total_rewarded), "rewarded")}
    ${figure("Total claimed", amt(state.total_claimed), "claimed")}
    ${figure("Total reconciled", amt(state.total_reconciled), "reconciled")}
    ${figure("Base reward (level 0)", amt(config.base_reward), "base-reward")}
    ${figure("Reference pool S", amt(config.reference_pool), "reference")}
    ${figure("Halving cooldown", formatDuration(config.halving_cooldown), "cooldown-secs")}
    ${figure("Reversal margin", `${config.hysteresis_bps / 100} %`, "margin")}
  </section>
  <h2>Level and balance over time</h2>
  ${chart(points, d, tok.symbol, width)}
  <h2>Next halving</h2>
  ${projection(proj, drain, window, state, d, tok.symbol)}
  <h2>Rate history</h2>
  <table class="events stack">
    <thead><tr><th>#</th><th>time</th><th>kind</th><th>level</th><th>reward/action</th><th>available</th></tr></thead>
    <tbody>${events.map((e) => html`<tr><td data-label="#">${e.seq}</td><td data-label="time">${when(nanosToSecs(e.time))}</td><td data-label="kind">${e.kind}</td>
      <td data-label="level" data-q>${e.from_level} → ${e.to_level}</td><td data-label="reward/action" data-q>${amt(e.reward)}</td><td data-label="available" data-q>${amt(e.balance)}</td></tr>`)}
    ${events.length === 0 ? html`<tr><td colspan="6">no halving or reversal yet</td></tr>` : ""}</tbody>
  </table>`;
}

function projection(p: HalvingProjection, drain: number | null, window: string, s: StateResponse, d: number, sym: string): Raw {
  let head: Raw;
  switch (p.kind) {
    case "at":
      head = html`<p class="big" data-projection="at">Next halving around <strong>${when(p.at)}</strong>
        (${p.actionsPerSec.toFixed(2)} actions/s).</p>`;
      break;
    case "pending":
      head = html`<p class="big" data-projection="pending">Halving pending: at ${when(p.at)} or the first action after.</p>`;
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

export interface ChartPoint {
  t: number;
  level: number;
  bal: bigint;
  kind?: string;
}

/**
 * Level (steps, right axis, every level labelled) and available balance (left axis, ticks at
 * round values in TOK) from the pool's start to now. The SVG is drawn at the width it is shown
 * at, so its labels keep their 12 px on a phone.
 */
export function chart(points: ChartPoint[], d: number, sym: string, width: number): Raw {
  const pts = points.slice().sort((a, b) => a.t - b.t);
  const W = Math.max(280, Math.round(width));
  const H = W < 480 ? 220 : 260;
  const L = W < 480 ? 64 : 84, R = 34, T = 14, B = 30;
  const t0 = pts[0].t, t1 = Math.max(pts[pts.length - 1].t, t0 + 1);
  const maxBal = niceCeil(pts.reduce((m, p) => (p.bal > m ? p.bal : m), 1n));
  const maxLevel = Math.max(1, ...pts.map((p) => p.level));
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const yb = (b: bigint) => T + (1 - Number((b * 100000n) / maxBal) / 100000) * (H - T - B);
  const yl = (l: number) => T + (1 - l / maxLevel) * (H - T - B);
  const bal = pts.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${yb(p.bal).toFixed(1)}`).join(" ");
  let lvl = `M${x(pts[0].t).toFixed(1)},${yl(pts[0].level).toFixed(1)}`;
  for (let i = 1; i < pts.length; i++) lvl += ` H${x(pts[i].t).toFixed(1)} V${yl(pts[i].level).toFixed(1)}`;
  const balTicks = [0n, 1n, 2n, 3n, 4n].map((k) => (maxBal * k) / 4n);
  const levels = Array.from({ length: maxLevel + 1 }, (_, l) => l);
  const short = (t: number) => new Date(t * 1000).toISOString().slice(5, 16).replace("T", " ");
  return html`<figure class="chart" data-top="${maxBal}" data-levels="${levels.join(",")}" data-start="${t0}" data-end="${t1}">
  <svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="level and available balance from the pool's start to now">
    ${balTicks.map((b) => html`<line x1="${L}" x2="${W - R}" y1="${yb(b).toFixed(1)}" y2="${yb(b).toFixed(1)}" class="grid"/>
      <text x="${L - 6}" y="${(yb(b) + 4).toFixed(1)}" class="tick" text-anchor="end" data-bal-tick="${b}">${formatAmount(b, d)}</text>`)}
    <line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" class="axis"/>
    <line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" class="axis"/>
    <line x1="${W - R}" y1="${T}" x2="${W - R}" y2="${H - B}" class="axis"/>
    ${levels.map((l) => html`<text x="${W - R + 5}" y="${(yl(l) + 4).toFixed(1)}" class="tick lvlt" data-level-tick="${l}">L${l}</text>`)}
    <path d="${bal}" class="bal"/>
    <path d="${lvl}" class="lvl"/>
    ${pts.filter((p) => p.kind).map((p) => html`<circle cx="${x(p.t).toFixed(1)}" cy="${yl(p.level).toFixed(1)}" r="3.5" class="mark ${p.kind}"><title>${p.kind} to L${p.level} at ${short(p.t)} UTC</title></circle>`)}
    <text x="${L}" y="${H - B + 18}" class="tick" data-x-start>${short(t0)} UTC</text>
    <text x="${W - R}" y="${H - B + 18}" class="tick" text-anchor="end" data-x-end>now ${short(t1).slice(6)} UTC</text>
  </svg>
  <figcaption><span class="key bal"></span> available balance (${sym}; left axis, at the pool's start, each halving/reversal and now)
   <span class="key lvl"></span> level (right axis, L0 = base reward; dots mark halvings and reversals)</figcaption></figure>`;
}

export const _raw = raw;
