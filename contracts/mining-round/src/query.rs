//! Read-only queries. Every list is paginated with `start_after` + `limit` and answers a `next`
//! cursor (`None` on the last page).

use contract_common::ownership::owners;
use contract_common::PageLimits;
use cosmwasm_std::{Addr, Binary, Deps, Env, HexBinary, Order, StdResult, Storage, Uint128};
use cube_types::mining_round::{
    BatchEvidenceResponse, BatchResponse, BatchesResponse, BatteryWhitelistResponse,
    ClaimableResponse, ClaimableRound, ConfigResponse, CurrentRoundResponse, DeviceResponse,
    DeviceView, DevicesAsOfResponse, DevicesResponse, FundsResponse, HashTally, LeaderboardEntry,
    LeaderboardResponse, OraclesResponse, OwnerDevicesResponse, OwnerView, OwnersAsOfResponse,
    PolicyResponse, RegistrationNonceResponse, RoundParamsResponse, RoundResponse, RoundStatus,
    RoundSummary, RoundsResponse, ScoreResponse, VoteResponse,
};
use cw_storage_plus::{Bound, KeyDeserialize, Prefix, PrimaryKey};
use serde::{de::DeserializeOwned, Serialize};

use crate::claim::{classify, payout, ClaimTime, IndexEntry};
use crate::clock::RoundTimes;
use crate::state::{
    counts_as_of, device_as_of, pause_clock, policy_version_for_round, rules_for_round,
    whitelisted_as_of, Config, Device, RoundState, StoredStatus, ACCEPTED, BATCHES, BATCH_HASHES,
    BATTERY_WHITELIST, CONFIG, DEVICES, FUNDS, GUARDIAN, KNOWN_BATTERIES, KNOWN_OWNERS,
    LEADERBOARD, MAX_VOTERS_READ, NONCES, ORACLES, OWNER_DEVICES, OWNER_ROUNDS, PAUSED, POLICIES,
    POLICY_VERSION, ROUNDS, SCORES, VOTED_BATCHES, VOTERS, VOTES,
};
use crate::ContractError;

/// Page size of every list query: 10 by default, at most 100.
const PAGE: PageLimits = PageLimits::new(10, 100);

/// `next` cursor: the last key of a full page, `None` when the page is shorter than `limit`.
fn next_of<T: Clone>(keys: &[T], limit: usize) -> Option<T> {
    if keys.len() < limit {
        None
    } else {
        keys.last().cloned()
    }
}

/// A page of keys and its `next` cursor.
type KeyPage<T> = (Vec<T>, Option<T>);

/// One page of `keys` in ascending order after `start_after` (`limit` within [`PAGE`]) and
/// its `next` cursor.
fn key_page<'b, K, T, B>(
    storage: &dyn Storage,
    keys: Prefix<K, T, B>,
    start_after: Option<Bound<'b, B>>,
    limit: Option<u32>,
) -> StdResult<KeyPage<K::Output>>
where
    K: KeyDeserialize,
    K::Output: Clone + 'static,
    T: Serialize + DeserializeOwned,
    B: PrimaryKey<'b>,
{
    let limit = PAGE.page(limit);
    let page: Vec<K::Output> = keys
        .keys(storage, start_after, None, Order::Ascending)
        .take(limit)
        .collect::<StdResult<_>>()?;
    let next = next_of(&page, limit);
    Ok((page, next))
}

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let c = CONFIG.load(deps.storage)?;
    let pause = pause_clock(deps.storage)?;
    let (owner, pending) = owners(deps.storage)?;
    Ok(ConfigResponse {
        owner: owner.into_string(),
        pending_owner: pending.map(Addr::into_string),
        reward_token: c.reward_token.into_string(),
        round_reward: c.round_reward,
        genesis_time: c.genesis_time,
        round_duration: c.round_duration,
        attestation_window: c.attestation_window,
        claim_window: c.claim_window,
        quorum: c.quorum,
        policy_version: POLICY_VERSION.load(deps.storage)?,
        rated_power: c.rated_power,
        max_entries_per_batch: c.max_entries_per_batch,
        max_claim_rounds: c.max_claim_rounds,
        manufacturer_keys: c.manufacturer_keys,
        guardian: GUARDIAN.may_load(deps.storage)?.map(Addr::into_string),
        paused: PAUSED.may_load(deps.storage)?.unwrap_or(false),
        paused_since: pause.since,
        paused_seconds: pause.total,
        attestation_mode: c.attestation_mode,
        challenge_window: c.challenge_window,
        dispute_bond_bps: c.dispute_bond_bps,
    })
}

