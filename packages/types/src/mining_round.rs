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
/// Merkle mode: default time an accepted root stays pending (disputable) before claims may use
/// it: six hours.
pub const DEFAULT_CHALLENGE_WINDOW: u64 = 6 * 3_600;
/// Merkle mode: longest challenge window, 30 days.
pub const MAX_CHALLENGE_WINDOW: u64 = 30 * 86_400;
/// Merkle mode: default bond of a dispute by a non-oracle, in basis points of the disputed
/// root's round reward (1 %).
pub const DEFAULT_DISPUTE_BOND_BPS: u32 = 100;
/// Merkle mode: largest dispute bond, basis points of the round reward (100 %).
pub const MAX_DISPUTE_BOND_BPS: u32 = 10_000;
/// Most entries in one `ClaimMany`.
pub const MAX_CLAIM_MANY: u32 = 100;
/// Longest reason of a dispute, bytes.
pub const MAX_DISPUTE_REASON: usize = 280;
/// Default page size of `Disputes`.
pub const DEFAULT_DISPUTES_LIMIT: u32 = 10;
/// Largest page size of `Disputes`.
pub const MAX_DISPUTES_LIMIT: u32 = 30;

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
    /// Initial score policy (version 1). Default: the multipliers and time-of-use table of
    /// docs/spec.md §2.4.
    pub policy: Option<ScorePolicy>,
    /// Rated power per model for the plausibility cap. Default: CubeV1 2_000 W, CubeV2 3_000 W.
    pub rated_power: Option<RatedPower>,
    /// Maximum entries in one batch, 1..=500. Default 100.
    pub max_entries_per_batch: Option<u32>,
    /// Maximum rounds paid by one `Claim`, 1..=100. Default 10.
    pub max_claim_rounds: Option<u32>,
    /// Guardian: may `Pause` (never unpause, never touch funds). Default: none.
    pub guardian: Option<String>,
    /// How oracles attest rounds, fixed for the contract's life. Default (`None`): `direct`.
    #[serde(default)]
    pub attestation_mode: Option<AttestationMode>,
    /// Merkle mode: seconds an accepted root stays pending, open to disputes, before claims
    /// may use it; 0 finalizes a root when it is accepted. At most 2_592_000 (30 days).
    /// Default 21_600 (six hours).
    #[serde(default)]
    pub challenge_window: Option<u64>,
    /// Merkle mode: the bond of a dispute by a non-oracle, in basis points of the disputed
    /// root's round reward (at least 1 base unit), 0..=10_000. Default 100 (1 %).
    #[serde(default)]
    pub dispute_bond_bps: Option<u32>,
}

/// How oracles attest rounds; chosen at instantiation, never changed.
#[cw_serde]
#[derive(Copy, Default, Eq)]
pub enum AttestationMode {
    /// Oracles submit and vote per-owner usage batches; the contract scores every owner and
    /// pays each round pro rata (`SubmitUsage`, `VoteBatch`, `AcceptBatch`, `Claim`).
    #[default]
    Direct,
    /// Oracles vote one Merkle-sum root per round committing to every owner's cumulative
    /// entitlement; owners claim with a proof (`AttestRoot`, `AcceptRoot`, `ClaimCumulative`).
    Merkle,
}

impl AttestationMode {
    /// The JSON name: `direct` or `merkle`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AttestationMode::Direct => "direct",
            AttestationMode::Merkle => "merkle",
        }
    }
}

/// Longest oracle endpoint URL, bytes.
pub const MAX_ENDPOINT_LEN: usize = 256;
/// Default page size of `MerkleRoots`.
pub const DEFAULT_ROOTS_LIMIT: u32 = 10;
/// Largest page size of `MerkleRoots`.
pub const MAX_ROOTS_LIMIT: u32 = 100;

/// An oracle's public HTTP endpoint, where it serves Merkle proofs and leaves files.
#[cw_serde]
pub struct OracleEndpoint {
    /// Oracle address (a current oracle).
    pub oracle: String,
    /// Base URL: `https://` or `http://`, a non-empty host, at most [`MAX_ENDPOINT_LEN`]
    /// bytes, no whitespace or control characters.
    pub url: String,
}

/// One batch of a round's usage as oracles attest it: the fields `SubmitUsage` and `VoteBatch`
/// share. The contract, the chain client and the relayer all identify a batch with it; the
/// messages keep their flat JSON fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchId {
    /// Round.
    pub round: u64,
    /// Index of the batch, `0..batch_count`.
    pub batch_index: u32,
    /// Number of batches of the round.
    pub batch_count: u32,
    /// Scoring policy version the batch was computed with.
    pub policy_version: u32,
}

impl BatchId {
    /// The batch `batch_index` of `batch_count` of `round`, scored with `policy_version`.
    pub const fn new(round: u64, batch_index: u32, batch_count: u32, policy_version: u32) -> Self {
        BatchId {
            round,
            batch_index,
            batch_count,
            policy_version,
        }
    }

    /// `SubmitUsage` of this batch with its entries (the data; counts as the sender's vote).
    pub fn submit_usage(self, entries: Vec<UsageEntry>) -> ExecuteMsg {
        ExecuteMsg::SubmitUsage {
            round: self.round,
            batch_index: self.batch_index,
            batch_count: self.batch_count,
            policy_version: self.policy_version,
            entries,
        }
    }

    /// `VoteBatch` for this batch with hash `batch_hash`.
    pub fn vote(self, batch_hash: &[u8]) -> ExecuteMsg {
        ExecuteMsg::VoteBatch {
            round: self.round,
            batch_index: self.batch_index,
            batch_count: self.batch_count,
            policy_version: self.policy_version,
            batch_hash: HexBinary::from(batch_hash),
        }
    }

