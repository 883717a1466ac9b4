// Screenshots of every page at phone (360 px, 390 px) and desktop (1280 px) width, from a real
// run: the demo's localnet, the served app, a holder's wallet. Written to WEB_SCREENSHOTS as
// <page>-<width>.png; `scripts/refresh-docs.sh screenshots` points it at docs/screenshots/.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { walletFromMnemonic } from "../browser/wallet";
import { Browser, DESKTOP, PHONE_360, PHONE_390, env, hiddenFigures, loadEnv, loaded, openDetails } from "../browser/page";

const E = loadEnv();
const OUT = env("WEB_SCREENSHOTS");
const mnemonic = (name: string) => E.accounts.accounts.find((a: { name: string }) => a.name === name).mnemonic;
const WIDTHS = [
  [PHONE_360, "360"],
  [PHONE_390, "390"],
  [DESKTOP, "desktop"],
] as const;

let browser: Browser;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await Browser.launch(E.chromium);
});

afterAll(async () => {
  await browser?.close();
});

async function shoot(page: Page, name: string): Promise<void> {
  // A screenshot shows every figure: the same geometry check as the suite.
  expect(await hiddenFigures(page), name).toEqual([]);
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  console.log(`    ${path.join(OUT, `${name}.png`)}`);
}

it("pool, rounds, a round with its breakdowns, my rewards", async () => {
  const holder = await walletFromMnemonic(mnemonic(E.holder));
  for (const [vp, suffix] of WIDTHS) {
    const { page } = await browser.open(holder, E.deployment.chain_id, {}, vp);
    for (const [hash, name, open] of [
      ["#/pool", "pool", null],
      ["#/rounds", "rounds", null],
      ["#/round/0", "round", "details.owner"],
    ] as const) {
      await page.goto("about:blank");
      await page.goto(`${E.url}?refresh=0${hash}`);
      await loaded(page);
      if (open) await openDetails(page, `${open}:first-of-type`);
      await shoot(page, `${name}-${suffix}`);
    }
    await page.goto("about:blank");
    await page.goto(`${E.url}?refresh=0#/rewards`);
    await loaded(page);
    await page.click("#connect");
    await page.waitForSelector("#address");
    await loaded(page);
    await openDetails(page, "details.claim-round:first-of-type");
    await shoot(page, `rewards-${suffix}`);
    // The round page again, connected: the holder's row is marked "you".
    await page.evaluate(() => {
      location.hash = "#/round/0";
    });
    await page.waitForSelector("details.owner[data-you]");
    await loaded(page);
    if (suffix === "390") await shoot(page, `round-you-${suffix}`);
    await page.close();
  }
  // A claim, once, at phone width: the banner with what arrived.
  const { page } = await browser.open(holder, E.deployment.chain_id, {}, PHONE_390);
  await page.goto(`${E.url}?refresh=0#/rewards`);
  await loaded(page);
  await page.click("#connect");
  await page.waitForSelector("#address");
  await loaded(page);
  await page.click("#claim-ect");
  await page.waitForSelector('[data-claimed="ECT"]', { timeout: 60_000 });
  await loaded(page);
  await shoot(page, "rewards-claimed-390");
  await page.close();
});
