// A test wallet under Keplr's injected API (window.keplr), backed by a real cosmjs signer
// (DirectSecp256k1HdWallet) living in node: the page's signer forwards getAccounts and
// signDirect through Playwright's exposed functions.
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import type { Page } from "playwright-core";

export interface WalletMode {
  /** Chain id the wallet's signer reports (another one = wrong chain). */
  chainId: string;
  /**
   * "reject": signDirect throws "Request rejected" like Keplr when the user declines;
   * "decline-chain": experimentalSuggestChain throws "Request rejected" (the user declined
   * adding the chain); "decline-connection": enable throws "Request rejected"; "no-chain": a
   * wallet without experimentalSuggestChain whose enable throws Keplr's "There is no chain
   * info for <id>".
   */
  mode: "ok" | "reject" | "decline-chain" | "decline-connection" | "no-chain";
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64");
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

export async function walletFromMnemonic(mnemonic: string, prefix = "wasm"): Promise<DirectSecp256k1HdWallet> {
  return DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix });
}

/** Installs the wallet in a page before its scripts run. */
export async function installWallet(ctx: Page, wallet: DirectSecp256k1HdWallet, mode: WalletMode): Promise<void> {
  const current = () => wallet;
  await ctx.exposeFunction("__walletAccounts", async () => {
    const accounts = await current().getAccounts();
    return accounts.map((a) => ({ address: a.address, algo: a.algo, pubkey: b64(a.pubkey) }));
  });
  await ctx.exposeFunction(
    "__walletSignDirect",
    async (addr: string, doc: { bodyBytes: string; authInfoBytes: string; chainId: string; accountNumber: string }) => {
      const r = await current().signDirect(addr, {
        bodyBytes: unb64(doc.bodyBytes),
        authInfoBytes: unb64(doc.authInfoBytes),
        chainId: doc.chainId,
        accountNumber: BigInt(doc.accountNumber),
      });
      return {
        signed: {
          bodyBytes: b64(r.signed.bodyBytes),
          authInfoBytes: b64(r.signed.authInfoBytes),
          chainId: r.signed.chainId,
          accountNumber: r.signed.accountNumber.toString(),
        },
        signature: r.signature,
      };
    },
  );
  await ctx.addInitScript((opts: WalletMode) => {
    type W = Window & Record<string, any>;
    const w = window as unknown as W;
    const b64 = (u: Uint8Array) => {
      let s = "";
      for (const c of u) s += String.fromCharCode(c);
      return btoa(s);
    };
    const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const signer = {
      chainId: opts.chainId,
      async getAccounts() {
        const a = await w.__walletAccounts();
        return a.map((x: any) => ({ address: x.address, algo: x.algo, pubkey: unb64(x.pubkey) }));
      },
      async signDirect(addr: string, doc: any) {
        w.__signRequests = (w.__signRequests ?? 0) + 1;
        if (opts.mode === "reject") throw new Error("Request rejected");
        const r = await w.__walletSignDirect(addr, {
          bodyBytes: b64(doc.bodyBytes),
          authInfoBytes: b64(doc.authInfoBytes),
          chainId: doc.chainId,
          accountNumber: doc.accountNumber.toString(),
        });
        return {
          signed: {
            bodyBytes: unb64(r.signed.bodyBytes),
            authInfoBytes: unb64(r.signed.authInfoBytes),
            chainId: r.signed.chainId,
            accountNumber: BigInt(r.signed.accountNumber),
          },
          signature: r.signature,
        };
      },
    };
    const keplr: Record<string, unknown> = {
      async enable(chainId: string) {
        if (opts.mode === "decline-connection") throw new Error("Request rejected");
        if (opts.mode === "no-chain") throw new Error(`There is no chain info for ${chainId}`);
      },
      getOfflineSigner(_chainId: string) {
        return signer;
      },
    };
    if (opts.mode !== "no-chain") {
      keplr.experimentalSuggestChain = async (info: unknown) => {
        if (opts.mode === "decline-chain") throw new Error("Request rejected");
        w.__suggestedChain = info;
      };
    }
    w.keplr = keplr as unknown as W["keplr"];
  }, mode);
}
