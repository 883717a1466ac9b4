// The web app in Debian's chromium (playwright-core, no browser download) against a wasmd
// localnet where the demo deployed both contracts (max_claim_rounds = 1, so a holder's two
// rounds need two claim messages), two relayers finalized rounds 0 and 1, the pool recorded
// actions and halvings, and rounds after the demo ended with nobody attesting them.
// Environment (scripts/test-web.sh sets it):
//   WEB_URL          the served app (web/serve.mjs with the demo's deployment)
//   WEB_DEPLOYMENT   the deployment file (endpoints.json beside it); WEB_ACCOUNTS the
//                    localnet's accounts.json
//   WEB_HOLDER       the holder whose rewards the demo left unclaimed (DEMO_NO_CLAIM)
//   CHROMIUM         the browser binary (default /usr/bin/chromium)
// The suite writes no screenshot: `scripts/refresh-docs.sh screenshots` takes those.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import type { Page } from "playwright-core";
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { RewardPoolQueryClient } from "../../src/generated/RewardPool.client";
import { MiningRoundQueryClient } from "../../src/generated/MiningRound.client";
import { niceCeil } from "../../src/lib/axis";
import { walletFromMnemonic, type WalletMode } from "./wallet";
import {
  Browser, DESKTOP, PHONE_360, PHONE_390, TIME_ZONE, chartLabelHeights, hiddenFigures, loadEnv, loaded, openDetails,
} from "./page";

const E = loadEnv();
const URL = E.url;
const CHAIN = E.deployment.chain_id as string;
const mnemonic = (name: string) => E.accounts.accounts.find((a: { name: string }) => a.name === name).mnemonic;

let browser: Browser;
let client: CosmWasmClient;
let pool: RewardPoolQueryClient;
let round: MiningRoundQueryClient;

async function cw20(token: string, address: string): Promise<bigint> {
  const r = await client.queryContractSmart(token, { balance: { address } });
  return BigInt(r.balance);
}

/** A tab with the wallet (if any); `done()` closes it and asserts no uncaught page error. */
async function open(wallet: DirectSecp256k1HdWallet | null, mode: Partial<WalletMode> = {}, viewport = DESKTOP) {
  const { page, errors } = await browser.open(wallet, CHAIN, mode, viewport);
  return {
    page,
    async done() {
      await page.close();
      expect(errors, "uncaught errors in the page").toEqual([]);
    },
  };
}

async function connect(page: Page): Promise<void> {
  await page.click("#connect");
  await page.waitForSelector("#address, .msg.error", { timeout: 60_000 });
  await loaded(page);
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Texts of every visible message and reason line: each problem is said once. */
async function said(page: Page): Promise<string[]> {
  return page.locator(".msg, .why").evaluateAll((els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e.textContent ?? "").replace(/\s+/g, " ").trim()),
  );
}

/** At 360 and 390 px (and desktop), no figure of the contracts' queries is clipped or hidden. */
async function noHiddenFigures(hash: string, wallet: DirectSecp256k1HdWallet | null = null, connectFirst = false) {
  for (const vp of [PHONE_360, PHONE_390, DESKTOP]) {
    const t = await open(wallet, {}, vp);
    await t.page.goto(`${URL}?refresh=0${hash}`);
    await loaded(t.page);
    if (connectFirst) {
      await connect(t.page);
      await t.page.waitForSelector("#address");
    }
    await openDetails(t.page);
    const figures = await t.page.locator("[data-q], [data-fig] .value").count();
    expect(figures, `${hash}: figures on the page`).toBeGreaterThan(0);
    expect(await hiddenFigures(t.page), `${hash} at ${vp.width} px`).toEqual([]);
    await t.done();
  }
}

async function fundedSigner(name: string): Promise<{ signer: SigningCosmWasmClient; address: string }> {
  const w = await walletFromMnemonic(mnemonic(name));
  const [{ address }] = await w.getAccounts();
  const signer = await SigningCosmWasmClient.connectWithSigner(E.endpoints.rpc, w, { gasPrice: GasPrice.fromString(E.endpoints.gas_price) });
  return { signer, address };
}

