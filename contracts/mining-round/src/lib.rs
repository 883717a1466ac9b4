//! mining-round (ECT): time-defined rounds, a device registry verified with ed25519, oracle
//! quorum attestations of per-owner usage, scores computed on chain with a versioned policy
//! (shared with the relayer through `cube-scoring`), and pro-rata claims of each round's reward;
//! or, in the merkle attestation mode, one Merkle-sum root of cumulative entitlements per round
//! and claims with a proof (`merkle`).
//! See `README.md` for messages, parameters, events, errors and formulas.

// No slice indexing and no unchecked arithmetic in contract code (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod attest;
pub mod claim;
pub mod clock;
pub mod config;
pub mod contract;
pub mod devices;
pub mod emergency;
pub mod endpoints;
pub mod error;
pub mod funding;
pub mod instantiate;
pub mod merkle;
pub mod oracles;
pub mod payout;
pub mod policy;
pub mod query;
pub mod state;
pub mod validate;
pub mod whitelist;

pub use contract_common::{DepositError, MigrateError, OwnershipError};
pub use error::ContractError;
