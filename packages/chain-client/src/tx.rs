//! Typed results of included transactions, decoded from the REST `tx_response`.

use serde::Deserialize;

use crate::rest::string_u64;

/// An ABCI event of an included transaction.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Event {
    /// Event type, e.g. `wasm`, `store_code`, `instantiate`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Attributes in emission order.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

/// One key/value attribute of an [`Event`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Attribute {
    /// Attribute key.
    pub key: String,
    /// Attribute value.
    #[serde(default)]
    pub value: String,
}

/// The `tx_response` object of `GET /cosmos/tx/v1beta1/txs/{hash}`.
#[derive(Clone, Debug, Deserialize)]
pub struct TxResponse {
    /// Hash (upper-case hex).
    pub txhash: String,
    /// Block height.
    #[serde(with = "string_u64")]
    pub height: u64,
    /// Result code, 0 on success.
    #[serde(default)]
    pub code: u32,
    /// Error codespace.
    #[serde(default)]
    pub codespace: String,
    /// Error log on failure.
    #[serde(default)]
    pub raw_log: String,
    /// Gas limit.
    #[serde(with = "string_u64")]
    pub gas_wanted: u64,
    /// Gas used.
    #[serde(with = "string_u64")]
    pub gas_used: u64,
    /// Events.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Block time (RFC 3339).
    #[serde(default)]
    pub timestamp: String,
    /// The tx's result data: hex of the protobuf `TxMsgData` (one response per message).
    #[serde(default)]
    pub data: String,
}

impl TxResponse {
    /// The error of an included tx that failed (`code != 0`).
    pub fn into_failure(self) -> crate::ChainError {
        let TxResponse {
            txhash: hash,
            height,
            code,
            codespace,
            raw_log,
            gas_wanted,
            gas_used,
            ..
        } = self;
        crate::ChainError::TxFailed {
            hash,
            height,
            codespace,
            code,
            raw_log,
            gas_wanted,
            gas_used,
        }
    }
}

/// A transaction included in a block with code 0.
#[derive(Clone, Debug)]
pub struct TxResult {
    /// Hash (upper-case hex).
    pub hash: String,
    /// Block height of inclusion.
    pub height: u64,
    /// Gas limit the tx paid for.
    pub gas_wanted: u64,
    /// Gas the chain reports as used.
    pub gas_used: u64,
    /// Fee paid, in the gas price denom.
    pub fee: u128,
    /// Events emitted.
    pub events: Vec<Event>,
    /// Block time (RFC 3339).
    pub timestamp: String,
    /// How often the tx was rebuilt after an account-sequence mismatch.
    pub sequence_retries: u32,
    /// Result data as the node reports it: hex of the protobuf `TxMsgData` (see
    /// [`TxResult::execute_data`]).
    pub data: String,
}

impl TxResult {
    /// Value of the first attribute `key` in an event of type `kind`.
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        find_attribute(&self.events, kind, key)
    }

    /// Block time of inclusion in whole seconds since the Unix epoch (what the contract saw as
    /// `env.block.time.seconds()`).
    pub fn block_time_seconds(&self) -> Result<u64, crate::ChainError> {
        let nanos = crate::query::parse_time_nanos(&self.timestamp)?;
        u64::try_from(nanos / 1_000_000_000).map_err(|_| crate::ChainError::Overflow("block time"))
    }

    /// The data a contract set in its `Response` (`Response::set_data`) when this tx executed
    /// it: the `data` of the tx's first `MsgExecuteContractResponse`. `None` when the contract
    /// set none (or the tx executed no contract).
    pub fn execute_data(&self) -> Result<Option<Vec<u8>>, crate::ChainError> {
        execute_data(&self.hash, &self.data)
    }

    /// All values of attribute `key` in events of type `kind`, in order.
    pub fn attributes<'a>(
        &'a self,
        kind: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.events
            .iter()
            .filter(move |e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .filter(move |a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// Type URL of wasmd's response to `MsgExecuteContract` inside `TxMsgData.msg_responses`.
pub const EXECUTE_RESPONSE_TYPE_URL: &str = "/cosmwasm.wasm.v1.MsgExecuteContractResponse";

/// The `data` of the first `MsgExecuteContractResponse` in `hex_data` (hex of the protobuf
/// `TxMsgData` of tx `hash`, as `tx_response.data` carries it); `None` when empty or absent.
pub fn execute_data(hash: &str, hex_data: &str) -> Result<Option<Vec<u8>>, crate::ChainError> {
    use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
    use cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContractResponse;
    use cosmrs::proto::prost::Message;

    let fail = |reason: String| crate::ChainError::Decode {
        url: hash.to_string(),
        reason,
    };
    let bytes = hex::decode(hex_data).map_err(|e| fail(format!("tx data is not hex: {e}")))?;
    let msg_data = TxMsgData::decode(bytes.as_slice())
        .map_err(|e| fail(format!("tx data: TxMsgData: {e}")))?;
    let Some(any) = msg_data
        .msg_responses
        .iter()
        .find(|a| a.type_url == EXECUTE_RESPONSE_TYPE_URL)
    else {
        return Ok(None);
    };
    let response = MsgExecuteContractResponse::decode(any.value.as_slice())
        .map_err(|e| fail(format!("tx data: MsgExecuteContractResponse: {e}")))?;
    Ok((!response.data.is_empty()).then_some(response.data))
}

/// Value of the first attribute `key` in an event of type `kind`.
pub fn find_attribute<'a>(events: &'a [Event], kind: &str, key: &str) -> Option<&'a str> {
    events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

#[cfg(test)]
mod tests {
    use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
    use cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContractResponse;
    use cosmrs::proto::prost::Message;

    use super::*;

    fn any(type_url: &str, value: Vec<u8>) -> cosmrs::Any {
        cosmrs::Any {
            type_url: type_url.to_string(),
            value,
        }
    }

    #[test]
    fn the_contract_data_is_read_from_the_msg_responses_of_the_tx_data() {
        let response = MsgExecuteContractResponse {
            data: br#"{"latest":3}"#.to_vec(),
        };
        let data = TxMsgData {
            msg_responses: vec![
                any("/cosmos.bank.v1beta1.MsgSendResponse", vec![]),
                any(EXECUTE_RESPONSE_TYPE_URL, response.encode_to_vec()),
            ],
            ..Default::default()
        };
        // The node reports it as upper-case hex.
        let hex_data = hex::encode_upper(data.encode_to_vec());
        assert_eq!(
            execute_data("H", &hex_data).unwrap(),
            Some(br#"{"latest":3}"#.to_vec())
        );
        // No data set by the contract, no execute response, no data at all.
        let empty = TxMsgData {
            msg_responses: vec![any(
                EXECUTE_RESPONSE_TYPE_URL,
                MsgExecuteContractResponse::default().encode_to_vec(),
            )],
            ..Default::default()
        };
        assert_eq!(
            execute_data("H", &hex::encode(empty.encode_to_vec())).unwrap(),
            None
        );
        assert_eq!(execute_data("H", "").unwrap(), None);
        let err = execute_data("H", "zz").unwrap_err();
        assert!(
            matches!(&err, crate::ChainError::Decode { url, .. } if url == "H"),
            "{err}"
        );
    }

    #[test]
    fn a_tx_response_without_data_reads_as_empty_data() {
        let r: TxResponse = serde_json::from_value(serde_json::json!({
            "txhash": "AB", "height": "5", "gas_wanted": "10", "gas_used": "7"
        }))
        .unwrap();
        assert_eq!((r.height, r.data.as_str()), (5, ""));
    }
}
