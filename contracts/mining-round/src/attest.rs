//! Oracle attestations: `SubmitUsage`, `VoteBatch` (replaceable votes), `AcceptBatch`, batch
//! acceptance at quorum of current oracles, on-chain scoring with the round's own registry view,
//! finalization and `CloseVoidRound`.

use contract_common::Checked;
use cosmwasm_std::{
    Addr, Api, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Storage, Uint128,
};
use cube_scoring::{batch_hash, ScoringError, UsageEntry};

use crate::oracles::{count_current_votes, ensure_oracle};

use crate::state::{
    counts_as_of, ensure_not_paused, pause_clock, policy_version_for_round, rules_for_round,
    Config, RoundRules, RoundState, ScoreRecord, StoredBatch, StoredStatus, ACCEPTED, BATCHES,
    CONFIG, FUNDS, LEADERBOARD, MAX_BATCH_COUNT, OWNER_ROUNDS, POLICIES, ROUNDS, SCORES,
    SWEEP_QUEUE, VOTED_BATCHES, VOTERS, VOTES,
};
use crate::state::{voter_key, BATCH_HASHES};
use crate::validate::hash32;
use crate::ContractError;
use cube_types::mining_round::BatchId;

/// Loads the round (or a fresh state) after checking the batch may be voted on (or accepted)
/// now.
fn check_attestable(
    storage: &dyn Storage,
    config: &Config,
    now: u64,
    h: &BatchId,
) -> Result<RoundState, ContractError> {
    if h.batch_count == 0 || h.batch_count > MAX_BATCH_COUNT || h.batch_index >= h.batch_count {
        return Err(ContractError::InvalidBatchIndex {
            batch_index: h.batch_index,
            batch_count: h.batch_count,
            max: MAX_BATCH_COUNT,
        });
    }
    config.ensure_attestation_open(storage, h.round, now)?;
    let state = match ROUNDS.may_load(storage, h.round)? {
        Some(state) => state,
        None => RoundState::new(policy_version_for_round(storage, h.round)?),
    };
    if ACCEPTED.has(storage, (h.round, h.batch_index)) {
        return Err(ContractError::BatchAlreadyAccepted {
            round: h.round,
            batch_index: h.batch_index,
        });
    }
    if state.status != StoredStatus::Attesting {
        return Err(ContractError::RoundNotAttesting { round: h.round });
    }
    if let Some(expected) = state.batch_count {
        if expected != h.batch_count {
            return Err(ContractError::BatchCountMismatch {
                round: h.round,
                expected,
                got: h.batch_count,
            });
        }
    }
    if h.policy_version != state.policy_version {
        return Err(ContractError::WrongPolicyVersion {
            round: h.round,
            expected: state.policy_version,
            got: h.policy_version,
        });
    }
    Ok(state)
}

/// Number of current oracles whose vote for (round, batch_index) is `hash`
/// ([`count_current_votes`]: a removed oracle's vote never counts).
pub fn tally(
    storage: &dyn Storage,
    round: u64,
    batch_index: u32,
    hash: &[u8],
) -> Result<u32, ContractError> {
    count_current_votes(storage, hash, |oracle| {
        Ok(VOTES.may_load(storage, (round, batch_index, oracle))?)
    })
}

/// Validates the owner address (normalized form) and the plausibility cap of the round's own
/// registry view; returns the address and whether the owner held both models in that round.
fn check_entry(
    api: &dyn Api,
    storage: &dyn Storage,
    config: &Config,
    rules: &RoundRules,
    round: u64,
    entry: &UsageEntry,
) -> Result<(Addr, bool), ContractError> {
    let owner = api
        .addr_validate(&entry.owner)
        .ok()
        .filter(|a| a.as_str() == entry.owner)
        .ok_or_else(|| ContractError::InvalidOwner {
            owner: entry.owner.clone(),
        })?;
    let counts = counts_as_of(storage, &owner, round)?;
    let cap = rules
        .rated_power
        .max_wh(counts.cube_v1, counts.cube_v2, config.round_duration);
    let wh = entry.buckets.total_wh();
    if wh > cap {
        return Err(ContractError::PlausibilityCapExceeded {
            owner: entry.owner.clone(),
            wh,
            cap,
        });
    }
    Ok((owner, counts.dual_product()))
}

