//! Storage layout, configuration validation and the round clock.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Empty, HexBinary, Order, Storage, Uint128, Uint256};
use cube_scoring::{DeviceModel, RatedPower, ScorePolicy, UsageBuckets, UsageEntry};
use cw_storage_plus::{Bound, Item, Map};

use crate::ContractError;

/// Default page size of list queries.
pub const DEFAULT_LIMIT: u32 = 10;
/// Maximum page size of list queries.
pub const MAX_LIMIT: u32 = 100;
/// Maximum number of oracles.
pub const MAX_ORACLES: u32 = 20;
/// Maximum number of manufacturer keys.
pub const MAX_MANUFACTURER_KEYS: usize = 10;
/// Maximum batches per round.
pub const MAX_BATCH_COUNT: u32 = 1_000;
/// Upper bound of `max_entries_per_batch`.
pub const MAX_ENTRIES_LIMIT: u32 = 500;
/// Upper bound of `max_claim_rounds`.
pub const MAX_CLAIM_ROUNDS_LIMIT: u32 = 100;
/// Maximum additions + removals in one list-update message.
pub const MAX_CHANGES: usize = 100;
/// Default and maximum `SweepExpired` limit.
pub const DEFAULT_SWEEP_LIMIT: u32 = 10;
pub const MAX_SWEEP_LIMIT: u32 = 50;

/// Contract parameters.
#[cw_serde]
pub struct Config {
    pub reward_token: Addr,
    pub round_reward: Uint128,
    pub genesis_time: u64,
    pub round_duration: u64,
    pub attestation_window: u64,
    pub claim_window: u64,
    pub quorum: u32,
    pub rated_power: RatedPower,
    pub max_entries_per_batch: u32,
    pub max_claim_rounds: u32,
    pub manufacturer_keys: Vec<Binary>,
}

fn nonzero(name: &str, value: u64) -> Result<(), ContractError> {
    if value == 0 {
        return Err(ContractError::ZeroParameter {
            name: name.to_string(),
        });
    }
    Ok(())
}

fn in_range(name: &str, value: u32, min: u32, max: u32) -> Result<(), ContractError> {
    if value < min || value > max {
        return Err(ContractError::ParameterOutOfRange {
            name: name.to_string(),
            value: u64::from(value),
            min: u64::from(min),
            max: u64::from(max),
        });
    }
    Ok(())
}

impl Config {
    /// Checks every parameter; `oracle_count` is the number of oracles after the change.
    pub fn validate(&self, oracle_count: u32) -> Result<(), ContractError> {
        nonzero("round_duration", self.round_duration)?;
        nonzero("attestation_window", self.attestation_window)?;
        nonzero("claim_window", self.claim_window)?;
        if self.quorum == 0 || self.quorum > oracle_count {
            return Err(ContractError::InvalidQuorum {
                quorum: self.quorum,
                oracles: oracle_count,
            });
        }
        if oracle_count > MAX_ORACLES {
            return Err(ContractError::TooManyOracles {
                count: oracle_count,
                max: MAX_ORACLES,
            });
        }
        in_range(
            "max_entries_per_batch",
            self.max_entries_per_batch,
            1,
            MAX_ENTRIES_LIMIT,
        )?;
        in_range(
            "max_claim_rounds",
            self.max_claim_rounds,
            1,
            MAX_CLAIM_ROUNDS_LIMIT,
        )?;
        if self.manufacturer_keys.is_empty() || self.manufacturer_keys.len() > MAX_MANUFACTURER_KEYS
        {
            return Err(ContractError::ManufacturerKeyCount {
                count: self.manufacturer_keys.len(),
                max: MAX_MANUFACTURER_KEYS,
            });
        }
        for key in &self.manufacturer_keys {
            if key.len() != 32 {
                return Err(ContractError::InvalidManufacturerKey { len: key.len() });
            }
        }
        // The end of the last representable round must not overflow for reasonable rounds.
        self.genesis_time
            .checked_add(self.round_duration)
            .and_then(|t| t.checked_add(self.attestation_window))
            .and_then(|t| t.checked_add(self.claim_window))
            .ok_or(ContractError::ParameterOutOfRange {
                name: "genesis_time + round_duration + windows".to_string(),
                value: self.genesis_time,
                min: 0,
                max: u64::MAX,
            })?;
        Ok(())
    }

