//! mining-round (ECT) messages and responses. Scores are in micro-points (1 Wh at a combined
//! multiplier of 1.0 = 1_000_000); multipliers in basis points (10_000 = 1.0); times in unix
//! seconds; rounds are numbered from 0 at `genesis_time`.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, HexBinary, Uint128};
use cw20::Cw20ReceiveMsg;

pub use cube_scoring::{
    BatteryClass, DeviceModel, RatedPower, ScorePolicy, TouClass, TouRange, UsageBuckets,
    UsageEntry,
};

/// Default round length: one day.
pub const DEFAULT_ROUND_DURATION: u64 = 86_400;
/// Default time after a round ends during which oracles may attest: three days.
pub const DEFAULT_ATTESTATION_WINDOW: u64 = 3 * 86_400;
/// Default time after finalization during which owners may claim: 90 days.
pub const DEFAULT_CLAIM_WINDOW: u64 = 90 * 86_400;
/// Default maximum number of entries in one `SubmitUsage`.
pub const DEFAULT_MAX_ENTRIES_PER_BATCH: u32 = 100;
/// Default maximum number of rounds paid by one `Claim`.
pub const DEFAULT_MAX_CLAIM_ROUNDS: u32 = 10;

/// Instantiation parameters. Every `Option` falls back to the documented default.
#[cw_serde]
pub struct InstantiateMsg {
    /// Contract owner (a multisig or DAO in production). Default: the instantiator.
    pub owner: Option<String>,
    /// The ECT CW20 contract; the only token accepted for funding and used for payouts.
    pub reward_token: String,
    /// ECT locked for each finalized round (RewardingAmount), capped by unlocked funds.
    pub round_reward: Uint128,
    /// Start of round 0 (unix seconds). Default: the block time of instantiation.
    pub genesis_time: Option<u64>,
    /// Round length in seconds, > 0. Default 86_400 (one day).
    pub round_duration: Option<u64>,
    /// Seconds after a round's end during which attestations are accepted, > 0.
    /// Default 259_200 (three days).
    pub attestation_window: Option<u64>,
    /// Seconds after finalization during which owners may claim, > 0. Default 7_776_000 (90 days).
    pub claim_window: Option<u64>,
    /// Oracle addresses (at most 20, no duplicates).
    pub oracles: Vec<String>,
    /// Distinct oracle votes needed to accept a batch; 1 <= quorum <= number of oracles.
    pub quorum: u32,
    /// Manufacturer ed25519 public keys (32 bytes each, at most 10); a device certificate
    /// signed by any of them is accepted.
    pub manufacturer_keys: Vec<Binary>,
    /// Battery ids (as reported over Bluetooth) that earn the whitelisted multiplier.
    pub battery_whitelist: Vec<String>,
    /// Initial score policy (version 1). Default: the seed's numbers.
    pub policy: Option<ScorePolicy>,
    /// Rated power per model for the plausibility cap. Default: CubeV1 2_000 W, CubeV2 3_000 W.
    pub rated_power: Option<RatedPower>,
    /// Maximum entries in one batch, 1..=500. Default 100.
    pub max_entries_per_batch: Option<u32>,
    /// Maximum rounds paid by one `Claim`, 1..=100. Default 10.
    pub max_claim_rounds: Option<u32>,
}