pub fn submit_usage(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    h: BatchId,
    entries: Vec<UsageEntry>,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    ensure_oracle(deps.storage, &info.sender)?;
    let config = CONFIG.load(deps.storage)?;
    let rules = rules_for_round(deps.storage, &config, h.round)?;
    let max = rules.max_entries_per_batch;
    if u32::try_from(entries.len()).map_or(true, |n| n > max) {
        return Err(ContractError::TooManyEntries {
            count: entries.len(),
            max,
        });
    }
    let now = env.block.time.seconds();
    let state = check_attestable(deps.storage, &config, now, &h)?;
    let hash = batch_hash(
        h.round,
        h.batch_index,
        h.batch_count,
        h.policy_version,
        &entries,
    )
    .map_err(|e| match e {
        ScoringError::UnsortedEntries { index, owner } => {
            ContractError::UnsortedEntries { index, owner }
        }
        other => ContractError::Scoring(other),
    })?;
    for entry in &entries {
        check_entry(deps.api, deps.storage, &config, &rules, h.round, entry)?;
    }
    let entry_count = entries.len();
    if !BATCHES.has(deps.storage, (h.round, hash.as_slice())) {
        BATCH_HASHES.save(
            deps.storage,
            (h.round, h.batch_index, hash.as_slice()),
            &Empty {},
        )?;
        BATCHES.save(
            deps.storage,
            (h.round, hash.as_slice()),
            &StoredBatch {
                batch_index: h.batch_index,
                batch_count: h.batch_count,
                policy_version: h.policy_version,
                entries,
            },
        )?;
    }
    let res = Response::new()
        .add_attribute("action", "submit_usage")
        .add_attribute("entries", entry_count.to_string());
    cast_vote(deps, now, &info.sender, &config, state, h, &hash, res)
}

/// Loads the stored batch of `hash` for (round, batch_index) or fails with `UnknownBatchHash`.
fn stored_header(
    storage: &dyn Storage,
    round: u64,
    batch_index: u32,
    hash: &[u8; 32],
) -> Result<BatchId, ContractError> {
    BATCHES
        .may_load(storage, (round, hash.as_slice()))?
        .filter(|b| b.batch_index == batch_index)
        .map(|b| BatchId {
            round,
            batch_index,
            batch_count: b.batch_count,
            policy_version: b.policy_version,
        })
        .ok_or_else(|| ContractError::UnknownBatchHash {
            round,
            batch_hash: HexBinary::from(hash.as_slice()),
        })
}

/// Anyone: accepts a batch whose tally of current oracles meets the current quorum.
pub fn accept_batch(
    mut deps: DepsMut,
    env: Env,
    round: u64,
    batch_index: u32,
    hash: HexBinary,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let hash = hash32(&hash)?;
    let h = stored_header(deps.storage, round, batch_index, &hash)?;
    let mut state = check_attestable(deps.storage, &config, now, &h)?;
    let votes = tally(deps.storage, round, batch_index, &hash)?;
    if votes < config.quorum {
        return Err(ContractError::QuorumNotReached {
            round,
            batch_index,
            votes,
            quorum: config.quorum,
        });
    }
    accept(deps.branch(), now, &config, &mut state, h, &hash)?;
    ROUNDS.save(deps.storage, round, &state)?;
    let res = Response::new()
        .add_attribute("action", "accept_batch")
        .add_attribute("round", round.to_string())
        .add_attribute("batch_index", batch_index.to_string())
        .add_attribute("batch_hash", HexBinary::from(hash.as_slice()).to_hex())
        .add_attribute("votes", votes.to_string())
        .add_attribute("quorum", config.quorum.to_string());
    Ok(with_progress(res, &state))
}

