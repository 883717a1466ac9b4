//! Messages and responses of the reward-pool contract: a pool of the CW20 token TOK that pays a
//! fixed reward per user action, halves the reward as the pool drains (at most once per
//! cooldown) and reverses halvings when deposits refill it.
//!
//! Figures are in TOK base units. With `n` halvings in force the halving threshold is
//! `T(n) = S >> n` and the reward per action is `R(n) = R0 >> n`.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;

/// Default hysteresis margin: 10 % of T(n). Undoing a fresh halving n then costs a deposit of
/// about T(n) / 10 (with the default S of 100,000,000,000 TOK: 5,000,000,000 TOK for the first
/// halving), not less than one reward.
pub const DEFAULT_HYSTERESIS_BPS: u16 = 1_000;

fn default_hysteresis_bps() -> u16 {
    DEFAULT_HYSTERESIS_BPS
}

/// Default [`ReporterCap::amount`]: 10,000,000,000,000 base units (10,000,000 TOK at 6
/// decimals) per period, 1/10,000 of the product's S. Far above what one reporter pays on a
/// localnet or in the demo (whose whole TOK supply is 1,000,000,000,000 base units), far below a
/// funded product pool: a leaked reporter key can take at most this much per period.
pub const DEFAULT_REPORTER_CAP_AMOUNT: Uint128 = Uint128::new(10_000_000_000_000);

/// Default [`ReporterCap::period`]: 86,400 seconds (one day).
pub const DEFAULT_REPORTER_CAP_PERIOD: u64 = 86_400;

/// The most TOK one reporter's `RecordActions` may credit per period.
///
/// Periods are fixed windows aligned to unix time: the period containing block time `t`
/// (seconds) is `[floor(t / period) · period, floor(t / period) · period + period)`, the same for
/// every reporter, so when an allowance resets is known without any state.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct ReporterCap {
    /// Most TOK (base units) one reporter may credit in one period. Non-zero.
    pub amount: Uint128,
    /// Length of a period in seconds: 1 to 31,622,400 (366 days).
    pub period: u64,
}

impl Default for ReporterCap {
    /// [`DEFAULT_REPORTER_CAP_AMOUNT`] per [`DEFAULT_REPORTER_CAP_PERIOD`].
    fn default() -> Self {
        Self {
            amount: DEFAULT_REPORTER_CAP_AMOUNT,
            period: DEFAULT_REPORTER_CAP_PERIOD,
        }
    }
}

impl ReporterCap {
    /// Start of the period containing `time` (unix seconds), `floor(time / period) · period`;
    /// `None` for a zero period.
    pub fn period_start(&self, time: u64) -> Option<u64> {
        time.checked_div(self.period)?.checked_mul(self.period)
    }

    /// First second after the period containing `time`; `None` for a zero period or on
    /// overflow.
    pub fn period_end(&self, time: u64) -> Option<u64> {
        self.period_start(time)?.checked_add(self.period)
    }
}

/// Parameters of a new pool. Native funds sent with the instantiation are rejected.
#[cw_serde]
pub struct InstantiateMsg {
    /// Address of the CW20 TOK contract; the only token the pool accepts.
    pub token: String,
    /// S, the reference pool size in base units: the halving thresholds are `T(n) = S >> n`.
    /// Must be at least `base_reward`.
    pub reference_pool: Uint128,
    /// R0, the reward per action before any halving, in base units. Must be non-zero.
    pub base_reward: Uint128,
    /// Minimum time in seconds between two halvings (default of the product: 1,209,600 = 14 days).
    pub halving_cooldown: u64,
    /// Hysteresis margin in basis points above `T(n)` that the balance must reach before halving
    /// `n` is reversed (0 to 10,000). Default when omitted: 1,000 (10 % of T(n)), so a deposit
    /// smaller than a tenth of T(n) cannot undo a fresh halving.
    #[serde(default = "default_hysteresis_bps")]
    pub hysteresis_bps: u16,
    /// Maximum number of entries in one `RecordActions` batch (1 to the contract's hard cap).
    pub max_batch_size: u32,
    /// Addresses allowed to call `RecordActions`. At least one, no duplicates.
    pub reporters: Vec<String>,
    /// Owner of the pool (a multisig or DAO contract is fine); the sender when omitted.
    pub owner: Option<String>,
    /// The most TOK one reporter may credit per period (amount non-zero, period 1 s to 366
    /// days). Default when omitted: 10,000,000,000,000 base units per 86,400 s
    /// ([`ReporterCap::default`]).
    #[serde(default)]
    pub reporter_cap: Option<ReporterCap>,
}

