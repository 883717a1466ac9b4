//! Queries of the merkle mode: finalized and pending roots, root votes, disputes and their
//! evidence, claimed entitlements and totals.

use contract_common::PageLimits;
use cosmwasm_std::{Addr, Deps, Env, HexBinary, Order, StdResult, Uint128};
use cube_types::mining_round::{
    ClaimedCumulativeResponse, DisputeKey, DisputeResponse, DisputeView, DisputesResponse,
    EntitlementsResponse, MerkleRootResponse, MerkleRootsResponse, PendingRootResponse,
    PendingRootView, RootAttestationView, RootTally, RootView, RootVote, RootVotesResponse,
    DEFAULT_DISPUTES_LIMIT, DEFAULT_ROOTS_LIMIT, MAX_DISPUTES_LIMIT, MAX_ROOTS_LIMIT,
};
use cw_storage_plus::Bound;

use super::dispute::dispute_bond;
use super::state::{
    totals, Attestation, Dispute, RootRecord, CLAIMED, DISPUTES, PENDING, PROPOSALS, ROOTS,
    ROOT_VOTES,
};
use crate::state::{CONFIG, MAX_VOTERS_READ, ORACLES};
use crate::ContractError;

/// Page size of `MerkleRoots`.
const ROOTS_PAGE: PageLimits = PageLimits::new(DEFAULT_ROOTS_LIMIT, MAX_ROOTS_LIMIT);

fn attestation_view(a: Attestation) -> RootAttestationView {
    RootAttestationView {
        round: a.round,
        root: a.root,
        total_entitlement: a.total_entitlement,
        total_score: a.total_score,
        leaf_count: a.leaf_count,
        depth: a.depth,
        policy_version: a.policy_version,
        leaves_digest: a.leaves_digest,
        input_digest: a.input_digest,
    }
}

fn root_view(r: RootRecord) -> RootView {
    let a = r.attestation;
    RootView {
        round: a.round,
        root: a.root,
        total_entitlement: a.total_entitlement,
        total_score: a.total_score,
        leaf_count: a.leaf_count,
        depth: a.depth,
        policy_version: a.policy_version,
        leaves_digest: a.leaves_digest,
        input_digest: a.input_digest,
        attestation_hash: r.attestation_hash,
        accepted_at: r.accepted_at,
        locked: r.locked,
        rewards_since_last: r.rewards_since_last,
    }
}

pub fn merkle_root(deps: Deps, round: Option<u64>) -> Result<MerkleRootResponse, ContractError> {
    let round = match round {
        Some(round) => Some(round),
        None => totals(deps.storage)?.last_round,
    };
    let root = match round {
        Some(round) => ROOTS.may_load(deps.storage, round)?.map(root_view),
        None => None,
    };
    Ok(MerkleRootResponse { root })
}

pub fn merkle_roots(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<MerkleRootsResponse, ContractError> {
    let limit = ROOTS_PAGE.page(limit);
    let roots: Vec<RootView> = ROOTS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|r| r.map(|(_, record)| root_view(record)))
        .collect::<StdResult<_>>()?;
    let next = if roots.len() < limit {
        None
    } else {
        roots.last().map(|r| r.round)
    };
    Ok(MerkleRootsResponse { roots, next })
}

pub fn root_votes(deps: Deps, round: u64) -> Result<RootVotesResponse, ContractError> {
    let quorum = CONFIG.load(deps.storage)?.quorum;
    // One entry per oracle that ever voted for the round (its current vote).
    let entries: Vec<(Addr, HexBinary)> = ROOT_VOTES
        .prefix(round)
        .range(deps.storage, None, None, Order::Ascending)
        .take(MAX_VOTERS_READ)
        .collect::<StdResult<_>>()?;
    let mut votes = Vec::with_capacity(entries.len());
    let mut tallies: Vec<RootTally> = vec![];
    for (oracle, hash) in entries {
        let current = ORACLES.has(deps.storage, &oracle);
        let position = match tallies.iter().position(|t| t.attestation_hash == hash) {
            Some(p) => Some(p),
            None => match PROPOSALS.may_load(deps.storage, (round, hash.as_slice()))? {
                Some(a) => {
                    tallies.push(RootTally {
                        attestation_hash: hash.clone(),
                        votes: 0,
                        attestation: attestation_view(a),
                    });
                    Some(tallies.len().saturating_sub(1))
                }
                None => None,
            },
        };
        if current {
            if let Some(tally) = position.and_then(|p| tallies.get_mut(p)) {
                tally.votes = tally.votes.saturating_add(1);
            }
        }
        votes.push(RootVote {
            oracle: oracle.into_string(),
            attestation_hash: hash,
            current_oracle: current,
        });
    }
    tallies.sort_by(|a, b| {
        a.attestation_hash
            .as_slice()
            .cmp(b.attestation_hash.as_slice())
    });
    Ok(RootVotesResponse {
        round,
        quorum,
        votes,
        tallies,
    })
}

