// Accounts as the chain returns them, with account numbers kept exact.
//
// On this chain (wasmd v0.70, Cosmos SDK 0.53) an account created after genesis — by receiving
// tokens, as every new holder's is — gets a 64-bit account number (e.g.
// 13,864,792,436,648,394,120), above what a JavaScript number holds exactly. cosmjs's own
// `accountFromAny` refuses such an account ("number can only safely store up to 53 bits"), so
// such a holder could not sign anything. This parser keeps the number as a bigint, which is
// what cosmjs's sign-doc builders convert it to anyway (`BigInt(accountNumber)`), so the
// signature covers the exact account number.
import { accountFromAny, type Account } from "@cosmjs/stargate";
import { decodeOptionalPubkey } from "@cosmjs/proto-signing";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { BaseAccount, ModuleAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";

function fromBase(b: BaseAccount): Account {
  return {
    address: b.address,
    pubkey: decodeOptionalPubkey(b.pubKey),
    // A bigint where cosmjs types a number: every consumer passes it through BigInt() or
    // toString(), both exact for a bigint.
    accountNumber: BigInt(b.accountNumber.toString()) as unknown as number,
    sequence: Number(b.sequence),
  };
}

export function accountParser(input: Any): Account {
  switch (input.typeUrl) {
    case "/cosmos.auth.v1beta1.BaseAccount":
      return fromBase(BaseAccount.decode(input.value));
    case "/cosmos.auth.v1beta1.ModuleAccount": {
      const base = ModuleAccount.decode(input.value).baseAccount;
      if (base) return fromBase(base);
      return accountFromAny(input);
    }
    default:
      return accountFromAny(input);
  }
}
