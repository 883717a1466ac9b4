// My rewards: connect a Keplr-API wallet; claimable TOK (reward pool) and ECT (mining round) per
// round with the score breakdown and the claim deadline; claim buttons that are enabled only
// when the claim can succeed and that say before signing what the claim pays; my devices; every
// transaction. One message area: a problem is said once.
import type { EncodeObject } from "@cosmjs/proto-signing";
import type { Chain } from "../chain";
import { tokenInfo, type TokenInfo } from "../chain";
import { AppError, classify } from "../errors";
import { MiningRoundMsgComposer } from "../generated/MiningRound.message-composer";
import { RewardPoolMsgComposer } from "../generated/RewardPool.message-composer";
import type { ClaimableRound, DeviceResponse, PolicyResponse, RoundResponse } from "../generated/MiningRound.types";
import { formatAmount, formatBp, shortAddr } from "../lib/format";
import { session } from "../session";
import { errorBox, html, mount, raw, when, type Raw } from "../ui";
import { connectWallet, cw20Received, estimateFee, noFeeBalance, sendTx, shortFeeError, type FeePlan, type TxRecord, type Wallet } from "../wallet";
import { breakdownTable } from "./rounds";
import { planEctClaim, type EctPlan } from "../lib/claim";

const state: {
  connecting: boolean;
  error: unknown;
  notice: Raw | null;
  txs: TxRecord[];
} = { connecting: false, error: null, notice: null, txs: [] };

async function devicesOf(chain: Chain, owner: string): Promise<{ devices: DeviceResponse[]; dual: boolean }> {
  const devices: DeviceResponse[] = [];
  let after: string | undefined;
  let dual = false;
  for (let page = 0; page < 20; page++) {
    const r = await chain.round.devicesByOwner({ owner, startAfter: after, limit: 30 });
    dual = r.dual_product;
    devices.push(...r.devices);
    if (r.next == null) break;
    after = r.next;
  }
  return { devices, dual };
}

/** Every claimable round (the query is paginated with `next`). */
export async function allClaimable(chain: Chain, owner: string): Promise<{ total: bigint; rounds: ClaimableRound[] }> {
  const rounds: ClaimableRound[] = [];
  let total = 0n;
  let after: number | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await chain.round.claimable({ owner, startAfter: after, limit: 30 });
    rounds.push(...r.rounds);
    for (const x of r.rounds) total += BigInt(x.amount);
    if (r.next == null) break;
    after = r.next;
  }
  return { total, rounds };
}

function ectMessages(w: Wallet, chain: Chain, plan: EctPlan): EncodeObject[] {
  const c = new MiningRoundMsgComposer(w.address, chain.cfg.round);
  return plan.chunks.map((rounds) => c.claim({ rounds }));
}

function tokMessages(w: Wallet, chain: Chain): EncodeObject[] {
  return [new RewardPoolMsgComposer(w.address, chain.cfg.pool).claim({})];
}

function planText(plan: EctPlan, max: number, ect: TokenInfo): Raw {
  const n = plan.chunks.length;
  const sym = ect.symbol;
  const rounds = (k: number) => `${k} round${k === 1 ? "" : "s"}`;
  const how =
    n <= 1
      ? `One claim message pays ${plan.paidRounds === 1 ? "this round" : `these ${rounds(plan.paidRounds)}`}`
      : `One transaction of ${n} claim messages (the contract pays at most ${rounds(max)} per message) pays ${rounds(plan.paidRounds)}`;
  const rest =
    plan.remainingRounds > 0
      ? html` <strong class="remains">${rounds(plan.remainingRounds)} (${formatAmount(plan.remains, ect.decimals)} ${sym}) remain claimable after it: claim again to receive them.</strong>`
      : plan.paidRounds > 1
        ? " All of them are paid."
        : "";
  return html`<p class="plan" data-claim-plan data-messages="${n}" data-pays="${plan.pays}" data-remains="${plan.remains}" data-remaining-rounds="${plan.remainingRounds}">${how}:
    <b>${formatAmount(plan.pays, ect.decimals)} ${sym}</b>.${rest}</p>`;
}

function txList(): Raw {
  if (!state.txs.length) return html``;
  return html`<h2>Transactions</h2><ul class="txs">${state.txs.map(
    (t) => html`<li class="tx tx-${t.status}" data-tx-status="${t.status}">${t.label}: <b>${t.status}</b>
      ${t.hash ? html` <code class="hash" data-hash="${t.hash}">${t.hash}</code>` : ""}${t.height ? ` at height ${t.height}` : ""}</li>`,
  )}</ul>`;
}

/** The two claims of the page. */
type Claim = "tok" | "ect";
const CLAIMS: readonly Claim[] = ["tok", "ect"];