    /// `AcceptBatch` of this batch's `batch_hash` (its tally already meets quorum).
    pub fn accept(self, batch_hash: &[u8]) -> ExecuteMsg {
        accept_batch_msg(self.round, self.batch_index, batch_hash)
    }
}

/// `AcceptBatch { round, batch_index, batch_hash }`: the one builder of the message (an accept
/// names no batch count or policy version, so it needs no [`BatchId`]).
pub fn accept_batch_msg(round: u64, batch_index: u32, batch_hash: &[u8]) -> ExecuteMsg {
    ExecuteMsg::AcceptBatch {
        round,
        batch_index,
        batch_hash: HexBinary::from(batch_hash),
    }
}

/// Actions.
#[cw_serde]
pub enum ExecuteMsg {
    /// CW20 hook: the ECT contract forwards a `Send`; the embedded message is a [`ReceiveMsg`].
    Receive(Cw20ReceiveMsg),
    /// Registers (re-registers, or moves to the sender) a Cube. Requires a manufacturer
    /// certificate over `cube_scoring::certificate_message(pubkey, model, serial)` and a device
    /// signature over `cube_scoring::possession_message(chain_id, contract, sender, pubkey,
    /// challenge)`, where `challenge` is the device's current 32-byte registration challenge
    /// (query `RegistrationNonce`; 32 zero bytes for a device never registered). Success
    /// increments the nonce and replaces the challenge by
    /// `cube_scoring::next_registration_challenge`, which binds the previous challenge, the new
    /// owner and the height, nanosecond time and transaction index of the registering block: a
    /// signature works once, and no signature for the next registration can be made (by a
    /// seller holding the device before a sale, say) until this one is on chain. The change
    /// takes effect from the round after the current one (round 0 before genesis): the current
    /// round is still scored with the previous registration.
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
    /// Removes one of the sender's devices, from the round after the current one (round 0 before
    /// genesis); the current round still counts it for the sender.
    DeregisterDevice {
        /// Device public key.
        pubkey: Binary,
    },
    /// Oracle only: submits a batch of a finished round and votes for its hash. The entries are
    /// checked against the round's own registry view (owner device counts and rated power as of
    /// that round). An oracle may replace its vote for a batch until the batch is accepted;
    /// voting again for the same hash fails with `AlreadyVoted`. Fails with `Paused` while paused.
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
    /// Oracle only: votes for a batch already submitted, by hash. Replaces the oracle's previous
    /// vote for the batch, if any (the tally moves with it); the same hash again fails with
    /// `AlreadyVoted`. Fails with `Paused` while paused.
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
    /// Anyone: accepts a batch whose tally, counting current oracles only, already meets the
    /// current quorum (after a quorum decrease or an oracle removal). Fails with
    /// `QuorumNotReached { round, batch_index, votes, quorum }` otherwise, and with `Paused`
    /// while paused.
    AcceptBatch {
        /// Round number.
        round: u64,
        /// Index of the batch.
        batch_index: u32,
        /// Hash of the submitted batch data to accept.
        batch_hash: HexBinary,
    },
    /// Anyone: marks a round that was not finalized within its attestation window as void.
    /// Its reward is never locked.
    CloseVoidRound {
        /// Round number.
        round: u64,
    },
    /// Pays the sender's reward for finalized, unclaimed rounds (at most `max_claim_rounds`).
    /// `None`: the sender's oldest claimable rounds, found by scanning at most
    /// `4 × max_claim_rounds` entries of the sender's unclaimed-round index; rounds past their
    /// attestation deadline and not finalized are closed as void and removed from the index,
    /// rounds still attesting are skipped. Fails with `Paused` while paused.
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
    /// Owner: changes parameters; `None` keeps the current value. `rated_power` and
    /// `max_entries_per_batch` are pinned per round: a change applies from the round after the
    /// current one.
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
        /// Merkle mode: new challenge window (applies to roots accepted afterwards).
        #[serde(default)]
        challenge_window: Option<u64>,
        /// Merkle mode: new dispute bond in basis points of the round reward (applies to
        /// disputes made afterwards).
        #[serde(default)]
        dispute_bond_bps: Option<u32>,
    },
    /// Owner: adds and removes battery ids of the whitelist (at most 100 changes per call), in
    /// force from the round after the current one.
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
    /// Owner: withdraws a pending ownership proposal (`NoPendingOwner` when there is none).
    CancelOwnershipTransfer {},
    /// Owner: sends up to `unlocked` ECT (never locked rewards) to `recipient` (default: the
    /// owner). More than unlocked fails with `InsufficientUnlocked { requested, unlocked }`.
    WithdrawUnlocked {
        /// ECT to withdraw.
        amount: Uint128,
        /// Recipient; default the owner.
        recipient: Option<String>,
    },
    /// Owner: adopts ECT held by the contract beyond locked + unlocked (plain CW20 `Transfer`s
    /// that bypassed `Fund`) into the unlocked funds.
    Reconcile {},
    /// Owner or guardian: pauses `SubmitUsage`, `VoteBatch`, `AcceptBatch`, `Claim`,
    /// `SweepExpired`, `AttestRoot`, `AcceptRoot` and `ClaimCumulative`.
    Pause {},
    /// Owner: lifts the pause.
    Unpause {},
    /// Owner: sets or clears the guardian.
    UpdateGuardian {
        /// New guardian; `None` removes it.
        guardian: Option<String>,
    },
    /// Any reward owner: how the sender's later claims are paid. Each split receives
    /// floor(claim · bps / 10_000); the rounding remainder goes to the sender. 1 to
    /// [`MAX_PAYOUT_SPLITS`] distinct valid addresses (the sender may be one), each bps > 0,
    /// summing to exactly [`PAYOUT_BPS_TOTAL`]. Replaces any previous profile; applies to claims
    /// made afterwards only.
    SetPayoutProfile {
        /// Recipients and their shares.
        splits: Vec<PayoutSplit>,
    },
    /// Removes the sender's payout profile: later claims pay the sender in full.
    ClearPayoutProfile {},
    /// Oracle, merkle mode: votes the round's root attestation (replaces this oracle's earlier
    /// vote for the round; the same attestation again fails with `AlreadyVotedRoot`; a
    /// disputed one with `RootDisputed`). Accepted at quorum of current oracles in the same
    /// message, into its challenge window (`PendingRoot`); while another root is pending the
    /// vote is kept and `AcceptRoot` accepts it later. Its identity is the attestation hash
    /// (`cube_merkle::RootAttestation::hash` with the chain id and this contract's address).
    /// Fails with `Paused` while paused.
    AttestRoot {
        /// Round number: ended, inside its attestation window, after the last finalized root
        /// and the pending root.
        round: u64,
        /// Root hash of the round's cumulative Merkle-sum tree, 32 bytes.
        root: HexBinary,
        /// Σ cumulative entitlements of every leaf (the root's sum), ECT base units; never less
        /// than the last finalized root's.
        total_entitlement: Uint128,
        /// Σ leaf scores of the round (micro-points).
        total_score: Uint128,
        /// Number of leaves (owners), ≥ 1.
        leaf_count: u64,
        /// Tree depth: the smallest `d` with `2^d ≥ leaf_count`.
        depth: u8,
        /// Policy version scoring the round.
        policy_version: u32,
        /// sha256 of the canonical leaves file, 32 bytes.
        leaves_digest: HexBinary,
        /// The relayers' digest of the round's readings, 32 bytes.
        input_digest: HexBinary,
    },
    /// Anyone, merkle mode: accepts an attestation whose votes of current oracles meet the
    /// current quorum (after a quorum decrease or an oracle removal); otherwise
    /// `RootQuorumNotReached`. Fails with `Paused` while paused.
    AcceptRoot {
        /// Round number.
        round: u64,
        /// Attestation hash of the proposal to accept, 32 bytes.
        attestation_hash: HexBinary,
    },
    /// Owner of the leaf (the sender), merkle mode: proves the sender's leaf in the last
    /// finalized root and is paid `cumulative − claimed` through the sender's payout profile.
    /// A root still in its challenge window fails with `RootPending`. Fails with `Paused` while
    /// paused.
    ClaimCumulative {
        /// Round of the last finalized root (an older one fails with `StaleProof`).
        round: u64,
        /// Position of the sender's leaf in the tree (leaves sorted by owner).
        leaf_index: u64,
        /// The sender's lifetime entitlement through `round`, ECT base units.
        cumulative: Uint128,
        /// The sender's usage in `round` (zeros if none).
        buckets: UsageBuckets,
        /// The sender's score in `round` (micro-points); must equal the policy's score of
        /// `buckets`.
        score: Uint128,
        /// The siblings from the leaf level up, 48 bytes each: hash ‖ sum (u128 big-endian).
        proof: Binary,
    },
    /// Owner: sets and removes oracles' public HTTP endpoints (where proofs and leaves files
    /// are served); at most 100 changes per call. Removing an oracle removes its endpoint.
    UpdateOracleEndpoints {
        /// Endpoints to set (each oracle must be a current oracle).
        set: Vec<OracleEndpoint>,
        /// Oracles whose endpoint to remove.
        remove: Vec<String>,
    },
    /// Current oracle, merkle mode: disputes the pending root, without a bond, at most once per
    /// round per oracle (`OracleDisputeUsed`). Anyone else disputes through the ECT `Send`
    /// hook with a bond (`ReceiveMsg::Dispute`); sent here by a non-oracle it fails with
    /// `DisputeBondRequired { bond }`. The disputed root is discarded (kept as evidence, see
    /// `Dispute`) and can never be voted again; works while paused.
    DisputeRoot {
        /// Round of the pending root.
        round: u64,
        /// Attestation hash of the pending root (`NotPendingRoot` if another one is pending).
        attestation_hash: HexBinary,
        /// Why, at most 280 bytes.
        reason: Option<String>,
    },
    /// Owner (the holders' governance), merkle mode: re-affirms a disputed root. It is
    /// finalized at once (no root may be pending, its round must be after the last finalized
    /// root) and the dispute's bond is forfeited to the unlocked funds.
    ReaffirmRoot {
        /// Round of the disputed root.
        round: u64,
        /// Its attestation hash.
        attestation_hash: HexBinary,
    },
    /// Anyone, merkle mode: finalizes the pending root once its challenge window is over
    /// (`ChallengeWindowOpen` before; `NoPendingRoot` when none). `AttestRoot`, `AcceptRoot`,
    /// `ClaimCumulative`, `ClaimMany` and `ReaffirmRoot` do it first too. Fails with `Paused`
    /// while paused.
    FinalizeRoot {},
    /// Anyone, merkle mode: claims for many owners against the last finalized root, each paid
    /// through its own payout profile. Entries that are stale, not final, zero or already
    /// claimed are skipped and reported (`ClaimManyResult` in the response data); malformed
    /// input (an invalid owner, a proof that does not verify, a score that is not the
    /// policy's, an empty list or more than 100 entries) fails the whole message. Fails with
    /// `Paused` while paused.
    ClaimMany {
        /// The claims, each as `ClaimCumulative` with the owner named.
        claims: Vec<OwnerClaim>,
    },
}

