// The web app in Debian's chromium (playwright-core, no browser download) against a wasmd
// localnet where the demo deployed both contracts, two relayers finalized a round and the pool
// recorded actions. Environment (scripts/test-web.sh sets it):
//   WEB_URL          the served app (web/serve.mjs with the demo's deployment)
//   WEB_DEPLOYMENT   the deployment file; WEB_ACCOUNTS the localnet's accounts.json
//   WEB_HOLDER       the holder whose rewards the demo left unclaimed (DEMO_NO_CLAIM)
//   WEB_SCREENSHOTS  where to write the screenshots (target/web-test/screenshots; only
//                    scripts/refresh-docs.sh points it at the committed docs/screenshots)
//   CHROMIUM         the browser binary (default /usr/bin/chromium)
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { RewardPoolQueryClient } from "../../src/generated/RewardPool.client";
import { MiningRoundQueryClient } from "../../src/generated/MiningRound.client";
import { installWallet, walletFromMnemonic, type WalletMode } from "./wallet";

const env = (k: string, d?: string) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is not set: run the browser tests through scripts/test-web.sh`);
  return v;
};
const URL = env("WEB_URL");
const deployment = JSON.parse(readFileSync(env("WEB_DEPLOYMENT"), "utf8"));
const accounts = JSON.parse(readFileSync(env("WEB_ACCOUNTS"), "utf8"));
const HOLDER = env("WEB_HOLDER", "user4");
const SHOTS = env("WEB_SCREENSHOTS", path.resolve(__dirname, "../../../target/web-test/screenshots"));
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");
const mnemonic = (name: string) => accounts.accounts.find((a: { name: string }) => a.name === name).mnemonic;

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let browser: BrowserContext;
let profile: string;
let client: CosmWasmClient;
let pool: RewardPoolQueryClient;
let round: MiningRoundQueryClient;

async function cw20(token: string, address: string): Promise<bigint> {
  const r = await client.queryContractSmart(token, { balance: { address } });
  return BigInt(r.balance);
}

/** A new page (tab) of the one browser, with a test wallet injected if given. */
async function openWith(wallet: DirectSecp256k1HdWallet | null, mode: Partial<WalletMode> = {}, viewport = DESKTOP): Promise<{ ctx: { close(): Promise<void> }; page: Page }> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  if (wallet) {
    await installWallet(page, wallet, { chainId: deployment.chain_id, mode: "ok", ...mode });
  }
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return {
    page,
    ctx: {
      async close() {
        await page.close();
        expect(errors, "uncaught errors in the page").toEqual([]);
      },
    },
  };
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

async function loaded(page: Page): Promise<void> {
  await page.waitForSelector('#view[aria-busy="false"]', { timeout: 60_000 });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Opens every <details> of the page (breakdowns) so the screenshot shows them. */
async function openDetails(page: Page, selector: string): Promise<void> {
  await page.locator(selector).evaluateAll((els) => els.forEach((d) => ((d as HTMLDetailsElement).open = true)));
}

async function bothWidths(hash: string, name: string, wallet: DirectSecp256k1HdWallet | null = null, connect = false, details?: string) {
  for (const [vp, suffix] of [[DESKTOP, "desktop"], [PHONE, "phone"]] as const) {
    const { ctx, page } = await openWith(wallet, {}, vp);
    await page.goto(`${URL}${hash}`);
    await loaded(page);
    if (connect) {
      await page.click("#connect");
      await page.waitForSelector("#address");
    }
    if (details) await openDetails(page, details);
    // No horizontal page overflow at phone width (wide tables scroll inside their box).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} overflows at ${vp.width}px`).toBeLessThanOrEqual(0);
    await shot(page, `${name}-${suffix}`);
    await ctx.close();
  }
}

beforeAll(async () => {
  profile = mkdtempSync(path.join(tmpdir(), "web-test-chromium-"));
  // A fresh profile for this run (Playwright takes it as the persistent context's directory).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    deviceScaleFactor: 1,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const ep = JSON.parse(readFileSync(path.join(path.dirname(env("WEB_DEPLOYMENT")), "endpoints.json"), "utf8"));
  client = await CosmWasmClient.connect(ep.rpc);
  pool = new RewardPoolQueryClient(client, deployment.contracts.reward_pool.address);
  round = new MiningRoundQueryClient(client, deployment.contracts.mining_round.address);
});