/// Messages the pool executes.
#[cw_serde]
pub enum ExecuteMsg {
    /// CW20 `Send` hook. Only the configured TOK contract may call it; the embedded message is a
    /// [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Reporters only: credit rewards for user actions. `batch_id` must be strictly greater than
    /// the last batch id of this reporter, so a retried batch is rejected and nothing is paid
    /// twice. Each single action is paid at the rate in force when it is processed. An entry
    /// whose payout exceeds what is left of the reporter's cap in the current period fails the
    /// whole batch (`ReporterCapExceeded`).
    RecordActions {
        /// Strictly increasing per reporter.
        batch_id: u64,
        /// The entries of the batch: at least one, at most `max_batch_size`.
        actions: Vec<ActionEntry>,
    },
    /// Transfer all rewards credited to the sender to `recipient` (the sender when omitted).
    Claim {
        /// Address receiving the TOK; the sender when omitted.
        recipient: Option<String>,
    },
    /// Owner only: allow a new reporter.
    AddReporter {
        /// Address of the reporter to add.
        address: String,
    },
    /// Owner only: remove a reporter. Its last batch id is kept, so a re-added reporter cannot
    /// replay old batches, and so is what it was paid in the current period of its cap, so a
    /// re-added reporter cannot start the period afresh.
    RemoveReporter {
        /// Address of the reporter to remove.
        address: String,
    },
    /// Owner only: change parameters; fields left out keep their value. At least one field.
    UpdateConfig {
        /// New minimum time in seconds between two halvings; applies to the running cooldown.
        halving_cooldown: Option<u64>,
        /// New hysteresis margin in basis points (0 to 10,000).
        hysteresis_bps: Option<u16>,
        /// New maximum number of entries per batch.
        max_batch_size: Option<u32>,
        /// New per-reporter payout cap (amount non-zero, period 1 s to 366 days). Applies at
        /// once; what a reporter was paid still counts while the current period starts where
        /// its recorded one started.
        reporter_cap: Option<ReporterCap>,
    },
    /// Owner only: adopt TOK that reached the pool without the `Send` hook (a plain CW20
    /// `Transfer`) as a fund deposit: the surplus of the pool's token balance over
    /// available + owed.
    Reconcile {},
    /// Owner only: propose a new owner, who must accept.
    TransferOwnership {
        /// Address of the proposed owner.
        new_owner: String,
    },
    /// Proposed owner only: accept the ownership.
    AcceptOwnership {},
    /// Owner only: withdraw a pending ownership proposal.
    CancelOwnershipTransfer {},
}

/// A number of actions performed by one user.
#[cw_serde]
pub struct ActionEntry {
    /// The user credited with the rewards.
    pub user: String,
    /// Number of actions (at least 1). The gas of an entry does not depend on it.
    pub count: u64,
}

/// Message embedded in a CW20 `Send` to the pool.
#[cw_serde]
pub enum ReceiveMsg {
    /// Treasury top-up.
    Fund {},
    /// Advertising fee paid for a campaign.
    AdFee {
        /// Campaign identifier (1 to 128 bytes), reported in the event.
        campaign: String,
    },
}

/// Queries of the pool.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Parameters and ownership.
    #[returns(ConfigResponse)]
    Config {},
    /// Balances, level, rates, thresholds, cooldown and totals.
    #[returns(StateResponse)]
    State {},
    /// Rewards credited to a user and not yet claimed.
    #[returns(ClaimableResponse)]
    Claimable {
        /// The user's address.
        user: String,
    },
    /// Halving and reversal events, oldest first.
    #[returns(RateHistoryResponse)]
    RateHistory {
        /// Return events with a sequence number greater than this.
        start_after: Option<u64>,
        /// Maximum number of events (default 10, at most 30).
        limit: Option<u32>,
    },
    /// Reporters in address order.
    #[returns(ReportersResponse)]
    Reporters {
        /// Return reporters with an address greater than this.
        start_after: Option<String>,
        /// Maximum number of reporters (default 10, at most 30).
        limit: Option<u32>,
    },
    /// The last batch id recorded by a reporter.
    #[returns(LastBatchResponse)]
    LastBatch {
        /// The reporter's address.
        reporter: String,
    },
    /// What a reporter was paid in the current period of its cap and what it may still pay,
    /// at the current block time. Also answers for a removed reporter (its usage is kept).
    #[returns(ReporterAllowanceResponse)]
    ReporterAllowance {
        /// The reporter's address.
        reporter: String,
    },
}

/// Migration message; carries nothing.
#[cw_serde]
pub struct MigrateMsg {}

