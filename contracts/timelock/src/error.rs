use contract_common::MigrateError;
use cosmwasm_std::{Addr, OverflowError, StdError, Timestamp};
use thiserror::Error;

/// Every way a message of the timelock can fail.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error(transparent)]
    Overflow(#[from] OverflowError),

    /// Another contract's state, a version not newer, an unparsable version.
    #[error(transparent)]
    Migrate(#[from] MigrateError),

    /// `role` names what the sender would have to be: "proposer", "vetoer",
    /// "timelock itself" or "group".
    #[error("unauthorized: {sender} is not the {role}")]
    Unauthorized { sender: Addr, role: String },

    #[error(
        "governance is not active: total weight {total_weight} of {min_total_weight} required, \
         {members} of {min_members} members"
    )]
    NotActive {
        total_weight: u64,
        min_total_weight: u64,
        members: u32,
        min_members: u32,
    },

    #[error("operation {id} is not ready before {eta}")]
    NotReady { id: u64, eta: Timestamp },

    #[error("operation {id} expired at {expires}")]
    Expired { id: u64, expires: Timestamp },

    #[error("operation {id} was already executed")]
    AlreadyExecuted { id: u64 },

    #[error("operation {id} was vetoed")]
    Vetoed { id: u64 },

    #[error("unknown operation {id}")]
    UnknownOperation { id: u64 },

    #[error("an operation needs at least one message")]
    EmptyOperation,

    #[error("an operation has at most {max} messages, got {count}")]
    TooManyMessages { count: usize, max: usize },

    #[error("description is {length} bytes, the maximum is {max}")]
    DescriptionTooLong { length: usize, max: usize },

    #[error("min_delay {delay} s is outside {min} ..= {max} s")]
    DelayOutOfBounds { delay: u64, min: u64, max: u64 },

    #[error("grace_period {grace} s is outside {min} ..= {max} s")]
    GraceOutOfBounds { grace: u64, min: u64, max: u64 },

    #[error("invalid activation threshold: {reason}")]
    InvalidActivation { reason: String },

    #[error("{address} is not a valid, normalized address")]
    InvalidAddress { address: String },

    #[error("AcceptOwnership takes 1 to {max} contracts, got {count}")]
    InvalidContractList { count: usize, max: usize },

    #[error("cannot query the total weight of group {group}: {reason}")]
    GroupQueryFailed { group: String, reason: String },

    #[error("the group must be empty at instantiation, its total weight is {total_weight}")]
    GroupNotEmpty { total_weight: u64 },

    #[error("this contract accepts no native funds")]
    NativeFundsRejected,
}

impl ContractError {
    /// `Unauthorized` for `sender`, naming the role it lacks.
    pub fn unauthorized(sender: &Addr, role: &str) -> Self {
        ContractError::Unauthorized {
            sender: sender.clone(),
            role: role.to_string(),
        }
    }
}