    /// Start of `round` (inclusive).
    pub fn round_start(&self, round: u64) -> Result<u64, ContractError> {
        Ok(round
            .checked_mul(self.round_duration)
            .and_then(|o| o.checked_add(self.genesis_time))
            .ok_or(cosmwasm_std::OverflowError::new(
                cosmwasm_std::OverflowOperation::Mul,
            ))?)
    }

    /// End of `round` (exclusive).
    pub fn round_end(&self, round: u64) -> Result<u64, ContractError> {
        let next = round
            .checked_add(1)
            .ok_or(cosmwasm_std::OverflowError::new(
                cosmwasm_std::OverflowOperation::Add,
            ))?;
        self.round_start(next)
    }

    /// Last second + 1 at which attestations for `round` are accepted.
    pub fn attestation_deadline(&self, round: u64) -> Result<u64, ContractError> {
        Ok(self
            .round_end(round)?
            .checked_add(self.attestation_window)
            .ok_or(cosmwasm_std::OverflowError::new(
                cosmwasm_std::OverflowOperation::Add,
            ))?)
    }

    /// The round containing `time`, `None` before genesis.
    pub fn round_at(&self, time: u64) -> Option<u64> {
        time.checked_sub(self.genesis_time)
            .and_then(|elapsed| elapsed.checked_div(self.round_duration))
    }
}

/// Unlocked (available) and locked (owed) ECT.
#[cw_serde]
#[derive(Default)]
pub struct Funds {
    pub unlocked: Uint128,
    pub locked: Uint128,
}

/// A policy version and the first round it scores.
#[cw_serde]
pub struct PolicyRecord {
    pub policy: ScorePolicy,
    pub effective_from_round: u64,
}

/// A registered device.
#[cw_serde]
pub struct Device {
    pub owner: Addr,
    pub model: DeviceModel,
    pub serial: String,
    pub timezone: String,
    pub registered_at: u64,
}

/// Devices of an owner per model (M3 and the plausibility cap).
#[cw_serde]
#[derive(Default, Copy)]
pub struct DeviceCounts {
    pub cube_v1: u32,
    pub cube_v2: u32,
}

impl DeviceCounts {
    pub fn dual_product(&self) -> bool {
        self.cube_v1 > 0 && self.cube_v2 > 0
    }
    pub fn is_empty(&self) -> bool {
        self.cube_v1 == 0 && self.cube_v2 == 0
    }
}

/// Stored life-cycle state of a round with on-chain data.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum StoredStatus {
    Attesting,
    Finalized,
    Void,
    Swept,
}

/// A round with on-chain data.
#[cw_serde]
pub struct RoundState {
    pub status: StoredStatus,
    pub policy_version: u32,
    pub batch_count: Option<u32>,
    pub accepted_batches: u32,
    pub total_score: Uint128,
    pub scored_owners: u64,
    pub reward: Uint128,
    pub paid: Uint128,
    pub claimed_owners: u64,
    /// Σ (reward · S_i mod ΣS) over claimed owners; dust = remainder_acc / ΣS.
    pub remainder_acc: Uint256,
    pub swept: Uint128,
    pub finalized_at: Option<u64>,
    pub claim_deadline: Option<u64>,
}

impl RoundState {
    pub fn new(policy_version: u32) -> Self {
        RoundState {
            status: StoredStatus::Attesting,
            policy_version,
            batch_count: None,
            accepted_batches: 0,
            total_score: Uint128::zero(),
            scored_owners: 0,
            reward: Uint128::zero(),
            paid: Uint128::zero(),
            claimed_owners: 0,
            remainder_acc: Uint256::zero(),
            swept: Uint128::zero(),
            finalized_at: None,
            claim_deadline: None,
        }
    }
}

