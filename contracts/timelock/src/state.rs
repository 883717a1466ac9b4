use contract_common::Checked;
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, CosmosMsg, OverflowError, Timestamp};
use cube_types::timelock::{
    Activation, OperationResponse, OperationStatus, MAX_DELAY, MAX_GRACE, MIN_DELAY_FLOOR,
    MIN_GRACE,
};
use cw_storage_plus::{Item, Map};

use crate::error::ContractError;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Roles, delays and the activation threshold.
#[cw_serde]
pub struct Config {
    /// The only account that may schedule.
    pub proposer: Addr,
    /// The account that may veto, if any.
    pub vetoer: Option<Addr>,
    /// The cw4 group whose weight gates activation.
    pub group: Addr,
    /// Seconds between scheduling and the earliest execution.
    pub min_delay: u64,
    /// Seconds an operation stays executable after its eta.
    pub grace_period: u64,
    pub activation: Activation,
}

impl Config {
    /// Checks the delays and the threshold; used by instantiate and by `UpdateConfig`.
    pub fn validate(&self) -> Result<(), ContractError> {
        if !(MIN_DELAY_FLOOR..=MAX_DELAY).contains(&self.min_delay) {
            return Err(ContractError::DelayOutOfBounds {
                delay: self.min_delay,
                min: MIN_DELAY_FLOOR,
                max: MAX_DELAY,
            });
        }
        if !(MIN_GRACE..=MAX_GRACE).contains(&self.grace_period) {
            return Err(ContractError::GraceOutOfBounds {
                grace: self.grace_period,
                min: MIN_GRACE,
                max: MAX_GRACE,
            });
        }
        if self.activation.min_total_weight == 0 {
            return Err(ContractError::InvalidActivation {
                reason: "min_total_weight must be at least 1".to_string(),
            });
        }
        if self.activation.min_members == 0 {
            return Err(ContractError::InvalidActivation {
                reason: "min_members must be at least 1".to_string(),
            });
        }
        Ok(())
    }
}

/// What happened to an operation; `Scheduled` becomes Pending, Ready or Expired with time.
#[cw_serde]
pub enum OperationState {
    Scheduled,
    Done { at: Timestamp },
    Vetoed { at: Timestamp },
}

/// A scheduled operation.
#[cw_serde]
pub struct Operation {
    pub description: String,
    pub msgs: Vec<CosmosMsg>,
    pub scheduled_at: Timestamp,
    /// Earliest execution: `scheduled_at + min_delay`.
    pub eta: Timestamp,
    /// Executable before this time only: `eta + grace_period`.
    pub expires: Timestamp,
    pub state: OperationState,
}

impl Operation {
    /// Where the operation stands at `now`: the one derivation used by `Execute`, `Veto` and
    /// the queries.
    pub fn status(&self, now: Timestamp) -> OperationStatus {
        match self.state {
            OperationState::Done { .. } => OperationStatus::Done,
            OperationState::Vetoed { .. } => OperationStatus::Vetoed,
            OperationState::Scheduled if now < self.eta => OperationStatus::Pending,
            OperationState::Scheduled if now >= self.expires => OperationStatus::Expired,
            OperationState::Scheduled => OperationStatus::Ready,
        }
    }

    /// When it executed or was vetoed.
    pub fn closed_at(&self) -> Option<Timestamp> {
        match self.state {
            OperationState::Scheduled => None,
            OperationState::Done { at } | OperationState::Vetoed { at } => Some(at),
        }
    }

    pub fn into_response(self, id: u64, now: Timestamp) -> OperationResponse {
        OperationResponse {
            id,
            status: self.status(now),
            closed_at: self.closed_at(),
            description: self.description,
            msgs: self.msgs,
            scheduled_at: self.scheduled_at,
            eta: self.eta,
            expires: self.expires,
        }
    }
}

/// `time + seconds`, checked.
pub fn add_seconds(time: Timestamp, seconds: u64) -> Result<Timestamp, OverflowError> {
    let nanos = time.nanos().try_add(seconds.try_mul(NANOS_PER_SECOND)?)?;
    Ok(Timestamp::from_nanos(nanos))
}

/// Validates an address given as a string, with a typed error naming it.
pub fn validate_addr(api: &dyn Api, address: &str) -> Result<Addr, ContractError> {
    api.addr_validate(address)
        .map_err(|_| ContractError::InvalidAddress {
            address: address.to_string(),
        })
}

pub const CONFIG: Item<Config> = Item::new("config");
/// Operations by id (from 1).
pub const OPERATIONS: Map<u64, Operation> = Map::new("operations");
/// The last id given to an operation (0: none yet).
pub const LAST_ID: Item<u64> = Item::new("last_id");
/// Members of the group with a weight above zero, counted through the member-changed hook.
pub const MEMBERS: Item<u32> = Item::new("members");
