use contract_common::{DepositError, MigrateError, OwnershipError};
use cosmwasm_std::{
    Addr, ConversionOverflowError, DivideByZeroError, HexBinary, OverflowError, StdError, Uint128,
};
use cube_merkle::MerkleError;
use cube_scoring::ScoringError;
use cube_types::mining_round::AttestationMode;
use thiserror::Error;

/// Every failure of the contract, each with the data needed to understand it.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    DivideByZero(#[from] DivideByZeroError),

    #[error("{0}")]
    ConversionOverflow(#[from] ConversionOverflowError),

    #[error("{0}")]
    Verification(#[from] cosmwasm_std::VerificationError),

    #[error("{0}")]
    Payment(#[from] cw_utils::PaymentError),

    #[error("scoring: {0}")]
    Scoring(#[from] ScoringError),

    /// Leaf encoding or proof shape (`ProofLength`, `IndexOutOfRange`, ...).
    #[error("merkle: {0}")]
    Merkle(#[from] MerkleError),

    // ----- authorization -----
    /// Not the owner, not the pending owner, no transfer pending (shared with reward-pool).
    #[error(transparent)]
    Ownership(#[from] OwnershipError),

    #[error("{sender} is not an oracle")]
    NotOracle { sender: String },

    #[error("{sender} is neither the owner nor the guardian")]
    NotOwnerOrGuardian { sender: Addr },

    // ----- configuration -----
    #[error("{name} must be greater than zero")]
    ZeroParameter { name: String },

    #[error("{name} = {value} outside {min}..={max}")]
    ParameterOutOfRange {
        name: String,
        value: u64,
        min: u64,
        max: u64,
    },

    #[error("quorum {quorum} must be between 1 and the number of oracles ({oracles})")]
    InvalidQuorum { quorum: u32, oracles: u32 },

    #[error("{count} oracles, at most {max}")]
    TooManyOracles { count: u32, max: u32 },

    #[error("oracle {oracle} listed twice")]
    DuplicateOracle { oracle: String },

    #[error("manufacturer key must be 32 bytes, got {len}")]
    InvalidManufacturerKey { len: usize },

    #[error("{count} manufacturer keys, between 1 and {max} required")]
    ManufacturerKeyCount { count: usize, max: usize },

    #[error("{count} changes in one call, at most {max}")]
    TooManyChanges { count: usize, max: usize },

    #[error("invalid battery id {id:?} (1..=64 printable ASCII characters)")]
    InvalidBatteryId { id: String },

    #[error("policy version {version} not found")]
    PolicyNotFound { version: u32 },

    // ----- funding -----
    /// A `Receive` not from the reward token, or of a zero amount (shared with reward-pool).
    #[error(transparent)]
    Deposit(#[from] DepositError),

    // ----- devices -----
    #[error("device public key must be 32 bytes, got {len}")]
    InvalidPubkey { len: usize },

    #[error("{name} must be a 64-byte ed25519 signature, got {len} bytes")]
    InvalidSignatureLength { name: String, len: usize },

    #[error("invalid serial {serial:?} (1..=64 printable ASCII characters)")]
    InvalidSerial { serial: String },

    #[error("invalid time zone {timezone:?} (IANA name, 1..=64 of A-Za-z0-9/_+-)")]
    InvalidTimezone { timezone: String },

    #[error("certificate not signed by any manufacturer key")]
    InvalidCertificate {},

    #[error("possession signature does not verify")]
    InvalidPossessionSignature {},

    #[error("device {pubkey} not registered")]
    DeviceNotFound { pubkey: HexBinary },

    #[error("device {pubkey} belongs to someone else")]
    NotDeviceOwner { pubkey: HexBinary },

    // ----- attestations -----
    #[error("batch index {batch_index} invalid for batch count {batch_count} (max {max})")]
    InvalidBatchIndex {
        batch_index: u32,
        batch_count: u32,
        max: u32,
    },

    #[error("round {round} ends at {ends_at}")]
    RoundNotEnded { round: u64, ends_at: u64 },

    #[error("attestation window of round {round} closed at {deadline}")]
    AttestationWindowOver { round: u64, deadline: u64 },

    #[error("round {round} no longer accepts attestations")]
    RoundNotAttesting { round: u64 },

    #[error("round {round} is scored with policy version {expected}, not {got}")]
    WrongPolicyVersion { round: u64, expected: u32, got: u32 },

    #[error("oracle {oracle} already voted on batch {batch_index} of round {round}")]
    AlreadyVoted {
        oracle: String,
        round: u64,
        batch_index: u32,
    },

    #[error("{count} entries, at most {max} per batch")]
    TooManyEntries { count: usize, max: u32 },

    #[error("entries not strictly sorted by owner at index {index} ({owner})")]
    UnsortedEntries { index: usize, owner: String },

    #[error("entry owner {owner} is not a valid normalized address")]
    InvalidOwner { owner: String },

    #[error("{owner} reports {wh} Wh, plausibility cap is {cap} Wh")]
    PlausibilityCapExceeded { owner: String, wh: u128, cap: u128 },

    #[error("batch {batch_index} of round {round} already accepted")]
    BatchAlreadyAccepted { round: u64, batch_index: u32 },

    #[error("round {round} has {expected} batches, not {got}")]
    BatchCountMismatch { round: u64, expected: u32, got: u32 },

    #[error("no batch with hash {batch_hash} submitted for round {round}")]
    UnknownBatchHash { round: u64, batch_hash: HexBinary },

    #[error("batch hash must be 32 bytes, got {len}")]
    InvalidHashLength { len: usize },

    #[error("{owner} already scored in round {round}")]
    OwnerAlreadyScored { round: u64, owner: String },

    #[error("batch {batch_index} of round {round} has {votes} votes of current oracles, quorum is {quorum}")]
    QuorumNotReached {
        round: u64,
        batch_index: u32,
        votes: u32,
        quorum: u32,
    },

    #[error("round {round} cannot be closed as void")]
    RoundNotVoidable { round: u64 },

    // ----- emergencies and funds -----
    #[error("attestations and claims are paused")]
    Paused {},

    #[error("withdrawal of {requested} exceeds unlocked funds {unlocked}")]
    InsufficientUnlocked {
        requested: Uint128,
        unlocked: Uint128,
    },

    #[error(
        "withdrawal of {requested} would take rewards reserved for ended rounds: {reserved} of \
         the unlocked {unlocked} are reserved until those rounds finalize or their attestation \
         windows end"
    )]
    RewardReserved {
        requested: Uint128,
        unlocked: Uint128,
        reserved: Uint128,
    },

    #[error("balance {balance} holds nothing beyond the accounted {accounted}")]
    NothingToReconcile {
        balance: Uint128,
        accounted: Uint128,
    },

    // ----- claims -----
    #[error("{count} rounds requested, at most {max} per claim")]
    TooManyClaimRounds { count: usize, max: u32 },

    #[error("round {round} is not finalized")]
    RoundNotFinalized { round: u64 },

    #[error("no score in round {round}")]
    NoScore { round: u64 },

    #[error("round {round} already claimed")]
    AlreadyClaimed { round: u64 },

    #[error("claim window of round {round} closed at {deadline}")]
    ClaimWindowOver { round: u64, deadline: u64 },

    #[error("nothing to claim")]
    NothingToClaim {},

    #[error("nothing to sweep")]
    NothingToSweep {},

    #[error("payout {amount} exceeds locked funds {locked}")]
    InsufficientLocked { amount: Uint128, locked: Uint128 },

    // ----- payout profiles -----
    #[error("a payout profile needs at least one split")]
    EmptyPayoutProfile {},

    #[error("{count} payout splits, at most {max}")]
    TooManyPayoutSplits { count: usize, max: u32 },

    #[error("payout shares sum to {sum} bps, expected {expected}")]
    PayoutSharesSum { sum: u64, expected: u32 },

    #[error("payout share of {address} is 0 bps")]
    ZeroPayoutShare { address: String },

    #[error("invalid payout address {address}")]
    InvalidPayoutAddress { address: String },

    #[error("{address} appears twice in the payout profile")]
    DuplicatePayoutRecipient { address: String },

    #[error("no payout profile to clear")]
    NoPayoutProfile {},

    // ----- round clock -----
    #[error("round {round} lies beyond the representable time")]
    RoundOutOfRange { round: u64 },

    #[error("no round follows the one containing time {time}")]
    TimeOutOfRange { time: u64 },

    // ----- merkle attestation mode -----
    #[error("this message needs the {required:?} attestation mode; the contract runs {mode:?}")]
    WrongAttestationMode {
        mode: AttestationMode,
        required: AttestationMode,
    },

    #[error("{leaf_count} leaves need the minimal depth, not {depth}")]
    InvalidTreeShape { leaf_count: u64, depth: u8 },

    #[error("round {round} is not after the last accepted root's round {last}")]
    RootNotAfterLast { round: u64, last: u64 },

    #[error("total entitlement {total} is less than the last accepted {last}")]
    EntitlementDecreased { total: Uint128, last: Uint128 },

    #[error("oracle {oracle} already voted this root attestation for round {round}")]
    AlreadyVotedRoot { oracle: String, round: u64 },

    #[error("no root attestation {attestation_hash} voted for round {round}")]
    UnknownAttestation {
        round: u64,
        attestation_hash: HexBinary,
    },

    #[error("root attestation of round {round} has {votes} votes of current oracles, quorum is {quorum}")]
    RootQuorumNotReached { round: u64, votes: u32, quorum: u32 },

    #[error("too many rule changes since the last accepted root")]
    TooManyRuleChanges {},

    #[error(
        "entitlement increase {increase} exceeds the budget: min(rewards since the last root \
         {rewards}, unlocked {unlocked})"
    )]
    EntitlementExceedsBudget {
        increase: Uint128,
        rewards: Uint128,
        unlocked: Uint128,
    },

    #[error("no root accepted yet")]
    NoRoot {},

    #[error("proof for round {round}, the latest root is round {latest}")]
    StaleProof { round: u64, latest: u64 },

    #[error("leaf score {score} differs from the policy's score {expected}")]
    LeafScoreMismatch { score: Uint128, expected: Uint128 },

    #[error("proof does not match the root of round {round}")]
    InvalidProof { round: u64 },

    #[error("cumulative entitlement is zero")]
    ZeroClaim {},

    #[error("cumulative {cumulative} already claimed ({claimed} paid)")]
    CumulativeAlreadyClaimed {
        cumulative: Uint128,
        claimed: Uint128,
    },

    #[error("paid {paid} would exceed the attested entitlement {locked}")]
    PaidExceedsLocked { paid: Uint128, locked: Uint128 },

    // ----- challenge window and disputes -----
    #[error("the root of round {round} is pending until {finalizes_at}")]
    RootPending { round: u64, finalizes_at: u64 },

    #[error("round {round} has no finalized root (latest finalized: {latest:?})")]
    RootNotFinalized { round: u64, latest: Option<u64> },

    #[error("no root is pending")]
    NoPendingRoot {},

    #[error("root attestation {attestation_hash} of round {round} is not the pending root")]
    NotPendingRoot {
        round: u64,
        attestation_hash: HexBinary,
    },

    #[error("the challenge window of round {round}'s root ended at {finalizes_at}")]
    ChallengeWindowOver { round: u64, finalizes_at: u64 },

    #[error("the challenge window of round {round}'s root ends at {finalizes_at}")]
    ChallengeWindowOpen { round: u64, finalizes_at: u64 },

    #[error("a dispute by a non-oracle needs a bond of {bond} ECT sent through the ECT Send hook")]
    DisputeBondRequired { bond: Uint128 },

    #[error("dispute bond {sent} differs from the required {required}")]
    WrongDisputeBond { sent: Uint128, required: Uint128 },

    #[error("oracle {oracle} already disputed a root of round {round}")]
    OracleDisputeUsed { oracle: String, round: u64 },

    #[error(
        "root attestation {attestation_hash} of round {round} was disputed; only the owner may \
         re-affirm it"
    )]
    RootDisputed {
        round: u64,
        attestation_hash: HexBinary,
    },

    #[error("no dispute of root attestation {attestation_hash} of round {round}")]
    UnknownDispute {
        round: u64,
        attestation_hash: HexBinary,
    },

    #[error("the dispute of root attestation {attestation_hash} of round {round} is resolved")]
    DisputeResolved {
        round: u64,
        attestation_hash: HexBinary,
    },

    #[error("dispute reason of {len} bytes exceeds {max}")]
    DisputeReasonTooLong { len: usize, max: usize },

    #[error("ClaimMany needs at least one claim")]
    EmptyClaims {},

    #[error("{count} claims exceed the maximum {max}")]
    TooManyClaims { count: usize, max: u32 },

    // ----- oracle endpoints -----
    #[error("{oracle} is not an oracle")]
    UnknownOracle { oracle: String },

    #[error("invalid endpoint {url:?}: {reason}")]
    InvalidEndpoint { url: String, reason: String },

    // ----- migration -----
    /// Another contract's state, a version not newer, an unparsable version (shared with
    /// reward-pool).
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}
