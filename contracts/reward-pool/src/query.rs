//! Queries: config, state, claimable, rate history, reporters, last batch, reporter allowance.

use cosmwasm_std::{to_json_binary, Binary, Deps, Env, Order, StdResult, Uint128};
use cube_types::reward_pool::{
    ClaimableResponse, ConfigResponse, LastBatchResponse, QueryMsg, RateHistoryResponse,
    ReporterAllowanceResponse, ReporterInfo, ReportersResponse, StateResponse,
};
use cw_storage_plus::Bound;

use crate::cap::Allowance;
use crate::error::ContractError;
use crate::halving::{
    cooldown_end, cooldown_over, next_halving_threshold, reversal_threshold, reward,
};
use crate::helpers::{validate_addr, PAGE};
use crate::state::{CLAIMABLE, CONFIG, LAST_BATCH, POOL, RATE_EVENTS, REPORTERS};

pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&config(deps)?),
        QueryMsg::State {} => to_json_binary(&state(deps, env)?),
        QueryMsg::Claimable { user } => to_json_binary(&claimable(deps, user)?),
        QueryMsg::RateHistory { start_after, limit } => {
            to_json_binary(&rate_history(deps, start_after, limit)?)
        }
        QueryMsg::Reporters { start_after, limit } => {
            to_json_binary(&reporters(deps, start_after, limit)?)
        }
        QueryMsg::LastBatch { reporter } => to_json_binary(&last_batch(deps, reporter)?),
        QueryMsg::ReporterAllowance { reporter } => {
            to_json_binary(&reporter_allowance(deps, env, reporter)?)
        }
    }?;
    Ok(binary)
}

fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    let (owner, pending_owner) = contract_common::ownership::owners(deps.storage)?;
    Ok(ConfigResponse {
        token: config.token,
        reference_pool: config.reference_pool,
        base_reward: config.base_reward,
        halving_cooldown: config.halving_cooldown,
        hysteresis_bps: config.hysteresis_bps,
        max_batch_size: config.max_batch_size,
        reporter_cap: config.reporter_cap,
        owner,
        pending_owner,
    })
}

fn state(deps: Deps, env: Env) -> Result<StateResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let pool = POOL.load(deps.storage)?;
    let next_threshold = next_halving_threshold(&config, pool.level);
    let reversal = if pool.level == 0 {
        None
    } else {
        // Above u128 only with a margin on a near-u128::MAX pool: shown as u128::MAX.
        let threshold = reversal_threshold(&config, pool.level)?;
        Some(Uint128::try_from(threshold).unwrap_or(Uint128::MAX))
    };
    Ok(StateResponse {
        available: pool.available,
        owed: pool.owed,
        level: pool.level,
        current_reward: reward(config.base_reward, pool.level),
        next_halving_threshold: next_threshold,
        reversal_threshold: reversal,
        last_halving: pool.last_halving,
        cooldown_end: cooldown_end(&config, &pool),
        cooldown_active: !cooldown_over(&config, &pool, env.block.time),
        halving_pending: next_threshold.is_some_and(|threshold| pool.available < threshold),
        total_funded: pool.total_funded,
        total_ad_fees: pool.total_ad_fees,
        total_rewarded: pool.total_rewarded,
        total_claimed: pool.total_claimed,
        total_reconciled: pool.total_reconciled,
    })
}

fn claimable(deps: Deps, user: String) -> Result<ClaimableResponse, ContractError> {
    let user_addr = validate_addr(deps.api, &user)?;
    let amount = CLAIMABLE
        .may_load(deps.storage, &user_addr)?
        .unwrap_or_default();
    Ok(ClaimableResponse {
        user: user_addr,
        amount,
    })
}

fn rate_history(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<RateHistoryResponse> {
    let events = RATE_EVENTS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(PAGE.page(limit))
        .map(|item| item.map(|(_, event)| event))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(RateHistoryResponse { events })
}

fn reporters(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ReportersResponse, ContractError> {
    let start_addr = start_after
        .map(|address| validate_addr(deps.api, &address))
        .transpose()?;
    let reporters = REPORTERS
        .keys(
            deps.storage,
            start_addr.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(PAGE.page(limit))
        .map(|key| {
            let address = key?;
            let last_batch_id = LAST_BATCH.may_load(deps.storage, &address)?;
            Ok(ReporterInfo {
                address,
                last_batch_id,
            })
        })
        .collect::<StdResult<Vec<_>>>()?;
    Ok(ReportersResponse { reporters })
}

fn last_batch(deps: Deps, reporter: String) -> Result<LastBatchResponse, ContractError> {
    let reporter_addr = validate_addr(deps.api, &reporter)?;
    let last_batch_id = LAST_BATCH.may_load(deps.storage, &reporter_addr)?;
    Ok(LastBatchResponse {
        reporter: reporter_addr,
        last_batch_id,
    })
}

fn reporter_allowance(
    deps: Deps,
    env: Env,
    reporter: String,
) -> Result<ReporterAllowanceResponse, ContractError> {
    let reporter_addr = validate_addr(deps.api, &reporter)?;
    let config = CONFIG.load(deps.storage)?;
    let allowance = Allowance::load(
        deps.storage,
        config.reporter_cap,
        reporter_addr,
        env.block.time,
    )?;
    let remaining = allowance.remaining();
    Ok(ReporterAllowanceResponse {
        reporter: allowance.reporter,
        cap: allowance.cap.amount,
        period: allowance.cap.period,
        paid_in_period: allowance.paid,
        remaining,
        period_ends: allowance.period_ends,
    })
}
