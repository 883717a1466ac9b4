//! Messages and responses of the timelock: the owner and wasm admin of every contract of a
//! governed deployment. Its only proposer (the holders' cw3-flex-multisig) schedules
//! operations; an operation executes no sooner than `min_delay` after it was scheduled and no
//! later than `grace_period` after that, a vetoer (a guardian council) can stop it until it
//! executes, and nothing is scheduled or executed while the holders' group is below its
//! activation threshold (bonded weight and number of members, counted through the cw4
//! member-changed hook).
//!
//! Times are block times in seconds.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, CosmosMsg, Timestamp};
use cw4::MemberChangedHookMsg;

/// Shortest `min_delay` accepted, in seconds. A governed deployment on a public chain uses
/// days (the deploy command defaults to two); seconds are for a local test chain.
pub const MIN_DELAY_FLOOR: u64 = 1;
/// Longest `min_delay` accepted: 30 days.
pub const MAX_DELAY: u64 = 30 * 86_400;
/// Shortest `grace_period`: one minute.
pub const MIN_GRACE: u64 = 60;
/// Longest `grace_period`: 30 days.
pub const MAX_GRACE: u64 = 30 * 86_400;
/// Most messages in one operation.
pub const MAX_MSGS: usize = 16;
/// Longest operation description, in bytes.
pub const MAX_DESCRIPTION: usize = 1_024;
/// Most contracts in one `AcceptOwnership`.
pub const MAX_ACCEPT: usize = 8;

/// The activation threshold: governance is real once the group holds at least
/// `min_total_weight` of bonded weight spread over at least `min_members` members with
/// weight > 0. Both must be at least 1.
#[cw_serde]
#[derive(Eq)]
pub struct Activation {
    /// Smallest total weight of the group (cw4 `TotalWeight`).
    pub min_total_weight: u64,
    /// Smallest number of members with a weight above zero.
    pub min_members: u32,
}

/// Parameters of a new timelock. Native funds sent with the instantiation are rejected.
#[cw_serde]
pub struct InstantiateMsg {
    /// The only account that may `Schedule`: the holders' multisig.
    pub proposer: String,
    /// May `Veto` any operation that has not executed: a guardian council (a multisig). None:
    /// nobody can veto.
    pub vetoer: Option<String>,
    /// The cw4 group (cw4-stake over ECT) whose weight gates activation. Its total weight must
    /// be 0 at instantiation, and the timelock must be added as its hook before anyone bonds.
    pub group: String,
    /// Seconds between scheduling and the earliest execution
    /// (`MIN_DELAY_FLOOR ..= MAX_DELAY`).
    pub min_delay: u64,
    /// Seconds after the earliest execution during which an operation may still execute;
    /// later it has expired (`MIN_GRACE ..= MAX_GRACE`).
    pub grace_period: u64,
    /// The activation threshold.
    pub activation: Activation,
}

/// Messages the timelock executes.
#[cw_serde]
pub enum ExecuteMsg {
    /// Proposer only, and only while the group is active: queues `msgs` (1 to `MAX_MSGS`) to be
    /// sent by the timelock once `min_delay` has passed. The response has the `operation_id`
    /// and `eta` attributes.
    Schedule {
        /// The messages, sent in order by the timelock at execution.
        msgs: Vec<CosmosMsg>,
        /// What the operation does, in words (at most `MAX_DESCRIPTION` bytes).
        description: String,
    },
    /// Anyone: sends the messages of a ready operation (eta reached, not expired, not vetoed,
    /// not executed) while the group is active. A failing message fails the whole
    /// transaction and the operation stays ready.
    Execute {
        /// The operation.
        id: u64,
    },
    /// Vetoer only: stops an operation that has not executed yet, for good.
    Veto {
        /// The operation.
        id: u64,
    },
    /// Anyone: completes the two-step ownership transfer of contracts whose owner proposed the
    /// timelock as new owner (sends `{"accept_ownership":{}}` to each). It only ever gives the
    /// timelock what a current owner chose to hand over.
    AcceptOwnership {
        /// The contracts (1 to `MAX_ACCEPT`).
        contracts: Vec<String>,
    },
    /// The timelock itself only (that is: a scheduled operation): changes the delays, the
    /// activation threshold or the proposer. Omitted fields keep their value.
    UpdateConfig {
        /// New `min_delay`.
        min_delay: Option<u64>,
        /// New `grace_period`.
        grace_period: Option<u64>,
        /// New activation threshold.
        activation: Option<Activation>,
        /// New proposer.
        proposer: Option<String>,
    },
    /// The timelock itself only: sets the vetoer, or removes it (`null`) to retire the
    /// guardian council.
    SetVetoer {
        /// The new vetoer; none to retire it.
        vetoer: Option<String>,
    },
    /// The group's hook (sender must be the group): keeps the count of members with weight
    /// above zero. Never fails for the group, so it can never block a bond.
    MemberChangedHook(MemberChangedHookMsg),
}

