//! `ClaimCumulative` (the sender proves its leaf) and `ClaimMany` (anyone, for many owners):
//! each owner is paid, through its payout profile, the difference between its cumulative
//! entitlement in the last finalized root and what it was paid before.

use std::cmp::Ordering;

use cosmwasm_std::{to_json_binary, Addr, Binary, DepsMut, Env, MessageInfo, Response, Uint128};
use cube_merkle::{compute_root, leaf_node, Leaf, LeafContext};
use cube_scoring::{ScorePolicy, UsageBuckets};
use cube_types::mining_round::{
    ClaimManyResult, ClaimPaid, ClaimSkipReason, ClaimSkipped, OwnerClaim, MAX_CLAIM_MANY,
};

use super::finalize::finalize_due;
use super::state::{totals, RootRecord, Totals, CLAIMED, ROOTS, TOTALS};
use crate::state::{counts_as_of, ensure_not_paused, Funds, CONFIG, FUNDS, POLICIES};
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

/// How a claim's round stands against the last finalized root.
enum RoundCheck {
    /// The last finalized root's round: claimable.
    Latest,
    /// Older: `StaleProof`.
    Stale { latest: u64 },
    /// Newer (pending or unknown).
    NotFinal,
}

fn check_round(t: &Totals, round: u64) -> RoundCheck {
    match t.last_round.map(|latest| (round.cmp(&latest), latest)) {
        Some((Ordering::Equal, _)) => RoundCheck::Latest,
        Some((Ordering::Less, latest)) => RoundCheck::Stale { latest },
        _ => RoundCheck::NotFinal,
    }
}

/// What one verified leaf comes to.
enum LeafOutcome {
    Paid { amount: Uint128, before: Uint128 },
    Zero,
    Claimed { claimed: Uint128 },
}

/// The last finalized root and what its leaves are checked with.
struct ClaimContext {
    root: RootRecord,
    policy: ScorePolicy,
    leaf_ctx: LeafContext,
}

impl ClaimContext {
    fn load(deps: &DepsMut, env: &Env, round: u64) -> Result<Self, ContractError> {
        let root = ROOTS.load(deps.storage, round)?;
        let policy = POLICIES
            .load(deps.storage, root.attestation.policy_version)?
            .policy;
        Ok(ClaimContext {
            root,
            policy,
            leaf_ctx: LeafContext {
                chain_id: env.block.chain_id.clone(),
                contract: env.contract.address.to_string(),
                round,
            },
        })
    }

    /// Checks the score and the proof of `owner`'s leaf (errors: malformed input), then pays
    /// the difference to what it was paid, recording it in `t`, `funds` and `CLAIMED`.
    fn settle(
        &self,
        deps: &mut DepsMut,
        owner: &Addr,
        c: &CumulativeClaim,
        t: &mut Totals,
        funds: &mut Funds,
    ) -> Result<LeafOutcome, ContractError> {
        let dual = counts_as_of(deps.storage, owner, c.round)?.dual_product();
        let expected = Uint128::new(self.policy.score(&c.buckets, dual)?);
        if c.score != expected {
            return Err(ContractError::LeafScoreMismatch {
                score: c.score,
                expected,
            });
        }
        let leaf = Leaf {
            owner: owner.to_string(),
            buckets: c.buckets,
            score: c.score.u128(),
            cumulative: c.cumulative.u128(),
        };
        verify_leaf(
            &self.leaf_ctx,
            &leaf,
            c.leaf_index,
            &self.root,
            c.proof.as_slice(),
        )?;
        if c.cumulative.is_zero() {
            return Ok(LeafOutcome::Zero);
        }
        let claimed = CLAIMED.may_load(deps.storage, owner)?.unwrap_or_default();
        if c.cumulative <= claimed {
            return Ok(LeafOutcome::Claimed { claimed });
        }
        let amount = c.cumulative.checked_sub(claimed)?;
        t.total_paid = t.total_paid.checked_add(amount)?;
        if t.total_paid > t.total_entitlement {
            return Err(ContractError::PaidExceedsLocked {
                paid: t.total_paid,
                locked: t.total_entitlement,
            });
        }
        funds.locked = funds.locked.checked_sub(amount)?;
        CLAIMED.save(deps.storage, owner, &c.cumulative)?;
        Ok(LeafOutcome::Paid {
            amount,
            before: claimed,
        })
    }
}

