//! BROADCAST_MODE_SYNC: submit and return after CheckTx.

use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::error::ChainError;
use crate::rest::Rest;

#[derive(Deserialize)]
struct BroadcastResponse {
    tx_response: CheckTxResponse,
}

#[derive(Deserialize)]
struct CheckTxResponse {
    txhash: String,
    #[serde(default)]
    code: u32,
    #[serde(default)]
    codespace: String,
    #[serde(default)]
    raw_log: String,
}

/// Broadcasts `tx_bytes`; `Ok(hash)` when CheckTx accepted it into the mempool.
pub async fn broadcast_sync(rest: &Rest, tx_bytes: &[u8]) -> Result<String, ChainError> {
    let body = json!({
        "tx_bytes": base64::engine::general_purpose::STANDARD.encode(tx_bytes),
        "mode": "BROADCAST_MODE_SYNC",
    });
    let resp: BroadcastResponse = rest.post("/cosmos/tx/v1beta1/txs", &body).await?;
    let CheckTxResponse {
        txhash: hash,
        code,
        codespace,
        raw_log,
    } = resp.tx_response;
    if code != 0 {
        return Err(ChainError::CheckTx {
            hash,
            codespace,
            code,
            raw_log,
        });
    }
    Ok(hash)
}
