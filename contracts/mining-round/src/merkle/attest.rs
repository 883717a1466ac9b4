//! `AttestRoot` (replaceable votes of current oracles), `AcceptRoot` and the acceptance of a
//! root: the entitlement increase is bounded by the rewards of the rounds since the last
//! finalized root and the unlocked funds; the root then waits out its challenge window
//! (`finalize`), and exactly that increase is locked when it is finalized.

use contract_common::Checked;
use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, MessageInfo, Order, Response, Storage, Uint128};
use cw_storage_plus::Bound;

use super::finalize::{finalize_due, start_window};
use super::state::{
    totals, Attestation, PendingRoot, RootRecord, Totals, DISPUTES, PROPOSALS, ROOT_VOTES,
};
use crate::oracles::{current_voters, ensure_oracle, vote_count};
use crate::state::{
    ensure_not_paused, policy_version_for_round, stored_rules, Config, CONFIG, FUNDS, RULES,
};
use crate::validate::hash32;
use crate::ContractError;

/// Most entries of the rules history read to sum the rewards since the last root.
pub const MAX_RULE_ENTRIES: usize = 1_000;

/// Checks the attestation may be voted on (or accepted) at `now`: its round ended, is inside
/// its attestation window and after the last finalized and the pending root, it was not
/// disputed, its policy version is the round's, and the entitlement does not decrease.
fn check_attestable(
    storage: &dyn Storage,
    config: &Config,
    now: u64,
    a: &Attestation,
    hash: &[u8],
    totals: &Totals,
    pending: Option<&PendingRoot>,
) -> Result<(), ContractError> {
    let round = a.round;
    config.ensure_attestation_open(storage, round, now)?;
    let pending = pending.map(|p| p.record.attestation.round);
    if let Some(last) = totals.last_round.max(pending) {
        if round <= last {
            return Err(ContractError::RootNotAfterLast { round, last });
        }
    }
    ensure_not_disputed(storage, round, hash)?;
    let expected = policy_version_for_round(storage, round)?;
    if a.policy_version != expected {
        return Err(ContractError::WrongPolicyVersion {
            round,
            expected,
            got: a.policy_version,
        });
    }
    if a.total_entitlement < totals.total_entitlement {
        return Err(ContractError::EntitlementDecreased {
            total: a.total_entitlement,
            last: totals.total_entitlement,
        });
    }
    Ok(())
}

/// Fails with `RootDisputed` if the attestation `hash` of `round` was disputed: only the owner
/// may re-affirm it (`ReaffirmRoot`).
pub fn ensure_not_disputed(
    storage: &dyn Storage,
    round: u64,
    hash: &[u8],
) -> Result<(), ContractError> {
    if DISPUTES.has(storage, (round, hash)) {
        return Err(ContractError::RootDisputed {
            round,
            attestation_hash: HexBinary::from(hash),
        });
    }
    Ok(())
}

/// The current oracles whose root vote for `round` is `hash` ([`current_voters`]: a removed
/// oracle's vote never counts).
pub fn root_voters(
    storage: &dyn Storage,
    round: u64,
    hash: &[u8],
) -> Result<Vec<Addr>, ContractError> {
    current_voters(storage, hash, |oracle| {
        Ok(ROOT_VOTES.may_load(storage, (round, oracle))?)
    })
}

/// Number of [`root_voters`].
pub fn root_tally(storage: &dyn Storage, round: u64, hash: &[u8]) -> Result<u32, ContractError> {
    Ok(vote_count(&root_voters(storage, round, hash)?))
}