/** Why a claim button is disabled: a short reason under it (the problem itself is said once, above). */
type Blocked = { reason: string; kind: string } | null;

function claimButton(id: string, label: string, blocked: Blocked): Raw {
  return html`<button id="${id}" ${blocked || session.busy ? raw("disabled") : ""} ${blocked ? raw(`data-disabled-reason="${blocked.kind}"`) : ""}>${label}</button>
    ${blocked ? html`<p class="muted why" data-why="${id}">${blocked.reason}</p>` : ""}`;
}

function deviceNote(dual: boolean, p: PolicyResponse | null, models: Set<string>): Raw {
  const m3 = (bp: number | undefined) => (bp === undefined ? "" : ` = ${formatBp(bp)}`);
  if (dual) {
    return html`You hold a Cube V1 and a Cube V2: your score is multiplied by the dual-product bonus (M3${m3(p?.policy.dual_product_bp)}).`;
  }
  const only = models.has("cube_v1") ? "Cube V1" : "Cube V2";
  const other = models.has("cube_v1") ? "Cube V2" : "Cube V1";
  return html`You hold ${only} devices only: M3 is the single-product multiplier${m3(p?.policy.single_product_bp)}. Adding a ${other}
    would make it the dual-product bonus${m3(p?.policy.dual_product_bp)} from the round after its registration.`;
}

