use contract_common::{DepositError, MigrateError, OwnershipError};
use cosmwasm_std::{Addr, DivideByZeroError, OverflowError, StdError, Uint128};
use thiserror::Error;

/// Every way an execute message of the pool can fail.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error(transparent)]
    Overflow(#[from] OverflowError),

    #[error(transparent)]
    DivideByZero(#[from] DivideByZeroError),

    /// Not the owner, not the pending owner, no transfer pending, an invalid new owner address.
    #[error(transparent)]
    Ownership(#[from] OwnershipError),

    /// Another contract's state, a version not newer, an unparsable version.
    #[error(transparent)]
    Migrate(#[from] MigrateError),

    #[error("{sender} is not a reporter")]
    NotReporter { sender: Addr },

    /// A `Receive` not from the configured token, or of a zero amount.
    #[error(transparent)]
    Deposit(#[from] DepositError),

    #[error("{address} is not a valid, normalized address")]
    InvalidAddress { address: String },

    #[error("{address} is not a CW20 token contract")]
    InvalidToken { address: String },

    #[error("this contract accepts no native funds")]
    NativeFundsRejected,

    #[error("invalid message in the CW20 Send: {reason}")]
    InvalidReceiveMsg { reason: String },

    #[error("campaign must be 1 to {max} bytes, got {length}")]
    InvalidCampaign { length: usize, max: usize },

    #[error("base_reward must be non-zero")]
    ZeroBaseReward,

    #[error("reference_pool {reference_pool} must be at least base_reward {base_reward}")]
    ReferencePoolBelowReward {
        reference_pool: Uint128,
        base_reward: Uint128,
    },

    #[error("halving_cooldown {seconds} s exceeds {max} s")]
    CooldownTooLong { seconds: u64, max: u64 },

    #[error("hysteresis_bps {bps} exceeds {max}")]
    HysteresisTooLarge { bps: u16, max: u16 },

    #[error("max_batch_size must be 1 to {max}, got {size}")]
    InvalidMaxBatchSize { size: u32, max: u32 },

    #[error("reporter_cap.amount must be non-zero")]
    ZeroReporterCap,

    #[error("reporter_cap.period must be 1 to {max} s, got {seconds}")]
    InvalidReporterCapPeriod { seconds: u64, max: u64 },

    #[error("at least one reporter is required")]
    NoReporters,

    #[error("at most {max} reporters at instantiation, got {count}")]
    TooManyReporters { count: usize, max: usize },

    #[error("reporter {address} is listed twice")]
    DuplicateReporter { address: Addr },

    #[error("{address} is already a reporter")]
    ReporterExists { address: Addr },

    #[error("{address} is not a reporter")]
    ReporterNotFound { address: Addr },

    #[error("a batch needs at least one entry")]
    EmptyBatch,

    #[error("batch has {size} entries, the maximum is {max}")]
    BatchTooLarge { size: usize, max: u32 },

    #[error("batch id {batch_id} is not greater than the last batch id {last_batch_id}")]
    BatchIdNotIncreasing { batch_id: u64, last_batch_id: u64 },

    #[error("entry for {user} has a zero count")]
    ZeroCount { user: String },

    /// An entry would take the reporter's payouts in the current period beyond its cap; the
    /// whole batch is refused, so the entry pays nothing.
    #[error("cap of {reporter} exceeded: {requested} asked, {remaining} left until {period_ends}")]
    ReporterCapExceeded {
        reporter: Addr,
        requested: Uint128,
        remaining: Uint128,
        period_ends: u64,
    },

    #[error("nothing to claim")]
    NothingToClaim,

    #[error("the pool holds no TOK beyond available + owed")]
    NothingToReconcile,

    #[error("UpdateConfig needs at least one field")]
    EmptyConfigUpdate,

    #[error("level bound exceeded while pricing an entry")]
    LevelBoundExceeded,
}