afterAll(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
});

describe("pages", () => {
  it("pool: every figure from the contract's state, chart and halving projection", async () => {
    const { ctx, page } = await openWith(null);
    await page.goto(`${URL}#/pool`);
    await loaded(page);
    const state = await pool.state();
    expect(await page.textContent('[data-fig="level"] .value')).toBe(String(state.level));
    for (const fig of ["available", "owed", "reward", "next-threshold", "reversal-threshold", "cooldown", "funded", "ad-fees", "rewarded", "claimed"]) {
      expect(await page.isVisible(`[data-fig="${fig}"]`), fig).toBe(true);
    }
    // The demo recorded actions and at least one halving: the rate history is charted.
    const history = await pool.rateHistory({ limit: 100 });
    expect(history.events.length).toBeGreaterThan(0);
    expect(await page.locator("table.events tbody tr").count()).toBe(history.events.length);
    expect(await page.isVisible(".chart svg path.bal")).toBe(true);
    expect(await page.isVisible("[data-projection]")).toBe(true);
    expect(await page.textContent(".how")).toContain("How it is computed");
    await ctx.close();
    await bothWidths("#/pool", "pool");
  });

  it("rounds: a round finalized by two relayers, votes against quorum", async () => {
    const { ctx, page } = await openWith(null);
    await page.goto(`${URL}#/rounds`);
    await loaded(page);
    const r0 = (await round.round({ round: 0 })).summary;
    expect(r0.status).toBe("finalized");
    const row = page.locator('tr[data-round="0"]');
    expect(await row.locator(".status").textContent()).toBe("finalized");
    const detail = await round.round({ round: 0 });
    expect(detail.quorum).toBe(2);
    let batches: Awaited<ReturnType<typeof round.batches>> | null = null;
    try {
      batches = await round.batches({ round: 0 });
    } catch (e) {
      // The contract of this build does not answer Batches (an older build): the page
      // must say so instead of inventing tallies.
      expect(String(e)).toMatch(/not implemented/);
    }
    if (batches) {
      const shown = await row.locator(".vote").evaluateAll((els) =>
        els.map((e) => ({ batch: Number(e.getAttribute("data-batch")), votes: Number(e.getAttribute("data-votes")), quorum: Number(e.getAttribute("data-quorum")), ok: e.classList.contains("ok") })),
      );
      expect(shown).toEqual(
        batches.batches.map((b) => ({ batch: b.batch_index, votes: Math.max(...b.tallies.map((t) => t.votes)), quorum: detail.quorum, ok: b.accepted_hash != null })),
      );
      expect(shown.every((v) => v.ok && v.votes >= v.quorum)).toBe(true);
    } else {
      expect(await row.locator("[data-votes-unavailable]").count()).toBe(1);
      expect(r0.accepted_batches).toBe(r0.batch_count);
    }
    expect(await row.locator("[data-total-score]").getAttribute("data-total-score")).toBe(r0.total_score);
    await ctx.close();
    await bothWidths("#/rounds", "rounds");
  });

  it("round page: each owner's breakdown recomputes to the on-chain score and payout", async () => {
    const { ctx, page } = await openWith(null);
    await page.goto(`${URL}#/round/0`);
    await loaded(page);
    const summary = (await round.round({ round: 0 })).summary;
    const lb = await round.leaderboard({ round: 0, limit: 25 });
    expect(lb.entries.length).toBeGreaterThan(0);
    const tables = page.locator("table.breakdown");
    expect(await tables.count()).toBe(lb.entries.length);
    for (let i = 0; i < lb.entries.length; i++) {
      const t = tables.nth(i);
      const owner = (await t.getAttribute("data-owner"))!;
      const onChain = await round.score({ owner, round: 0 });
      const terms = await t.locator("tr.term").evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute("data-wh")!, r.getAttribute("data-m1")!, r.getAttribute("data-m2")!]),
      );
      expect(terms.length).toBe(6);
      const m3 = BigInt((await t.getAttribute("data-m3"))!);
      const sum = terms.reduce((s, [wh, m1, m2]) => s + BigInt(wh) * BigInt(m1) * BigInt(m2), 0n);
      const recomputed = (sum * m3) / 1_000_000n;
      expect(recomputed.toString(), `score of ${owner}`).toBe(onChain.score);
      const pay = (BigInt(summary.reward) * recomputed) / BigInt(summary.total_score);
      expect(await t.locator("[data-payout]").getAttribute("data-payout")).toBe(pay.toString());
      if (onChain.reward != null) expect(pay.toString()).toBe(onChain.reward);
    }
    await ctx.close();
    await bothWidths("#/round/0", "round", null, false, "details.owner:first-child");
  });

  it("round page: the leaderboard loads page by page through the on-chain cursor", async () => {
    const all = await round.leaderboard({ round: 0, limit: 100 });
    expect(all.entries.length).toBeGreaterThan(2);
    const { ctx, page } = await openWith(null);
    await page.goto(`${URL}?per=2#/round/0`);
    await loaded(page);
    const seen: string[] = [];
    for (let pageNo = 0; pageNo < 10; pageNo++) {
      const owners = await page.locator("details.owner").evaluateAll((els) => els.map((e) => e.getAttribute("data-owner")!));
      expect(owners.length).toBeLessThanOrEqual(2);
      seen.push(...owners);
      if ((await page.locator("[data-next]").count()) === 0) break;
      await page.click("[data-next]");
      // The next page is rendered when its first owner is one not seen yet, or it says that no
      // owner follows (the cursor of a full last page points past the end).
      await page.waitForFunction(
        (prev) => {
          if (document.getElementById("view")?.getAttribute("aria-busy") !== "false") return false;
          const first = document.querySelector("details.owner")?.getAttribute("data-owner");
          return first ? !prev.includes(first) : !!document.querySelector("[data-leaderboard-end]");
        },
        seen,
        { timeout: 30_000 },
      );
    }
    expect(seen).toEqual(all.entries.map((e) => e.owner));
    await ctx.close();
  });
});

