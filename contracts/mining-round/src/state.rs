//! Storage layout and the reads of per-round histories. Validation: `validate.rs`; the round
//! clock: `clock.rs`; owner and pending owner: `contract_common::ownership`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    Addr, Binary, Empty, HexBinary, Order, StdError, StdResult, Storage, Uint128, Uint256,
};
use cube_scoring::{DeviceModel, RatedPower, ScorePolicy, UsageBuckets, UsageEntry};
use cube_types::mining_round::{
    AttestationMode, DEFAULT_CHALLENGE_WINDOW, DEFAULT_DISPUTE_BOND_BPS,
};
use cw_storage_plus::{Bound, Item, Map, Prefix};
use serde::{de::DeserializeOwned, Serialize};

use crate::ContractError;

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
/// `Claim {}` examines at most this many × `max_claim_rounds` entries of the owner's index.
pub const CLAIM_SCAN_FACTOR: u32 = 4;
/// Upper bound on voter entries read for one batch (each oracle that ever voted on the batch
/// has exactly one entry, so this bound is never reached in practice).
pub const MAX_VOTERS_READ: usize = 1_000;
/// Default and maximum `SweepExpired` limit.
pub const DEFAULT_SWEEP_LIMIT: u32 = 10;
pub const MAX_SWEEP_LIMIT: u32 = 50;
/// Longest round: one year.
pub const MAX_ROUND_DURATION: u64 = 366 * 86_400;
/// Longest claim window: ten years.
pub const MAX_CLAIM_WINDOW: u64 = 3_660 * 86_400;
/// The attestation window spans at most this many rounds, so at most this many + 1 ended
/// rounds are still attesting at any time (the reserve of unfinalized rewards reads them).
pub const MAX_ATTESTATION_ROUNDS: u64 = 100;
/// Latest genesis time accepted: the last second of year 9999.
pub const MAX_GENESIS_TIME: u64 = 253_402_300_799;
/// Rounds whose end plus the longest attestation and claim windows would pass `u64::MAX` are
/// out of the contract's range (`RoundOutOfRange`): no deadline of a round in range overflows.
pub const LAST_ROUND_END: u64 =
    u64::MAX - MAX_CLAIM_WINDOW - MAX_ATTESTATION_ROUNDS * MAX_ROUND_DURATION;

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
    /// Fixed at instantiation; configurations stored before the mode existed read as direct.
    #[serde(default)]
    pub attestation_mode: AttestationMode,
    /// Merkle mode: seconds an accepted root stays pending (0: final at acceptance).
    #[serde(default = "default_challenge_window")]
    pub challenge_window: u64,
    /// Merkle mode: a non-oracle's dispute bond, basis points of the disputed round's reward.
    #[serde(default = "default_dispute_bond_bps")]
    pub dispute_bond_bps: u32,
}

fn default_challenge_window() -> u64 {
    DEFAULT_CHALLENGE_WINDOW
}

fn default_dispute_bond_bps() -> u32 {
    DEFAULT_DISPUTE_BOND_BPS
}

/// The rules pinned per round (changed by `UpdateConfig` from the next round on). The reward
/// and the windows were added later: an entry written before has `None` there and falls back
/// to the configuration (see [`RoundRules::resolve`]).
#[cw_serde]
pub struct RoundRules {
    pub rated_power: RatedPower,
    pub max_entries_per_batch: u32,
    #[serde(default)]
    pub round_reward: Option<Uint128>,
    #[serde(default)]
    pub attestation_window: Option<u64>,
    #[serde(default)]
    pub claim_window: Option<u64>,
}

impl RoundRules {
    /// The rules `config` sets for rounds from now on.
    pub fn of(config: &Config) -> Self {
        RoundRules {
            rated_power: config.rated_power,
            max_entries_per_batch: config.max_entries_per_batch,
            round_reward: Some(config.round_reward),
            attestation_window: Some(config.attestation_window),
            claim_window: Some(config.claim_window),
        }
    }

    /// Every field set: an entry written before the reward and windows were pinned takes
    /// them from `config`.
    pub fn resolve(self, config: &Config) -> Self {
        RoundRules {
            round_reward: self.round_reward.or(Some(config.round_reward)),
            attestation_window: self.attestation_window.or(Some(config.attestation_window)),
            claim_window: self.claim_window.or(Some(config.claim_window)),
            ..self
        }
    }

    /// The round's reward (after [`RoundRules::resolve`]).
    pub fn reward(&self) -> Uint128 {
        self.round_reward.unwrap_or_default()
    }

    /// The round's attestation window, seconds (after [`RoundRules::resolve`]).
    pub fn attestation(&self) -> u64 {
        self.attestation_window.unwrap_or_default()
    }

    /// The round's claim window, seconds (after [`RoundRules::resolve`]).
    pub fn claim(&self) -> u64 {
        self.claim_window.unwrap_or_default()
    }
}

/// Time spent paused. Claim deadlines are kept on a clock that stands still while the
/// contract is paused (`claim_clock`), so a pause extends every running claim window by its
/// length.
#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct PauseClock {
    /// Start of the current pause, if paused.
    pub since: Option<u64>,
    /// Seconds spent paused in earlier, finished pauses.
    pub total: u64,
}