/// After an acceptance: the round's accepted batches and total score, and its reward once
/// finalized.
fn with_progress(res: Response, state: &RoundState) -> Response {
    let res = res
        .add_attribute("accepted_batches", state.accepted_batches.to_string())
        .add_attribute("total_score", state.total_score);
    if state.status != StoredStatus::Finalized {
        return res;
    }
    res.add_attribute("finalized", "true")
        .add_attribute("reward", state.reward)
}

pub fn vote_batch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    h: BatchId,
    hash: HexBinary,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    ensure_oracle(deps.storage, &info.sender)?;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let state = check_attestable(deps.storage, &config, now, &h)?;
    let hash = hash32(&hash)?;
    let stored = BATCHES.may_load(deps.storage, (h.round, hash.as_slice()))?;
    // The hash commits to the header, so a stored batch with another header cannot match.
    let matches = stored.is_some_and(|b| {
        b.batch_index == h.batch_index
            && b.batch_count == h.batch_count
            && b.policy_version == h.policy_version
    });
    if !matches {
        return Err(ContractError::UnknownBatchHash {
            round: h.round,
            batch_hash: HexBinary::from(hash),
        });
    }
    let res = Response::new().add_attribute("action", "vote_batch");
    cast_vote(deps, now, &info.sender, &config, state, h, &hash, res)
}

#[allow(clippy::too_many_arguments)]
fn cast_vote(
    mut deps: DepsMut,
    now: u64,
    oracle: &Addr,
    config: &Config,
    mut state: RoundState,
    h: BatchId,
    hash: &[u8; 32],
    res: Response,
) -> Result<Response, ContractError> {
    let vote_key = (h.round, h.batch_index, oracle);
    let previous = VOTES.may_load(deps.storage, vote_key)?;
    if previous.as_ref().is_some_and(|p| p.as_slice() == hash) {
        return Err(ContractError::AlreadyVoted {
            oracle: oracle.to_string(),
            round: h.round,
            batch_index: h.batch_index,
        });
    }
    let mut res = res;
    if let Some(previous) = previous {
        // The vote moves: the old hash keeps its data (evidence) but loses this voter.
        VOTERS.remove(
            deps.storage,
            (
                h.round,
                h.batch_index,
                voter_key(previous.as_slice(), oracle).as_slice(),
            ),
        );
        res = res.add_attribute("replaced_hash", previous.to_hex());
    }
    VOTES.save(deps.storage, vote_key, &HexBinary::from(hash.as_slice()))?;
    VOTERS.save(
        deps.storage,
        (
            h.round,
            h.batch_index,
            voter_key(hash.as_slice(), oracle).as_slice(),
        ),
        &Empty {},
    )?;
    if !VOTED_BATCHES.has(deps.storage, (h.round, h.batch_index)) {
        VOTED_BATCHES.save(deps.storage, (h.round, h.batch_index), &Empty {})?;
        state.batches_with_votes = state.batches_with_votes.saturating_add(1);
    }
    let votes = tally(deps.storage, h.round, h.batch_index, hash)?;
    let mut res = res
        .add_attribute("round", h.round.to_string())
        .add_attribute("batch_index", h.batch_index.to_string())
        .add_attribute("batch_count", h.batch_count.to_string())
        .add_attribute("policy_version", h.policy_version.to_string())
        .add_attribute("batch_hash", HexBinary::from(hash.as_slice()).to_hex())
        .add_attribute("oracle", oracle.as_str())
        .add_attribute("votes", votes.to_string())
        .add_attribute("quorum", config.quorum.to_string());
    let accepted = votes >= config.quorum;
    res = res.add_attribute("accepted", accepted.to_string());
    if accepted {
        accept(deps.branch(), now, config, &mut state, h, hash)?;
        res = with_progress(res, &state);
    }
    ROUNDS.save(deps.storage, h.round, &state)?;
    Ok(res)
}