pub fn claim_cumulative(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    c: CumulativeClaim,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let (res, pending) = finalize_due(deps.storage, &config, now, Response::new())?;
    let mut t = totals(deps.storage)?;
    match check_round(&t, c.round) {
        RoundCheck::Latest => {}
        RoundCheck::Stale { latest } => {
            return Err(ContractError::StaleProof {
                round: c.round,
                latest,
            })
        }
        RoundCheck::NotFinal => {
            if let Some(p) = pending.filter(|p| p.record.attestation.round == c.round) {
                return Err(p.still_pending());
            }
            return Err(match t.last_round {
                None => ContractError::NoRoot {},
                latest => ContractError::RootNotFinalized {
                    round: c.round,
                    latest,
                },
            });
        }
    }
    let owner = info.sender;
    let ctx = ClaimContext::load(&deps, &env, c.round)?;
    let mut funds = FUNDS.load(deps.storage)?;
    let (amount, claimed) = match ctx.settle(&mut deps, &owner, &c, &mut t, &mut funds)? {
        LeafOutcome::Paid { amount, before } => (amount, before),
        LeafOutcome::Zero => return Err(ContractError::ZeroClaim {}),
        LeafOutcome::Claimed { claimed } => {
            return Err(ContractError::CumulativeAlreadyClaimed {
                cumulative: c.cumulative,
                claimed,
            })
        }
    };
    FUNDS.save(deps.storage, &funds)?;
    TOTALS.save(deps.storage, &t)?;
    let res = res
        .add_attribute("action", "claim_cumulative")
        .add_attribute("owner", owner.as_str())
        .add_attribute("round", c.round.to_string())
        .add_attribute("cumulative", c.cumulative)
        .add_attribute("amount", amount)
        .add_attribute("claimed_before", claimed);
    crate::payout::pay(deps.storage, &config.reward_token, &owner, amount, res)
}

/// Anyone: pays many owners against the last finalized root. Stale, not final, zero and
/// already claimed entries are skipped and reported; malformed ones fail the message.
pub fn claim_many(
    mut deps: DepsMut,
    env: Env,
    claims: Vec<OwnerClaim>,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    if claims.is_empty() {
        return Err(ContractError::EmptyClaims {});
    }
    let max = usize::try_from(MAX_CLAIM_MANY).unwrap_or(usize::MAX);
    if claims.len() > max {
        return Err(ContractError::TooManyClaims {
            count: claims.len(),
            max: MAX_CLAIM_MANY,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let (mut res, _) = finalize_due(deps.storage, &config, now, Response::new())?;
    let mut t = totals(deps.storage)?;
    let ctx = match t.last_round {
        Some(latest) => Some(ClaimContext::load(&deps, &env, latest)?),
        None => None,
    };
    let mut funds = FUNDS.load(deps.storage)?;
    let mut result = ClaimManyResult {
        latest: t.last_round,
        paid: vec![],
        skipped: vec![],
    };
    let mut total = Uint128::zero();
    let mut payouts: Vec<(Addr, Uint128)> = vec![];
    for (i, entry) in claims.into_iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let owner =
            deps.api
                .addr_validate(&entry.owner)
                .map_err(|_| ContractError::InvalidOwner {
                    owner: entry.owner.clone(),
                })?;
        let skip = |reason| ClaimSkipped {
            index,
            owner: owner.to_string(),
            reason,
        };
        let root = match (check_round(&t, entry.round), &ctx) {
            (RoundCheck::Latest, Some(root)) => root,
            (RoundCheck::Stale { .. }, _) => {
                result.skipped.push(skip(ClaimSkipReason::Stale));
                continue;
            }
            _ => {
                result.skipped.push(skip(ClaimSkipReason::NotFinal));
                continue;
            }
        };
        let c = CumulativeClaim {
            round: entry.round,
            leaf_index: entry.leaf_index,
            cumulative: entry.cumulative,
            buckets: entry.buckets,
            score: entry.score,
            proof: entry.proof,
        };
        match root.settle(&mut deps, &owner, &c, &mut t, &mut funds)? {
            LeafOutcome::Paid { amount, .. } => {
                total = total.checked_add(amount)?;
                result.paid.push(ClaimPaid {
                    index,
                    owner: owner.to_string(),
                    amount,
                });
                payouts.push((owner, amount));
            }
            LeafOutcome::Zero => result.skipped.push(skip(ClaimSkipReason::Zero)),
            LeafOutcome::Claimed { .. } => result.skipped.push(skip(ClaimSkipReason::Claimed)),
        }
    }
    FUNDS.save(deps.storage, &funds)?;
    TOTALS.save(deps.storage, &t)?;
    res = res
        .add_attribute("action", "claim_many")
        .add_attribute(
            "latest",
            t.last_round.map(|r| r.to_string()).unwrap_or_default(),
        )
        .add_attribute("paid", result.paid.len().to_string())
        .add_attribute("skipped", result.skipped.len().to_string())
        .add_attribute("total", total);
    for s in &result.skipped {
        res = res.add_attribute(
            "skip",
            format!("{}:{}:{}", s.index, s.owner, s.reason.as_str()),
        );
    }
    for (owner, amount) in payouts {
        res = crate::payout::pay(deps.storage, &config.reward_token, &owner, amount, res)?;
    }
    Ok(res.set_data(to_json_binary(&result)?))
}