/// Actions.
#[cw_serde]
pub enum ExecuteMsg {
    /// CW20 hook: the ECT contract forwards a `Send`; the embedded message is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Registers (or moves to the sender) a Cube. Requires a manufacturer certificate over
    /// `cube_scoring::certificate_message(pubkey, model, serial)` and a device signature over
    /// `cube_scoring::possession_message(chain_id, contract, sender, pubkey)`.
    RegisterDevice {
        /// Device ed25519 public key, 32 bytes.
        pubkey: Binary,
        /// Hardware model.
        model: DeviceModel,
        /// Manufacturer serial number (1..=64 printable ASCII characters).
        serial: String,
        /// IANA time zone of the device, e.g. `Europe/Berlin` (1..=64 of `A-Za-z0-9/_+-`).
        timezone: String,
        /// Manufacturer ed25519 signature (64 bytes) over the certificate message.
        certificate: Binary,
        /// Device ed25519 signature (64 bytes) over the possession message.
        possession_signature: Binary,
    },
    /// Removes one of the sender's devices.
    DeregisterDevice {
        /// Device public key.
        pubkey: Binary,
    },
    /// Oracle only: submits a batch of a finished round and votes for its hash.
    SubmitUsage {
        /// Round number.
        round: u64,
        /// Index of this batch, 0..batch_count.
        batch_index: u32,
        /// Number of batches of the round.
        batch_count: u32,
        /// Policy version in force at the round's start.
        policy_version: u32,
        /// Usage per owner, sorted by owner strictly ascending.
        entries: Vec<UsageEntry>,
    },
    /// Oracle only: votes for a batch already submitted by another oracle, by hash.
    VoteBatch {
        /// Round number.
        round: u64,
        /// Index of the batch.
        batch_index: u32,
        /// Number of batches of the round.
        batch_count: u32,
        /// Policy version in force at the round's start.
        policy_version: u32,
        /// `cube_scoring::batch_hash` of the batch.
        batch_hash: HexBinary,
    },
    /// Anyone: marks a round that was not finalized within its attestation window as void.
    /// Its reward is never locked.
    CloseVoidRound {
        /// Round number.
        round: u64,
    },
    /// Pays the sender's reward for finalized, unclaimed rounds (at most `max_claim_rounds`).
    /// `None`: the sender's oldest claimable rounds.
    Claim {
        /// Explicit rounds to claim.
        rounds: Option<Vec<u64>>,
    },
    /// Anyone: returns unclaimed rewards and dust of rounds past their claim deadline to the
    /// unlocked funds. At most `limit` rounds (default 10, max 50).
    SweepExpired {
        /// Maximum number of rounds to sweep.
        limit: Option<u32>,
    },
    /// Owner: new score policy version, in force from the next round.
    UpdatePolicy {
        /// The new policy.
        policy: ScorePolicy,
    },
    /// Owner: adds and removes oracles; quorum must stay <= number of oracles.
    UpdateOracles {
        /// Oracles to add.
        add: Vec<String>,
        /// Oracles to remove.
        remove: Vec<String>,
    },
    /// Owner: changes parameters; `None` keeps the current value.
    UpdateConfig {
        /// New round reward.
        round_reward: Option<Uint128>,
        /// New attestation window (applies to rounds not yet finalized).
        attestation_window: Option<u64>,
        /// New claim window (applies to rounds finalized afterwards).
        claim_window: Option<u64>,
        /// New quorum.
        quorum: Option<u32>,
        /// New rated power.
        rated_power: Option<RatedPower>,
        /// New maximum entries per batch.
        max_entries_per_batch: Option<u32>,
        /// New maximum rounds per claim.
        max_claim_rounds: Option<u32>,
    },
    /// Owner: adds and removes battery ids of the whitelist (at most 100 changes per call).
    UpdateBatteryWhitelist {
        /// Battery ids to add.
        add: Vec<String>,
        /// Battery ids to remove.
        remove: Vec<String>,
    },
    /// Owner: adds and removes manufacturer keys.
    UpdateManufacturerKeys {
        /// Keys to add (32 bytes each).
        add: Vec<Binary>,
        /// Keys to remove.
        remove: Vec<Binary>,
    },
    /// Owner: proposes a new owner, who must accept.
    TransferOwnership {
        /// Proposed owner.
        new_owner: String,
    },
    /// Pending owner: accepts the ownership.
    AcceptOwnership {},
}

/// Message embedded in the CW20 `Send` of the ECT.
#[cw_serde]
pub enum ReceiveMsg {
    /// Adds the sent ECT to the unlocked funds.
    Fund {},
}

/// Migration message.
#[cw_serde]
pub struct MigrateMsg {}