pub fn claimed_cumulative(
    deps: Deps,
    owner: String,
) -> Result<ClaimedCumulativeResponse, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let claimed = CLAIMED.may_load(deps.storage, &owner)?.unwrap_or_default();
    Ok(ClaimedCumulativeResponse {
        owner: owner.into_string(),
        claimed,
    })
}

pub fn entitlements(deps: Deps) -> Result<EntitlementsResponse, ContractError> {
    let mode = CONFIG.load(deps.storage)?.attestation_mode;
    let t = totals(deps.storage)?;
    let outstanding: Uint128 = t.total_entitlement.checked_sub(t.total_paid)?;
    Ok(EntitlementsResponse {
        mode,
        last_round: t.last_round,
        total_entitlement: t.total_entitlement,
        total_paid: t.total_paid,
        outstanding,
    })
}

/// The pending root, its window's end and the bond of a dispute.
pub fn pending_root(deps: Deps, env: Env) -> Result<PendingRootResponse, ContractError> {
    let Some(p) = PENDING.may_load(deps.storage)? else {
        return Ok(PendingRootResponse { pending: None });
    };
    let config = CONFIG.load(deps.storage)?;
    let dispute_bond = dispute_bond(deps.storage, &config, p.record.attestation.round)?;
    Ok(PendingRootResponse {
        pending: Some(PendingRootView {
            root: root_view(p.record),
            finalizes_at: p.finalizes_at,
            finalizable: env.block.time.seconds() >= p.finalizes_at,
            dispute_bond,
        }),
    })
}

fn dispute_view(round: u64, hash: &[u8], d: Dispute) -> DisputeView {
    DisputeView {
        round,
        attestation_hash: HexBinary::from(hash),
        disputer: d.disputer.into_string(),
        by_oracle: d.by_oracle,
        bond: d.bond,
        reason: d.reason,
        disputed_at: d.disputed_at,
        outcome: d.outcome,
        resolved_at: d.resolved_at,
        evidence: root_view(d.evidence),
        voters: d.voters.into_iter().map(Addr::into_string).collect(),
    }
}

pub fn dispute(
    deps: Deps,
    round: u64,
    attestation_hash: HexBinary,
) -> Result<DisputeResponse, ContractError> {
    let dispute = DISPUTES
        .may_load(deps.storage, (round, attestation_hash.as_slice()))?
        .map(|d| dispute_view(round, attestation_hash.as_slice(), d));
    Ok(DisputeResponse { dispute })
}

/// Page size of `Disputes`.
const DISPUTES_PAGE: PageLimits = PageLimits::new(DEFAULT_DISPUTES_LIMIT, MAX_DISPUTES_LIMIT);

pub fn disputes(
    deps: Deps,
    start_after: Option<DisputeKey>,
    limit: Option<u32>,
) -> Result<DisputesResponse, ContractError> {
    let limit = DISPUTES_PAGE.page(limit);
    let start = start_after
        .as_ref()
        .map(|k| Bound::exclusive((k.round, k.attestation_hash.as_slice())));
    let disputes: Vec<DisputeView> = DISPUTES
        .range(deps.storage, start, None, Order::Ascending)
        .take(limit)
        .map(|r| r.map(|((round, hash), d)| dispute_view(round, &hash, d)))
        .collect::<StdResult<_>>()?;
    let next = if disputes.len() < limit {
        None
    } else {
        disputes.last().map(|d| DisputeKey {
            round: d.round,
            attestation_hash: d.attestation_hash.clone(),
        })
    };
    Ok(DisputesResponse { disputes, next })
}
