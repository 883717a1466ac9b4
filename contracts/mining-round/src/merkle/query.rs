//! Queries of the merkle mode: accepted roots, root votes, claimed entitlements and totals.

use contract_common::PageLimits;
use cosmwasm_std::{Addr, Deps, HexBinary, Order, StdResult, Uint128};
use cube_types::mining_round::{
    ClaimedCumulativeResponse, EntitlementsResponse, MerkleRootResponse, MerkleRootsResponse,
    RootAttestationView, RootTally, RootView, RootVote, RootVotesResponse, DEFAULT_ROOTS_LIMIT,
    MAX_ROOTS_LIMIT,
};
use cw_storage_plus::Bound;

use super::state::{totals, Attestation, RootRecord, CLAIMED, PROPOSALS, ROOTS, ROOT_VOTES};
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
