// Hash router: #/pool, #/rounds[/before/N], #/round/N[/after/OWNER/rank/K], #/rewards.
// Live: every few seconds the app asks the node for its latest height; when a new block is
// there, the page on screen is rendered again from fresh queries (keeping open rows and the
// scroll position), unless the holder is connecting or a transaction is on its way.
import "./style.css";
import { connectChain } from "./chain";
import { ConfigError, loadConfig, type AppConfig } from "./config";
import { AppError } from "./errors";
import { poolPage } from "./pages/pool";
import { roundPage, roundsPage } from "./pages/rounds";
import { rewardsPage } from "./pages/rewards";
import { session } from "./session";
import { errorBox, html, mount } from "./ui";
import { formatTime } from "./lib/format";

const app = document.getElementById("app")!;
const view = document.getElementById("view")!;
const live = document.getElementById("live")!;
let cfg: AppConfig | null = null;
let seq = 0;
let lastHeight = 0;

/** Seconds between two looks at the chain's height; `?refresh=N` (2..600) overrides it, 0 stops it. */
function refreshSecs(): number {
  const v = new URLSearchParams(location.search).get("refresh");
  if (v === null) return 5;
  const n = Number(v);
  return Number.isInteger(n) && (n === 0 || (n >= 2 && n <= 600)) ? n : 5;
}

function nav(active: string): void {
  for (const a of app.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    a.classList.toggle("active", a.dataset.page === active);
    if (a.dataset.page === active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** Open <details> (by data-key) and the scroll position survive a live re-render. */
function keepOpen(render: () => Promise<void>): Promise<void> {
  const open = new Set([...view.querySelectorAll<HTMLDetailsElement>("details[data-key][open]")].map((d) => d.dataset.key));
  const y = window.scrollY;
  return render().then(() => {
    for (const d of view.querySelectorAll<HTMLDetailsElement>("details[data-key]")) {
      if (open.has(d.dataset.key)) d.open = true;
    }
    window.scrollTo(0, y);
  });
}

async function route(silent = false): Promise<void> {
  const my = ++seq;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const page = parts[0] ?? "pool";
  nav(page === "round" ? "rounds" : page);
  view.setAttribute("aria-busy", "true");
  if (!silent) mount(view, html`<p class="loading">Loading…</p>`);
  try {
    if (!cfg) {
      try {
        cfg = await loadConfig();
      } catch (e) {
        throw new AppError("config", (e as ConfigError).message ?? String(e));
      }
      document.getElementById("chain")!.textContent = cfg.deployment.chain_id;
    }
    const chain = await connectChain(cfg);
    if (my !== seq) return;
    const render = async () => {
      if (page === "rewards") {
        await rewardsPage(chain, view);
        return;
      }
      let content;
      if (page === "rounds") {
        const before = parts[1] === "before" ? Number(parts[2]) : undefined;
        if (before !== undefined && (!Number.isInteger(before) || before < 1)) throw new AppError("other", `"${parts[2]}" is not a round number`);
        content = await roundsPage(chain, before);
      } else if (page === "round") {
        const r = Number(parts[1]);
        if (!Number.isInteger(r) || r < 0 || !/^\d+$/.test(parts[1] ?? "")) throw new AppError("other", `"${parts[1] ?? ""}" is not a round number`);
        const after = parts[2] === "after" ? decodeURIComponent(parts[3] ?? "") : undefined;
        const rank = parts[4] === "rank" ? Number(parts[5]) : 1;
        content = await roundPage(chain, r, after, Number.isInteger(rank) && rank >= 1 ? rank : 1);
      } else {
        content = await poolPage(chain);
      }
      if (my !== seq) return;
      mount(view, content);
    };
    await (silent ? keepOpen(render) : render());
    if (my === seq) view.dataset.renderedAt = String(Date.now());
  } catch (e) {
    if (my !== seq) return;
    mount(view, errorBox(e, cfg ? { rpc: cfg.endpoints.rpc, denom: cfg.endpoints.denom } : {}));
  } finally {
    if (my === seq) view.setAttribute("aria-busy", "false");
  }
}

/** One look at the chain: a new block re-renders the page on screen. */
async function tick(): Promise<void> {
  if (!cfg) return;
  try {
    const chain = await connectChain(cfg);
    const block = await chain.client.getBlock();
    const h = block.header.height;
    const t = Math.floor(new Date(block.header.time).getTime() / 1000);
    live.dataset.height = String(h);
    live.textContent = `block ${h.toLocaleString("en-US")} · ${formatTime(t)}`;
    live.title = "figures refresh on each new block";
    if (h !== lastHeight) {
      const first = lastHeight === 0;
      lastHeight = h;
      const idle = !session.busy && view.getAttribute("aria-busy") === "false" && !view.querySelector(".loading");
      if (!first && idle) await route(true);
    }
  } catch {
    live.textContent = "chain not answering; retrying";
    live.dataset.height = "";
  }
}

window.addEventListener("hashchange", () => void route());
// The chart is drawn at the width it is shown at: a new width draws it again.
let resizeTimer: number | undefined;
let lastWidth = window.innerWidth;
window.addEventListener("resize", () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    if (window.innerWidth === lastWidth || session.busy) return;
    lastWidth = window.innerWidth;
    if (view.querySelector("figure.chart")) void route(true);
  }, 250);
});
window.addEventListener("unhandledrejection", (ev) => {
  ev.preventDefault();
  mount(view, errorBox(ev.reason));
});
void route().then(() => {
  const secs = refreshSecs();
  void tick();
  if (secs > 0) {
    // A tick never overlaps the previous one.
    const loop = async () => {
      await tick();
      setTimeout(() => void loop(), secs * 1000);
    };
    setTimeout(() => void loop(), secs * 1000);
  }
});
