//! timelock: the owner and wasm admin of every contract of a governed deployment.
//!
//! The only proposer (the holders' multisig) schedules operations; an operation executes no
//! sooner than `min_delay` after it was scheduled and no later than `grace_period` after that;
//! the vetoer (a guardian council) can stop it until it executes; and nothing is scheduled or
//! executed while the holders' cw4 group is below its activation threshold (bonded weight and
//! members with weight, the latter counted through the group's member-changed hook). See
//! README.md.

// No slice indexing and no unchecked arithmetic in contract code (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod activation;
pub mod contract;
pub mod error;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
pub use contract_common::MigrateError;

#[cfg(test)]
mod tests;