/// Queries.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Parameters, owner and manufacturer keys.
    #[returns(ConfigResponse)]
    Config {},
    /// A policy version (default: the current one).
    #[returns(PolicyResponse)]
    Policy {
        /// Version number.
        version: Option<u32>,
    },
    /// Oracles and quorum.
    #[returns(OraclesResponse)]
    Oracles {},
    /// One round in full: status, votes per hash, accepted batches, scores and money.
    #[returns(RoundResponse)]
    Round {
        /// Round number.
        round: u64,
    },
    /// Rounds that have on-chain state (attested, finalized or void), ascending.
    #[returns(RoundsResponse)]
    Rounds {
        /// Exclusive lower bound.
        start_after: Option<u64>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// The round in progress at the block time.
    #[returns(CurrentRoundResponse)]
    CurrentRound {},
    /// An owner's score in a round with the multipliers that produced it.
    #[returns(ScoreResponse)]
    Score {
        /// Round number.
        round: u64,
        /// Owner address.
        owner: String,
    },
    /// What the owner could claim now (oldest rounds first, at most 100 rounds examined).
    #[returns(ClaimableResponse)]
    Claimable {
        /// Owner address.
        owner: String,
    },
    /// Owners of a round by descending score.
    #[returns(LeaderboardResponse)]
    Leaderboard {
        /// Round number.
        round: u64,
        /// Continue after this owner (the last one of the previous page).
        start_after: Option<String>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// One device.
    #[returns(DeviceResponse)]
    Device {
        /// Device public key.
        pubkey: Binary,
    },
    /// All devices by public key.
    #[returns(DevicesResponse)]
    Devices {
        /// Exclusive lower bound (public key).
        start_after: Option<Binary>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// One owner's devices and product mix.
    #[returns(OwnerDevicesResponse)]
    DevicesByOwner {
        /// Owner address.
        owner: String,
        /// Exclusive lower bound (public key).
        start_after: Option<Binary>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// Whitelisted battery ids, ascending.
    #[returns(BatteryWhitelistResponse)]
    BatteryWhitelist {
        /// Exclusive lower bound.
        start_after: Option<String>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// ECT held: unlocked (available for future rounds) and locked (owed to scored owners).
    #[returns(FundsResponse)]
    Funds {},
}

/// Parameters.
#[cw_serde]
pub struct ConfigResponse {
    /// Current owner.
    pub owner: String,
    /// Proposed owner awaiting acceptance.
    pub pending_owner: Option<String>,
    /// ECT CW20 contract.
    pub reward_token: String,
    /// ECT per finalized round.
    pub round_reward: Uint128,
    /// Start of round 0.
    pub genesis_time: u64,
    /// Round length in seconds.
    pub round_duration: u64,
    /// Attestation window in seconds.
    pub attestation_window: u64,
    /// Claim window in seconds.
    pub claim_window: u64,
    /// Votes needed to accept a batch.
    pub quorum: u32,
    /// Latest policy version.
    pub policy_version: u32,
    /// Rated power per model.
    pub rated_power: RatedPower,
    /// Maximum entries per batch.
    pub max_entries_per_batch: u32,
    /// Maximum rounds per claim.
    pub max_claim_rounds: u32,
    /// Manufacturer public keys.
    pub manufacturer_keys: Vec<Binary>,
}

/// A policy version.
#[cw_serde]
pub struct PolicyResponse {
    /// Version number (1 = instantiation policy).
    pub version: u32,
    /// First round scored with this version.
    pub effective_from_round: u64,
    /// The policy.
    pub policy: ScorePolicy,
}

/// Oracles.
#[cw_serde]
pub struct OraclesResponse {
    /// Oracle addresses, ascending.
    pub oracles: Vec<String>,
    /// Votes needed to accept a batch.
    pub quorum: u32,
}

/// Life cycle of a round.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum RoundStatus {
    /// Before its start.
    Upcoming,
    /// In progress: usage is being recorded.
    InProgress,
    /// Ended, attestations accepted until `attestation_deadline`.
    Attesting,
    /// Attestation window over without finalization: `CloseVoidRound` may be called.
    AttestationExpired,
    /// All batches accepted; reward locked and claimable until `claim_deadline`.
    Finalized,
    /// Closed without finalization; no reward.
    Void,
    /// Claim window over and unclaimed rewards returned to the unlocked funds.
    Swept,
}

/// Votes for one hash of one batch.
#[cw_serde]
pub struct VoteTally {
    /// Batch index.
    pub batch_index: u32,
    /// Voted hash.
    pub batch_hash: HexBinary,
    /// Number of distinct oracles that voted for it.
    pub votes: u32,
    /// Whether this hash was accepted.
    pub accepted: bool,
}

/// Summary of a round.
#[cw_serde]
pub struct RoundSummary {
    /// Round number.
    pub round: u64,
    /// Status at the block time.
    pub status: RoundStatus,
    /// Start (inclusive).
    pub start: u64,
    /// End (exclusive).
    pub end: u64,
    /// Last second + 1 for attestations.
    pub attestation_deadline: u64,
    /// Policy version used to score this round.
    pub policy_version: u32,
    /// Batch count fixed by the first accepted batch.
    pub batch_count: Option<u32>,
    /// Number of accepted batches.
    pub accepted_batches: u32,
    /// Σ of the scores (micro-points).
    pub total_score: Uint128,
    /// Number of owners scored.
    pub scored_owners: u64,
    /// ECT locked at finalization.
    pub reward: Uint128,
    /// ECT paid out so far.
    pub paid: Uint128,
    /// Owners that claimed.
    pub claimed_owners: u64,
    /// Rounding dust realized by the claims so far, exact once every owner claimed:
    /// Σ (reward · S_i mod ΣS) / ΣS.
    pub dust: Uint128,
    /// ECT returned to unlocked funds by `SweepExpired` (unclaimed + dust).
    pub swept: Uint128,
    /// Finalization time.
    pub finalized_at: Option<u64>,
    /// Claims accepted until (exclusive).
    pub claim_deadline: Option<u64>,
}

/// One round in full.
#[cw_serde]
pub struct RoundResponse {
    /// Summary.
    pub summary: RoundSummary,
    /// Accepted batch hashes by index.
    pub accepted: Vec<AcceptedBatch>,
    /// Vote tallies per (batch index, hash), at most 100.
    pub votes: Vec<VoteTally>,
}

/// An accepted batch.
#[cw_serde]
pub struct AcceptedBatch {
    /// Batch index.
    pub batch_index: u32,
    /// Accepted hash.
    pub batch_hash: HexBinary,
}

/// Rounds page.
#[cw_serde]
pub struct RoundsResponse {
    /// Rounds ascending.
    pub rounds: Vec<RoundSummary>,
}

/// Round at the block time.
#[cw_serde]
pub struct CurrentRoundResponse {
    /// Block time.
    pub now: u64,
    /// Current round, `None` before genesis.
    pub round: Option<u64>,
    /// Its start.
    pub start: Option<u64>,
    /// Its end.
    pub end: Option<u64>,
    /// Policy version that will score it.
    pub policy_version: u32,
}

/// An owner's score in a round.
#[cw_serde]
pub struct ScoreResponse {
    /// Round number.
    pub round: u64,
    /// Owner.
    pub owner: String,
    /// Score in micro-points.
    pub score: Uint128,
    /// Attested usage.
    pub buckets: UsageBuckets,
    /// Policy version used.
    pub policy_version: u32,
    /// M1 whitelisted (bp).
    pub whitelisted_bp: u32,
    /// M1 standard (bp).
    pub standard_bp: u32,
    /// M2 valley (bp).
    pub valley_bp: u32,
    /// M2 off-peak (bp).
    pub off_peak_bp: u32,
    /// M2 peak (bp).
    pub peak_bp: u32,
    /// Whether the owner held both models when the batch was accepted.
    pub dual_product: bool,
    /// M3 applied (bp).
    pub product_mix_bp: u32,
    /// Reward for this score if the round is finalized.
    pub reward: Option<Uint128>,
    /// Whether it was claimed.
    pub claimed: bool,
}

/// Claimable rewards.
#[cw_serde]
pub struct ClaimableResponse {
    /// Owner.
    pub owner: String,
    /// Claimable rounds, oldest first.
    pub rounds: Vec<ClaimableRound>,
    /// Σ amounts.
    pub total: Uint128,
}

/// One claimable round.
#[cw_serde]
pub struct ClaimableRound {
    /// Round number.
    pub round: u64,
    /// ECT payable.
    pub amount: Uint128,
}

/// Leaderboard page.
#[cw_serde]
pub struct LeaderboardResponse {
    /// Round number.
    pub round: u64,
    /// Owners by descending score (ties by descending address).
    pub entries: Vec<LeaderboardEntry>,
}

/// Leaderboard row.
#[cw_serde]
pub struct LeaderboardEntry {
    /// Owner.
    pub owner: String,
    /// Score in micro-points.
    pub score: Uint128,
}

/// A registered device.
#[cw_serde]
pub struct DeviceResponse {
    /// Device public key.
    pub pubkey: Binary,
    /// Owner.
    pub owner: String,
    /// Model.
    pub model: DeviceModel,
    /// Serial number.
    pub serial: String,
    /// IANA time zone.
    pub timezone: String,
    /// Registration time (unix seconds).
    pub registered_at: u64,
}

/// Devices page.
#[cw_serde]
pub struct DevicesResponse {
    /// Devices by public key.
    pub devices: Vec<DeviceResponse>,
}

/// One owner's devices.
#[cw_serde]
pub struct OwnerDevicesResponse {
    /// Owner.
    pub owner: String,
    /// Number of CubeV1 registered.
    pub cube_v1: u32,
    /// Number of CubeV2 registered.
    pub cube_v2: u32,
    /// Both models held (M3 = dual).
    pub dual_product: bool,
    /// Devices page by public key.
    pub devices: Vec<DeviceResponse>,
}

/// Battery whitelist page.
#[cw_serde]
pub struct BatteryWhitelistResponse {
    /// Battery ids.
    pub batteries: Vec<String>,
}

/// Funds.
#[cw_serde]
pub struct FundsResponse {
    /// ECT available for future rounds.
    pub unlocked: Uint128,
    /// ECT locked for finalized rounds, not yet paid or swept.
    pub locked: Uint128,
}