/// One owner's claim in `ClaimMany`: the fields of `ClaimCumulative` and the owner.
#[cw_serde]
pub struct OwnerClaim {
    /// The leaf's owner (paid through its payout profile).
    pub owner: String,
    /// Round of the root the proof is for.
    pub round: u64,
    /// Position of the owner's leaf.
    pub leaf_index: u64,
    /// The owner's lifetime entitlement through `round`, ECT base units.
    pub cumulative: Uint128,
    /// The owner's usage in `round`.
    pub buckets: UsageBuckets,
    /// The owner's score in `round` (micro-points).
    pub score: Uint128,
    /// The siblings from the leaf level up, 48 bytes each.
    pub proof: Binary,
}

/// Most recipients of a payout profile (each one a CW20 transfer per claim).
pub const MAX_PAYOUT_SPLITS: u32 = 5;
/// Basis points of a whole claim: the shares of a payout profile sum to this.
pub const PAYOUT_BPS_TOTAL: u32 = 10_000;

/// One recipient of a payout profile.
#[cw_serde]
pub struct PayoutSplit {
    /// Recipient address.
    pub address: String,
    /// Share of each claim in basis points (1..=10_000).
    pub bps: u32,
}

/// Message embedded in the CW20 `Send` of the ECT.
#[cw_serde]
pub enum ReceiveMsg {
    /// Adds the sent ECT to the unlocked funds.
    Fund {},
    /// Merkle mode: disputes the pending root with the sent ECT as bond, which must equal the
    /// bond `PendingRoot` shows (`WrongDisputeBond`). The bond comes back when a different root
    /// of the round or a later round is finalized, and is forfeited to the unlocked funds if
    /// the owner re-affirms the disputed root.
    Dispute {
        /// Round of the pending root.
        round: u64,
        /// Attestation hash of the pending root.
        attestation_hash: HexBinary,
        /// Why, at most 280 bytes.
        reason: Option<String>,
    },
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
    /// One round: status, scores and money, current quorum and the number of batch indexes with
    /// votes (the votes themselves: `Batch`, `Batches`, `Vote`).
    #[returns(RoundResponse)]
    Round {
        /// Round number.
        round: u64,
    },
    /// One batch of a round: accepted hash and the tallies of the hashes current or removed
    /// oracles vote for (bounded by the oracles); every hash ever submitted is in
    /// `BatchEvidence`.
    #[returns(BatchResponse)]
    Batch {
        /// Round number.
        round: u64,
        /// Batch index.
        batch_index: u32,
    },
    /// Every hash whose data was ever submitted for one batch (voted for or not: conflicting
    /// submissions stay as evidence), by ascending hash.
    #[returns(BatchEvidenceResponse)]
    BatchEvidence {
        /// Round number.
        round: u64,
        /// Batch index.
        batch_index: u32,
        /// Exclusive lower bound (hash).
        start_after: Option<HexBinary>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// The batches of a round that have votes, by ascending index.
    #[returns(BatchesResponse)]
    Batches {
        /// Round number.
        round: u64,
        /// Exclusive lower bound (batch index).
        start_after: Option<u32>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// One oracle's current vote for one batch.
    #[returns(VoteResponse)]
    Vote {
        /// Round number.
        round: u64,
        /// Batch index.
        batch_index: u32,
        /// Oracle address.
        oracle: String,
    },
    /// The pinned rules of a round: clock, policy version, rated power, batch size limit.
    #[returns(RoundParamsResponse)]
    RoundParams {
        /// Round number.
        round: u64,
    },
    /// Devices registered in a round's registry view, by public key. A page may hold fewer
    /// than `limit` devices (devices not registered in that round are skipped); continue while
    /// `next` is set.
    #[returns(DevicesAsOfResponse)]
    DevicesAsOf {
        /// Round number.
        round: u64,
        /// Exclusive lower bound (public key); use the previous page's `next`.
        start_after: Option<Binary>,
        /// Number of keys examined (default 10, max 100).
        limit: Option<u32>,
    },
    /// Owners with at least one device in a round's registry view, by address. A page may hold
    /// fewer than `limit` owners; continue while `next` is set.
    #[returns(OwnersAsOfResponse)]
    OwnersAsOf {
        /// Round number.
        round: u64,
        /// Exclusive lower bound (owner); use the previous page's `next`.
        start_after: Option<String>,
        /// Number of owners examined (default 10, max 100).
        limit: Option<u32>,
    },
    /// One owner's device counts, M3 flag and plausibility cap in a round's registry view.
    #[returns(OwnerView)]
    OwnerAsOf {
        /// Round number.
        round: u64,
        /// Owner address.
        owner: String,
    },
    /// A device's registration nonce and the registration challenge the next possession
    /// message must sign.
    #[returns(RegistrationNonceResponse)]
    RegistrationNonce {
        /// Device public key.
        pubkey: Binary,
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
    /// What the owner could claim now, oldest rounds first. Examines `limit` entries of the
    /// owner's unclaimed-round index (void, expired and pending rounds are skipped, so a page may
    /// hold fewer rounds); continue while `next` is set.
    #[returns(ClaimableResponse)]
    Claimable {
        /// Owner address.
        owner: String,
        /// Exclusive lower bound (round); use the previous page's `next`.
        start_after: Option<u64>,
        /// Number of index entries examined (default 10, max 100).
        limit: Option<u32>,
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
    /// Whitelisted battery ids, ascending. A page may hold fewer than `limit` ids when
    /// `as_of_round` is set (ids not listed in that round are skipped); continue while `next` is
    /// set.
    #[returns(BatteryWhitelistResponse)]
    BatteryWhitelist {
        /// The round whose whitelist to read; `None`: the latest (including changes pending for
        /// the next round).
        as_of_round: Option<u64>,
        /// Exclusive lower bound.
        start_after: Option<String>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// ECT held: unlocked (available for future rounds) and locked (owed to scored owners).
    #[returns(FundsResponse)]
    Funds {},
    /// An owner's payout profile (empty `splits`: claims pay the owner in full).
    #[returns(PayoutProfileResponse)]
    PayoutProfile {
        /// Owner address.
        owner: String,
    },
    /// Merkle mode: a finalized root (`root: None` when there is none).
    #[returns(MerkleRootResponse)]
    MerkleRoot {
        /// Round number; `None`: the last finalized root.
        round: Option<u64>,
    },
    /// Merkle mode: finalized roots, ascending by round.
    #[returns(MerkleRootsResponse)]
    MerkleRoots {
        /// Exclusive lower bound (round).
        start_after: Option<u64>,
        /// Page size (default 10, max 100).
        limit: Option<u32>,
    },
    /// Merkle mode: every oracle's current root vote for a round and the tally of each
    /// attestation voted for.
    #[returns(RootVotesResponse)]
    RootVotes {
        /// Round number.
        round: u64,
    },
    /// Merkle mode: how much of an owner's cumulative entitlement was paid.
    #[returns(ClaimedCumulativeResponse)]
    ClaimedCumulative {
        /// Owner address.
        owner: String,
    },
    /// The attestation mode and, in merkle mode, the entitlements attested and paid so far.
    #[returns(EntitlementsResponse)]
    Entitlements {},
    /// Oracles' public HTTP endpoints, ascending by oracle.
    #[returns(OracleEndpointsResponse)]
    OracleEndpoints {},
    /// Merkle mode: the accepted root waiting out its challenge window, when it ends and the
    /// bond a dispute of it needs (`pending: None` when no root is pending).
    #[returns(PendingRootResponse)]
    PendingRoot {},
    /// Merkle mode: one dispute and its evidence (`dispute: None` when there is none).
    #[returns(DisputeResponse)]
    Dispute {
        /// Round of the disputed root.
        round: u64,
        /// Attestation hash of the disputed root.
        attestation_hash: HexBinary,
    },
    /// Merkle mode: disputes and their evidence, ascending by (round, attestation hash).
    #[returns(DisputesResponse)]
    Disputes {
        /// Exclusive lower bound.
        start_after: Option<DisputeKey>,
        /// Page size (default 10, max 30).
        limit: Option<u32>,
    },
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
    /// Rated power per model, latest (a change applies from the next round; the value pinned
    /// for a round: `RoundParams`).
    pub rated_power: RatedPower,
    /// Maximum entries per batch, latest (pinned per round like `rated_power`).
    pub max_entries_per_batch: u32,
    /// Maximum rounds per claim.
    pub max_claim_rounds: u32,
    /// Manufacturer public keys.
    pub manufacturer_keys: Vec<Binary>,
    /// Guardian (may pause).
    pub guardian: Option<String>,
    /// Whether attestations and claims are paused.
    pub paused: bool,
    /// Start of the current pause, if paused.
    pub paused_since: Option<u64>,
    /// Seconds spent paused in earlier, finished pauses: every claim deadline finalized before
    /// a pause moved later by its length.
    pub paused_seconds: u64,
    /// How oracles attest rounds (fixed at instantiation).
    pub attestation_mode: AttestationMode,
    /// Merkle mode: seconds an accepted root stays pending before claims may use it.
    pub challenge_window: u64,
    /// Merkle mode: a non-oracle's dispute bond, basis points of the disputed round's reward.
    pub dispute_bond_bps: u32,
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

/// One round.
#[cw_serde]
pub struct RoundResponse {
    /// Summary.
    pub summary: RoundSummary,
    /// Votes needed to accept a batch now.
    pub quorum: u32,
    /// Number of batch indexes with at least one vote (list them with `Batches`).
    pub batches_with_votes: u32,
}

/// One batch of a round.
#[cw_serde]
pub struct BatchResponse {
    /// Round number.
    pub round: u64,
    /// Batch index.
    pub batch_index: u32,
    /// The accepted hash, once accepted.
    pub accepted_hash: Option<HexBinary>,
    /// Votes needed to accept a batch now.
    pub quorum: u32,
    /// Every hash a current or removed oracle votes for, by ascending hash (a submitted hash
    /// nobody votes for any more is listed by `BatchEvidence` only).
    pub tallies: Vec<HashTally>,
}

/// Page of the hashes submitted for one batch.
#[cw_serde]
pub struct BatchEvidenceResponse {
    /// Round number.
    pub round: u64,
    /// Batch index.
    pub batch_index: u32,
    /// Submitted hashes, ascending.
    pub hashes: Vec<HexBinary>,
    /// Cursor of the next page (`start_after`), `None` on the last page.
    pub next: Option<HexBinary>,
}

/// Votes for one hash of one batch.
#[cw_serde]
pub struct HashTally {
    /// Voted hash.
    pub batch_hash: HexBinary,
    /// Number of current oracles whose vote for the batch is this hash.
    pub votes: u32,
    /// Current oracles voting for this hash, ascending.
    pub voters: Vec<String>,
    /// Removed oracles whose last vote was this hash (evidence; they do not count), ascending.
    pub stale_voters: Vec<String>,
    /// Whether the batch data of this hash is stored on chain (`SubmitUsage`).
    pub submitted: bool,
}

/// Batches page.
#[cw_serde]
pub struct BatchesResponse {
    /// Round number.
    pub round: u64,
    /// Batches with votes, by ascending index.
    pub batches: Vec<BatchResponse>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<u32>,
}

/// One oracle's vote for one batch.
#[cw_serde]
pub struct VoteResponse {
    /// The hash the oracle voted for, `None` if it did not vote.
    pub batch_hash: Option<HexBinary>,
    /// Whether the vote counts (the address is a current oracle).
    pub counts: bool,
}

/// The pinned rules of a round.
#[cw_serde]
pub struct RoundParamsResponse {
    /// Round number.
    pub round: u64,
    /// Start (inclusive).
    pub start: u64,
    /// End (exclusive).
    pub end: u64,
    /// Last second + 1 for attestations.
    pub attestation_deadline: u64,
    /// Start of round 0.
    pub genesis_time: u64,
    /// Round length in seconds.
    pub round_duration: u64,
    /// Policy version scoring the round.
    pub policy_version: u32,
    /// Rated power per model for the round's plausibility cap.
    pub rated_power: RatedPower,
    /// Maximum entries per batch of the round.
    pub max_entries_per_batch: u32,
    /// ECT the round pays when it finalizes (at most the unlocked funds).
    pub round_reward: Uint128,
    /// Seconds after the round's end during which attestations are taken.
    pub attestation_window: u64,
    /// Seconds a finalized round can be claimed, counted on the claim clock (which stands
    /// still while the contract is paused).
    pub claim_window: u64,
}

/// A device in a round's registry view.
#[cw_serde]
pub struct DeviceView {
    /// Device public key.
    pub pubkey: Binary,
    /// Owner in that round.
    pub owner: String,
    /// Model.
    pub model: DeviceModel,
    /// Serial number.
    pub serial: String,
    /// IANA time zone in that round.
    pub timezone: String,
    /// First round of the registration in force in that round.
    pub effective_from_round: u64,
}

/// Devices of a round's registry view.
#[cw_serde]
pub struct DevicesAsOfResponse {
    /// Round number.
    pub round: u64,
    /// Devices by public key.
    pub devices: Vec<DeviceView>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<Binary>,
}

/// One owner in a round's registry view.
#[cw_serde]
pub struct OwnerView {
    /// Owner.
    pub owner: String,
    /// CubeV1 registered to the owner in that round.
    pub cube_v1: u32,
    /// CubeV2 registered to the owner in that round.
    pub cube_v2: u32,
    /// Both models held in that round (M3 = dual).
    pub dual_product: bool,
    /// Maximum Wh the owner may report for that round (rated power × devices × duration).
    pub plausibility_cap_wh: u64,
}

/// Owners of a round's registry view.
#[cw_serde]
pub struct OwnersAsOfResponse {
    /// Round number.
    pub round: u64,
    /// Owners with at least one device, ascending.
    pub owners: Vec<OwnerView>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<String>,
}

/// A device's registration nonce and challenge.
#[cw_serde]
pub struct RegistrationNonceResponse {
    /// Device public key.
    pub pubkey: Binary,
    /// Number of successful registrations of the device (0: never registered).
    pub nonce: u64,
    /// The 32-byte registration challenge the next possession message must sign
    /// (`cube_scoring::possession_message`): 32 zero bytes for a device never registered, else
    /// the challenge its latest registration derived.
    pub challenge: HexBinary,
}

/// Rounds page.
#[cw_serde]
pub struct RoundsResponse {
    /// Rounds ascending.
    pub rounds: Vec<RoundSummary>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<u64>,
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
    /// Whether the owner held both models in the round's registry view.
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
    /// Claimable rounds of this page, oldest first.
    pub rounds: Vec<ClaimableRound>,
    /// Σ amounts of this page.
    pub total: Uint128,
    /// Start of the next page (`start_after`), `None` when the index is exhausted.
    pub next: Option<u64>,
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
    /// Start of the next page (`start_after`: the last owner), `None` on the last page.
    pub next: Option<String>,
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
    /// First round scored with this registration (earlier rounds keep the previous one).
    pub effective_from_round: u64,
    /// Registration nonce to sign the next possession message with.
    pub nonce: u64,
}

/// Devices page.
#[cw_serde]
pub struct DevicesResponse {
    /// Devices by public key (latest registry, including changes pending for the next round).
    pub devices: Vec<DeviceResponse>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<Binary>,
}

/// One owner's devices (latest registry, including changes pending for the next round).
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
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<Binary>,
}

/// Battery whitelist page.
#[cw_serde]
pub struct BatteryWhitelistResponse {
    /// Battery ids.
    pub batteries: Vec<String>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<String>,
}

/// Funds.
#[cw_serde]
pub struct FundsResponse {
    /// ECT available for future rounds.
    pub unlocked: Uint128,
    /// ECT locked for finalized rounds, not yet paid or swept.
    pub locked: Uint128,
    /// Part of `unlocked` reserved for rounds that ended and may still finalize (each round's
    /// pinned reward, while inside its attestation window): `WithdrawUnlocked` leaves it.
    pub reserved: Uint128,
    /// What `WithdrawUnlocked` may take now: `unlocked - min(reserved, unlocked)`.
    pub withdrawable: Uint128,
    /// Merkle mode: dispute bonds held until their disputes are resolved (neither unlocked
    /// nor locked).
    pub bonded: Uint128,
}

/// Payout profile of an owner.
#[cw_serde]
pub struct PayoutProfileResponse {
    /// Owner address.
    pub owner: String,
    /// Recipients and shares, in the order set; empty when the owner has no profile.
    pub splits: Vec<PayoutSplit>,
}

/// An accepted Merkle root.
#[cw_serde]
pub struct RootView {
    /// Round number.
    pub round: u64,
    /// Root hash.
    pub root: HexBinary,
    /// Σ cumulative entitlements (the root's sum), ECT base units.
    pub total_entitlement: Uint128,
    /// Σ leaf scores of the round (micro-points).
    pub total_score: Uint128,
    /// Number of leaves.
    pub leaf_count: u64,
    /// Tree depth.
    pub depth: u8,
    /// Policy version scoring the round.
    pub policy_version: u32,
    /// sha256 of the canonical leaves file.
    pub leaves_digest: HexBinary,
    /// The relayers' digest of the round's readings.
    pub input_digest: HexBinary,
    /// The attestation hash the oracles voted for.
    pub attestation_hash: HexBinary,
    /// Acceptance time (unix seconds).
    pub accepted_at: u64,
    /// ECT moved from unlocked to locked when the root is finalized (total_entitlement − the
    /// previous finalized total).
    pub locked: Uint128,
    /// Σ rewards of the rounds since the previous root (each round's pinned reward), the
    /// cap's first part.
    pub rewards_since_last: Uint128,
}

/// One accepted root.
#[cw_serde]
pub struct MerkleRootResponse {
    /// The root, `None` when none was accepted (for that round).
    pub root: Option<RootView>,
}

/// Page of accepted roots.
#[cw_serde]
pub struct MerkleRootsResponse {
    /// Roots ascending by round.
    pub roots: Vec<RootView>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<u64>,
}

/// One oracle's current root vote for a round.
#[cw_serde]
pub struct RootVote {
    /// Oracle address.
    pub oracle: String,
    /// The attestation hash it votes for.
    pub attestation_hash: HexBinary,
    /// Whether it is a current oracle (only current oracles' votes count).
    pub current_oracle: bool,
}

/// The attested data of a root proposal.
#[cw_serde]
pub struct RootAttestationView {
    /// Round number.
    pub round: u64,
    /// Root hash.
    pub root: HexBinary,
    /// Σ cumulative entitlements (the root's sum), ECT base units.
    pub total_entitlement: Uint128,
    /// Σ leaf scores of the round (micro-points).
    pub total_score: Uint128,
    /// Number of leaves.
    pub leaf_count: u64,
    /// Tree depth.
    pub depth: u8,
    /// Policy version scoring the round.
    pub policy_version: u32,
    /// sha256 of the canonical leaves file.
    pub leaves_digest: HexBinary,
    /// The relayers' digest of the round's readings.
    pub input_digest: HexBinary,
}

/// Votes for one attestation of a round.
#[cw_serde]
pub struct RootTally {
    /// Attestation hash.
    pub attestation_hash: HexBinary,
    /// Number of current oracles voting for it.
    pub votes: u32,
    /// What it attests.
    pub attestation: RootAttestationView,
}

/// Root votes of a round.
#[cw_serde]
pub struct RootVotesResponse {
    /// Round number.
    pub round: u64,
    /// Votes needed to accept a root now.
    pub quorum: u32,
    /// Every oracle's current vote (current and removed oracles), ascending by oracle.
    pub votes: Vec<RootVote>,
    /// One entry per attestation voted for, ascending by hash.
    pub tallies: Vec<RootTally>,
}

/// Cumulative entitlement paid to an owner.
#[cw_serde]
pub struct ClaimedCumulativeResponse {
    /// Owner address.
    pub owner: String,
    /// ECT paid so far (the `cumulative` of the owner's last claim; 0 before any).
    pub claimed: Uint128,
}

/// Entitlements attested and paid.
#[cw_serde]
pub struct EntitlementsResponse {
    /// The contract's attestation mode.
    pub mode: AttestationMode,
    /// Round of the last finalized root, `None` before any (always in direct mode).
    pub last_round: Option<u64>,
    /// Σ cumulative entitlements of the last finalized root.
    pub total_entitlement: Uint128,
    /// ECT paid by `ClaimCumulative` so far.
    pub total_paid: Uint128,
    /// Entitled but not yet paid: `total_entitlement − total_paid` (held in the locked funds).
    pub outstanding: Uint128,
}

/// The root waiting out its challenge window.
#[cw_serde]
pub struct PendingRootView {
    /// The accepted root (`locked`: what its finalization will lock).
    pub root: RootView,
    /// End of the challenge window: from then on it may be finalized, and disputes are refused.
    pub finalizes_at: u64,
    /// Whether the window is over (the root is finalized by the next merkle message).
    pub finalizable: bool,
    /// The bond a non-oracle's dispute must send.
    pub dispute_bond: Uint128,
}

/// The pending root.
#[cw_serde]
pub struct PendingRootResponse {
    /// `None` when no root is pending.
    pub pending: Option<PendingRootView>,
}

/// Identity of a dispute: the disputed root's round and attestation hash.
#[cw_serde]
pub struct DisputeKey {
    /// Round.
    pub round: u64,
    /// Attestation hash.
    pub attestation_hash: HexBinary,
}

/// What became of a dispute.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum DisputeOutcome {
    /// No root of the round or a later one was finalized yet.
    Open,
    /// The owner re-affirmed the disputed root: the bond went to the unlocked funds.
    Reaffirmed,
    /// A different root of the round or a later round was finalized: the bond was returned.
    Replaced,
}

/// A dispute and its evidence.
#[cw_serde]
pub struct DisputeView {
    /// Round of the disputed root.
    pub round: u64,
    /// Attestation hash of the disputed root.
    pub attestation_hash: HexBinary,
    /// Who disputed.
    pub disputer: String,
    /// Whether the disputer was a current oracle disputing without a bond.
    pub by_oracle: bool,
    /// Bond held (0 for an oracle's dispute).
    pub bond: Uint128,
    /// The disputer's reason.
    pub reason: Option<String>,
    /// When (unix seconds).
    pub disputed_at: u64,
    /// What became of it.
    pub outcome: DisputeOutcome,
    /// When it was resolved.
    pub resolved_at: Option<u64>,
    /// The disputed root as it was pending.
    pub evidence: RootView,
    /// The current oracles whose vote was the disputed root when it was disputed.
    pub voters: Vec<String>,
}

/// One dispute.
#[cw_serde]
pub struct DisputeResponse {
    /// `None` when there is no such dispute.
    pub dispute: Option<DisputeView>,
}

/// Page of disputes.
#[cw_serde]
pub struct DisputesResponse {
    /// Disputes ascending by (round, attestation hash).
    pub disputes: Vec<DisputeView>,
    /// Start of the next page (`start_after`), `None` on the last page.
    pub next: Option<DisputeKey>,
}

/// Why `ClaimMany` skipped an entry.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum ClaimSkipReason {
    /// Its round is older than the last finalized root.
    Stale,
    /// Its round is newer than the last finalized root (pending or unknown).
    NotFinal,
    /// Its cumulative entitlement is zero.
    Zero,
    /// Its cumulative entitlement was already paid (also: the same owner again).
    Claimed,
}

impl ClaimSkipReason {
    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClaimSkipReason::Stale => "stale",
            ClaimSkipReason::NotFinal => "not_final",
            ClaimSkipReason::Zero => "zero",
            ClaimSkipReason::Claimed => "claimed",
        }
    }
}

/// An entry `ClaimMany` paid.
#[cw_serde]
pub struct ClaimPaid {
    /// Position in `claims`.
    pub index: u32,
    /// Owner.
    pub owner: String,
    /// ECT paid (before the payout profile's split).
    pub amount: Uint128,
}

/// An entry `ClaimMany` skipped.
#[cw_serde]
pub struct ClaimSkipped {
    /// Position in `claims`.
    pub index: u32,
    /// Owner.
    pub owner: String,
    /// Why.
    pub reason: ClaimSkipReason,
}

/// The data of a `ClaimMany` response.
#[cw_serde]
pub struct ClaimManyResult {
    /// Round of the last finalized root the entries were checked against.
    pub latest: Option<u64>,
    /// Entries paid.
    pub paid: Vec<ClaimPaid>,
    /// Entries skipped.
    pub skipped: Vec<ClaimSkipped>,
}

/// Oracle endpoints.
#[cw_serde]
pub struct OracleEndpointsResponse {
    /// Endpoints of current oracles, ascending by oracle.
    pub endpoints: Vec<OracleEndpoint>,
}

impl ExecuteMsg {
    /// `AttestRoot` voting `attestation` (`cube_merkle`'s form: raw hashes, `u128` amounts).
    pub fn attest_root(attestation: &cube_merkle::RootAttestation) -> Self {
        ExecuteMsg::AttestRoot {
            round: attestation.round,
            root: HexBinary::from(attestation.root),
            total_entitlement: Uint128::new(attestation.total_entitlement),
            total_score: Uint128::new(attestation.total_score),
            leaf_count: attestation.leaf_count,
            depth: attestation.depth,
            policy_version: attestation.policy_version,
            leaves_digest: HexBinary::from(attestation.leaves_digest),
            input_digest: HexBinary::from(attestation.input_digest),
        }
    }