/// Data of a submitted batch, keyed by (round, hash).
#[cw_serde]
pub struct StoredBatch {
    pub batch_index: u32,
    pub batch_count: u32,
    pub policy_version: u32,
    pub entries: Vec<UsageEntry>,
}

/// An owner's score in a round.
#[cw_serde]
pub struct ScoreRecord {
    pub score: Uint128,
    pub buckets: UsageBuckets,
    pub dual_product: bool,
    pub claimed: bool,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const OWNER: Item<Addr> = Item::new("owner");
pub const PENDING_OWNER: Item<Addr> = Item::new("pending_owner");
pub const ORACLES: Map<&Addr, Empty> = Map::new("oracles");
pub const FUNDS: Item<Funds> = Item::new("funds");
/// Latest policy version.
pub const POLICY_VERSION: Item<u32> = Item::new("policy_version");
pub const POLICIES: Map<u32, PolicyRecord> = Map::new("policies");
/// First round → policy version in force from it.
pub const POLICY_SCHEDULE: Map<u64, u32> = Map::new("policy_schedule");
pub const BATTERY_WHITELIST: Map<&str, Empty> = Map::new("battery_whitelist");
pub const DEVICES: Map<&[u8], Device> = Map::new("devices");
pub const OWNER_DEVICES: Map<(&Addr, &[u8]), Empty> = Map::new("owner_devices");
pub const DEVICE_COUNTS: Map<&Addr, DeviceCounts> = Map::new("device_counts");
/// sha256 of possession signatures already used (replay protection).
pub const USED_POSSESSION: Map<&[u8], Empty> = Map::new("used_possession");
pub const ROUNDS: Map<u64, RoundState> = Map::new("rounds");
pub const BATCHES: Map<(u64, &[u8]), StoredBatch> = Map::new("batches");
/// (round, batch_index, oracle) → the hash the oracle voted for.
pub const VOTES: Map<(u64, u32, &Addr), HexBinary> = Map::new("votes");
/// (round, batch_index, hash) → number of votes.
pub const TALLIES: Map<(u64, u32, &[u8]), u32> = Map::new("tallies");
/// (round, batch_index) → accepted hash.
pub const ACCEPTED: Map<(u64, u32), HexBinary> = Map::new("accepted");
pub const SCORES: Map<(u64, &Addr), ScoreRecord> = Map::new("scores");
/// (owner, round) for every scored round not yet claimed (claim index).
pub const OWNER_ROUNDS: Map<(&Addr, u64), Empty> = Map::new("owner_rounds");
/// (round, score, owner): leaderboard index, read descending.
pub const LEADERBOARD: Map<(u64, u128, &Addr), Empty> = Map::new("leaderboard");
/// (claim_deadline, round) of finalized rounds with a reward, not yet swept.
pub const SWEEP_QUEUE: Map<(u64, u64), Empty> = Map::new("sweep_queue");

/// Number of oracles (bounded by `MAX_ORACLES` + the changes of one message).
pub fn oracle_count(storage: &dyn Storage) -> Result<u32, ContractError> {
    let bound = usize::try_from(MAX_ORACLES).unwrap_or(usize::MAX);
    let n = ORACLES
        .keys(storage, None, None, Order::Ascending)
        .take(bound.saturating_add(MAX_CHANGES).saturating_add(1))
        .count();
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// The policy version scoring `round`: the latest schedule entry at or before it.
pub fn policy_version_for_round(storage: &dyn Storage, round: u64) -> Result<u32, ContractError> {
    let found = POLICY_SCHEDULE
        .range(
            storage,
            None,
            Some(Bound::inclusive(round)),
            Order::Descending,
        )
        .next()
        .transpose()?;
    match found {
        Some((_, version)) => Ok(version),
        None => Ok(1),
    }
}

/// Page size from a requested limit.
pub fn page_limit(limit: Option<u32>) -> usize {
    usize::try_from(limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT)).unwrap_or(10)
}
