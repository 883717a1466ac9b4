// Hash router: #/pool, #/rounds[/after/N], #/round/N[/after/OWNER], #/rewards.
import "./style.css";
import { connectChain } from "./chain";
import { ConfigError, loadConfig, type AppConfig } from "./config";
import { AppError } from "./errors";
import { poolPage } from "./pages/pool";
import { roundPage, roundsPage } from "./pages/rounds";
import { rewardsPage } from "./pages/rewards";
import { errorBox, html, mount } from "./ui";

const app = document.getElementById("app")!;
const view = document.getElementById("view")!;
let cfg: AppConfig | null = null;
let seq = 0;

function nav(active: string): void {
  for (const a of app.querySelectorAll<HTMLAnchorElement>("header nav a")) {
    a.classList.toggle("active", a.dataset.page === active);
  }
}

async function route(): Promise<void> {
  const my = ++seq;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const page = parts[0] ?? "pool";
  nav(page === "round" ? "rounds" : page);
  view.setAttribute("aria-busy", "true");
  mount(view, html`<p class="loading">Loading…</p>`);
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
    if (page === "rewards") {
      await rewardsPage(chain, view);
    } else {
      let content;
      if (page === "rounds") {
        content = await roundsPage(chain, parts[1] === "after" ? Number(parts[2]) : undefined);
      } else if (page === "round") {
        const r = Number(parts[1]);
        if (!Number.isInteger(r) || r < 0) throw new AppError("other", `"${parts[1]}" is not a round number`);
        content = await roundPage(chain, r, parts[2] === "after" ? decodeURIComponent(parts[3] ?? "") : undefined);
      } else {
        content = await poolPage(chain);
      }
      if (my !== seq) return;
      mount(view, content);
    }
  } catch (e) {
    if (my !== seq) return;
    mount(view, errorBox(e, cfg ? { rpc: cfg.endpoints.rpc, denom: cfg.endpoints.denom } : {}));
  } finally {
    if (my === seq) view.setAttribute("aria-busy", "false");
  }
}

window.addEventListener("hashchange", () => void route());
window.addEventListener("unhandledrejection", (ev) => {
  ev.preventDefault();
  mount(view, errorBox(ev.reason));
});
void route();
