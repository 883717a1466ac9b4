// What the app remembers while it is open: the connected wallet (every page marks "you" with
// it) and whether the holder is in the middle of something a refresh must not interrupt.
import type { Wallet } from "./wallet";

export const session: {
  wallet: Wallet | null;
  /** Connecting, or a transaction between "checking" and its end. */
  busy: boolean;
} = { wallet: null, busy: false };

/** The connected wallet's address, if any. */
export function myAddress(): string | null {
  return session.wallet?.address ?? null;
}
