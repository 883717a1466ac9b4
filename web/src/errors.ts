// Every failure the user can meet, as one sentence they can act on. Never a raw stack.

export type ErrorKind =
  | "wrong_chain"
  | "chain_missing"
  | "chain_declined"
  | "connection_declined"
  | "rejected"
  | "insufficient_fee"
  | "unreachable"
  | "nothing_to_claim"
  | "no_wallet"
  | "config"
  | "contract"
  | "other";

export class AppError extends Error {
  constructor(
    public kind: ErrorKind,
    message: string,
    public detail?: string,
  ) {
    super(message);
  }
}

function text(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** True when a wallet call was declined by its user (Keplr: "Request rejected"). */
export function isUserRejection(e: unknown): boolean {
  return /request rejected|rejected by (the )?user|user (denied|rejected)/.test(text(e).toLowerCase());
}

/** Classifies an error thrown by cosmjs, the wallet or fetch. */
export function classify(e: unknown, ctx: { rpc?: string; denom?: string } = {}): AppError {
  if (e instanceof AppError) return e;
  const msg = text(e);
  const lower = msg.toLowerCase();
  if (isUserRejection(e)) {
    return new AppError("rejected", "You rejected the signature request in your wallet; nothing was sent.", msg);
  }
  if (/insufficient funds|insufficient fee|account .* not found|does not exist on chain/.test(lower)) {
    return new AppError(
      "insufficient_fee",
      `Your account has not enough ${ctx.denom ?? "fee tokens"} to pay the transaction fee. Fund it and try again.`,
      msg,
    );
  }
  if (/nothing to claim|nothingtoclaim|no claimable/.test(lower)) {
    return new AppError("nothing_to_claim", "Nothing to claim: this account has no claimable amount.", msg);
  }
  if (/failed to fetch|networkerror|fetch failed|econnrefused|load failed|socket|timed out|timeout|bad status on response: 5/.test(lower)) {
    return new AppError(
      "unreachable",
      `The chain is unreachable${ctx.rpc ? ` at ${ctx.rpc}` : ""}. Check that the node runs and allows this page's origin (CORS).`,
      msg,
    );
  }
  if (/no chain info|unknown chain|chain .* not (found|supported)|not support(ed)? chain/.test(lower)) {
    return new AppError("chain_missing", "Your wallet does not know this deployment's chain.", msg);
  }
  if (/chain id|chain-id/.test(lower)) {
    return new AppError("wrong_chain", "Your wallet is on another chain than this deployment.", msg);
  }
  if (/execute wasm contract failed|query wasm contract failed/.test(lower)) {
    const m = /(?:failed|error): (.*?)(?:: execute wasm| \[|$)/.exec(msg);
    return new AppError("contract", `The contract refused: ${m?.[1] ?? msg}`, msg);
  }
  return new AppError("other", `Something went wrong: ${msg.split("\n")[0].slice(0, 300)}`, msg);
}