impl PauseClock {
    /// Seconds spent paused up to `now`, the current pause included.
    pub fn paused_until(&self, now: u64) -> u64 {
        let current = self.since.map_or(0, |s| now.saturating_sub(s));
        self.total.saturating_add(current)
    }

    /// The claim clock at `now`: wall time minus the time spent paused.
    pub fn claim_clock(&self, now: u64) -> u64 {
        now.saturating_sub(self.paused_until(now))
    }
}

/// Unlocked (available) and locked (owed) ECT.
#[cw_serde]
#[derive(Default)]
pub struct Funds {
    pub unlocked: Uint128,
    pub locked: Uint128,
    /// Merkle mode: dispute bonds held until their disputes are resolved.
    #[serde(default)]
    pub bonded: Uint128,
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
    /// First round scored with this registration.
    #[serde(default)]
    pub effective_from_round: u64,
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
    /// Number of batch indexes with at least one vote.
    #[serde(default)]
    pub batches_with_votes: u32,
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
            batches_with_votes: 0,
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
pub const ORACLES: Map<&Addr, Empty> = Map::new("oracles");
pub const FUNDS: Item<Funds> = Item::new("funds");
/// Latest policy version.
pub const POLICY_VERSION: Item<u32> = Item::new("policy_version");
pub const POLICIES: Map<u32, PolicyRecord> = Map::new("policies");
/// First round → policy version in force from it.
pub const POLICY_SCHEDULE: Map<u64, u32> = Map::new("policy_schedule");
/// Latest whitelist (including changes pending for the next round).
pub const BATTERY_WHITELIST: Map<&str, Empty> = Map::new("battery_whitelist");
/// (battery id, first round) → listed from that round on. Every id ever listed has an entry.
pub const WHITELIST_HISTORY: Map<(&str, u64), bool> = Map::new("whitelist_history");
/// Battery ids ever listed (pagination of the whitelist as of a round).
pub const KNOWN_BATTERIES: Map<&str, Empty> = Map::new("known_batteries");
/// First round → rated power and batch size limit in force from it.
pub const RULES: Map<u64, RoundRules> = Map::new("rules");
/// Latest registry (including changes pending for the next round).
pub const DEVICES: Map<&[u8], Device> = Map::new("devices");
pub const OWNER_DEVICES: Map<(&Addr, &[u8]), Empty> = Map::new("owner_devices");
/// (pubkey, first round) → the registration in force from that round on (`None`: none).
pub const DEVICE_HISTORY: Map<(&[u8], u64), Option<Device>> = Map::new("device_history");
/// (owner, first round) → the owner's device counts from that round on.
pub const COUNTS_HISTORY: Map<(&Addr, u64), DeviceCounts> = Map::new("counts_history");
/// Owners that ever held a device (pagination of owners as of a round).
pub const KNOWN_OWNERS: Map<&Addr, Empty> = Map::new("known_owners");
/// pubkey → registration nonce (number of successful registrations; every device ever
/// registered has an entry, which also paginates devices as of a round).
pub const NONCES: Map<&[u8], u64> = Map::new("nonces");
/// pubkey → registration challenge the device's next possession signature must sign
/// (`cube_scoring::possession_message`), replaced on every successful registration by
/// `cube_scoring::next_registration_challenge`. A device never registered (or last registered
/// by a contract version without challenges) has no entry and the challenge
/// `cube_scoring::INITIAL_REGISTRATION_CHALLENGE` (32 zero bytes).
pub const CHALLENGES: Map<&[u8], [u8; 32]> = Map::new("challenges");
pub const ROUNDS: Map<u64, RoundState> = Map::new("rounds");
pub const BATCHES: Map<(u64, &[u8]), StoredBatch> = Map::new("batches");
/// (round, batch_index, oracle) → the hash the oracle currently votes for.
pub const VOTES: Map<(u64, u32, &Addr), HexBinary> = Map::new("votes");
/// (round, batch_index, hash[32] ‖ oracle address): voters by hash (the current vote of every
/// oracle that voted on the batch, also of removed oracles). See [`voter_key`].
pub const VOTERS: Map<(u64, u32, &[u8]), Empty> = Map::new("voters");

/// Last key component of [`VOTERS`]: the 32-byte hash followed by the oracle address.
pub fn voter_key(hash: &[u8], oracle: &Addr) -> Vec<u8> {
    let mut key = Vec::with_capacity(hash.len().saturating_add(oracle.as_str().len()));
    key.extend_from_slice(hash);
    key.extend_from_slice(oracle.as_str().as_bytes());
    key
}
/// (round, batch_index, hash) of every batch data submitted (conflicting hashes stay as
/// evidence even when nobody votes for them any more).
pub const BATCH_HASHES: Map<(u64, u32, &[u8]), Empty> = Map::new("batch_hashes");
/// (round, batch_index) of every batch with at least one vote.
pub const VOTED_BATCHES: Map<(u64, u32), Empty> = Map::new("voted_batches");
/// Whether attestations and claims are paused.
pub const PAUSED: Item<bool> = Item::new("paused");
/// Time spent paused (absent: never paused).
pub const PAUSE_CLOCK: Item<PauseClock> = Item::new("pause_clock");
/// Guardian: may pause.
pub const GUARDIAN: Item<Addr> = Item::new("guardian");
/// (round, batch_index) → accepted hash.
pub const ACCEPTED: Map<(u64, u32), HexBinary> = Map::new("accepted");
pub const SCORES: Map<(u64, &Addr), ScoreRecord> = Map::new("scores");
/// (owner, round) for every scored round not yet claimed (claim index).
pub const OWNER_ROUNDS: Map<(&Addr, u64), Empty> = Map::new("owner_rounds");
/// (round, score, owner): leaderboard index, read descending.
pub const LEADERBOARD: Map<(u64, u128, &Addr), Empty> = Map::new("leaderboard");
/// (claim_deadline, round) of finalized rounds with a reward, not yet swept. Deadlines are on
/// the claim clock ([`PauseClock::claim_clock`]).
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

/// The entry of a history keyed by first round that is in force in `round`: the latest one
/// at or before it (one bounded reverse read).
fn latest_at_or_before<T: Serialize + DeserializeOwned>(
    history: Prefix<u64, T, u64>,
    storage: &dyn Storage,
    round: u64,
) -> StdResult<Option<(u64, T)>> {
    history
        .range(
            storage,
            None,
            Some(Bound::inclusive(round)),
            Order::Descending,
        )
        .next()
        .transpose()
}

/// The policy version scoring `round` (version 1 before any schedule entry).
pub fn policy_version_for_round(storage: &dyn Storage, round: u64) -> Result<u32, ContractError> {
    let found = latest_at_or_before(POLICY_SCHEDULE.prefix(()), storage, round)?;
    Ok(found.map_or(1, |(_, version)| version))
}

/// The rules of `round` as stored (instantiation writes round 0's, so every round has rules).
pub fn stored_rules(storage: &dyn Storage, round: u64) -> Result<RoundRules, ContractError> {
    let found = latest_at_or_before(RULES.prefix(()), storage, round)?;
    found
        .map(|(_, rules)| rules)
        .ok_or_else(|| StdError::not_found("rules of round").into())
}

/// The rules of `round`, every field set ([`RoundRules::resolve`]).
pub fn rules_for_round(
    storage: &dyn Storage,
    config: &Config,
    round: u64,
) -> Result<RoundRules, ContractError> {
    Ok(stored_rules(storage, round)?.resolve(config))
}

/// Time spent paused so far.
pub fn pause_clock(storage: &dyn Storage) -> Result<PauseClock, ContractError> {
    Ok(PAUSE_CLOCK.may_load(storage)?.unwrap_or_default())
}

/// The registration of `pubkey` in force in `round` and its first round, if registered.
pub fn device_as_of(
    storage: &dyn Storage,
    pubkey: &[u8],
    round: u64,
) -> Result<Option<(u64, Device)>, ContractError> {
    let found = latest_at_or_before(DEVICE_HISTORY.prefix(pubkey), storage, round)?;
    Ok(found.and_then(|(from, d)| d.map(|d| (from, d))))
}

/// An owner's device counts in `round` (`u64::MAX`: the latest, including pending changes).
pub fn counts_as_of(
    storage: &dyn Storage,
    owner: &Addr,
    round: u64,
) -> Result<DeviceCounts, ContractError> {
    let found = latest_at_or_before(COUNTS_HISTORY.prefix(owner), storage, round)?;
    Ok(found.map(|(_, c)| c).unwrap_or_default())
}

/// Whether battery `id` is whitelisted in `round`.
pub fn whitelisted_as_of(
    storage: &dyn Storage,
    id: &str,
    round: u64,
) -> Result<bool, ContractError> {
    let found = latest_at_or_before(WHITELIST_HISTORY.prefix(id), storage, round)?;
    Ok(found.is_some_and(|(_, listed)| listed))
}

/// Sets the whitelist state of `id` from round `from` on (latest set and history).
pub fn set_whitelisted(
    storage: &mut dyn Storage,
    id: &str,
    from: u64,
    listed: bool,
) -> Result<(), ContractError> {
    if listed {
        BATTERY_WHITELIST.save(storage, id, &Empty {})?;
    } else {
        BATTERY_WHITELIST.remove(storage, id);
    }
    if !KNOWN_BATTERIES.has(storage, id) {
        if !listed {
            // Never listed: nothing to record.
            return Ok(());
        }
        KNOWN_BATTERIES.save(storage, id, &Empty {})?;
    }
    WHITELIST_HISTORY.save(storage, (id, from), &listed)?;
    Ok(())
}

/// Whether the contract is paused.
pub fn ensure_not_paused(storage: &dyn Storage) -> Result<(), ContractError> {
    if PAUSED.may_load(storage)?.unwrap_or(false) {
        return Err(ContractError::Paused {});
    }
    Ok(())
}