/// Oracle: votes `a` (replacing its earlier vote for the round) and accepts it at quorum, unless
/// a root is pending: then the vote waits (`AcceptRoot` accepts it after the window).
pub fn attest_root(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    a: Attestation,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    ensure_oracle(deps.storage, &info.sender)?;
    // Hash lengths first (InvalidHashLength), then the tree shape.
    let merkle = a.to_merkle()?;
    if cube_merkle::depth_for(a.leaf_count).ok() != Some(a.depth) {
        return Err(ContractError::InvalidTreeShape {
            leaf_count: a.leaf_count,
            depth: a.depth,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let (res, pending) = finalize_due(deps.storage, &config, now, Response::new())?;
    let t = totals(deps.storage)?;
    let hash = merkle.hash(&env.block.chain_id, env.contract.address.as_str())?;
    check_attestable(deps.storage, &config, now, &a, &hash, &t, pending.as_ref())?;
    let round = a.round;
    let oracle = info.sender;
    let previous = ROOT_VOTES.may_load(deps.storage, (round, &oracle))?;
    if previous
        .as_ref()
        .is_some_and(|p| p.as_slice() == hash.as_slice())
    {
        return Err(ContractError::AlreadyVotedRoot {
            oracle: oracle.into_string(),
            round,
        });
    }
    if !PROPOSALS.has(deps.storage, (round, hash.as_slice())) {
        PROPOSALS.save(deps.storage, (round, hash.as_slice()), &a)?;
    }
    let hash_hex = HexBinary::from(hash);
    ROOT_VOTES.save(deps.storage, (round, &oracle), &hash_hex)?;
    let votes = root_tally(deps.storage, round, &hash)?;
    let accepted = votes >= config.quorum && pending.is_none();
    let mut res = res
        .add_attribute("action", "attest_root")
        .add_attribute("round", round.to_string())
        .add_attribute("attestation_hash", hash_hex.to_hex())
        .add_attribute("oracle", oracle.as_str())
        .add_attribute("votes", votes.to_string())
        .add_attribute("quorum", config.quorum.to_string())
        .add_attribute("accepted", accepted.to_string());
    if let Some(previous) = previous {
        res = res.add_attribute("replaced_hash", previous.to_hex());
    }
    if votes >= config.quorum {
        if let Some(p) = pending {
            res = res.add_attribute("deferred_by", p.record.attestation.round.to_string());
        }
    }
    if accepted {
        let record = accept_root(deps.storage, &config, now, &t, a, hash_hex)?;
        res = start_window(
            deps.storage,
            &config,
            now,
            record.clone(),
            with_root(res, &record),
        )?;
    }
    Ok(res)
}

/// Anyone: accepts the proposal `attestation_hash` of `round` whose tally of current oracles
/// meets the current quorum.
pub fn accept_proposal(
    deps: DepsMut,
    env: Env,
    round: u64,
    attestation_hash: HexBinary,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    let hash = hash32(&attestation_hash)?;
    let a = PROPOSALS
        .may_load(deps.storage, (round, hash.as_slice()))?
        .ok_or_else(|| ContractError::UnknownAttestation {
            round,
            attestation_hash: attestation_hash.clone(),
        })?;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let (res, pending) = finalize_due(deps.storage, &config, now, Response::new())?;
    let t = totals(deps.storage)?;
    check_attestable(deps.storage, &config, now, &a, &hash, &t, pending.as_ref())?;
    if let Some(p) = pending {
        return Err(p.still_pending());
    }
    let votes = root_tally(deps.storage, round, &hash)?;
    if votes < config.quorum {
        return Err(ContractError::RootQuorumNotReached {
            round,
            votes,
            quorum: config.quorum,
        });
    }
    let res = res
        .add_attribute("action", "accept_root")
        .add_attribute("round", round.to_string())
        .add_attribute("attestation_hash", attestation_hash.to_hex())
        .add_attribute("votes", votes.to_string())
        .add_attribute("quorum", config.quorum.to_string());
    let record = accept_root(deps.storage, &config, now, &t, a, attestation_hash)?;
    let res = with_root(res, &record);
    start_window(deps.storage, &config, now, record, res)
}

/// After an acceptance: the root, the new total entitlement and the increase it will lock.
fn with_root(res: Response, record: &RootRecord) -> Response {
    res.add_attribute("root", record.attestation.root.to_hex())
        .add_attribute("total_entitlement", record.attestation.total_entitlement)
        .add_attribute("increase", record.locked)
}

/// Σ of the pinned round rewards of rounds `from..=to` (zero when `from > to`), over the
/// segments of the rules history (one entry per first round of a change), never round by
/// round: at most [`MAX_RULE_ENTRIES`] entries read, else `TooManyRuleChanges`.
pub fn rewards_between(
    storage: &dyn Storage,
    config: &Config,
    from: u64,
    to: u64,
) -> Result<Uint128, ContractError> {
    if from > to {
        return Ok(Uint128::zero());
    }
    let mut start = from;
    let mut reward = stored_rules(storage, from)?.resolve(config).reward();
    let mut total = Uint128::zero();
    let mut read: usize = 1;
    let later = RULES
        .range(
            storage,
            Some(Bound::exclusive(from)),
            Some(Bound::inclusive(to)),
            Order::Ascending,
        )
        .take(MAX_RULE_ENTRIES);
    for entry in later {
        let (next, rules) = entry?;
        read = read.saturating_add(1);
        if read > MAX_RULE_ENTRIES {
            return Err(ContractError::TooManyRuleChanges {});
        }
        total = total.checked_add(segment(reward, next.try_sub(start)?)?)?;
        start = next;
        reward = rules.resolve(config).reward();
    }
    let last = to.try_sub(start)?.checked_inc()?;
    Ok(total.checked_add(segment(reward, last)?)?)
}

/// `rounds × reward`, checked.
fn segment(reward: Uint128, rounds: u64) -> Result<Uint128, ContractError> {
    Ok(reward.checked_mul(Uint128::from(rounds))?)
}

/// The record of accepting `a` (checked by the caller) at `now`: its entitlement increase,
/// bounded by min(Σ rewards of the rounds since the last finalized root, unlocked). Nothing
/// is stored or locked here (`finalize::start_window` does that). O(1) in the number of owners.
pub fn accept_root(
    storage: &dyn Storage,
    config: &Config,
    now: u64,
    totals: &Totals,
    a: Attestation,
    attestation_hash: HexBinary,
) -> Result<RootRecord, ContractError> {
    let from = match totals.last_round {
        Some(last) => last.checked_inc()?,
        None => 0,
    };
    let rewards = rewards_between(storage, config, from, a.round)?;
    let funds = FUNDS.load(storage)?;
    let increase = a
        .total_entitlement
        .checked_sub(totals.total_entitlement)
        .map_err(|_| ContractError::EntitlementDecreased {
            total: a.total_entitlement,
            last: totals.total_entitlement,
        })?;
    if increase > rewards.min(funds.unlocked) {
        return Err(ContractError::EntitlementExceedsBudget {
            increase,
            rewards,
            unlocked: funds.unlocked,
        });
    }
    Ok(RootRecord {
        attestation: a,
        attestation_hash,
        accepted_at: now,
        locked: increase,
        rewards_since_last: rewards,
    })
}
