//! What the reward-pool and mining-round contracts would otherwise write twice.
//!
//! - [`ownership`]: two-step ownership (propose, accept, cancel) over the `owner` and
//!   `pending_owner` items both contracts store, the one owner check, [`ensure_owner`], and the
//!   one validation of a proposed owner's address.
//! - [`migrate`]: the migrate guard (same cw2 name, strictly newer version).
//! - [`deposit`]: the guard of a CW20 `Send` hook (the configured token, a non-zero amount).
//! - [`paging`]: page sizes of list queries from a requested limit and a per-list
//!   [`PageLimits`].
//! - [`checked`]: overflow-checked counters and arithmetic on primitive integers returning
//!   cosmwasm's [`OverflowError`](cosmwasm_std::OverflowError), so a contract error converts it
//!   with `?`.
//! - [`schema`]: what each contract's schema binary does with its rendered API.
//!
//! Each contract's `ContractError` wraps [`OwnershipError`], [`MigrateError`] and [`DepositError`] with
//! `#[error(transparent)]` and `#[from]`, so the messages read the same in both and `?` converts.

// Contract code: no slice indexing, no unchecked arithmetic (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod checked;
pub mod deposit;
pub mod migrate;
pub mod ownership;
pub mod paging;
pub mod schema;

pub use checked::Checked;
pub use deposit::{ensure_token_deposit, DepositError};
pub use migrate::{ensure_upgrade, MigrateError};
pub use ownership::{ensure_owner, OwnershipError, OWNER, PENDING_OWNER};
pub use paging::{page_limit, PageLimits};
