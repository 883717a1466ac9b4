//! Typed errors of the chain client.

use std::time::Duration;

/// Everything that can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A configuration value is invalid (endpoint, gas price, chain id, ...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The mnemonic or derived key is invalid.
    #[error("invalid key: {0}")]
    Key(String),
    /// The HTTP request itself failed (connection refused, timeout, ...).
    #[error("request to {url} failed: {source}")]
    Http {
        /// Requested URL.
        url: String,
        /// Transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The node answered with a non-success HTTP status.
    #[error("{url} returned HTTP {status}: {message}")]
    HttpStatus {
        /// Requested URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// The gRPC-gateway error message (or the raw body).
        message: String,
    },
    /// The node's answer could not be decoded.
    #[error("unexpected response from {url}: {reason}")]
    Decode {
        /// Requested URL.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Building or signing the transaction failed.
    #[error("tx encoding failed: {0}")]
    Encode(String),
    /// Simulation rejected the transaction (contract errors surface here before broadcast).
    #[error("simulation failed: {message}")]
    Simulation {
        /// The node's error message; contains the contract error text.
        message: String,
    },
    /// The mempool (CheckTx) rejected the transaction; the account sequence did not advance.
    #[error("CheckTx rejected tx {hash} ({codespace}/{code}): {raw_log}")]
    CheckTx {
        /// Transaction hash (upper-case hex).
        hash: String,
        /// Error codespace.
        codespace: String,
        /// Error code.
        code: u32,
        /// Error log.
        raw_log: String,
    },
    /// The transaction was included in a block but failed (DeliverTx / FinalizeBlock).
    #[error("tx {hash} failed at height {height} ({codespace}/{code}, gas {gas_used}/{gas_wanted}): {raw_log}")]
    TxFailed {
        /// Transaction hash.
        hash: String,
        /// Block height.
        height: u64,
        /// Error codespace.
        codespace: String,
        /// Error code.
        code: u32,
        /// Error log; contains the contract error text.
        raw_log: String,
        /// Gas limit of the tx.
        gas_wanted: u64,
        /// Gas used until failure.
        gas_used: u64,
    },
    /// Account-sequence mismatch persisted after refetching and retrying.
    #[error("account sequence mismatch persisted after {attempts} attempts: {message}")]
    SequenceMismatch {
        /// Attempts made.
        attempts: u32,
        /// The last mismatch message.
        message: String,
    },
    /// The transaction was accepted by CheckTx but not seen in a block in time.
    #[error("tx {hash} not included within {timeout:?}")]
    Timeout {
        /// Transaction hash.
        hash: String,
        /// The inclusion timeout.
        timeout: Duration,
    },
    /// The signer's account does not exist on chain (never funded).
    #[error("account {address} not found on chain (not funded?)")]
    AccountNotFound {
        /// Bech32 address.
        address: String,
    },
    /// A smart query failed (contract error or bad request).
    #[error("query of {contract} failed: {message}")]
    Query {
        /// Contract address.
        contract: String,
        /// The node's error message.
        message: String,
    },
    /// A paginated query did not end within the page limit.
    #[error("query {query} returned more than {pages} pages")]
    TooManyPages {
        /// The query.
        query: &'static str,
        /// The page limit.
        pages: usize,
    },
    /// Arithmetic overflow in a gas or fee computation.
    #[error("arithmetic overflow computing {0}")]
    Overflow(&'static str),
    /// File system error (artifacts, deployment file).
    #[error("{path}: {source}")]
    Io {
        /// File involved.
        path: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl ChainError {
    /// The error text produced by the chain for a rejected tx or query (contains the contract's
    /// own error message for contract failures), if this error carries one.
    pub fn chain_message(&self) -> Option<&str> {
        match self {
            ChainError::Simulation { message } => Some(message),
            ChainError::CheckTx { raw_log, .. } | ChainError::TxFailed { raw_log, .. } => {
                Some(raw_log)
            }
            ChainError::Query { message, .. } => Some(message),
            ChainError::SequenceMismatch { message, .. } => Some(message),
            _ => None,
        }
    }
}
