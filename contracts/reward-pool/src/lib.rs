//! reward-pool: a content-to-earn pool of the CW20 token TOK.
//!
//! Reporters record user actions; each single action is paid the reward R(n) = R0 >> n in force
//! when it is processed. The level n rises by one (a halving) when the available balance falls
//! below T(n+1) = S >> (n+1), at most once per cooldown, and falls again (a reversal) when
//! deposits lift the balance back to T(n) plus an optional hysteresis margin. One reporter
//! credits at most its cap per period (`cap`). See README.md.

// No slice indexing and no unchecked arithmetic in contract code (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod actions;
pub mod admin;
pub mod cap;
pub mod claim;
pub mod contract;
pub mod deposit;
pub mod error;
pub mod halving;
pub mod helpers;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
pub use contract_common::{DepositError, MigrateError, OwnershipError};

#[cfg(test)]
mod tests;
