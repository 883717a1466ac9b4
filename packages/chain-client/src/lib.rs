//! A small CosmWasm chain client over the Cosmos SDK REST (gRPC-gateway) API, split by
//! concern the way hermes splits its client:
//!
//! * [`key`]      secp256k1 keys from a BIP-39 mnemonic (m/44'/118'/0'/0/0), bech32 addresses
//! * [`encode`]   MsgStoreCode / MsgInstantiateContract / MsgExecuteContract, SIGN_MODE_DIRECT
//! * [`simulate`] gas estimation by simulation
//! * [`gas`]      gas limit = ceil(simulated gas × adjustment)
//! * [`fee`]      fee = ceil(gas limit × gas price)
//! * [`broadcast`] BROADCAST_MODE_SYNC, CheckTx result
//! * [`wait`]     polling for inclusion with a timeout (no fixed sleeps)
//! * [`retry`]    the one place that recovers from account-sequence mismatch
//! * [`query`]    accounts, balances, smart queries, latest block
//! * [`client`]   [`ChainClient`], which ties them together for one signer
//! * [`localnet`] the localnet's accounts file (chain id, endpoints, funded test keys)
//!
//! and one typed client per contract, each with pure message builders usable without a client:
//!
//! * [`mining_round`] [`mining_round::MiningRoundClient`], and [`mining_round::DeviceRegistration`],
//!   the record of the fleet manifest and the one builder of `RegisterDevice`
//! * [`reward_pool`]  [`reward_pool::RewardPoolClient`]
//! * [`cw20`]         [`cw20::Cw20Client`] (TOK and ECT)
//! * [`governance`]   [`governance::StakeClient`] (cw4-stake), [`governance::MultisigClient`] (cw3-flex-multisig)
//! * [`pages`]        the one loop that follows a list query's `next` cursor
//!
//! and [`amount`], token amounts in whole tokens for logs and consoles (`505.112474 ECT`), the
//! same text as the web app's `formatAmount`.
//!
//! Deployment is an application on top of this crate: `tools/deploy`.
//!
//! Transport is plain HTTP/JSON (`reqwest` + rustls) against the node's REST API, which works
//! with any CometBFT version the SDK ships with.

pub mod amount;
pub mod broadcast;
pub mod client;
pub mod config;
pub mod contract;
pub mod cw20;
pub mod encode;
pub mod error;
pub mod fee;
pub mod gas;
pub mod governance;
pub mod hex_bytes;
pub mod key;
pub mod localnet;
pub mod mining_round;
pub mod pages;
pub mod query;
pub mod rest;
pub mod retry;
pub mod reward_pool;
pub mod simulate;
pub mod tx;
pub mod wait;

pub use amount::{format_amount, format_tokens, TokenUnit};
pub use client::ChainClient;
pub use config::{ChainConfig, GasPrice};
pub use error::ChainError;
pub use key::Signer;
pub use tx::{Event, TxResult};
