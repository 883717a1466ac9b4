// The wallet, through Keplr's standard injected API (window.keplr): experimentalSuggestChain,
// enable, getOfflineSigner. Keplr and the wallets that mirror its API (Leap, Cosmostation's
// Keplr mode, ...) work; transactions go through @cosmjs with the generated message composers.
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { EncodeObject, OfflineSigner } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import type { AppConfig } from "./config";
import { AppError, classify } from "./errors";

interface KeplrLike {
  experimentalSuggestChain?: (info: unknown) => Promise<void>;
  enable: (chainId: string) => Promise<void>;
  getOfflineSigner: (chainId: string) => OfflineSigner & { chainId?: string };
}

declare global {
  interface Window {
    keplr?: KeplrLike;
  }
}

export interface Wallet {
  address: string;
  signing: SigningCosmWasmClient;
}

function prefixOf(addr: string): string {
  const i = addr.lastIndexOf("1");
  return i > 0 ? addr.slice(0, i) : "wasm";
}

export function chainInfo(cfg: AppConfig): unknown {
  const { endpoints: ep, deployment } = cfg;
  const prefix = prefixOf(deployment.deployer);
  const price = Number(ep.gas_price.replace(/[a-z/]+$/i, ""));
  const currency = { coinDenom: ep.denom.toUpperCase(), coinMinimalDenom: ep.denom, coinDecimals: 6 };
  return {
    chainId: ep.chain_id,
    chainName: `Rewards localnet (${ep.chain_id})`,
    rpc: ep.rpc,
    rest: ep.rest,
    bip44: { coinType: 118 },
    bech32Config: {
      bech32PrefixAccAddr: prefix,
      bech32PrefixAccPub: `${prefix}pub`,
      bech32PrefixValAddr: `${prefix}valoper`,
      bech32PrefixValPub: `${prefix}valoperpub`,
      bech32PrefixConsAddr: `${prefix}valcons`,
      bech32PrefixConsPub: `${prefix}valconspub`,
    },
    currencies: [currency],
    feeCurrencies: [{ ...currency, gasPriceStep: { low: price, average: price, high: price * 2 } }],
    stakeCurrency: currency,
    features: ["cosmwasm"],
  };
}

export async function connectWallet(cfg: AppConfig): Promise<Wallet> {
  const keplr = window.keplr;
  const ctx = { rpc: cfg.endpoints.rpc, denom: cfg.endpoints.denom };
  if (!keplr) {
    throw new AppError("no_wallet", "No Keplr-compatible wallet found in this browser. Install Keplr (or a wallet with its API) and reload.");
  }
  const chainId = cfg.deployment.chain_id;
  try {
    if (keplr.experimentalSuggestChain) await keplr.experimentalSuggestChain(chainInfo(cfg));
    await keplr.enable(chainId);
  } catch (e) {
    const err = classify(e, ctx);
    if (err.kind === "other") {
      throw new AppError("wrong_chain", `Your wallet does not offer chain ${chainId}: ${err.detail ?? err.message}`, err.detail);
    }
    throw err;
  }
  const signer = keplr.getOfflineSigner(chainId);
  if (signer.chainId !== undefined && signer.chainId !== chainId) {
    throw new AppError(
      "wrong_chain",
      `Your wallet is on chain ${signer.chainId}, but this deployment is on ${chainId}. Switch the wallet to ${chainId}.`,
    );
  }
  let address: string;
  try {
    const accounts = await signer.getAccounts();
    if (!accounts.length) throw new AppError("no_wallet", "The wallet has no account for this chain.");
    address = accounts[0].address;
  } catch (e) {
    throw classify(e, ctx);
  }
  if (prefixOf(address) !== prefixOf(cfg.deployment.deployer)) {
    throw new AppError("wrong_chain", `Your wallet's address ${address} is not an address of chain ${chainId}.`);
  }
  try {
    const signing = await SigningCosmWasmClient.connectWithSigner(cfg.endpoints.rpc, signer, {
      gasPrice: GasPrice.fromString(cfg.endpoints.gas_price),
    });
    return { address, signing };
  } catch (e) {
    const err = classify(e, ctx);
    throw err.kind === "other" ? new AppError("unreachable", `The chain is unreachable at ${cfg.endpoints.rpc}.`, err.detail) : err;
  }
}

export interface TxRecord {
  label: string;
  status: "checking" | "signing" | "pending" | "included" | "failed";
  hash?: string;
  height?: number;
  error?: AppError;
}

/**
 * Checks the fee balance, signs (wallet), broadcasts, then waits for inclusion, reporting
 * every step through `update`. Resolves with the included record; throws AppError.
 */
export async function sendTx(
  cfg: AppConfig,
  wallet: Wallet,
  label: string,
  msgs: EncodeObject[],
  update: (r: TxRecord) => void,
): Promise<TxRecord> {
  const ctx = { rpc: cfg.endpoints.rpc, denom: cfg.endpoints.denom };
  const rec: TxRecord = { label, status: "checking" };
  const fail = (e: unknown): never => {
    rec.status = "failed";
    rec.error = classify(e, ctx);
    update({ ...rec });
    throw rec.error;
  };
  update({ ...rec });
  try {
    const bal = await wallet.signing.getBalance(wallet.address, cfg.endpoints.denom);
    if (BigInt(bal.amount) === 0n) {
      fail(new AppError("insufficient_fee", `Your account ${wallet.address} holds no ${cfg.endpoints.denom} to pay the transaction fee. Fund it and try again.`));
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    fail(e);
  }
  rec.status = "signing";
  update({ ...rec });
  try {
    rec.hash = await wallet.signing.signAndBroadcastSync(wallet.address, msgs, "auto");
  } catch (e) {
    fail(e);
  }
  rec.status = "pending";
  update({ ...rec });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 400));
    try {
      const tx = await wallet.signing.getTx(rec.hash!);
      if (tx) {
        rec.height = tx.height;
        if (tx.code !== 0) fail(new Error(tx.rawLog || `tx failed with code ${tx.code}`));
        rec.status = "included";
        update({ ...rec });
        return rec;
      }
    } catch (e) {
      if (e instanceof AppError) throw e;
    }
  }
  return fail(new AppError("unreachable", `Transaction ${rec.hash} was not included within 60 s.`));
}