export async function rewardsPage(chain: Chain, el: HTMLElement): Promise<void> {
  const ctx = { rpc: chain.cfg.endpoints.rpc, denom: chain.cfg.endpoints.denom };
  // The one message area: a claim's error, else the last claim's success, else a problem found
  // while loading; never two, never twice.
  const message = (problem: AppError | null) =>
    state.error ? errorBox(state.error, ctx, "message") : (state.notice ?? (problem ? errorBox(problem, ctx, "message") : html``));
  const render = (content: Raw, problem: AppError | null = null) =>
    mount(el, html`<h1>My rewards</h1><div id="messages">${message(problem)}</div>${content}<div id="txs">${txList()}</div>`);
  const w = session.wallet;
  if (!w) {
    render(html`<p>Connect a wallet with Keplr's API to see and claim your TOK and ECT rewards.</p>
      <button id="connect" ${state.connecting ? raw("disabled") : ""}>${state.connecting ? "Connecting…" : "Connect wallet"}</button>`);
    el.querySelector<HTMLButtonElement>("#connect")?.addEventListener("click", async () => {
      state.connecting = true;
      session.busy = true;
      state.error = null;
      state.notice = null;
      void rewardsPage(chain, el);
      try {
        session.wallet = await connectWallet(chain.cfg);
      } catch (e) {
        state.error = classify(e, ctx);
      }
      state.connecting = false;
      session.busy = false;
      void rewardsPage(chain, el);
    });
    return;
  }

  let body: Raw;
  let tokClaimable = 0n;
  let ect: TokenInfo | null = null;
  let tok: TokenInfo | null = null;
  let ectPlan: EctPlan | null = null;
  // A problem found while loading that blocks claims: said once in the message area.
  let pageProblem: AppError | null = null;
  try {
    const [tokInfo, ectInfo, poolClaim, roundClaim, devs, fee, cfg, current] = await Promise.all([
      tokenInfo(chain, chain.cfg.tok),
      tokenInfo(chain, chain.cfg.ect),
      chain.pool.claimable({ user: w.address }),
      allClaimable(chain, w.address),
      devicesOf(chain, w.address),
      chain.client.getBalance(w.address, chain.cfg.endpoints.denom),
      chain.round.config(),
      chain.round.currentRound(),
    ]);
    tok = tokInfo;
    ect = ectInfo;
    tokClaimable = BigInt(poolClaim.amount);
    const now = current.now;
    const policy = await chain.round.policy({}).catch(() => null);
    const details: RoundResponse[] = await Promise.all(roundClaim.rounds.map((cr) => chain.round.round({ round: cr.round })));
    const perRound = await Promise.all(
      roundClaim.rounds.map(async (cr, i) => {
        const r = details[i];
        const sc = await chain.round.score({ owner: w.address, round: cr.round });
        const deadline = r.summary.claim_deadline;
        return html`<details class="claim-round" data-key="claim-${cr.round}" data-round="${cr.round}" data-amount="${cr.amount}"${raw(deadline != null ? ` data-deadline="${deadline}"` : "")}>
          <summary><span>round <a href="#/round/${cr.round}">${cr.round}</a></span>
          <b data-q>${formatAmount(cr.amount, ect!.decimals)} ${ect!.symbol}</b>
          ${deadline != null ? html`<span class="deadline">claim by ${when(deadline, now)}</span>` : ""}</summary>
          ${breakdownTable(sc, r.summary.reward, r.summary.total_score, ect!.decimals, ect!.symbol)}</details>`;
      }),
    );
    const deadlines = details.map((d) => d.summary.claim_deadline).filter((x): x is number => x != null);
    const earliest = deadlines.length ? Math.min(...deadlines) : null;
    ectPlan = roundClaim.rounds.length ? planEctClaim(roundClaim.rounds, cfg.max_claim_rounds) : null;
    const feeBalance = BigInt(fee.amount);

    // Can each claim succeed? Nothing to claim, a paused contract, no fee balance, or a fee
    // balance below the simulated fee each disable its button before anything is signed.
    const blocked: Record<Claim, Blocked> = {
      tok: tokClaimable === 0n ? { kind: "nothing_to_claim", reason: `Nothing to claim: the pool owes you no ${tok.symbol}.` } : null,
      ect: !ectPlan
        ? { kind: "nothing_to_claim", reason: `Nothing to claim: no finalized round owes you ${ect.symbol}.` }
        : cfg.paused
          ? { kind: "paused", reason: "Claims are paused by the contract's owner; they resume when it is unpaused." }
          : null,
    };
    const plans: Record<Claim, FeePlan | null> = { tok: null, ect: null };
    if (feeBalance === 0n) {
      pageProblem = noFeeBalance(chain.cfg, w.address);
      const b: Blocked = { kind: "insufficient_fee", reason: "Claiming needs a fee balance (see above)." };
      blocked.tok ??= b;
      blocked.ect ??= b;
    } else {
      const msgs: Record<Claim, EncodeObject[] | null> = {
        tok: blocked.tok ? null : tokMessages(w, chain),
        ect: blocked.ect || !ectPlan ? null : ectMessages(w, chain, ectPlan),
      };
      const estimates = await Promise.all(
        CLAIMS.map((k) => (msgs[k] ? estimateFee(chain.cfg, w, msgs[k], feeBalance).catch((e) => classify(e, ctx)) : null)),
      );
      CLAIMS.forEach((k, i) => {
        const p = estimates[i];
        if (p instanceof AppError) {
          blocked[k] = { kind: p.kind, reason: p.kind === "nothing_to_claim" ? "Nothing to claim." : "The chain refused a dry run of this claim (see above)." };
          pageProblem ??= p;
        } else if (p) {
          plans[k] = p;
          if (p.balance < p.amount) {
            pageProblem ??= shortFeeError(chain.cfg, p);
            blocked[k] = { kind: "insufficient_fee", reason: "Your fee balance cannot pay this claim (see above)." };
          }
        }
      });
    }
    const feeLine = (p: FeePlan | null) =>
      p ? html`<p class="muted fee" data-fee="${p.amount}">fee about ${formatAmount(p.amount, 6)} ${fee.denom.toUpperCase()} (${p.gas.toLocaleString("en-US")} gas)</p>` : "";

    const models = new Set(devs.devices.map((d) => d.model as string));
    body = html`
    <p class="addr-line">Connected: <code id="address">${w.address}</code>
      <span class="muted">(fee balance <span id="fee-balance" data-base="${fee.amount}">${formatAmount(fee.amount, 6)}</span> ${fee.denom.toUpperCase()})</span></p>
    <section class="claims">
      <div class="card claim" data-token="TOK">
        <h2>Reward pool (${tok.symbol})</h2>
        <p class="big"><span id="tok-claimable" data-q data-base="${tokClaimable}">${formatAmount(tokClaimable, tok.decimals)}</span> ${tok.symbol}</p>
        <p class="muted">content rewards granted to you and not yet claimed; they do not expire</p>
        ${claimButton("claim-tok", `Claim ${tok.symbol}`, blocked.tok)}
        ${feeLine(plans.tok)}
      </div>
      <div class="card claim" data-token="ECT">
        <h2>Mining rounds (${ect.symbol})</h2>
        <p class="big"><span id="ect-claimable" data-q data-base="${roundClaim.total}">${formatAmount(roundClaim.total, ect.decimals)}</span> ${ect.symbol}</p>
        ${earliest != null
          ? html`<p class="deadline-line" data-earliest-deadline="${earliest}">Claim by ${when(earliest, now)}: a round's unclaimed reward
            returns to the pool ${Math.round(cfg.claim_window / 3600)} h after its finalization (the claim window).</p>`
          : ""}
        ${perRound.length ? html`<div class="claim-rounds">${perRound}</div>` : html`<p class="muted">no finalized round owes you ${ect.symbol}</p>`}
        ${ectPlan ? planText(ectPlan, cfg.max_claim_rounds, ect) : ""}
        ${claimButton("claim-ect", `Claim ${ect.symbol}`, blocked.ect)}
        ${feeLine(plans.ect)}
      </div>
    </section>
    <h2>My devices</h2>
    ${devs.devices.length
      ? html`<p class="device-note">${deviceNote(devs.dual, policy, models)}
        Battery class (M1) is per reading: energy from a battery on the on-chain whitelist counts as whitelisted.</p>
        <table class="devices stack"><thead><tr><th>serial</th><th>model</th><th>time zone</th><th>counts from</th><th>public key</th></tr></thead>
        <tbody>${devs.devices.map((d) => html`<tr data-serial="${d.serial}"><td data-label="serial" data-q>${d.serial}</td><td data-label="model">${d.model === "cube_v1" ? "Cube V1" : "Cube V2"}</td><td data-label="time zone">${d.timezone}</td>
          <td data-label="counts from" data-q>round ${d.effective_from_round}</td><td data-label="public key"><code title="${d.pubkey}">${shortAddr(d.pubkey)}</code></td></tr>`)}</tbody></table>`
      : html`<p class="muted">no device registered to this address</p>`}`;
  } catch (e) {
    body = html``;
    pageProblem = classify(e, ctx);
  }
  render(body, pageProblem);

  const claim = async (which: "TOK" | "ECT") => {
    if (session.busy) return;
    state.error = null;
    state.notice = null;
    session.busy = true;
    el.querySelectorAll<HTMLButtonElement>("#claim-tok, #claim-ect").forEach((b) => (b.disabled = true));
    const box = el.querySelector("#messages");
    if (box) box.innerHTML = "";
    const rec: TxRecord = { label: `Claim ${which}`, status: "checking" };
    state.txs.unshift(rec);
    try {
      // The plan is made again from fresh queries: what is signed is what the chain owes now.
      let msgs: EncodeObject[];
      let planned: bigint;
      let plan: EctPlan | null = null;
      if (which === "TOK") {
        planned = BigInt((await chain.pool.claimable({ user: w.address })).amount);
        msgs = tokMessages(w, chain);
      } else {
        const [fresh, cfg] = await Promise.all([allClaimable(chain, w.address), chain.round.config()]);
        plan = fresh.rounds.length ? planEctClaim(fresh.rounds, cfg.max_claim_rounds) : null;
        planned = plan?.pays ?? 0n;
        msgs = plan ? ectMessages(w, chain, plan) : [];
      }
      if (planned === 0n || msgs.length === 0) {
        throw new AppError("nothing_to_claim", `Nothing to claim: this account has no claimable ${which} any more.`);
      }
      const done = await sendTx(chain.cfg, w, `Claim ${which}`, msgs, (r) => {
        Object.assign(rec, r);
        const t = el.querySelector("#txs");
        if (t) t.innerHTML = txList().html;
      });
      const token = which === "TOK" ? chain.cfg.tok : chain.cfg.ect;
      const info = which === "TOK" ? tok! : ect!;
      const arrived = cw20Received(done.events ?? [], token, w.address);
      const balance = BigInt((await chain.client.queryContractSmart(token, { balance: { address: w.address } })).balance);
      const rounds = plan ? ` for ${plan.paidRounds} round${plan.paidRounds === 1 ? "" : "s"}` : "";
      const rest =
        plan && plan.remainingRounds > 0
          ? html` ${plan.remainingRounds} more round(s) (${formatAmount(plan.remains, info.decimals)} ${info.symbol}) remain claimable: claim again.`
          : "";
      const differs =
        arrived !== planned
          ? html` The claim paid ${formatAmount(planned, info.decimals)} ${info.symbol} in all; your payout profile sent the rest to its other addresses.`
          : "";
      state.notice = html`<div class="msg ok" role="status" id="message" data-claimed="${which}" data-arrived="${arrived}">
        <strong>${formatAmount(arrived, info.decimals)} ${info.symbol} arrived</strong> in your account${rounds}
        (read from transaction <code>${done.hash}</code>, included at height ${done.height}); your ${info.symbol} balance is now
        <span data-balance="${balance}">${formatAmount(balance, info.decimals)}</span> ${info.symbol}.${differs}${rest}</div>`;
    } catch (e) {
      state.error = e;
      if (rec.status !== "failed") {
        rec.status = "failed";
        rec.error = classify(e, ctx);
      }
    }
    session.busy = false;
    return rewardsPage(chain, el);
  };
  el.querySelector("#claim-tok")?.addEventListener("click", () => void claim("TOK"));
  el.querySelector("#claim-ect")?.addEventListener("click", () => void claim("ECT"));
}
