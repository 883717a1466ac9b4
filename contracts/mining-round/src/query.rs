//! Read-only queries. Every list is paginated with `start_after` + `limit`.

use cosmwasm_std::{Addr, Binary, Deps, Env, HexBinary, Order, StdResult, Uint128};
use cube_types::mining_round::{
    BatteryWhitelistResponse, ClaimableResponse, ClaimableRound, ConfigResponse,
    CurrentRoundResponse, DeviceResponse, DevicesResponse, FundsResponse, LeaderboardEntry,
    LeaderboardResponse, OraclesResponse, OwnerDevicesResponse, PolicyResponse, RoundResponse,
    RoundStatus, RoundSummary, RoundsResponse, ScoreResponse,
};
use cw_storage_plus::Bound;

use crate::claim::payout;
use crate::governance;
use crate::state::{
    page_limit, policy_version_for_round, Config, Device, RoundState, StoredStatus,
    BATTERY_WHITELIST, CONFIG, DEVICES, DEVICE_COUNTS, FUNDS, LEADERBOARD, MAX_LIMIT, ORACLES,
    OWNER_DEVICES, OWNER_ROUNDS, POLICIES, POLICY_VERSION, ROUNDS, SCORES,
};
use crate::ContractError;

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let c = CONFIG.load(deps.storage)?;
    let (owner, pending) = governance::owner(deps)?;
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
        guardian: None,
        paused: false,
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
        .take(usize::try_from(MAX_LIMIT).unwrap_or(100))
        .map(|k| k.map(Addr::into_string))
        .collect::<StdResult<_>>()?;
    Ok(OraclesResponse {
        oracles,
        quorum: CONFIG.load(deps.storage)?.quorum,
    })
}

fn status_of(
    config: &Config,
    state: Option<&RoundState>,
    round: u64,
    now: u64,
) -> Result<RoundStatus, ContractError> {
    match state.map(|s| s.status) {
        Some(StoredStatus::Finalized) => return Ok(RoundStatus::Finalized),
        Some(StoredStatus::Void) => return Ok(RoundStatus::Void),
        Some(StoredStatus::Swept) => return Ok(RoundStatus::Swept),
        Some(StoredStatus::Attesting) | None => {}
    }
    Ok(if now < config.round_start(round)? {
        RoundStatus::Upcoming
    } else if now < config.round_end(round)? {
        RoundStatus::InProgress
    } else if now < config.attestation_deadline(round)? {
        RoundStatus::Attesting
    } else {
        RoundStatus::AttestationExpired
    })
}

fn summary(
    deps: Deps,
    config: &Config,
    now: u64,
    round: u64,
    state: Option<RoundState>,
) -> Result<RoundSummary, ContractError> {
    let status = status_of(config, state.as_ref(), round, now)?;
    let policy_version = match &state {
        Some(s) => s.policy_version,
        None => policy_version_for_round(deps.storage, round)?,
    };
    let s = state.unwrap_or_else(|| RoundState::new(policy_version));
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
        start: config.round_start(round)?,
        end: config.round_end(round)?,
        attestation_deadline: config.attestation_deadline(round)?,
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
        claim_deadline: s.claim_deadline,
    })
}

pub fn round(deps: Deps, env: Env, round: u64) -> Result<RoundResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let state = ROUNDS.may_load(deps.storage, round)?;
    let summary = summary(deps, &config, env.block.time.seconds(), round, state)?;
    Ok(RoundResponse {
        summary,
        quorum: config.quorum,
        batches_with_votes: 0,
    })
}

