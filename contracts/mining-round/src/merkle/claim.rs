//! `ClaimCumulative`: the sender proves its leaf in the latest accepted root and is paid the
//! difference between its cumulative entitlement and what it was paid before.

use cosmwasm_std::{Binary, DepsMut, Env, MessageInfo, Response, Uint128};
use cube_merkle::{compute_root, leaf_node, Leaf, LeafContext};
use cube_scoring::UsageBuckets;

use super::state::{totals, RootRecord, CLAIMED, ROOTS, TOTALS};
use crate::state::{counts_as_of, ensure_not_paused, CONFIG, FUNDS, POLICIES};
use crate::ContractError;

/// The fields of `ClaimCumulative`.
pub struct CumulativeClaim {
    pub round: u64,
    pub leaf_index: u64,
    pub cumulative: Uint128,
    pub buckets: UsageBuckets,
    pub score: Uint128,
    pub proof: Binary,
}

/// Checks that `leaf` at `leaf_index` with `proof` (48 bytes per level, leaf level first)
/// recomputes the attested root: the same hash and the same sum (the total entitlement).
/// Proof shape errors come as `Merkle(..)`; a different root as `InvalidProof { round }`.
pub fn verify_leaf(
    ctx: &LeafContext,
    leaf: &Leaf,
    leaf_index: u64,
    root: &RootRecord,
    proof: &[u8],
) -> Result<(), ContractError> {
    let a = &root.attestation;
    let node = leaf_node(ctx, leaf)?;
    let computed = compute_root(node, leaf_index, a.leaf_count, a.depth, proof)?;
    if computed.hash.as_slice() != a.root.as_slice() || computed.sum != a.total_entitlement.u128() {
        return Err(ContractError::InvalidProof { round: a.round });
    }
    Ok(())
}

pub fn claim_cumulative(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    c: CumulativeClaim,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    let mut t = totals(deps.storage)?;
    let latest = t.last_round.ok_or(ContractError::NoRoot {})?;
    if c.round != latest {
        return Err(ContractError::StaleProof {
            round: c.round,
            latest,
        });
    }
    let root = ROOTS.load(deps.storage, c.round)?;
    let owner = info.sender;
    let policy = POLICIES
        .load(deps.storage, root.attestation.policy_version)?
        .policy;
    let dual = counts_as_of(deps.storage, &owner, c.round)?.dual_product();
    let expected = Uint128::new(policy.score(&c.buckets, dual)?);
    if c.score != expected {
        return Err(ContractError::LeafScoreMismatch {
            score: c.score,
            expected,
        });
    }
    let ctx = LeafContext {
        chain_id: env.block.chain_id,
        contract: env.contract.address.into_string(),
        round: c.round,
    };
    let leaf = Leaf {
        owner: owner.to_string(),
        buckets: c.buckets,
        score: c.score.u128(),
        cumulative: c.cumulative.u128(),
    };
    verify_leaf(&ctx, &leaf, c.leaf_index, &root, c.proof.as_slice())?;
    if c.cumulative.is_zero() {
        return Err(ContractError::ZeroClaim {});
    }
    let claimed = CLAIMED.may_load(deps.storage, &owner)?.unwrap_or_default();
    if c.cumulative <= claimed {
        return Err(ContractError::CumulativeAlreadyClaimed {
            cumulative: c.cumulative,
            claimed,
        });
    }
    let amount = c.cumulative.checked_sub(claimed)?;
    t.total_paid = t.total_paid.checked_add(amount)?;
    if t.total_paid > t.total_entitlement {
        return Err(ContractError::PaidExceedsLocked {
            paid: t.total_paid,
            locked: t.total_entitlement,
        });
    }
    let mut funds = FUNDS.load(deps.storage)?;
    funds.locked = funds.locked.checked_sub(amount)?;
    FUNDS.save(deps.storage, &funds)?;
    TOTALS.save(deps.storage, &t)?;
    CLAIMED.save(deps.storage, &owner, &c.cumulative)?;
    let config = CONFIG.load(deps.storage)?;
    let res = Response::new()
        .add_attribute("action", "claim_cumulative")
        .add_attribute("owner", owner.as_str())
        .add_attribute("round", c.round.to_string())
        .add_attribute("cumulative", c.cumulative)
        .add_attribute("amount", amount)
        .add_attribute("claimed_before", claimed);
    crate::payout::pay(deps.storage, &config.reward_token, &owner, amount, res)
}