pub fn policy(deps: Deps, version: Option<u32>) -> Result<PolicyResponse, ContractError> {
    let version = match version {
        Some(v) => v,
        None => POLICY_VERSION.load(deps.storage)?,
    };
    let record = POLICIES
        .may_load(deps.storage, version)?
        .ok_or(ContractError::PolicyNotFound { version })?;
    Ok(PolicyResponse {
        version,
        effective_from_round: record.effective_from_round,
        policy: record.policy,
    })
}

pub fn oracles(deps: Deps) -> Result<OraclesResponse, ContractError> {
    let oracles = ORACLES
        .keys(deps.storage, None, None, Order::Ascending)
        .take(PAGE.max_page())
        .map(|k| k.map(Addr::into_string))
        .collect::<StdResult<_>>()?;
    Ok(OraclesResponse {
        oracles,
        quorum: CONFIG.load(deps.storage)?.quorum,
    })
}

fn status_of(state: Option<&RoundState>, times: &RoundTimes, now: u64) -> RoundStatus {
    match state.map(|s| s.status) {
        Some(StoredStatus::Finalized) => return RoundStatus::Finalized,
        Some(StoredStatus::Void) => return RoundStatus::Void,
        Some(StoredStatus::Swept) => return RoundStatus::Swept,
        Some(StoredStatus::Attesting) | None => {}
    }
    if now < times.start {
        RoundStatus::Upcoming
    } else if now < times.end {
        RoundStatus::InProgress
    } else if now < times.attestation_deadline {
        RoundStatus::Attesting
    } else {
        RoundStatus::AttestationExpired
    }
}

/// The summary of `round` at claim time `t` (read once per query by the caller).
fn summary(
    deps: Deps,
    config: &Config,
    t: ClaimTime,
    round: u64,
    state: Option<RoundState>,
) -> Result<RoundSummary, ContractError> {
    let times = config.round_times(deps.storage, round)?;
    let status = status_of(state.as_ref(), &times, t.now);
    let policy_version = match &state {
        Some(s) => s.policy_version,
        None => policy_version_for_round(deps.storage, round)?,
    };
    let s = state.unwrap_or_else(|| RoundState::new(policy_version));
    let RoundTimes {
        start,
        end,
        attestation_deadline,
    } = times;
    let dust = if s.total_score.is_zero() {
        Uint128::zero()
    } else {
        Uint128::try_from(
            s.remainder_acc
                .checked_div(cosmwasm_std::Uint256::from(s.total_score))?,
        )?
    };
    Ok(RoundSummary {
        round,
        status,
        start,
        end,
        attestation_deadline,
        policy_version,
        batch_count: s.batch_count,
        accepted_batches: s.accepted_batches,
        total_score: s.total_score,
        scored_owners: s.scored_owners,
        reward: s.reward,
        paid: s.paid,
        claimed_owners: s.claimed_owners,
        dust,
        swept: s.swept,
        finalized_at: s.finalized_at,
        claim_deadline: s.claim_deadline.map(|d| t.wall(d)),
    })
}

pub fn round(deps: Deps, env: Env, round: u64) -> Result<RoundResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let state = ROUNDS.may_load(deps.storage, round)?;
    let batches_with_votes = state.as_ref().map_or(0, |s| s.batches_with_votes);
    let t = ClaimTime::load(deps.storage, env.block.time.seconds())?;
    let summary = summary(deps, &config, t, round, state)?;
    Ok(RoundResponse {
        summary,
        quorum: config.quorum,
        batches_with_votes,
    })
}