/// Queries of the timelock.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Proposer, vetoer, group, delays and activation threshold.
    #[returns(ConfigResponse)]
    Config {},
    /// Whether the group is active now, with the figures that decide it.
    #[returns(ActivationResponse)]
    IsActive {},
    /// One operation.
    #[returns(OperationResponse)]
    Operation {
        /// The operation.
        id: u64,
    },
    /// Operations by ascending id.
    #[returns(OperationsResponse)]
    Operations {
        /// Start after this id.
        start_after: Option<u64>,
        /// Page size (default 10, at most 30).
        limit: Option<u32>,
    },
}

/// Migration message; carries nothing.
#[cw_serde]
pub struct MigrateMsg {}

/// Response to `Config`.
#[cw_serde]
pub struct ConfigResponse {
    /// The only account that may schedule.
    pub proposer: Addr,
    /// The account that may veto, if any.
    pub vetoer: Option<Addr>,
    /// The cw4 group that gates activation.
    pub group: Addr,
    /// Seconds between scheduling and the earliest execution.
    pub min_delay: u64,
    /// Seconds an operation stays executable after its eta.
    pub grace_period: u64,
    /// The activation threshold.
    pub activation: Activation,
}

/// Response to `IsActive`.
#[cw_serde]
#[derive(Eq)]
pub struct ActivationResponse {
    /// Whether both minimums are met (false when the group cannot be queried: fails closed).
    pub active: bool,
    /// The group's total weight now (0 when it cannot be queried).
    pub total_weight: u64,
    /// Members with weight above zero, as counted through the hook.
    pub members: u32,
    /// The activation threshold.
    pub activation: Activation,
}

/// Where an operation stands.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum OperationStatus {
    /// Scheduled, before its eta.
    Pending,
    /// Eta reached, not yet expired: anyone may execute it (while the group is active).
    Ready,
    /// Executed.
    Done,
    /// Stopped by the vetoer.
    Vetoed,
    /// Not executed within the grace period.
    Expired,
}

/// Response to `Operation`, and an entry of `Operations`.
#[cw_serde]
pub struct OperationResponse {
    /// The operation id (from 1).
    pub id: u64,
    /// What it does, in words.
    pub description: String,
    /// The messages it sends.
    pub msgs: Vec<CosmosMsg>,
    /// When it was scheduled.
    pub scheduled_at: Timestamp,
    /// Earliest execution: `scheduled_at + min_delay` (the delay in force when scheduled).
    pub eta: Timestamp,
    /// Executable before this time only: `eta + grace_period`.
    pub expires: Timestamp,
    /// Where it stands now.
    pub status: OperationStatus,
    /// When it executed or was vetoed.
    pub closed_at: Option<Timestamp>,
}

/// Response to `Operations`.
#[cw_serde]
pub struct OperationsResponse {
    /// The page, by ascending id.
    pub operations: Vec<OperationResponse>,
}