    /// `ClaimCumulative` of `leaf` at `leaf_index` of round `round`'s tree with the proof bytes
    /// `proof` (`cube_merkle::Proof::to_bytes`); sent by `leaf.owner`.
    pub fn claim_cumulative(
        round: u64,
        leaf_index: u64,
        leaf: &cube_merkle::Leaf,
        proof: &[u8],
    ) -> Self {
        ExecuteMsg::ClaimCumulative {
            round,
            leaf_index,
            cumulative: Uint128::new(leaf.cumulative),
            buckets: leaf.buckets,
            score: Uint128::new(leaf.score),
            proof: Binary::from(proof),
        }
    }

    /// `ClaimMany` of `claims`.
    pub fn claim_many(claims: Vec<OwnerClaim>) -> Self {
        ExecuteMsg::ClaimMany { claims }
    }
}

impl OwnerClaim {
    /// The claim of `leaf` (for `leaf.owner`) at `leaf_index` of round `round`'s tree with the
    /// proof bytes `proof`.
    pub fn new(round: u64, leaf_index: u64, leaf: &cube_merkle::Leaf, proof: &[u8]) -> Self {
        OwnerClaim {
            owner: leaf.owner.clone(),
            round,
            leaf_index,
            cumulative: Uint128::new(leaf.cumulative),
            buckets: leaf.buckets,
            score: Uint128::new(leaf.score),
            proof: Binary::from(proof),
        }
    }
}

impl From<&cube_merkle::RootAttestation> for RootAttestationView {
    fn from(a: &cube_merkle::RootAttestation) -> Self {
        RootAttestationView {
            round: a.round,
            root: HexBinary::from(a.root),
            total_entitlement: Uint128::new(a.total_entitlement),
            total_score: Uint128::new(a.total_score),
            leaf_count: a.leaf_count,
            depth: a.depth,
            policy_version: a.policy_version,
            leaves_digest: HexBinary::from(a.leaves_digest),
            input_digest: HexBinary::from(a.input_digest),
        }
    }
}