fn batch_response(
    deps: Deps,
    quorum: u32,
    round: u64,
    batch_index: u32,
) -> Result<BatchResponse, ContractError> {
    // One entry per oracle that ever voted on the batch (its current vote), by hash.
    let entries: Vec<Vec<u8>> = VOTERS
        .prefix((round, batch_index))
        .keys(deps.storage, None, None, Order::Ascending)
        .take(MAX_VOTERS_READ)
        .collect::<StdResult<_>>()?;
    // The hashes voted for (one entry per voter, so bounded by the oracles that ever voted).
    let mut tallies: Vec<HashTally> = vec![];
    for key in entries {
        let Some((hash, oracle)) = key.split_at_checked(32) else {
            continue;
        };
        let oracle = Addr::unchecked(String::from_utf8_lossy(oracle).into_owned());
        let current = ORACLES.has(deps.storage, &oracle);
        let batch_hash = HexBinary::from(hash);
        let position = match tallies.iter().position(|t| t.batch_hash == batch_hash) {
            Some(p) => p,
            None => {
                let submitted = BATCHES.has(deps.storage, (round, batch_hash.as_slice()));
                tallies.push(HashTally {
                    batch_hash,
                    votes: 0,
                    voters: vec![],
                    stale_voters: vec![],
                    submitted,
                });
                tallies.len().saturating_sub(1)
            }
        };
        let Some(tally) = tallies.get_mut(position) else {
            continue;
        };
        if current {
            tally.votes = tally.votes.saturating_add(1);
            tally.voters.push(oracle.into_string());
        } else {
            tally.stale_voters.push(oracle.into_string());
        }
    }
    tallies.sort_by(|a, b| a.batch_hash.as_slice().cmp(b.batch_hash.as_slice()));
    Ok(BatchResponse {
        round,
        batch_index,
        accepted_hash: ACCEPTED.may_load(deps.storage, (round, batch_index))?,
        quorum,
        tallies,
    })
}

pub fn batch(deps: Deps, round: u64, batch_index: u32) -> Result<BatchResponse, ContractError> {
    let quorum = CONFIG.load(deps.storage)?.quorum;
    batch_response(deps, quorum, round, batch_index)
}

pub fn batch_evidence(
    deps: Deps,
    round: u64,
    batch_index: u32,
    start_after: Option<HexBinary>,
    limit: Option<u32>,
) -> Result<BatchEvidenceResponse, ContractError> {
    let start = start_after.as_ref().map(|h| Bound::exclusive(h.as_slice()));
    let (hashes, next) = key_page(
        deps.storage,
        BATCH_HASHES.prefix((round, batch_index)),
        start,
        limit,
    )?;
    Ok(BatchEvidenceResponse {
        round,
        batch_index,
        hashes: hashes.into_iter().map(HexBinary::from).collect(),
        next: next.map(HexBinary::from),
    })
}

pub fn batches(
    deps: Deps,
    round: u64,
    start_after: Option<u32>,
    limit: Option<u32>,
) -> Result<BatchesResponse, ContractError> {
    let quorum = CONFIG.load(deps.storage)?.quorum;
    let start = start_after.map(Bound::exclusive);
    let (indexes, next) = key_page(deps.storage, VOTED_BATCHES.prefix(round), start, limit)?;
    let batches = indexes
        .into_iter()
        .map(|i| batch_response(deps, quorum, round, i))
        .collect::<Result<_, _>>()?;
    Ok(BatchesResponse {
        round,
        batches,
        next,
    })
}

pub fn vote(
    deps: Deps,
    round: u64,
    batch_index: u32,
    oracle: String,
) -> Result<VoteResponse, ContractError> {
    let oracle = deps.api.addr_validate(&oracle)?;
    Ok(VoteResponse {
        batch_hash: VOTES.may_load(deps.storage, (round, batch_index, &oracle))?,
        counts: ORACLES.has(deps.storage, &oracle),
    })
}

