// The wallet, through Keplr's standard injected API (window.keplr): experimentalSuggestChain,
// enable, getOfflineSigner. Keplr and the wallets that mirror its API (Leap, Cosmostation's
// Keplr mode, ...) work; transactions go through @cosmjs with the generated message composers.
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { EncodeObject, OfflineSigner } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, type Event, type StdFee } from "@cosmjs/stargate";
import { formatAmount } from "./lib/format";
import { accountParser } from "./account";
import type { AppConfig } from "./config";
import { AppError, classify, isUserRejection } from "./errors";

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The wallet does not know the chain and could not add it: say what to add, in the message. */
function missingChain(cfg: AppConfig, detail: string): AppError {
  const ep = cfg.endpoints;
  return new AppError(
    "chain_missing",
    `Your wallet does not know chain ${ep.chain_id} and did not add it. Add it in your wallet (chain id ${ep.chain_id}, RPC ${ep.rpc}, REST ${ep.rest}, fee denom ${ep.denom}), then connect again.`,
    detail,
  );
}

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
  // Each refusal gets its own sentence: declining to add the chain, declining the connection,
  // and a wallet that cannot add chains and does not know this one are three different things
  // for the holder to do.
  if (keplr.experimentalSuggestChain) {
    try {
      await keplr.experimentalSuggestChain(chainInfo(cfg));
    } catch (e) {
      if (isUserRejection(e)) {
        throw new AppError(
          "chain_declined",
          `You declined adding chain ${chainId} to your wallet, so nothing was connected. Connect again and approve adding the chain to see and claim your rewards.`,
          errText(e),
        );
      }
      const err = classify(e, ctx);
      if (err.kind === "unreachable") throw err;
      throw missingChain(cfg, errText(e));
    }
  }
  try {
    await keplr.enable(chainId);
  } catch (e) {
    if (isUserRejection(e)) {
      throw new AppError(
        "connection_declined",
        `You declined the connection request, so the wallet shared nothing with this page. Connect again and approve it to see and claim your rewards.`,
        errText(e),
      );
    }
    const err = classify(e, ctx);
    if (err.kind === "unreachable") throw err;
    throw missingChain(cfg, errText(e));
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
      accountParser,
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
  /** The included transaction's events (read from the chain). */
  events?: readonly Event[];
}

/** What a transaction will cost, from a simulation: the gas limit and the fee it pays. */
export interface FeePlan {
  gas: number;
  fee: StdFee;
  /** The fee in the fee denom's base units. */
  amount: bigint;
  /** The account's fee balance when it was estimated. */
  balance: bigint;
}

/** Gas limit = simulated gas × this (what the simulation cannot see: signature checks, noise). */
export const GAS_ADJUSTMENT = 1.4;

/** An account without any fee tokens: nothing it signs can be sent. */
export function noFeeBalance(cfg: AppConfig, address: string): AppError {
  return new AppError(
    "insufficient_fee",
    `Your account ${address} holds no ${cfg.endpoints.denom} to pay transaction fees: fund it to send claims.`,
  );
}

/**
 * Simulates `msgs` and prices them at the endpoints' gas price, with the account's fee
 * balance (`balance` when the caller has just read it, else read here). Throws AppError (a
 * simulation the contract refuses says why; an account without fee tokens is refused before
 * the simulation, which the chain could not run for an account it does not know).
 */
export async function estimateFee(cfg: AppConfig, wallet: Wallet, msgs: EncodeObject[], balance?: bigint): Promise<FeePlan> {
  const ctx = { rpc: cfg.endpoints.rpc, denom: cfg.endpoints.denom };
  if (balance === undefined) {
    try {
      balance = BigInt((await wallet.signing.getBalance(wallet.address, cfg.endpoints.denom)).amount);
    } catch (e) {
      throw classify(e, ctx);
    }
  }
  if (balance === 0n) throw noFeeBalance(cfg, wallet.address);
  let simulated: number;
  try {
    simulated = await wallet.signing.simulate(wallet.address, msgs, undefined);
  } catch (e) {
    throw classify(e, ctx);
  }
  const gas = Math.ceil(simulated * GAS_ADJUSTMENT);
  const fee = calculateFee(gas, GasPrice.fromString(cfg.endpoints.gas_price));
  const amount = fee.amount.reduce((s, c) => s + (c.denom === cfg.endpoints.denom ? BigInt(c.amount) : 0n), 0n);
  return { gas, fee, amount, balance };
}

/** The sentence for a fee balance below the fee (exact, in the fee denom's display units). */
export function shortFeeError(cfg: AppConfig, plan: FeePlan): AppError {
  const d = cfg.endpoints.denom;
  return new AppError(
    "insufficient_fee",
    `This transaction's fee is ${formatAmount(plan.amount, 6)} ${d.toUpperCase()} but your account holds ${formatAmount(plan.balance, 6)} ${d.toUpperCase()}: fund it with at least ${formatAmount(plan.amount - plan.balance, 6)} ${d.toUpperCase()} more. Nothing was sent to your wallet to sign.`,
  );
}

/**
 * Estimates the fee (refusing before the wallet is asked when the balance cannot pay it),
 * signs (wallet), broadcasts, then waits for inclusion, reporting every step through
 * `update`. Resolves with the included record and its events; throws AppError.
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
  let plan: FeePlan | undefined;
  try {
    plan = await estimateFee(cfg, wallet, msgs);
  } catch (e) {
    fail(e);
  }
  if (plan!.balance < plan!.amount) fail(shortFeeError(cfg, plan!));
  rec.status = "signing";
  update({ ...rec });
  try {
    rec.hash = await wallet.signing.signAndBroadcastSync(wallet.address, msgs, plan!.fee);
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
        rec.events = tx.events;
        update({ ...rec });
        return rec;
      }
    } catch (e) {
      if (e instanceof AppError) throw e;
    }
  }
  return fail(new AppError("unreachable", `Transaction ${rec.hash} was not included within 60 s.`));
}

/**
 * The CW20 tokens of `token` that a transaction's events move to `to` (transfers and sends
 * executed by the token contract): what arrived, read from the chain, not from the page.
 */
export function cw20Received(events: readonly Event[], token: string, to: string): bigint {
  let sum = 0n;
  for (const ev of events) {
    if (ev.type !== "wasm") continue;
    const attrs = new Map<string, string>();
    for (const a of ev.attributes) if (!attrs.has(a.key)) attrs.set(a.key, a.value);
    if (attrs.get("_contract_address") !== token) continue;
    const action = attrs.get("action");
    if ((action === "transfer" || action === "send" || action === "mint") && (attrs.get("to") === to || attrs.get("recipient") === to)) {
      sum += BigInt(attrs.get("amount") ?? "0");
    }
  }
  return sum;
}
