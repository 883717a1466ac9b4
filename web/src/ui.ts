// A few DOM helpers: escaped HTML templates, no framework.
import { AppError, classify } from "./errors";
import { formatLocalTime, formatTime, relativeTo } from "./lib/format";

export class Raw {
  constructor(public html: string) {}
}
export const raw = (s: string) => new Raw(s);

export function esc(v: unknown): string {
  return String(v ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Tagged template: interpolations are escaped unless Raw (or arrays of Raw). */
export function html(strings: TemplateStringsArray, ...vals: unknown[]): Raw {
  let out = strings[0];
  vals.forEach((v, i) => {
    if (v instanceof Raw) out += v.html;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof Raw ? x.html : esc(x))).join("");
    else out += esc(v);
    out += strings[i + 1];
  });
  return new Raw(out);
}

export function mount(el: HTMLElement, content: Raw): void {
  el.innerHTML = content.html;
}

export function errorBox(e: unknown, ctx: { rpc?: string; denom?: string } = {}, id?: string): Raw {
  const err = e instanceof AppError ? e : classify(e, ctx);
  return html`<div class="msg error" role="alert" data-kind="${err.kind}"${raw(id ? ` id="${esc(id)}"` : "")}>
    <strong>${title(err.kind)}</strong> ${err.message}
    ${err.detail ? html`<details><summary>details</summary><pre>${err.detail.slice(0, 2000)}</pre></details>` : ""}
  </div>`;
}

function title(kind: string): string {
  switch (kind) {
    case "wrong_chain": return "Wrong chain.";
    case "chain_missing": return "Chain not in your wallet.";
    case "chain_declined": return "Chain not added.";
    case "connection_declined": return "Connection declined.";
    case "rejected": return "Signature rejected.";
    case "insufficient_fee": return "Insufficient fee balance.";
    case "unreachable": return "Chain unreachable.";
    case "nothing_to_claim": return "Nothing to claim.";
    case "no_wallet": return "No wallet.";
    case "config": return "Deployment not found.";
    case "contract": return "Refused by the contract.";
    default: return "Error.";
  }
}

export function figure(label: string, value: unknown, id?: string, note?: string): Raw {
  return html`<div class="fig"${raw(id ? ` data-fig="${esc(id)}"` : "")}><div class="label">${label}</div><div class="value">${value}</div>${note ? html`<div class="note">${note}</div>` : ""}</div>`;
}

/**
 * An instant as UTC text with the reader's local time beside it (and, given `now`, how far
 * away it is): `<time datetime=… data-ts=…>2026-12-08 01:40:00 UTC <span class="local">(02:40:00 CET)</span></time>`.
 */
export function when(secs: number, now?: number): Raw {
  const local = formatLocalTime(secs);
  const iso = new Date(secs * 1000).toISOString();
  return html`<time datetime="${iso}" data-ts="${secs}">${formatTime(secs)}${local ? html` <span class="local" data-local>(${local})</span>` : ""}${
    now !== undefined ? html` <span class="rel">${relativeTo(secs, now)}</span>` : ""
  }</time>`;
}
