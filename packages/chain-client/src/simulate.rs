//! Gas estimation by simulating a signed tx on the node.

use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::error::ChainError;
use crate::rest::{string_u64, Rest};

#[derive(Deserialize)]
struct SimulateResponse {
    gas_info: GasInfo,
}

#[derive(Deserialize)]
struct GasInfo {
    #[serde(with = "string_u64")]
    gas_used: u64,
}

/// Simulates `tx_bytes` and returns the gas it used. A contract error comes back as
/// [`ChainError::Simulation`] carrying the node's message.
pub async fn simulate(rest: &Rest, tx_bytes: &[u8]) -> Result<u64, ChainError> {
    let body = json!({ "tx_bytes": base64::engine::general_purpose::STANDARD.encode(tx_bytes) });
    match rest
        .post::<_, SimulateResponse>("/cosmos/tx/v1beta1/simulate", &body)
        .await
    {
        Ok(resp) => Ok(resp.gas_info.gas_used),
        Err(ChainError::HttpStatus { message, .. }) => Err(ChainError::Simulation { message }),
        Err(e) => Err(e),
    }
}
