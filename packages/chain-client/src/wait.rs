//! Waiting for a broadcast tx to be included in a block: poll the tx index until it appears or
//! the timeout passes.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::ChainError;
use crate::rest::{Found, Rest};
use crate::tx::TxResponse;

#[derive(Deserialize)]
struct GetTxResponse {
    tx_response: TxResponse,
}

/// Polls `GET /cosmos/tx/v1beta1/txs/{hash}` every `interval` until the tx is indexed.
/// Returns the raw response whatever its code; see [`crate::client`] for the typed outcome.
pub async fn wait_for_tx(
    rest: &Rest,
    hash: &str,
    timeout: Duration,
    interval: Duration,
) -> Result<TxResponse, ChainError> {
    let deadline = Instant::now() + timeout;
    let path = format!("/cosmos/tx/v1beta1/txs/{hash}");
    loop {
        match rest.get_found::<GetTxResponse>(&path).await? {
            Found::Yes(resp) => return Ok(resp.tx_response),
            Found::NotFound(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(ChainError::Timeout {
                hash: hash.to_string(),
                timeout,
            });
        }
        tokio::time::sleep(interval).await;
    }
}

/// Polls the latest block until its time (seconds) is at least `unix_seconds`; returns it.
/// Used to wait for on-chain time to pass a deadline (cooldowns, round ends).
pub async fn wait_for_block_time(
    rest: &Rest,
    unix_seconds: u64,
    timeout: Duration,
    interval: Duration,
) -> Result<crate::query::BlockInfo, ChainError> {
    let deadline = Instant::now() + timeout;
    loop {
        let block = crate::query::latest_block(rest).await?;
        if block.time_seconds() >= unix_seconds {
            return Ok(block);
        }
        if Instant::now() >= deadline {
            return Err(ChainError::Timeout {
                hash: format!("block time {unix_seconds}"),
                timeout,
            });
        }
        tokio::time::sleep(interval).await;
    }
}
