// What the browser suite and the screenshot command share: the environment, one browser with
// a test wallet per page, and the geometry check that no figure is clipped or hidden.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { installWallet, type WalletMode } from "./wallet";

export const env = (k: string, d?: string): string => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is not set: run the browser tests through scripts/test-web.sh`);
  return v;
};

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE_390 = { width: 390, height: 844 };
export const PHONE_360 = { width: 360, height: 780 };
/** The reader's time zone in the browser (not UTC, so local time shows beside UTC). */
export const TIME_ZONE = "Europe/Berlin";

export interface Env {
  url: string;
  deployment: any;
  accounts: any;
  endpoints: any;
  holder: string;
  chromium: string;
}

export function loadEnv(): Env {
  const deploymentFile = env("WEB_DEPLOYMENT");
  return {
    url: env("WEB_URL"),
    deployment: JSON.parse(readFileSync(deploymentFile, "utf8")),
    accounts: JSON.parse(readFileSync(env("WEB_ACCOUNTS"), "utf8")),
    endpoints: JSON.parse(readFileSync(path.join(path.dirname(deploymentFile), "endpoints.json"), "utf8")),
    holder: env("WEB_HOLDER", "user4"),
    chromium: env("CHROMIUM", "/usr/bin/chromium"),
  };
}

export class Browser {
  private constructor(
    private ctx: BrowserContext,
    private profile: string,
  ) {}

  static async launch(executablePath: string): Promise<Browser> {
    const profile = mkdtempSync(path.join(tmpdir(), "web-test-chromium-"));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: DESKTOP,
      deviceScaleFactor: 1,
      timezoneId: TIME_ZONE,
      locale: "en-GB",
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
    return new Browser(ctx, profile);
  }

  /** A new tab, with a test wallet injected if given; `errors` collects uncaught page errors. */
  async open(
    wallet: DirectSecp256k1HdWallet | null,
    chainId: string,
    mode: Partial<WalletMode> = {},
    viewport = DESKTOP,
  ): Promise<{ page: Page; errors: string[] }> {
    const page = await this.ctx.newPage();
    await page.setViewportSize(viewport);
    if (wallet) await installWallet(page, wallet, { chainId, mode: "ok", ...mode });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    return { page, errors };
  }

  async close(): Promise<void> {
    await this.ctx.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export async function loaded(page: Page): Promise<void> {
  await page.waitForSelector('#view[aria-busy="false"]', { timeout: 60_000 });
}

/** Opens every <details> of the page (breakdowns) so their figures are rendered too. */
export async function openDetails(page: Page, selector = "details"): Promise<void> {
  await page.locator(selector).evaluateAll((els) => els.forEach((d) => ((d as HTMLDetailsElement).open = true)));
}

/**
 * Every figure of the contracts' queries on the page (`[data-q]`, the pool's figure values,
 * the chart's labels) that is clipped or hidden at the current width: outside the viewport,
 * cut by an ancestor that clips, inside a box that scrolls sideways, or not rendered; plus any
 * box of the page that scrolls sideways. Empty = every number is readable without scrolling
 * sideways. Figures inside closed <details> are skipped (open them first to check them).
 */
export async function hiddenFigures(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const vw = document.documentElement.clientWidth;
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : ""}`;
    for (const el of document.querySelectorAll<Element>("[data-q], [data-fig] .value, .chart text")) {
      const closed = el.closest("details:not([open])");
      if (closed && !el.closest("summary")) continue;
      const r = el.getBoundingClientRect();
      const label = `${name(el)} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
      if (r.width === 0 || r.height === 0) {
        out.push(`${label}: not rendered`);
        continue;
      }
      if (r.left < -0.5 || r.right > vw + 0.5) {
        out.push(`${label}: outside the viewport (${r.left.toFixed(0)}–${r.right.toFixed(0)} of ${vw})`);
        continue;
      }
      if (el instanceof HTMLElement && getComputedStyle(el).overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {
        out.push(`${label}: text cut inside its own box`);
      }
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
        const ar = a.getBoundingClientRect();
        if (r.left < ar.left - 0.5 || r.right > ar.right + 0.5 || r.top < ar.top - 0.5 || r.bottom > ar.bottom + 0.5) {
          out.push(`${label}: clipped by ${name(a)}`);
          break;
        }
        if (a.scrollWidth > a.clientWidth + 1) {
          out.push(`${label}: inside ${name(a)}, which scrolls sideways`);
          break;
        }
      }
    }
    if (document.documentElement.scrollWidth > vw + 1) out.push(`the page is ${document.documentElement.scrollWidth} px wide at ${vw} px`);
    for (const e of document.querySelectorAll<HTMLElement>("body *")) {
      const cs = getComputedStyle(e);
      if ((cs.overflowX === "auto" || cs.overflowX === "scroll") && e.scrollWidth > e.clientWidth + 1) out.push(`${name(e)} scrolls sideways`);
    }
    return out;
  });
}

/** Heights in CSS px of the chart's labels (readable: 10 px or more). */
export async function chartLabelHeights(page: Page): Promise<number[]> {
  return page.locator(".chart svg text").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
}
