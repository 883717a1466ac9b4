//! Storage of the merkle mode: root proposals and votes, accepted roots, running totals and
//! what each owner was paid.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, HexBinary, Storage, Uint128};
use cube_merkle::RootAttestation;
use cw_storage_plus::{Item, Map};

use crate::validate::hash32;
use crate::ContractError;

/// What oracles vote for a round (the fields of `AttestRoot`).
#[cw_serde]
pub struct Attestation {
    pub round: u64,
    pub root: HexBinary,
    pub total_entitlement: Uint128,
    pub total_score: Uint128,
    pub leaf_count: u64,
    pub depth: u8,
    pub policy_version: u32,
    pub leaves_digest: HexBinary,
    pub input_digest: HexBinary,
}

impl Attestation {
    /// The library form (every hash checked to be 32 bytes).
    pub fn to_merkle(&self) -> Result<RootAttestation, ContractError> {
        Ok(RootAttestation {
            round: self.round,
            root: hash32(&self.root)?,
            total_entitlement: self.total_entitlement.u128(),
            total_score: self.total_score.u128(),
            leaf_count: self.leaf_count,
            depth: self.depth,
            policy_version: self.policy_version,
            leaves_digest: hash32(&self.leaves_digest)?,
            input_digest: hash32(&self.input_digest)?,
        })
    }
}

/// An accepted root (pending, finalized, or disputed and kept as evidence).
#[cw_serde]
pub struct RootRecord {
    pub attestation: Attestation,
    pub attestation_hash: HexBinary,
    pub accepted_at: u64,
    /// The entitlement increase: moved from unlocked to locked at finalization.
    pub locked: Uint128,
    /// Σ pinned rewards of the rounds since the previous root (through this one).
    pub rewards_since_last: Uint128,
}

/// Running totals of the finalized roots and the claims.
#[cw_serde]
#[derive(Default)]
pub struct Totals {
    /// Round of the latest finalized root.
    pub last_round: Option<u64>,
    /// Σ cumulative entitlements of the latest finalized root.
    pub total_entitlement: Uint128,
    /// Paid by `ClaimCumulative` and `ClaimMany` so far.
    pub total_paid: Uint128,
    /// Highest round whose root was disputed: the rewards of the rounds after the last
    /// finalized root up to it stay reserved until a root carries them.
    #[serde(default)]
    pub last_disputed: Option<u64>,
}

/// The accepted root waiting out its challenge window (at most one).
#[cw_serde]
pub struct PendingRoot {
    pub record: RootRecord,
    /// End of the challenge window.
    pub finalizes_at: u64,
}

impl PendingRoot {
    /// `RootPending`: what a message fails with while this root is pending.
    pub fn still_pending(&self) -> ContractError {
        ContractError::RootPending {
            round: self.record.attestation.round,
            finalizes_at: self.finalizes_at,
        }
    }
}

/// What became of a dispute (`cube_types`' `DisputeOutcome`).
pub use cube_types::mining_round::DisputeOutcome;

/// A dispute of a pending root, kept with its evidence.
#[cw_serde]
pub struct Dispute {
    pub disputer: Addr,
    /// A current oracle disputing without a bond.
    pub by_oracle: bool,
    pub bond: Uint128,
    pub reason: Option<String>,
    pub disputed_at: u64,
    pub outcome: DisputeOutcome,
    pub resolved_at: Option<u64>,
    /// The disputed root as it was pending.
    pub evidence: RootRecord,
    /// The current oracles whose vote was the disputed root.
    pub voters: Vec<Addr>,
}

/// round → accepted root.
pub const ROOTS: Map<u64, RootRecord> = Map::new("merkle_roots");
/// (round, attestation hash) → the attestation voted for (kept as evidence).
pub const PROPOSALS: Map<(u64, &[u8]), Attestation> = Map::new("merkle_proposals");
/// (round, oracle) → the attestation hash the oracle currently votes for.
pub const ROOT_VOTES: Map<(u64, &Addr), HexBinary> = Map::new("merkle_votes");
/// Absent until the first root: [`totals`] reads the default.
pub const TOTALS: Item<Totals> = Item::new("merkle_totals");
/// owner → cumulative entitlement paid.
pub const CLAIMED: Map<&Addr, Uint128> = Map::new("merkle_claimed");
/// The root in its challenge window.
pub const PENDING: Item<PendingRoot> = Item::new("merkle_pending");
/// (round, attestation hash) → the dispute of that root.
pub const DISPUTES: Map<(u64, &[u8]), Dispute> = Map::new("merkle_disputes");
/// (round, attestation hash) of the disputes still `Open`: settled when a root of their round
/// or a later one is finalized.
pub const OPEN_DISPUTES: Map<(u64, &[u8]), Empty> = Map::new("merkle_open_disputes");
/// (round, oracle) of the oracles that used their bond-free dispute of the round.
pub const ORACLE_DISPUTES: Map<(u64, &Addr), Empty> = Map::new("merkle_oracle_disputes");

/// The totals (all zero before the first root).
pub fn totals(storage: &dyn Storage) -> Result<Totals, ContractError> {
    Ok(TOTALS.may_load(storage)?.unwrap_or_default())
}