describe("my rewards", () => {
  it("shows the contracts' claimable amounts, claims both and the CW20 balances grow by exactly that", async () => {
    const wallet = await walletFromMnemonic(mnemonic(HOLDER));
    const [{ address }] = await wallet.getAccounts();
    const tokClaim = BigInt((await pool.claimable({ user: address })).amount);
    const ectClaim = await round.claimable({ owner: address });
    expect(tokClaim, `${HOLDER} should have TOK to claim (DEMO_NO_CLAIM)`).toBeGreaterThan(0n);
    expect(BigInt(ectClaim.total), `${HOLDER} should have ECT to claim (DEMO_NO_CLAIM)`).toBeGreaterThan(0n);

    await bothWidths("#/rewards", "rewards", wallet, true, "details.claim-round");

    const { ctx, page } = await openWith(wallet);
    await page.goto(`${URL}#/rewards`);
    await loaded(page);
    await page.click("#connect");
    await page.waitForSelector("#address");
    expect(await page.textContent("#address")).toBe(address);
    const shownTok = BigInt((await page.getAttribute("#tok-claimable", "data-base"))!);
    const shownEct = BigInt((await page.getAttribute("#ect-claimable", "data-base"))!);
    expect(shownTok).toBe(tokClaim);
    expect(shownEct.toString()).toBe(ectClaim.total);
    const perRound = await page.locator(".claim-round").evaluateAll((els) =>
      els.map((e) => ({ round: Number(e.getAttribute("data-round")), amount: e.getAttribute("data-amount") })),
    );
    expect(perRound).toEqual(ectClaim.rounds.map((r) => ({ round: r.round, amount: r.amount })));
    expect(await page.locator(".claim-round table.breakdown").count()).toBe(ectClaim.rounds.length);

    for (const [button, which, token, shown] of [
      ["#claim-tok", "TOK", deployment.contracts.tok.address, shownTok],
      ["#claim-ect", "ECT", deployment.contracts.ect.address, shownEct],
    ] as const) {
      const before = await cw20(token, address);
      await page.click(button);
      await page.waitForSelector(`[data-claimed="${which}"]`, { timeout: 60_000 });
      const status = page.locator(".tx").first();
      expect(await status.getAttribute("data-tx-status")).toBe("included");
      const hash = (await status.locator("[data-hash]").getAttribute("data-hash"))!;
      const tx = await client.getTx(hash);
      expect(tx?.code).toBe(0);
      const after = await cw20(token, address);
      expect(after - before, `${button}: balance growth`).toBe(shown);
      await page.waitForSelector('#view[aria-busy="false"]');
    }
    await shot(page, "rewards-claimed-desktop");
    await ctx.close();
  });
});

