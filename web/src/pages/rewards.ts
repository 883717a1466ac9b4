// My rewards: connect a Keplr-API wallet; claimable TOK (reward pool) and ECT (mining round) per
// round with the score breakdown; claim buttons for both contracts; my devices; every tx.
import type { Chain } from "../chain";
import { tokenInfo } from "../chain";
import { AppError, classify } from "../errors";
import { MiningRoundMsgComposer } from "../generated/MiningRound.message-composer";
import { RewardPoolMsgComposer } from "../generated/RewardPool.message-composer";
import type { ClaimableRound, DeviceResponse } from "../generated/MiningRound.types";
import { formatAmount, formatTime, shortAddr } from "../lib/format";
import { errorBox, html, mount, raw, type Raw } from "../ui";
import { connectWallet, sendTx, type TxRecord, type Wallet } from "../wallet";
import { breakdownTable } from "./rounds";

const state: {
  wallet: Wallet | null;
  connecting: boolean;
  error: unknown;
  notice: Raw | null;
  txs: TxRecord[];
  busy: boolean;
} = { wallet: null, connecting: false, error: null, notice: null, txs: [], busy: false };

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
async function allClaimable(chain: Chain, owner: string): Promise<{ total: string; rounds: ClaimableRound[] }> {
  const rounds: ClaimableRound[] = [];
  let total = 0n;
  let after: number | undefined;
  for (let page = 0; page < 20; page++) {
    const r = await chain.round.claimable({ owner, startAfter: after, limit: 30 });
    rounds.push(...r.rounds);
    for (const x of r.rounds) total += BigInt(x.amount);
    if (r.next == null) break;
    after = r.next;
  }
  return { total: total.toString(), rounds };
}

function txList(): Raw {
  if (!state.txs.length) return html``;
  return html`<h2>Transactions</h2><ul class="txs">${state.txs.map(
    (t) => html`<li class="tx tx-${t.status}" data-tx-status="${t.status}">${t.label}: <b>${t.status}</b>
      ${t.hash ? html` <code class="hash" data-hash="${t.hash}">${t.hash}</code>` : ""}${t.height ? ` at height ${t.height}` : ""}
      ${t.error ? html` — ${t.error.message}` : ""}</li>`,
  )}</ul>`;
}

