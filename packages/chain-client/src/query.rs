//! Read-only queries: accounts, balances, smart queries, the latest block.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::encode::AccountSeq;
use crate::error::ChainError;
use crate::rest::{string_u64, Found, Rest};

#[derive(Deserialize)]
struct AccountResponse {
    account: RawAccount,
}

#[derive(Deserialize)]
struct RawAccount {
    #[serde(default, with = "opt_string_u64")]
    account_number: Option<u64>,
    #[serde(default, with = "opt_string_u64")]
    sequence: Option<u64>,
    /// Vesting and module accounts nest the base account.
    #[serde(default)]
    base_account: Option<Box<RawAccount>>,
    #[serde(default)]
    base_vesting_account: Option<Box<RawAccount>>,
}

impl RawAccount {
    fn seq(&self) -> Option<AccountSeq> {
        if let (Some(number), Some(sequence)) = (self.account_number, self.sequence) {
            return Some(AccountSeq { number, sequence });
        }
        self.base_account
            .as_deref()
            .and_then(RawAccount::seq)
            .or_else(|| {
                self.base_vesting_account
                    .as_deref()
                    .and_then(RawAccount::seq)
            })
    }
}

mod opt_string_u64 {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "crate::rest::string_u64")] u64);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

/// Account number and sequence of `address`.
pub async fn account(rest: &Rest, address: &str) -> Result<AccountSeq, ChainError> {
    let path = format!("/cosmos/auth/v1beta1/accounts/{address}");
    match rest.get_found::<AccountResponse>(&path).await? {
        Found::Yes(resp) => resp.account.seq().ok_or_else(|| ChainError::Decode {
            url: path,
            reason: "account has no account_number/sequence".into(),
        }),
        Found::NotFound(_) => Err(ChainError::AccountNotFound {
            address: address.to_string(),
        }),
    }
}

#[derive(Deserialize)]
struct BalanceResponse {
    balance: BalanceCoin,
}

#[derive(Deserialize)]
struct BalanceCoin {
    amount: String,
}

/// Bank balance of `address` in `denom`.
pub async fn balance(rest: &Rest, address: &str, denom: &str) -> Result<u128, ChainError> {
    let path = format!("/cosmos/bank/v1beta1/balances/{address}/by_denom?denom={denom}");
    let resp: BalanceResponse = rest.get(&path).await?;
    resp.balance.amount.parse().map_err(|e| ChainError::Decode {
        url: path,
        reason: format!("amount: {e}"),
    })
}

#[derive(Deserialize)]
struct SmartResponse<R> {
    data: R,
}

/// Smart query `msg` against `contract`, decoding the JSON answer into `R`.
pub async fn smart<Q: Serialize, R: DeserializeOwned>(
    rest: &Rest,
    contract: &str,
    msg: &Q,
) -> Result<R, ChainError> {
    let json =
        serde_json::to_vec(msg).map_err(|e| ChainError::Encode(format!("query json: {e}")))?;
    // The gateway decodes `bytes` path parameters as std or URL-safe base64; URL-safe needs no
    // escaping in a path.
    let b64 = base64::engine::general_purpose::URL_SAFE.encode(json);
    let path = format!("/cosmwasm/wasm/v1/contract/{contract}/smart/{b64}");
    match rest.get::<SmartResponse<R>>(&path).await {
        Ok(resp) => Ok(resp.data),
        Err(ChainError::HttpStatus { message, .. }) => Err(ChainError::Query {
            contract: contract.to_string(),
            message,
        }),
        Err(e) => Err(e),
    }
}

/// Height and time of the latest block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Height.
    pub height: u64,
    /// Block time, nanoseconds since the Unix epoch.
    pub time_nanos: u128,
}

impl BlockInfo {
    /// Block time in whole seconds since the Unix epoch (what `env.block.time.seconds()` sees).
    pub fn time_seconds(&self) -> u64 {
        u64::try_from(self.time_nanos / 1_000_000_000).unwrap_or(u64::MAX)
    }
}

#[derive(Deserialize)]
struct LatestBlock {
    block: Block,
}
#[derive(Deserialize)]
struct Block {
    header: Header,
}
#[derive(Deserialize)]
struct Header {
    #[serde(with = "string_u64")]
    height: u64,
    time: String,
}

/// Parses an RFC 3339 timestamp into nanoseconds since the Unix epoch.
pub fn parse_time_nanos(s: &str) -> Result<u128, ChainError> {
    let t = cosmrs::tendermint::Time::parse_from_rfc3339(s).map_err(|e| ChainError::Decode {
        url: "time".into(),
        reason: format!("{s:?}: {e}"),
    })?;
    u128::try_from(t.unix_timestamp_nanos()).map_err(|_| ChainError::Decode {
        url: "time".into(),
        reason: format!("{s:?} is before 1970"),
    })
}

/// The latest block's height and time.
pub async fn latest_block(rest: &Rest) -> Result<BlockInfo, ChainError> {
    let resp: LatestBlock = rest
        .get("/cosmos/base/tendermint/v1beta1/blocks/latest")
        .await?;
    Ok(BlockInfo {
        height: resp.block.header.height,
        time_nanos: parse_time_nanos(&resp.block.header.time)?,
    })
}

#[derive(Deserialize)]
struct NodeInfo {
    default_node_info: DefaultNodeInfo,
}
#[derive(Deserialize)]
struct DefaultNodeInfo {
    network: String,
}

/// The chain id the node reports.
pub async fn chain_id(rest: &Rest) -> Result<String, ChainError> {
    let resp: NodeInfo = rest
        .get("/cosmos/base/tendermint/v1beta1/node_info")
        .await?;
    Ok(resp.default_node_info.network)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_block_times() {
        assert_eq!(
            parse_time_nanos("1970-01-01T00:00:01.5Z").unwrap(),
            1_500_000_000
        );
        assert_eq!(
            parse_time_nanos("2026-11-22T21:00:00.123456789Z").unwrap() % 1_000_000_000,
            123_456_789
        );
        assert!(matches!(
            parse_time_nanos("yesterday"),
            Err(ChainError::Decode { .. })
        ));
    }

    #[test]
    fn decodes_base_and_nested_accounts() {
        let base: AccountResponse = serde_json::from_str(
            r#"{"account":{"@type":"/cosmos.auth.v1beta1.BaseAccount","address":"wasm1x","account_number":"7","sequence":"3"}}"#,
        )
        .unwrap();
        assert_eq!(
            base.account.seq(),
            Some(AccountSeq {
                number: 7,
                sequence: 3
            })
        );
        let vesting: AccountResponse = serde_json::from_str(
            r#"{"account":{"base_vesting_account":{"base_account":{"account_number":"9","sequence":"1"}}}}"#,
        )
        .unwrap();
        assert_eq!(
            vesting.account.seq(),
            Some(AccountSeq {
                number: 9,
                sequence: 1
            })
        );
    }
}
