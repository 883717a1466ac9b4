use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Timestamp, Uint128};
use cube_types::reward_pool::{RateEvent, ReporterCap};
use cw_storage_plus::{Item, Map};

use crate::error::ContractError;

/// Largest `max_batch_size` the owner may configure.
pub const MAX_BATCH_SIZE_CAP: u32 = 1_000;
/// Largest hysteresis margin: 100 % of T(n).
pub const MAX_HYSTERESIS_BPS: u16 = 10_000;
/// Largest reporter list accepted at instantiation (bounds the loop there).
pub const MAX_INITIAL_REPORTERS: usize = 50;
/// Longest halving cooldown: 100 years of seconds (keeps timestamps far from overflow).
pub const MAX_HALVING_COOLDOWN: u64 = 100 * 365 * 24 * 3600;
/// Longest campaign identifier of an ad fee.
pub const MAX_CAMPAIGN_LEN: usize = 128;
/// Longest period of the reporter cap: 366 days of seconds.
pub const MAX_REPORTER_CAP_PERIOD: u64 = 366 * 24 * 3600;

/// Parameters of the pool.
#[cw_serde]
pub struct Config {
    /// The CW20 TOK contract.
    pub token: Addr,
    /// S: thresholds are T(n) = S >> n.
    pub reference_pool: Uint128,
    /// R0: rewards are R(n) = R0 >> n.
    pub base_reward: Uint128,
    /// Seconds between two halvings.
    pub halving_cooldown: u64,
    /// Reversal margin above T(n), basis points.
    pub hysteresis_bps: u16,
    /// Maximum entries per batch.
    pub max_batch_size: u32,
    /// Most TOK one reporter may credit per period. A config stored before the cap existed
    /// loads with the default.
    #[serde(default)]
    pub reporter_cap: ReporterCap,
}

impl Config {
    /// Checks every parameter; used by instantiate and by `UpdateConfig`.
    pub fn validate(&self) -> Result<(), ContractError> {
        if self.base_reward.is_zero() {
            return Err(ContractError::ZeroBaseReward);
        }
        if self.reference_pool < self.base_reward {
            return Err(ContractError::ReferencePoolBelowReward {
                reference_pool: self.reference_pool,
                base_reward: self.base_reward,
            });
        }
        if self.halving_cooldown > MAX_HALVING_COOLDOWN {
            return Err(ContractError::CooldownTooLong {
                seconds: self.halving_cooldown,
                max: MAX_HALVING_COOLDOWN,
            });
        }
        if self.hysteresis_bps > MAX_HYSTERESIS_BPS {
            return Err(ContractError::HysteresisTooLarge {
                bps: self.hysteresis_bps,
                max: MAX_HYSTERESIS_BPS,
            });
        }
        if self.max_batch_size == 0 || self.max_batch_size > MAX_BATCH_SIZE_CAP {
            return Err(ContractError::InvalidMaxBatchSize {
                size: self.max_batch_size,
                max: MAX_BATCH_SIZE_CAP,
            });
        }
        if self.reporter_cap.amount.is_zero() {
            return Err(ContractError::ZeroReporterCap);
        }
        if self.reporter_cap.period == 0 || self.reporter_cap.period > MAX_REPORTER_CAP_PERIOD {
            return Err(ContractError::InvalidReporterCapPeriod {
                seconds: self.reporter_cap.period,
                max: MAX_REPORTER_CAP_PERIOD,
            });
        }
        Ok(())
    }
}

/// What a reporter credited in one period of its cap.
#[cw_serde]
pub struct ReporterUsage {
    /// Start of the period, unix seconds (a multiple of the cap's period).
    pub period_start: u64,
    /// TOK credited by the reporter's batches in that period.
    pub paid: Uint128,
}

/// Balances, level and totals. Invariant:
/// `total_funded + total_ad_fees = available + owed + total_claimed`.
#[cw_serde]
#[derive(Default)]
pub struct PoolState {
    /// Deposits minus every reward granted.
    pub available: Uint128,
    /// Granted and not yet claimed.
    pub owed: Uint128,
    /// Number of halvings in force.
    pub level: u32,
    /// Time of the last halving; starts the cooldown.
    pub last_halving: Option<Timestamp>,
    pub total_funded: Uint128,
    pub total_ad_fees: Uint128,
    pub total_rewarded: Uint128,
    pub total_claimed: Uint128,
    pub total_reconciled: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const POOL: Item<PoolState> = Item::new("pool");
/// Owner and pending owner: `contract_common::ownership::{OWNER, PENDING_OWNER}`.
/// Reporters allowed to record actions.
pub const REPORTERS: Map<&Addr, ()> = Map::new("reporters");
/// Last batch id per reporter; kept when a reporter is removed so it cannot replay batches.
pub const LAST_BATCH: Map<&Addr, u64> = Map::new("last_batch");
/// What each reporter credited in its latest period of the cap; kept when a reporter is
/// removed, so re-adding it within the period does not reset its allowance.
pub const REPORTER_USAGE: Map<&Addr, ReporterUsage> = Map::new("reporter_usage");
/// Rewards credited and not yet claimed, per user.
pub const CLAIMABLE: Map<&Addr, Uint128> = Map::new("claimable");
/// Halving and reversal events by sequence number (from 1).
pub const RATE_EVENTS: Map<u64, RateEvent> = Map::new("rate_events");
/// Sequence number of the last rate event.
pub const RATE_SEQ: Item<u64> = Item::new("rate_seq");