/// Scores every entry of the accepted batch and finalizes the round after its last batch.
fn accept(
    deps: DepsMut,
    now: u64,
    config: &Config,
    state: &mut RoundState,
    h: BatchId,
    hash: &[u8; 32],
) -> Result<(), ContractError> {
    let batch = BATCHES.load(deps.storage, (h.round, hash.as_slice()))?;
    let policy = POLICIES.load(deps.storage, state.policy_version)?.policy;
    let rules = rules_for_round(deps.storage, config, h.round)?;
    for entry in &batch.entries {
        let (owner, dual_product) =
            check_entry(deps.api, deps.storage, config, &rules, h.round, entry)?;
        if SCORES.has(deps.storage, (h.round, &owner)) {
            return Err(ContractError::OwnerAlreadyScored {
                round: h.round,
                owner: owner.to_string(),
            });
        }
        let score = policy.score(&entry.buckets, dual_product)?;
        SCORES.save(
            deps.storage,
            (h.round, &owner),
            &ScoreRecord {
                score: Uint128::new(score),
                buckets: entry.buckets,
                dual_product,
                claimed: false,
            },
        )?;
        if score > 0 {
            LEADERBOARD.save(deps.storage, (h.round, score, &owner), &Empty {})?;
            OWNER_ROUNDS.save(deps.storage, (&owner, h.round), &Empty {})?;
        }
        state.total_score = state.total_score.checked_add(Uint128::new(score))?;
        state.scored_owners = state.scored_owners.checked_inc()?;
    }
    ACCEPTED.save(
        deps.storage,
        (h.round, h.batch_index),
        &HexBinary::from(hash.as_slice()),
    )?;
    state.batch_count = Some(h.batch_count);
    state.accepted_batches = state.accepted_batches.checked_inc()?;
    if state.accepted_batches == h.batch_count {
        finalize(deps.storage, now, &rules, h.round, state)?;
    }
    Ok(())
}

/// Locks min(the round's reward, unlocked) (nothing when the total score is zero); the claim
/// window, pinned for the round, runs on the claim clock (it stands still while paused). The
/// reward was reserved at the round's end: `WithdrawUnlocked` leaves it in place
/// (`funding::reserved`).
fn finalize(
    storage: &mut dyn Storage,
    now: u64,
    rules: &RoundRules,
    round: u64,
    state: &mut RoundState,
) -> Result<(), ContractError> {
    let mut funds = FUNDS.load(storage)?;
    let reward = if state.total_score.is_zero() {
        Uint128::zero()
    } else {
        rules.reward().min(funds.unlocked)
    };
    funds.unlocked = funds.unlocked.checked_sub(reward)?;
    funds.locked = funds.locked.checked_add(reward)?;
    FUNDS.save(storage, &funds)?;
    let deadline = pause_clock(storage)?
        .claim_clock(now)
        .try_add(rules.claim())?;
    state.status = StoredStatus::Finalized;
    state.reward = reward;
    state.finalized_at = Some(now);
    state.claim_deadline = Some(deadline);
    if !reward.is_zero() {
        SWEEP_QUEUE.save(storage, (deadline, round), &Empty {})?;
    }
    Ok(())
}

pub fn close_void_round(deps: DepsMut, env: Env, round: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let deadline = config
        .round_times(deps.storage, round)?
        .attestation_deadline;
    if env.block.time.seconds() < deadline {
        return Err(ContractError::RoundNotVoidable { round });
    }
    let mut state = match ROUNDS.may_load(deps.storage, round)? {
        Some(state) => state,
        None => RoundState::new(policy_version_for_round(deps.storage, round)?),
    };
    if state.status != StoredStatus::Attesting {
        return Err(ContractError::RoundNotVoidable { round });
    }
    state.status = StoredStatus::Void;
    ROUNDS.save(deps.storage, round, &state)?;
    Ok(Response::new()
        .add_attribute("action", "close_void_round")
        .add_attribute("round", round.to_string())
        .add_attribute("accepted_batches", state.accepted_batches.to_string()))
}