pub fn round_params(deps: Deps, round: u64) -> Result<RoundParamsResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let RoundTimes {
        start,
        end,
        attestation_deadline,
    } = config.round_times(deps.storage, round)?;
    let rules = rules_for_round(deps.storage, &config, round)?;
    let policy_version = match ROUNDS.may_load(deps.storage, round)? {
        Some(s) => s.policy_version,
        None => policy_version_for_round(deps.storage, round)?,
    };
    Ok(RoundParamsResponse {
        round,
        start,
        end,
        attestation_deadline,
        genesis_time: config.genesis_time,
        round_duration: config.round_duration,
        policy_version,
        rated_power: rules.rated_power,
        max_entries_per_batch: rules.max_entries_per_batch,
        round_reward: rules.reward(),
        attestation_window: rules.attestation(),
        claim_window: rules.claim(),
    })
}

pub fn devices_as_of(
    deps: Deps,
    round: u64,
    start_after: Option<Binary>,
    limit: Option<u32>,
) -> Result<DevicesAsOfResponse, ContractError> {
    let start = start_after.as_ref().map(|b| Bound::exclusive(b.as_slice()));
    let (keys, next) = key_page(deps.storage, NONCES.prefix(()), start, limit)?;
    let next = next.map(Binary::from);
    let mut devices = vec![];
    for key in keys {
        if let Some((from, d)) = device_as_of(deps.storage, &key, round)? {
            devices.push(DeviceView {
                pubkey: Binary::from(key),
                owner: d.owner.into_string(),
                model: d.model,
                serial: d.serial,
                timezone: d.timezone,
                effective_from_round: from,
            });
        }
    }
    Ok(DevicesAsOfResponse {
        round,
        devices,
        next,
    })
}

fn owner_view(
    deps: Deps,
    config: &Config,
    round: u64,
    owner: Addr,
) -> Result<OwnerView, ContractError> {
    let counts = counts_as_of(deps.storage, &owner, round)?;
    let rules = rules_for_round(deps.storage, config, round)?;
    let cap = rules
        .rated_power
        .max_wh(counts.cube_v1, counts.cube_v2, config.round_duration);
    Ok(OwnerView {
        owner: owner.into_string(),
        cube_v1: counts.cube_v1,
        cube_v2: counts.cube_v2,
        dual_product: counts.dual_product(),
        plausibility_cap_wh: u64::try_from(cap).unwrap_or(u64::MAX),
    })
}

pub fn owners_as_of(
    deps: Deps,
    round: u64,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OwnersAsOfResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let after = start_after
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    let start = after.map(Bound::exclusive);
    let (keys, next) = key_page(deps.storage, KNOWN_OWNERS.prefix(()), start, limit)?;
    let next = next.map(Addr::into_string);
    let mut owners = vec![];
    for owner in keys {
        let view = owner_view(deps, &config, round, owner)?;
        if view.cube_v1 > 0 || view.cube_v2 > 0 {
            owners.push(view);
        }
    }
    Ok(OwnersAsOfResponse {
        round,
        owners,
        next,
    })
}

pub fn owner_as_of(deps: Deps, round: u64, owner: String) -> Result<OwnerView, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let owner = deps.api.addr_validate(&owner)?;
    owner_view(deps, &config, round, owner)
}

pub fn registration_nonce(
    deps: Deps,
    pubkey: Binary,
) -> Result<RegistrationNonceResponse, ContractError> {
    let nonce = NONCES
        .may_load(deps.storage, pubkey.as_slice())?
        .unwrap_or(0);
    let challenge = crate::state::CHALLENGES
        .may_load(deps.storage, pubkey.as_slice())?
        .unwrap_or(cube_scoring::INITIAL_REGISTRATION_CHALLENGE);
    Ok(RegistrationNonceResponse {
        pubkey,
        nonce,
        challenge: HexBinary::from(challenge),
    })
}

pub fn rounds(
    deps: Deps,
    env: Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<RoundsResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let t = ClaimTime::load(deps.storage, env.block.time.seconds())?;
    let limit = PAGE.page(limit);
    let rounds: Vec<RoundSummary> = ROUNDS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|r| {
            let (round, state) = r?;
            summary(deps, &config, t, round, Some(state))
        })
        .collect::<Result<_, ContractError>>()?;
    let keys: Vec<u64> = rounds.iter().map(|r| r.round).collect();
    let next = next_of(&keys, limit);
    Ok(RoundsResponse { rounds, next })
}

