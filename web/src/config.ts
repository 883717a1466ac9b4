// Where the chain and the contracts are: the deployment file the deploy command writes
// (deployments/<chain-id>.json, served next to the app as deployment.json) and the chain's
// public endpoints (endpoints.json: chain id, RPC, REST, fee denom, gas price).

export interface ContractRecord {
  address: string;
  code_id: number;
  label: string;
  tx_hash: string;
}

export interface Deployment {
  chain_id: string;
  deployer: string;
  height: number;
  contracts: Record<string, ContractRecord>;
}

export interface Endpoints {
  chain_id: string;
  rpc: string;
  rest: string;
  denom: string;
  gas_price: string;
}

export interface AppConfig {
  deployment: Deployment;
  endpoints: Endpoints;
  pool: string;
  round: string;
  tok: string;
  ect: string;
}

export class ConfigError extends Error {}

async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { cache: "no-store" });
  } catch (e) {
    throw new ConfigError(`cannot fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new ConfigError(`${url} answered ${res.status}: the deployment is not served yet`);
  try {
    return (await res.json()) as T;
  } catch {
    throw new ConfigError(`${url} is not JSON`);
  }
}

export async function loadConfig(): Promise<AppConfig> {
  const [deployment, endpoints] = await Promise.all([
    getJson<Deployment>("./deployment.json"),
    getJson<Endpoints>("./endpoints.json"),
  ]);
  const addr = (role: string) => {
    const c = deployment.contracts?.[role];
    if (!c?.address) throw new ConfigError(`deployment.json has no contract "${role}"`);
    return c.address;
  };
  if (endpoints.chain_id !== deployment.chain_id) {
    throw new ConfigError(
      `endpoints.json is for chain ${endpoints.chain_id} but deployment.json for ${deployment.chain_id}`,
    );
  }
  return {
    deployment,
    endpoints,
    pool: addr("reward_pool"),
    round: addr("mining_round"),
    tok: addr("tok"),
    ect: addr("ect"),
  };
}