describe("clear messages", () => {
  async function connectAndClaim(wallet: DirectSecp256k1HdWallet, mode: Partial<WalletMode>, button = "#claim-tok") {
    const { ctx, page } = await openWith(wallet, mode);
    await page.goto(`${URL}#/rewards`);
    await loaded(page);
    await page.click("#connect");
    await page.waitForSelector("#address, .msg.error", { timeout: 60_000 });
    if (await page.isVisible("#address")) {
      await page.click(button);
      await page.waitForSelector(".msg.error", { timeout: 60_000 });
    }
    const kind = await page.getAttribute(".msg.error", "data-kind");
    const text = (await page.textContent(".msg.error strong")) ?? "";
    return { ctx, page, kind, text };
  }

  it("wrong chain: the wallet reports another chain id", async () => {
    const { ctx, kind, text } = await connectAndClaim(await walletFromMnemonic(mnemonic("user1")), { chainId: "some-other-chain-7" });
    expect(kind).toBe("wrong_chain");
    expect(text).toBe("Wrong chain.");
    await ctx.close();
  });

  it("rejected signature: the wallet throws Request rejected", async () => {
    // oracle1 has no TOK owed; user1..3 hold some: pick one the pool owes.
    let who = "";
    for (const name of ["user1", "user2", "user3"]) {
      const [{ address }] = await (await walletFromMnemonic(mnemonic(name))).getAccounts();
      if (BigInt((await pool.claimable({ user: address })).amount) > 0n) who = name;
    }
    expect(who, "a holder with TOK owed").not.toBe("");
    const { ctx, page, kind, text } = await connectAndClaim(await walletFromMnemonic(mnemonic(who)), { mode: "reject" });
    expect(kind).toBe("rejected");
    expect(text).toBe("Signature rejected.");
    expect(await page.getAttribute(".tx", "data-tx-status")).toBe("failed");
    await ctx.close();
  });

  it("insufficient fee balance: an unfunded account", async () => {
    const fresh = await DirectSecp256k1HdWallet.generate(12, { prefix: "wasm" });
    const { ctx, page } = await openWith(fresh);
    await page.goto(`${URL}#/rewards`);
    await loaded(page);
    await page.click("#connect");
    await page.waitForSelector("#address");
    expect(await page.getAttribute("#fee-warning", "data-kind")).toBe("insufficient_fee");
    expect(await page.textContent("#fee-warning strong")).toBe("Insufficient fee balance.");
    await ctx.close();
  });

  it("nothing to claim: a funded account the contracts owe nothing", async () => {
    const { ctx, kind, text } = await connectAndClaim(await walletFromMnemonic(mnemonic("oracle3")), {});
    expect(kind).toBe("nothing_to_claim");
    expect(text).toBe("Nothing to claim.");
    await ctx.close();
  });

  it("chain unreachable: endpoints pointing at a closed port", async () => {
    const { ctx, page } = await openWith(null);
    const closed = await closedPort();
    await page.route("**/endpoints.json", async (route) => {
      const real = await (await route.fetch()).json();
      await route.fulfill({ json: { ...real, rpc: `http://127.0.0.1:${closed}`, rest: `http://127.0.0.1:${closed}` } });
    });
    await page.goto(`${URL}#/pool`);
    await loaded(page);
    expect(await page.getAttribute(".msg.error", "data-kind")).toBe("unreachable");
    expect(await page.textContent(".msg.error strong")).toBe("Chain unreachable.");
    await ctx.close();
  });
});
