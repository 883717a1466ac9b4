// Read-only access to the chain through @cosmjs and the generated contract clients.
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { RewardPoolQueryClient } from "./generated/RewardPool.client";
import { MiningRoundQueryClient } from "./generated/MiningRound.client";
import type { AppConfig } from "./config";
import { AppError, classify } from "./errors";

export interface Chain {
  cfg: AppConfig;
  client: CosmWasmClient;
  pool: RewardPoolQueryClient;
  round: MiningRoundQueryClient;
}

let cached: Promise<Chain> | null = null;

export function connectChain(cfg: AppConfig): Promise<Chain> {
  if (!cached) {
    cached = (async () => {
      let client: CosmWasmClient;
      try {
        client = await CosmWasmClient.connect(cfg.endpoints.rpc);
        const id = await client.getChainId();
        if (id !== cfg.deployment.chain_id) {
          throw new AppError(
            "wrong_chain",
            `The node at ${cfg.endpoints.rpc} runs chain ${id}, not ${cfg.deployment.chain_id} of this deployment.`,
          );
        }
      } catch (e) {
        cached = null;
        const err = classify(e, { rpc: cfg.endpoints.rpc });
        if (err.kind === "other") {
          throw new AppError("unreachable", `The chain is unreachable at ${cfg.endpoints.rpc}.`, err.detail);
        }
        throw err;
      }
      return {
        cfg,
        client,
        pool: new RewardPoolQueryClient(client, cfg.pool),
        round: new MiningRoundQueryClient(client, cfg.round),
      };
    })();
  }
  return cached;
}

/** CW20 token metadata (standard cw20 `token_info` query; the token is cw20-base). */
export interface TokenInfo {
  name: string;
  symbol: string;
  decimals: number;
  total_supply: string;
}

const tokenCache = new Map<string, Promise<TokenInfo>>();
export function tokenInfo(chain: Chain, addr: string): Promise<TokenInfo> {
  let p = tokenCache.get(addr);
  if (!p) {
    p = chain.client.queryContractSmart(addr, { token_info: {} }) as Promise<TokenInfo>;
    tokenCache.set(addr, p);
  }
  return p;
}
