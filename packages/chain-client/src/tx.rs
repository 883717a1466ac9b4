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

/// Value of the first attribute `key` in an event of type `kind`.
pub fn find_attribute<'a>(events: &'a [Event], kind: &str, key: &str) -> Option<&'a str> {
    events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}