beforeAll(async () => {
  browser = await Browser.launch(E.chromium);
  client = await CosmWasmClient.connect(E.endpoints.rpc);
  pool = new RewardPoolQueryClient(client, E.deployment.contracts.reward_pool.address);
  round = new MiningRoundQueryClient(client, E.deployment.contracts.mining_round.address);
});

afterAll(async () => {
  await browser?.close();
});

describe("pool", () => {
  it("every figure from the contract's state, the halving projection and the rate history", async () => {
    const t = await open(null);
    await t.page.goto(`${URL}#/pool`);
    await loaded(t.page);
    const state = await pool.state();
    expect(await t.page.textContent('[data-fig="level"] .value')).toBe(String(state.level));
    for (const fig of ["available", "owed", "reward", "next-threshold", "reversal-threshold", "cooldown", "funded", "ad-fees", "rewarded", "claimed"]) {
      expect(await t.page.isVisible(`[data-fig="${fig}"]`), fig).toBe(true);
    }
    const history = await pool.rateHistory({ limit: 100 });
    expect(history.events.length).toBeGreaterThan(0);
    expect(await t.page.locator("table.events tbody tr").count()).toBe(history.events.length);
    expect(await t.page.isVisible("[data-projection]")).toBe(true);
    expect(await t.page.textContent(".how")).toContain("How it is computed");
    await t.done();
  });

  it("chart: honest axes from the pool's start, every level labelled, readable at 360 px", async () => {
    const history = (await pool.rateHistory({ limit: 100 })).events;
    const state = await pool.state();
    for (const vp of [PHONE_360, DESKTOP]) {
      const t = await open(null, {}, vp);
      await t.page.goto(`${URL}?refresh=0#/pool`);
      await loaded(t.page);
      const fig = t.page.locator("figure.chart");
      // The left axis tops at a round value at or above every balance drawn, labelled exactly.
      const top = BigInt((await fig.getAttribute("data-top"))!);
      const balances = [BigInt(state.available), ...history.map((e) => BigInt(e.balance))];
      const maxBal = balances.reduce((m, b) => (b > m ? b : m), 0n);
      expect(top >= maxBal).toBe(true);
      expect(top).toBe(niceCeil(top));
      const ticks = await t.page.locator("[data-bal-tick]").evaluateAll((els) => els.map((e) => [e.getAttribute("data-bal-tick"), e.textContent]));
      expect(ticks.map(([b]) => b)).toEqual([0n, 1n, 2n, 3n, 4n].map((k) => ((top * k) / 4n).toString()));
      for (const [b, text] of ticks) {
        const whole = BigInt(b!) / 1_000_000n;
        const frac = (BigInt(b!) % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
        expect(text).toBe(whole.toLocaleString("en-US") + (frac ? `.${frac}` : ""));
      }
      // Every level from L0 to the highest reached is on the right axis.
      const maxLevel = Math.max(1, state.level, ...history.map((e) => e.to_level), ...history.map((e) => e.from_level));
      const levels = await t.page.locator("[data-level-tick]").evaluateAll((els) => els.map((e) => e.textContent));
      expect(levels).toEqual(Array.from({ length: maxLevel + 1 }, (_, l) => `L${l}`));
      // The time axis starts at the pool's start (before its first halving), not at it.
      const start = Number(await fig.getAttribute("data-start"));
      const firstEvent = Math.floor(Number(BigInt(history[0].time) / 1_000_000_000n));
      expect(start).toBeLessThan(firstEvent);
      const deployBlock = await client.getBlock(E.deployment.height);
      expect(start).toBe(Math.floor(new Date(deployBlock.header.time).getTime() / 1000));
      // Labels keep a readable size at this width.
      const heights = await chartLabelHeights(t.page);
      expect(heights.length).toBeGreaterThan(6);
      expect(Math.min(...heights), `chart labels at ${vp.width} px`).toBeGreaterThanOrEqual(10);
      await t.done();
    }
  });

  it("phone: no figure clipped or hidden at 360 and 390 px", async () => {
    await noHiddenFigures("#/pool");
  });
});

describe("rounds", () => {
  it("a round finalized by two relayers, votes against quorum", async () => {
    const t = await open(null);
    await t.page.goto(`${URL}?refresh=0#/rounds`);
    await loaded(t.page);
    const detail = await round.round({ round: 0 });
    expect(detail.summary.status).toBe("finalized");
    expect(detail.quorum).toBe(2);
    const row = t.page.locator('tr[data-round="0"]');
    expect(await row.getAttribute("data-status")).toBe("finalized");
    const batches = await round.batches({ round: 0 });
    const shown = await row.locator(".vote").evaluateAll((els) =>
      els.map((e) => ({ batch: Number(e.getAttribute("data-batch")), votes: Number(e.getAttribute("data-votes")), quorum: Number(e.getAttribute("data-quorum")), ok: e.classList.contains("ok") })),
    );
    expect(shown).toEqual(
      batches.batches.map((b) => ({ batch: b.batch_index, votes: Math.max(...b.tallies.map((x) => x.votes)), quorum: detail.quorum, ok: b.accepted_hash != null })),
    );
    expect(await row.locator("[data-total-score]").getAttribute("data-total-score")).toBe(detail.summary.total_score);
    expect(await row.locator("[data-reward]").getAttribute("data-reward")).toBe(detail.summary.reward);
    await t.done();
  });

  it("phone: no figure clipped or hidden at 360 and 390 px", async () => {
    await noHiddenFigures("#/rounds");
  });
});

describe("round page", () => {
  it("each owner's breakdown recomputes to the on-chain score and payout, ranked", async () => {
    const t = await open(null);
    await t.page.goto(`${URL}?refresh=0#/round/0`);
    await loaded(t.page);
    const summary = (await round.round({ round: 0 })).summary;
    const lb = await round.leaderboard({ round: 0, limit: 25 });
    expect(lb.entries.length).toBeGreaterThan(0);
    const rows = t.page.locator("details.owner");
    expect(await rows.evaluateAll((els) => els.map((e) => [e.getAttribute("data-owner"), e.getAttribute("data-rank")]))).toEqual(
      lb.entries.map((e, i) => [e.owner, String(i + 1)]),
    );
    const tables = t.page.locator("table.breakdown");
    expect(await tables.count()).toBe(lb.entries.length);
    for (let i = 0; i < lb.entries.length; i++) {
      const tb = tables.nth(i);
      const owner = (await tb.getAttribute("data-owner"))!;
      const onChain = await round.score({ owner, round: 0 });
      const terms = await tb.locator("tr.term").evaluateAll((rs) =>
        rs.map((r) => [r.getAttribute("data-wh")!, r.getAttribute("data-m1")!, r.getAttribute("data-m2")!]),
      );
      expect(terms.length).toBe(6);
      const m3 = BigInt((await tb.getAttribute("data-m3"))!);
      const sum = terms.reduce((s, [wh, m1, m2]) => s + BigInt(wh) * BigInt(m1) * BigInt(m2), 0n);
      const recomputed = (sum * m3) / 1_000_000n;
      expect(recomputed.toString(), `score of ${owner}`).toBe(onChain.score);
      const pay = (BigInt(summary.reward) * recomputed) / BigInt(summary.total_score);
      expect(await tb.locator("[data-payout]").getAttribute("data-payout")).toBe(pay.toString());
      if (onChain.reward != null) expect(pay.toString()).toBe(onChain.reward);
    }
    await t.done();
  });

  it("the leaderboard loads page by page through the on-chain cursor, ranks carried across pages", async () => {
    const all = await round.leaderboard({ round: 0, limit: 100 });
    expect(all.entries.length).toBeGreaterThan(2);
    const t = await open(null);
    await t.page.goto(`${URL}?per=2&refresh=0#/round/0`);
    await loaded(t.page);
    const seen: [string, number][] = [];
    for (let pageNo = 0; pageNo < 10; pageNo++) {
      const owners = await t.page.locator("details.owner").evaluateAll((els) => els.map((e) => [e.getAttribute("data-owner")!, Number(e.getAttribute("data-rank"))] as [string, number]));
      expect(owners.length).toBeLessThanOrEqual(2);
      seen.push(...owners);
      if ((await t.page.locator("[data-next]").count()) === 0) break;
      await t.page.click("[data-next]");
      await t.page.waitForFunction(
        (prev) => {
          if (document.getElementById("view")?.getAttribute("aria-busy") !== "false") return false;
          const first = document.querySelector("details.owner")?.getAttribute("data-owner");
          return first ? !prev.includes(first) : !!document.querySelector("[data-leaderboard-end]");
        },
        seen.map(([o]) => o),
        { timeout: 30_000 },
      );
    }
    expect(seen).toEqual(all.entries.map((e, i) => [e.owner, i + 1]));
    await t.done();
  });

  it("disclosure markers: every expandable row shows ▸ closed and ▾ open", async () => {
    const t = await open(null);
    await t.page.goto(`${URL}?refresh=0#/round/0`);
    await loaded(t.page);
    const marker = () => t.page.locator("details > summary").evaluateAll((els) => els.map((e) => getComputedStyle(e, "::before").content));
    const closed = await marker();
    expect(closed.length).toBeGreaterThan(0);
    expect(new Set(closed)).toEqual(new Set(['"▸"']));
    await openDetails(t.page);
    expect(new Set(await marker())).toEqual(new Set(['"▾"']));
    await t.done();
  });

  it("a round far in the future is flagged, the next one announced", async () => {
    const cur = (await round.currentRound()).round!;
    const cfg = await round.config();
    const t = await open(null);
    await t.page.goto(`${URL}?refresh=0#/round/${cur + 100000}`);
    await loaded(t.page);
    const far = t.page.locator("[data-far-future]");
    expect(await far.count()).toBe(1);
    // The round may turn while the page loads: 100,000 or 99,999 rounds ahead.
    expect(await far.textContent()).toMatch(/(100,000|99,999) rounds in the future/);
    const start = cfg.genesis_time + (cur + 100000) * cfg.round_duration;
    expect(await far.locator("time").first().getAttribute("data-ts")).toBe(String(start));
    expect(await t.page.locator("[data-leaderboard-end], details.owner").count()).toBe(0);
    await t.page.goto("about:blank");
    await t.page.goto(`${URL}?refresh=0#/round/${cur + 1}`);
    await loaded(t.page);
    // The round may have turned while loading: the next one is never called far.
    expect(await t.page.locator("[data-far-future]").count()).toBe(0);
    await t.done();
  });

  it("phone: no figure clipped or hidden at 360 and 390 px, breakdowns open", async () => {
    await noHiddenFigures("#/round/0");
  });
});

describe("live", () => {
  it("figures refresh on new blocks without losing open rows; times show local time beside UTC", async () => {
    const t = await open(null);
    await t.page.goto(`${URL}?refresh=2#/round/0`);
    await loaded(t.page);
    await t.page.waitForFunction(() => !!document.getElementById("live")?.dataset.height, null, { timeout: 30_000 });
    const h0 = Number(await t.page.getAttribute("#live", "data-height"));
    const r0 = await t.page.getAttribute("#view", "data-rendered-at");
    await t.page.locator("details.owner").first().evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await t.page.waitForFunction(
      ([h, r]) => Number(document.getElementById("live")?.dataset.height) > h && document.getElementById("view")?.dataset.renderedAt !== r,
      [h0, r0] as const,
      { timeout: 30_000 },
    );
    expect(await t.page.locator("details.owner").first().evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    // Local time beside UTC: the same instant in the reader's zone.
    const stamp = t.page.locator("time[data-ts]").first();
    const ts = Number(await stamp.getAttribute("data-ts"));
    const utc = new Date(ts * 1000).toISOString().slice(11, 19);
    const local = new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(new Date(ts * 1000));
    expect(await stamp.textContent()).toContain(`${utc} UTC`);
    expect(await stamp.locator("[data-local]").textContent()).toContain(local);
    await t.done();
  });
});

describe("my rewards", () => {
  it("a claim with more rounds than max_claim_rounds pays all of them; the banner's amount is the CW20 balance delta", async () => {
    const wallet = await walletFromMnemonic(mnemonic(E.holder));
    const [{ address }] = await wallet.getAccounts();
    const cfg = await round.config();
    const tokClaim = BigInt((await pool.claimable({ user: address })).amount);
    const ectClaim = await round.claimable({ owner: address });
    expect(tokClaim, `${E.holder} should have TOK to claim (DEMO_NO_CLAIM)`).toBeGreaterThan(0n);
    expect(ectClaim.rounds.length, `${E.holder}: more claimable rounds than max_claim_rounds`).toBeGreaterThan(cfg.max_claim_rounds);

    const t = await open(wallet);
    await t.page.goto(`${URL}?refresh=0#/rewards`);
    await loaded(t.page);
    await connect(t.page);
    expect(await t.page.textContent("#address")).toBe(address);
    const shownTok = BigInt((await t.page.getAttribute("#tok-claimable", "data-base"))!);
    const shownEct = BigInt((await t.page.getAttribute("#ect-claimable", "data-base"))!);
    expect(shownTok).toBe(tokClaim);
    expect(shownEct.toString()).toBe(ectClaim.total);
    const perRound = await t.page.locator(".claim-round").evaluateAll((els) =>
      els.map((e) => ({ round: Number(e.getAttribute("data-round")), amount: e.getAttribute("data-amount"), deadline: e.getAttribute("data-deadline") })),
    );
    const deadlines = await Promise.all(ectClaim.rounds.map(async (r) => String((await round.round({ round: r.round })).summary.claim_deadline)));
    expect(perRound).toEqual(ectClaim.rounds.map((r, i) => ({ round: r.round, amount: r.amount, deadline: deadlines[i] })));
    expect(await t.page.getAttribute("[data-earliest-deadline]", "data-earliest-deadline")).toBe(String(Math.min(...deadlines.map(Number))));
    // Before signing, the page says how the claim pays: every round, in as many messages as needed.
    const plan = t.page.locator("[data-claim-plan]");
    const messages = Math.ceil(ectClaim.rounds.length / cfg.max_claim_rounds);
    expect(await plan.getAttribute("data-messages")).toBe(String(messages));
    expect(await plan.getAttribute("data-pays")).toBe(ectClaim.total);
    expect(await plan.getAttribute("data-remains")).toBe("0");
    expect(await t.page.locator(".claim-round table.breakdown").count()).toBe(ectClaim.rounds.length);

    for (const [button, which, token, shown] of [
      ["#claim-tok", "TOK", E.deployment.contracts.tok.address, shownTok],
      ["#claim-ect", "ECT", E.deployment.contracts.ect.address, shownEct],
    ] as const) {
      const before = await cw20(token, address);
      await t.page.click(button);
      await t.page.waitForSelector(`[data-claimed="${which}"]`, { timeout: 60_000 });
      await loaded(t.page);
      const status = t.page.locator(".tx").first();
      expect(await status.getAttribute("data-tx-status")).toBe("included");
      const hash = (await status.locator("[data-hash]").getAttribute("data-hash"))!;
      const tx = await client.getTx(hash);
      expect(tx?.code).toBe(0);
      const after = await cw20(token, address);
      const arrived = BigInt((await t.page.getAttribute(`[data-claimed="${which}"]`, "data-arrived"))!);
      expect(after - before, `${button}: balance growth`).toBe(shown);
      expect(arrived, `${button}: the banner's amount`).toBe(after - before);
      if (which === "ECT") {
        const claims = tx!.events.filter((e) => e.type === "wasm" && e.attributes.some((a) => a.key === "action" && a.value === "claim"));
        expect(claims.length, "claim messages in the transaction").toBe(messages);
        expect((await round.claimable({ owner: address })).rounds).toEqual([]);
      }
      // One message on the page, the success banner.
      expect(await t.page.locator(".msg").count()).toBe(1);
    }
    // Nothing left: both buttons are disabled and say why, once each.
    expect(await t.page.isDisabled("#claim-tok")).toBe(true);
    expect(await t.page.isDisabled("#claim-ect")).toBe(true);
    await t.done();
  });

  it("the leaderboard marks you; the device note says what M3 is", async () => {
    const wallet = await walletFromMnemonic(mnemonic(E.holder));
    const [{ address }] = await wallet.getAccounts();
    const t = await open(wallet);
    await t.page.goto(`${URL}?refresh=0#/rewards`);
    await loaded(t.page);
    await connect(t.page);
    const devices = await round.devicesByOwner({ owner: address });
    const note = (await t.page.textContent(".device-note"))!.replace(/\s+/g, " ");
    expect(note).not.toContain("Single product: M3 = single product.");
    const policy = (await round.policy({})).policy;
    if (devices.dual_product) expect(note).toContain(`dual-product bonus (M3 = ${policy.dual_product_bp / 10000})`);
    else expect(note).toContain(`single-product multiplier = ${policy.single_product_bp / 10000}`);
    // In the same page (the connection lives as long as the page): the round's leaderboard.
    await t.page.evaluate(() => {
      location.hash = "#/round/0";
    });
    await t.page.waitForSelector("details.owner");
    await loaded(t.page);
    const lb = await round.leaderboard({ round: 0, limit: 100 });
    const rank = lb.entries.findIndex((e) => e.owner === address) + 1;
    expect(rank).toBeGreaterThan(0);
    const you = t.page.locator("details.owner[data-you]");
    expect(await you.count()).toBe(1);
    expect(await you.getAttribute("data-owner")).toBe(address);
    expect(await you.getAttribute("data-rank")).toBe(String(rank));
    expect(await you.locator(".you-badge").textContent()).toBe("you");
    await t.done();
  });

  it("phone: no figure clipped or hidden at 360 and 390 px, rounds open", async () => {
    await noHiddenFigures("#/rewards", await walletFromMnemonic(mnemonic("user1")), true);
  });
});

describe("clear messages", () => {
  async function connectWith(who: DirectSecp256k1HdWallet, mode: Partial<WalletMode>) {
    const t = await open(who, mode);
    await t.page.goto(`${URL}?refresh=0#/rewards`);
    await loaded(t.page);
    await connect(t.page);
    return t;
  }

  it("each connect-time refusal gets its own sentence", async () => {
    const w = await walletFromMnemonic(mnemonic("user1"));
    const cases: [Partial<WalletMode>, string, string][] = [
      [{ mode: "decline-chain" }, "chain_declined", "Chain not added."],
      [{ mode: "decline-connection" }, "connection_declined", "Connection declined."],
      [{ mode: "no-chain" }, "chain_missing", "Chain not in your wallet."],
      [{ chainId: "some-other-chain-7" }, "wrong_chain", "Wrong chain."],
    ];
    const sentences: string[] = [];
    for (const [mode, kind, title] of cases) {
      const t = await connectWith(w, mode);
      expect(await t.page.getAttribute(".msg.error", "data-kind"), JSON.stringify(mode)).toBe(kind);
      expect(await t.page.textContent(".msg.error strong")).toBe(title);
      expect(await t.page.locator(".msg").count()).toBe(1);
      const text = (await t.page.locator(".msg.error").evaluate((e) => {
        const c = e.cloneNode(true) as HTMLElement;
        c.querySelector("details")?.remove();
        return c.textContent ?? "";
      })).replace(/\s+/g, " ").trim();
      sentences.push(text);
      if (kind === "chain_missing") {
        // What to add is in the message itself, not under "details".
        expect(text).toContain(CHAIN);
        expect(text).toContain(E.endpoints.rpc);
      }
      expect(await t.page.isVisible("#connect")).toBe(true);
      await t.done();
    }
    expect(new Set(sentences).size).toBe(cases.length);
  });

  it("rejected signature: said once, the transaction marked failed", async () => {
    let who = "";
    for (const name of ["user1", "user2", "user3"]) {
      const [{ address }] = await (await walletFromMnemonic(mnemonic(name))).getAccounts();
      if (BigInt((await pool.claimable({ user: address })).amount) > 0n) who = name;
    }
    expect(who, "a holder with TOK owed").not.toBe("");
    const t = await connectWith(await walletFromMnemonic(mnemonic(who)), { mode: "reject" });
    await t.page.click("#claim-tok");
    await t.page.waitForSelector(".msg.error", { timeout: 60_000 });
    await loaded(t.page);
    expect(await t.page.getAttribute(".msg.error", "data-kind")).toBe("rejected");
    expect(await t.page.textContent(".msg.error strong")).toBe("Signature rejected.");
    expect(await t.page.getAttribute(".tx", "data-tx-status")).toBe("failed");
    const texts = await said(t.page);
    expect(texts.length).toBe(1);
    expect(await t.page.locator(".tx").textContent()).not.toContain("rejected the signature");
    await t.done();
  });

  it("nothing to claim: both buttons disabled, the reason said once", async () => {
    const t = await connectWith(await walletFromMnemonic(mnemonic("oracle3")), {});
    for (const b of ["#claim-tok", "#claim-ect"]) {
      expect(await t.page.isDisabled(b), b).toBe(true);
      expect(await t.page.getAttribute(b, "data-disabled-reason")).toBe("nothing_to_claim");
    }
    const texts = await said(t.page);
    expect(texts.length).toBeGreaterThan(0);
    expect(new Set(texts).size).toBe(texts.length);
    expect(await t.page.locator(".msg").count()).toBe(0);
    await t.done();
  });

  it("no fee balance: one warning, buttons disabled", async () => {
    const fresh = await DirectSecp256k1HdWallet.generate(12, { prefix: "wasm" });
    const t = await connectWith(fresh, {});
    expect(await t.page.getAttribute("#message", "data-kind")).toBe("insufficient_fee");
    expect(await t.page.textContent("#message strong")).toBe("Insufficient fee balance.");
    expect(await t.page.locator(".msg").count()).toBe(1);
    expect(await t.page.isDisabled("#claim-tok")).toBe(true);
    expect(await t.page.isDisabled("#claim-ect")).toBe(true);
    const texts = await said(t.page);
    expect(new Set(texts).size).toBe(texts.length);
    await t.done();
  });

  it("a fee balance below the fee: the wallet is never asked to sign; funded, a holder created after genesis claims", async () => {
    // A fresh account the pool owes TOK to (recorded by the pool's reporter), holding 1 base
    // unit of the fee denom.
    const fresh = await DirectSecp256k1HdWallet.generate(12, { prefix: "wasm" });
    const [{ address }] = await fresh.getAccounts();
    const reporters = (await pool.reporters({ limit: 30 })).reporters.map((r) => r.address as string);
    const names = E.accounts.accounts.map((a: { name: string }) => a.name) as string[];
    let reporter: { signer: SigningCosmWasmClient; address: string } | null = null;
    for (const n of names) {
      const s = await fundedSigner(n);
      if (reporters.includes(s.address)) {
        reporter = s;
        break;
      }
    }
    expect(reporter, "the pool's reporter among the localnet accounts").not.toBeNull();
    await reporter!.signer.execute(reporter!.address, E.deployment.contracts.reward_pool.address,
      { record_actions: { batch_id: Date.now(), actions: [{ user: address, count: 1 }] } }, "auto");
    const funder = await fundedSigner("user1");
    await funder.signer.sendTokens(funder.address, address, [{ denom: E.endpoints.denom, amount: "1" }], "auto");
    expect(BigInt((await pool.claimable({ user: address })).amount)).toBeGreaterThan(0n);

    const t = await connectWith(fresh, {});
    const text = (await t.page.textContent("#message")) ?? "";
    expect(await t.page.getAttribute("#message", "data-kind"), text).toBe("insufficient_fee");
    expect(text).toContain("holds 0.000001");
    expect(await t.page.isDisabled("#claim-tok")).toBe(true);
    expect(await t.page.getAttribute("#claim-tok", "data-disabled-reason")).toBe("insufficient_fee");
    expect(await t.page.locator(".msg").count()).toBe(1);
    expect(await t.page.evaluate(() => (window as unknown as { __signRequests?: number }).__signRequests ?? 0)).toBe(0);
    await t.done();

    // This account was created after genesis: the chain gave it a 64-bit account number, which
    // the app's account parser keeps exact. Funded, it signs and its claim arrives.
    await funder.signer.sendTokens(funder.address, address, [{ denom: E.endpoints.denom, amount: "1000000" }], "auto");
    const owed = BigInt((await pool.claimable({ user: address })).amount);
    const before = await cw20(E.deployment.contracts.tok.address, address);
    const u = await connectWith(fresh, {});
    expect(await u.page.isDisabled("#claim-tok")).toBe(false);
    await u.page.click("#claim-tok");
    await u.page.waitForSelector('[data-claimed="TOK"], .msg.error', { timeout: 60_000 });
    expect(await u.page.locator(".msg.error").count(), (await u.page.textContent("#message")) ?? "").toBe(0);
    const after = await cw20(E.deployment.contracts.tok.address, address);
    expect(after - before).toBe(owed);
    expect(BigInt((await u.page.getAttribute('[data-claimed="TOK"]', "data-arrived"))!)).toBe(owed);
    await u.done();
  });

  it("chain unreachable: endpoints pointing at a closed port", async () => {
    const t = await open(null);
    const closed = await closedPort();
    await t.page.route("**/endpoints.json", async (route) => {
      const real = await (await route.fetch()).json();
      await route.fulfill({ json: { ...real, rpc: `http://127.0.0.1:${closed}`, rest: `http://127.0.0.1:${closed}` } });
    });
    await t.page.goto(`${URL}#/pool`);
    await loaded(t.page);
    expect(await t.page.getAttribute(".msg.error", "data-kind")).toBe("unreachable");
    expect(await t.page.textContent(".msg.error strong")).toBe("Chain unreachable.");
    expect(await t.page.locator(".msg").count()).toBe(1);
    await t.done();
  });
});

describe("rounds after the demo", () => {
  it("rounds that ended without attestation are listed, the running round shows its reward", async () => {
    // The demo's relayers attested rounds 0 and 1 and stopped: wait for a round to end after
    // them with nobody attesting it (the round after the demo's last one).
    for (let i = 0; i < 90 && ((await round.currentRound()).round ?? 0) < 3; i++) await new Promise((r) => setTimeout(r, 1000));
    const t = await open(null);
    await t.page.goto(`${URL}?refresh=0#/rounds`);
    await loaded(t.page);
    const current = Number(await t.page.getAttribute("[data-current-round]", "data-current-round"));
    const cfg = await round.config();
    const rows = await t.page.locator("tr[data-round]").evaluateAll((els) =>
      els.map((e) => ({ round: Number(e.getAttribute("data-round")), status: e.getAttribute("data-status")!, reward: e.querySelector("[data-reward]")!.getAttribute("data-reward") })),
    );
    // Every round number from the current one down, none missing.
    expect(rows.map((r) => r.round)).toEqual(Array.from({ length: Math.min(20, current + 1) }, (_, i) => current - i));
    // The demo ran two rounds; the rounds after them ended with no relayer attesting.
    const listed = (await round.rounds({ limit: 30 })).rounds.map((r) => r.round);
    const unattested = rows.filter((r) => r.round < current && !listed.includes(r.round));
    expect(unattested.length, "rounds the Rounds query does not list").toBeGreaterThan(0);
    for (const r of unattested) {
      expect(["attesting", "attestation_expired", "void"]).toContain(r.status);
      expect((await round.round({ round: r.round })).summary.status).toBe(r.status);
    }
    const running = rows.find((r) => r.round === current)!;
    if (running.status === "in_progress") expect(running.reward).toBe(cfg.round_reward);
    await t.done();
  });
});