export async function rewardsPage(chain: Chain, el: HTMLElement): Promise<void> {
  const render = (content: Raw) => mount(el, html`<h1>My rewards</h1>${content}<div id="txs">${txList()}</div>`);
  const ctx = { rpc: chain.cfg.endpoints.rpc, denom: chain.cfg.endpoints.denom };
  const errorHtml = state.error ? errorBox(state.error, ctx) : html``;
  const notice = state.notice ?? html``;
  if (!state.wallet) {
    render(html`${errorHtml}<p>Connect a wallet with Keplr's API to see and claim your TOK and ECT rewards.</p>
      <button id="connect" ${state.connecting ? raw("disabled") : ""}>${state.connecting ? "Connecting…" : "Connect wallet"}</button>`);
    el.querySelector<HTMLButtonElement>("#connect")?.addEventListener("click", async () => {
      state.connecting = true;
      state.error = null;
      void rewardsPage(chain, el);
      try {
        state.wallet = await connectWallet(chain.cfg);
      } catch (e) {
        state.error = classify(e, ctx);
      }
      state.connecting = false;
      void rewardsPage(chain, el);
    });
    return;
  }
  const w = state.wallet;
  let body: Raw;
  let tokClaimable = 0n;
  let ectClaimable = 0n;
  try {
    const [tok, ect, poolClaim, roundClaim, devs, fee] = await Promise.all([
      tokenInfo(chain, chain.cfg.tok),
      tokenInfo(chain, chain.cfg.ect),
      chain.pool.claimable({ user: w.address }),
      allClaimable(chain, w.address),
      devicesOf(chain, w.address),
      chain.client.getBalance(w.address, chain.cfg.endpoints.denom),
    ]);
    tokClaimable = BigInt(poolClaim.amount);
    ectClaimable = BigInt(roundClaim.total);
    const perRound = await Promise.all(
      roundClaim.rounds.map(async (cr) => {
        const [sc, r] = await Promise.all([chain.round.score({ owner: w.address, round: cr.round }), chain.round.round({ round: cr.round })]);
        return html`<details class="claim-round" data-round="${cr.round}" data-amount="${cr.amount}"><summary>round <a href="#/round/${cr.round}">${cr.round}</a>:
          <b>${formatAmount(cr.amount, ect.decimals)} ${ect.symbol}</b></summary>
          <div class="scroll">${breakdownTable(sc, r.summary.reward, r.summary.total_score, ect.decimals, ect.symbol)}</div></details>`;
      }),
    );
    body = html`
    <p class="addr-line">Connected: <code id="address">${w.address}</code>
      <span class="muted">(fee balance ${formatAmount(fee.amount, 6)} ${fee.denom.toUpperCase()})</span></p>
    ${BigInt(fee.amount) === 0n
      ? errorBox(new AppError("insufficient_fee", `This account holds no ${fee.denom} to pay transaction fees: claims cannot be sent until it is funded.`), ctx, "fee-warning")
      : ""}
    <section class="claims">
      <div class="card claim" data-token="TOK">
        <h2>Reward pool (${tok.symbol})</h2>
        <p class="big"><span id="tok-claimable" data-base="${tokClaimable}">${formatAmount(tokClaimable, tok.decimals)}</span> ${tok.symbol}</p>
        <p class="muted">content rewards granted to you and not yet claimed</p>
        <button id="claim-tok" ${state.busy ? raw("disabled") : ""}>Claim ${tok.symbol}</button>
      </div>
      <div class="card claim" data-token="ECT">
        <h2>Mining rounds (${ect.symbol})</h2>
        <p class="big"><span id="ect-claimable" data-base="${ectClaimable}">${formatAmount(ectClaimable, ect.decimals)}</span> ${ect.symbol}</p>
        ${perRound.length ? html`${perRound}` : html`<p class="muted">no finalized round owes you ${ect.symbol}</p>`}
        <button id="claim-ect" ${state.busy ? raw("disabled") : ""}>Claim ${ect.symbol}</button>
      </div>
    </section>
    <h2>My devices</h2>
    ${devs.devices.length
      ? html`<p>${devs.dual ? "You hold a CubeV1 and a CubeV2: M3 = dual product." : "Single product: M3 = single product."}
        Battery class (M1) is per reading: energy from a battery on the on-chain whitelist counts as whitelisted.</p>
        <div class="scroll"><table class="devices"><thead><tr><th>serial</th><th>model</th><th>time zone</th><th>battery class</th><th>counts from</th><th>pubkey</th></tr></thead>
        <tbody>${devs.devices.map((d) => html`<tr><td>${d.serial}</td><td>${d.model === "cube_v1" ? "Cube V1" : "Cube V2"}</td><td>${d.timezone}</td>
          <td>per reading (whitelist)</td><td>${effectiveFrom(d)}</td><td><code>${shortAddr(d.pubkey)}</code></td></tr>`)}</tbody></table></div>`
      : html`<p class="muted">no device registered to this address</p>`}`;
  } catch (e) {
    body = errorBox(e, ctx);
  }
  render(html`${errorHtml}${notice}${body}`);

  const claim = async (which: "TOK" | "ECT", amount: bigint) => {
    state.error = null;
    state.notice = null;
    if (amount === 0n) {
      state.error = new AppError("nothing_to_claim", `Nothing to claim: this account has no claimable ${which}.`);
      return rewardsPage(chain, el);
    }
    state.busy = true;
    el.querySelectorAll<HTMLButtonElement>("#claim-tok, #claim-ect").forEach((b) => (b.disabled = true));
    el.querySelectorAll(".msg").forEach((m) => m.remove());
    const rec: TxRecord = { label: `Claim ${which}`, status: "checking" };
    state.txs.unshift(rec);
    const msg =
      which === "TOK"
        ? new RewardPoolMsgComposer(w.address, chain.cfg.pool).claim({})
        : new MiningRoundMsgComposer(w.address, chain.cfg.round).claim({});
    try {
      const done = await sendTx(chain.cfg, w, `Claim ${which}`, [msg], (r) => {
        Object.assign(rec, r);
        const box = el.querySelector("#txs");
        if (box) box.innerHTML = txList().html;
      });
      state.notice = html`<div class="msg ok" role="status" data-claimed="${which}">Claimed ${which}: transaction <code>${done.hash}</code> included at height ${done.height}.</div>`;
    } catch (e) {
      state.error = e;
    }
    state.busy = false;
    return rewardsPage(chain, el);
  };
  el.querySelector("#claim-tok")?.addEventListener("click", () => void claim("TOK", tokClaimable));
  el.querySelector("#claim-ect")?.addEventListener("click", () => void claim("ECT", ectClaimable));
}

function effectiveFrom(d: DeviceResponse): string {
  return `round ${d.effective_from_round}`;
}