pub fn rounds(
    deps: Deps,
    env: Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<RoundsResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let rounds = ROUNDS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| {
            let (round, state) = r?;
            summary(deps, &config, now, round, Some(state))
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(RoundsResponse { rounds, next: None })
}

pub fn current_round(deps: Deps, env: Env) -> Result<CurrentRoundResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let round = config.round_at(now);
    let (start, end, policy_version) = match round {
        Some(r) => (
            Some(config.round_start(r)?),
            Some(config.round_end(r)?),
            policy_version_for_round(deps.storage, r)?,
        ),
        None => (None, None, policy_version_for_round(deps.storage, 0)?),
    };
    Ok(CurrentRoundResponse {
        now,
        round,
        start,
        end,
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

pub fn claimable(deps: Deps, env: Env, owner: String) -> Result<ClaimableResponse, ContractError> {
    let owner_addr = deps.api.addr_validate(&owner)?;
    let now = env.block.time.seconds();
    let mut rounds = vec![];
    let mut total = Uint128::zero();
    let keys: Vec<u64> = OWNER_ROUNDS
        .prefix(&owner_addr)
        .keys(deps.storage, None, None, Order::Ascending)
        .take(usize::try_from(MAX_LIMIT).unwrap_or(100))
        .collect::<StdResult<_>>()?;
    for round in keys {
        let Some(state) = ROUNDS.may_load(deps.storage, round)? else {
            continue;
        };
        let open = state.status == StoredStatus::Finalized
            && state.claim_deadline.is_some_and(|d| now < d);
        if !open {
            continue;
        }
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
        next: None,
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
    let entries = LEADERBOARD
        .sub_prefix(round)
        .keys(deps.storage, None, max, Order::Descending)
        .take(page_limit(limit))
        .map(|k| {
            k.map(|(score, owner)| LeaderboardEntry {
                owner: owner.into_string(),
                score: Uint128::new(score),
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(LeaderboardResponse {
        round,
        entries,
        next: None,
    })
}

fn device_response(pubkey: Vec<u8>, d: Device) -> DeviceResponse {
    DeviceResponse {
        pubkey: Binary::from(pubkey),
        owner: d.owner.into_string(),
        model: d.model,
        serial: d.serial,
        timezone: d.timezone,
        registered_at: d.registered_at,
        effective_from_round: 0,
        nonce: 0,
    }
}

pub fn device(deps: Deps, pubkey: Binary) -> Result<DeviceResponse, ContractError> {
    let d = DEVICES
        .may_load(deps.storage, pubkey.as_slice())?
        .ok_or_else(|| ContractError::DeviceNotFound {
            pubkey: HexBinary::from(pubkey.as_slice()),
        })?;
    Ok(device_response(pubkey.to_vec(), d))
}

pub fn devices(
    deps: Deps,
    start_after: Option<Binary>,
    limit: Option<u32>,
) -> Result<DevicesResponse, ContractError> {
    let devices = DEVICES
        .range(
            deps.storage,
            start_after.as_ref().map(|b| Bound::exclusive(b.as_slice())),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|r| r.map(|(k, d)| device_response(k, d)))
        .collect::<StdResult<_>>()?;
    Ok(DevicesResponse {
        devices,
        next: None,
    })
}

pub fn devices_by_owner(
    deps: Deps,
    owner: String,
    start_after: Option<Binary>,
    limit: Option<u32>,
) -> Result<OwnerDevicesResponse, ContractError> {
    let owner_addr = deps.api.addr_validate(&owner)?;
    let keys: Vec<Vec<u8>> = OWNER_DEVICES
        .prefix(&owner_addr)
        .keys(
            deps.storage,
            start_after.as_ref().map(|b| Bound::exclusive(b.as_slice())),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .collect::<StdResult<_>>()?;
    let mut devices = Vec::with_capacity(keys.len());
    for key in keys {
        let d = DEVICES.load(deps.storage, &key)?;
        devices.push(device_response(key, d));
    }
    let counts = DEVICE_COUNTS
        .may_load(deps.storage, &owner_addr)?
        .unwrap_or_default();
    Ok(OwnerDevicesResponse {
        owner: owner_addr.into_string(),
        cube_v1: counts.cube_v1,
        cube_v2: counts.cube_v2,
        dual_product: counts.dual_product(),
        devices,
        next: None,
    })
}

pub fn battery_whitelist(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<BatteryWhitelistResponse, ContractError> {
    let batteries = BATTERY_WHITELIST
        .keys(
            deps.storage,
            start_after.as_deref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .collect::<StdResult<_>>()?;
    Ok(BatteryWhitelistResponse {
        batteries,
        next: None,
    })
}

pub fn funds(deps: Deps) -> Result<FundsResponse, ContractError> {
    let f = FUNDS.load(deps.storage)?;
    Ok(FundsResponse {
        unlocked: f.unlocked,
        locked: f.locked,
    })
}