/// Response to `Config`.
#[cw_serde]
pub struct ConfigResponse {
    /// The CW20 TOK contract.
    pub token: Addr,
    /// S, reference pool size in base units.
    pub reference_pool: Uint128,
    /// R0, reward per action before any halving.
    pub base_reward: Uint128,
    /// Minimum seconds between two halvings.
    pub halving_cooldown: u64,
    /// Hysteresis margin for reversals in basis points.
    pub hysteresis_bps: u16,
    /// Maximum entries per `RecordActions` batch.
    pub max_batch_size: u32,
    /// The most TOK one reporter may credit per period.
    pub reporter_cap: ReporterCap,
    /// Current owner.
    pub owner: Addr,
    /// Proposed owner awaiting `AcceptOwnership`, if any.
    pub pending_owner: Option<Addr>,
}

/// Response to `State`.
#[cw_serde]
pub struct StateResponse {
    /// TOK available for rewards: deposits minus every reward already granted.
    pub available: Uint128,
    /// TOK granted to users and not yet claimed (always backed by the pool's balance).
    pub owed: Uint128,
    /// Number of halvings in force.
    pub level: u32,
    /// Reward per action at the current level, R(n).
    pub current_reward: Uint128,
    /// The next halving happens when `available` falls below this, T(n+1); `None` when the
    /// reward cannot be halved any further (R(n+1) would be zero).
    pub next_halving_threshold: Option<Uint128>,
    /// The current level is reversed when `available` reaches this, T(n) plus the hysteresis
    /// margin; `None` at level 0.
    pub reversal_threshold: Option<Uint128>,
    /// Time of the last halving, if any.
    pub last_halving: Option<Timestamp>,
    /// End of the cooldown started by the last halving; `None` if there was no halving.
    pub cooldown_end: Option<Timestamp>,
    /// True while the cooldown is running (block time < `cooldown_end`).
    pub cooldown_active: bool,
    /// True when `available` is below the next halving threshold: the pool halves at the first
    /// action processed once the cooldown (if any) has ended.
    pub halving_pending: bool,
    /// Total deposited with `Fund` (and adopted by `Reconcile`).
    pub total_funded: Uint128,
    /// Total deposited with `AdFee`.
    pub total_ad_fees: Uint128,
    /// Total granted to users.
    pub total_rewarded: Uint128,
    /// Total claimed by users.
    pub total_claimed: Uint128,
    /// Part of `total_funded` adopted by `Reconcile`.
    pub total_reconciled: Uint128,
}

/// Response to `Claimable`.
#[cw_serde]
pub struct ClaimableResponse {
    /// The user.
    pub user: Addr,
    /// Rewards credited and not yet claimed.
    pub amount: Uint128,
}

/// Kind of a rate change.
#[cw_serde]
pub enum RateEventKind {
    /// The level went up by one: the reward was halved.
    Halving,
    /// The level went down by one: a halving was reversed.
    Reversal,
}

/// One change of the level.
#[cw_serde]
pub struct RateEvent {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Halving or reversal.
    pub kind: RateEventKind,
    /// Block time of the change.
    pub time: Timestamp,
    /// Level before.
    pub from_level: u32,
    /// Level after.
    pub to_level: u32,
    /// Available balance when the change happened.
    pub balance: Uint128,
    /// Reward per action after the change.
    pub reward: Uint128,
}

/// Response to `RateHistory`.
#[cw_serde]
pub struct RateHistoryResponse {
    /// Events in sequence order.
    pub events: Vec<RateEvent>,
}

/// Response to `Reporters`.
#[cw_serde]
pub struct ReportersResponse {
    /// Reporters in address order.
    pub reporters: Vec<ReporterInfo>,
}

/// A reporter and its progress.
#[cw_serde]
pub struct ReporterInfo {
    /// The reporter's address.
    pub address: Addr,
    /// Last batch id it recorded, if any.
    pub last_batch_id: Option<u64>,
}

/// Response to `LastBatch`.
#[cw_serde]
pub struct LastBatchResponse {
    /// The reporter.
    pub reporter: Addr,
    /// Last batch id it recorded, if any.
    pub last_batch_id: Option<u64>,
}

/// Response to `ReporterAllowance`.
#[cw_serde]
pub struct ReporterAllowanceResponse {
    /// The reporter.
    pub reporter: Addr,
    /// Most TOK the reporter may credit per period (`ReporterCap::amount`).
    pub cap: Uint128,
    /// Length of a period in seconds (`ReporterCap::period`).
    pub period: u64,
    /// TOK the reporter credited in the current period (0 when its last payout was in an
    /// earlier period).
    pub paid_in_period: Uint128,
    /// TOK it may still credit in the current period: `cap − paid_in_period`, 0 when a lowered
    /// cap is already used up.
    pub remaining: Uint128,
    /// End of the current period, unix seconds: the first second of the next period, when the
    /// allowance resets to `cap`.
    pub period_ends: u64,
}