pub fn current_round(deps: Deps, env: Env) -> Result<CurrentRoundResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let round = config.round_at(now);
    let bounds = round
        .map(|r| {
            config
                .clock()
                .bounds(r)
                .ok_or(ContractError::RoundOutOfRange { round: r })
        })
        .transpose()?;
    let policy_version = policy_version_for_round(deps.storage, round.unwrap_or(0))?;
    Ok(CurrentRoundResponse {
        now,
        round,
        start: bounds.map(|(start, _)| start),
        end: bounds.map(|(_, end)| end),
        policy_version,
    })
}

pub fn score(deps: Deps, round: u64, owner: String) -> Result<ScoreResponse, ContractError> {
    let owner_addr = deps.api.addr_validate(&owner)?;
    let record = SCORES
        .may_load(deps.storage, (round, &owner_addr))?
        .ok_or(ContractError::NoScore { round })?;
    let state = ROUNDS.load(deps.storage, round)?;
    let policy = POLICIES.load(deps.storage, state.policy_version)?.policy;
    let reward = match state.status {
        StoredStatus::Finalized | StoredStatus::Swept => {
            Some(payout(state.reward, record.score, state.total_score)?.0)
        }
        StoredStatus::Attesting | StoredStatus::Void => None,
    };
    Ok(ScoreResponse {
        round,
        owner: owner_addr.into_string(),
        score: record.score,
        buckets: record.buckets,
        policy_version: state.policy_version,
        whitelisted_bp: policy.whitelisted_bp,
        standard_bp: policy.standard_bp,
        valley_bp: policy.valley_bp,
        off_peak_bp: policy.off_peak_bp,
        peak_bp: policy.peak_bp,
        dual_product: record.dual_product,
        product_mix_bp: policy.product_mix_bp(record.dual_product),
        reward,
        claimed: record.claimed,
    })
}

pub fn claimable(
    deps: Deps,
    env: Env,
    owner: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<ClaimableResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let owner_addr = deps.api.addr_validate(&owner)?;
    let t = ClaimTime::load(deps.storage, env.block.time.seconds())?;
    let mut rounds = vec![];
    let mut total = Uint128::zero();
    let start = start_after.map(Bound::exclusive);
    let (keys, next) = key_page(deps.storage, OWNER_ROUNDS.prefix(&owner_addr), start, limit)?;
    for round in keys {
        let state = ROUNDS.may_load(deps.storage, round)?;
        if classify(deps.storage, &config, round, state.as_ref(), t)? != IndexEntry::Claimable {
            continue;
        }
        let Some(state) = state else {
            continue;
        };
        let Some(record) = SCORES.may_load(deps.storage, (round, &owner_addr))? else {
            continue;
        };
        if record.claimed {
            continue;
        }
        let (amount, _) = payout(state.reward, record.score, state.total_score)?;
        total = total.checked_add(amount)?;
        rounds.push(ClaimableRound { round, amount });
    }
    Ok(ClaimableResponse {
        owner: owner_addr.into_string(),
        rounds,
        total,
        next,
    })
}

pub fn leaderboard(
    deps: Deps,
    round: u64,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<LeaderboardResponse, ContractError> {
    let after = match start_after {
        Some(owner) => {
            let addr = deps.api.addr_validate(&owner)?;
            let record = SCORES
                .may_load(deps.storage, (round, &addr))?
                .ok_or(ContractError::NoScore { round })?;
            Some((record.score.u128(), addr))
        }
        None => None,
    };
    let max = after
        .as_ref()
        .map(|(score, addr)| Bound::exclusive((*score, addr)));
    let limit = PAGE.page(limit);
    let entries: Vec<LeaderboardEntry> = LEADERBOARD
        .sub_prefix(round)
        .keys(deps.storage, None, max, Order::Descending)
        .take(limit)
        .map(|k| {
            k.map(|(score, owner)| LeaderboardEntry {
                owner: owner.into_string(),
                score: Uint128::new(score),
            })
        })
        .collect::<StdResult<_>>()?;
    let owners: Vec<String> = entries.iter().map(|e| e.owner.clone()).collect();
    let next = next_of(&owners, limit);
    Ok(LeaderboardResponse {
        round,
        entries,
        next,
    })
}

fn device_response(deps: Deps, pubkey: Vec<u8>, d: Device) -> StdResult<DeviceResponse> {
    let nonce = NONCES.may_load(deps.storage, &pubkey)?.unwrap_or(0);
    Ok(DeviceResponse {
        pubkey: Binary::from(pubkey),
        owner: d.owner.into_string(),
        model: d.model,
        serial: d.serial,
        timezone: d.timezone,
        registered_at: d.registered_at,
        effective_from_round: d.effective_from_round,
        nonce,
    })
}

pub fn device(deps: Deps, pubkey: Binary) -> Result<DeviceResponse, ContractError> {
    let d = DEVICES
        .may_load(deps.storage, pubkey.as_slice())?
        .ok_or_else(|| ContractError::DeviceNotFound {
            pubkey: HexBinary::from(pubkey.as_slice()),
        })?;
    Ok(device_response(deps, pubkey.to_vec(), d)?)
}

pub fn devices(
    deps: Deps,
    start_after: Option<Binary>,
    limit: Option<u32>,
) -> Result<DevicesResponse, ContractError> {
    let limit = PAGE.page(limit);
    let devices: Vec<DeviceResponse> = DEVICES
        .range(
            deps.storage,
            start_after.as_ref().map(|b| Bound::exclusive(b.as_slice())),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|r| r.and_then(|(k, d)| device_response(deps, k, d)))
        .collect::<StdResult<_>>()?;
    let keys: Vec<Binary> = devices.iter().map(|d| d.pubkey.clone()).collect();
    let next = next_of(&keys, limit);
    Ok(DevicesResponse { devices, next })
}

pub fn devices_by_owner(
    deps: Deps,
    owner: String,
    start_after: Option<Binary>,
    limit: Option<u32>,
) -> Result<OwnerDevicesResponse, ContractError> {
    let owner_addr = deps.api.addr_validate(&owner)?;
    let start = start_after.as_ref().map(|b| Bound::exclusive(b.as_slice()));
    let (keys, next) = key_page(
        deps.storage,
        OWNER_DEVICES.prefix(&owner_addr),
        start,
        limit,
    )?;
    let next = next.map(Binary::from);
    let mut devices = Vec::with_capacity(keys.len());
    for key in keys {
        let d = DEVICES.load(deps.storage, &key)?;
        devices.push(device_response(deps, key, d)?);
    }
    let counts = counts_as_of(deps.storage, &owner_addr, u64::MAX)?;
    Ok(OwnerDevicesResponse {
        owner: owner_addr.into_string(),
        cube_v1: counts.cube_v1,
        cube_v2: counts.cube_v2,
        dual_product: counts.dual_product(),
        devices,
        next,
    })
}

pub fn battery_whitelist(
    deps: Deps,
    as_of_round: Option<u64>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<BatteryWhitelistResponse, ContractError> {
    let start = start_after.as_deref().map(Bound::exclusive);
    match as_of_round {
        None => {
            let (batteries, next) =
                key_page(deps.storage, BATTERY_WHITELIST.prefix(()), start, limit)?;
            Ok(BatteryWhitelistResponse { batteries, next })
        }
        Some(round) => {
            let (keys, next) = key_page(deps.storage, KNOWN_BATTERIES.prefix(()), start, limit)?;
            let mut batteries = vec![];
            for id in keys {
                if whitelisted_as_of(deps.storage, &id, round)? {
                    batteries.push(id);
                }
            }
            Ok(BatteryWhitelistResponse { batteries, next })
        }
    }
}

pub fn funds(deps: Deps, env: Env) -> Result<FundsResponse, ContractError> {
    let f = FUNDS.load(deps.storage)?;
    let config = CONFIG.load(deps.storage)?;
    let reserved = crate::funding::reserved(deps.storage, &config, env.block.time.seconds())?;
    Ok(FundsResponse {
        unlocked: f.unlocked,
        locked: f.locked,
        reserved,
        withdrawable: f.unlocked.saturating_sub(reserved),
        bonded: f.bonded,
    })
}
