//! Instantiation, reporter management and parameters (two-step ownership: contract-common).

use contract_common::ownership::initialize_owner;
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use cube_types::reward_pool::{InstantiateMsg, ReporterCap};
use cw20::{Cw20QueryMsg, TokenInfoResponse};

use crate::error::ContractError;
use crate::helpers::validate_addr;
use crate::state::{Config, PoolState, CONFIG, MAX_INITIAL_REPORTERS, POOL, RATE_SEQ, REPORTERS};

pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let token_addr = validate_addr(deps.api, &msg.token)?;
    let config = Config {
        token: token_addr,
        reference_pool: msg.reference_pool,
        base_reward: msg.base_reward,
        halving_cooldown: msg.halving_cooldown,
        hysteresis_bps: msg.hysteresis_bps,
        max_batch_size: msg.max_batch_size,
        reporter_cap: msg.reporter_cap.unwrap_or_default(),
    };
    config.validate()?;
    // Fail early on a token address that is not a CW20 contract.
    deps.querier
        .query_wasm_smart::<TokenInfoResponse>(&config.token, &Cw20QueryMsg::TokenInfo {})
        .map_err(|_| ContractError::InvalidToken {
            address: msg.token.clone(),
        })?;

    if msg.reporters.is_empty() {
        return Err(ContractError::NoReporters);
    }
    if msg.reporters.len() > MAX_INITIAL_REPORTERS {
        return Err(ContractError::TooManyReporters {
            count: msg.reporters.len(),
            max: MAX_INITIAL_REPORTERS,
        });
    }
    for reporter in &msg.reporters {
        let reporter_addr = validate_addr(deps.api, reporter)?;
        if REPORTERS.has(deps.storage, &reporter_addr) {
            return Err(ContractError::DuplicateReporter {
                address: reporter_addr,
            });
        }
        REPORTERS.save(deps.storage, &reporter_addr, &())?;
    }

    let owner_addr = match &msg.owner {
        Some(owner) => validate_addr(deps.api, owner)?,
        None => info.sender,
    };
    initialize_owner(deps.storage, &owner_addr)?;
    CONFIG.save(deps.storage, &config)?;
    POOL.save(deps.storage, &PoolState::default())?;
    RATE_SEQ.save(deps.storage, &0)?;

    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner_addr)
        .add_attribute("token", config.token)
        .add_attribute("reference_pool", config.reference_pool)
        .add_attribute("base_reward", config.base_reward)
        .add_attribute("halving_cooldown", config.halving_cooldown.to_string())
        .add_attribute("hysteresis_bps", config.hysteresis_bps.to_string())
        .add_attribute("max_batch_size", config.max_batch_size.to_string())
        .add_attribute("reporter_cap_amount", config.reporter_cap.amount)
        .add_attribute(
            "reporter_cap_period",
            config.reporter_cap.period.to_string(),
        )
        .add_attribute("reporters", msg.reporters.len().to_string()))
}

/// Owner only (`contract::owner_only`): adds (`listed`) or removes a reporter. Its last batch
/// id and its usage of the payout cap stay in storage either way.
pub fn set_reporter(
    deps: DepsMut,
    address: String,
    listed: bool,
) -> Result<Response, ContractError> {
    let reporter_addr = validate_addr(deps.api, &address)?;
    let action = match (listed, REPORTERS.has(deps.storage, &reporter_addr)) {
        (true, true) => {
            return Err(ContractError::ReporterExists {
                address: reporter_addr,
            })
        }
        (false, false) => {
            return Err(ContractError::ReporterNotFound {
                address: reporter_addr,
            })
        }
        (true, false) => {
            REPORTERS.save(deps.storage, &reporter_addr, &())?;
            "add_reporter"
        }
        (false, true) => {
            REPORTERS.remove(deps.storage, &reporter_addr);
            "remove_reporter"
        }
    };
    Ok(Response::new()
        .add_attribute("action", action)
        .add_attribute("reporter", reporter_addr))
}

/// Owner only (`contract::owner_only`).
pub fn update_config(
    deps: DepsMut,
    halving_cooldown: Option<u64>,
    hysteresis_bps: Option<u16>,
    max_batch_size: Option<u32>,
    reporter_cap: Option<ReporterCap>,
) -> Result<Response, ContractError> {
    if halving_cooldown.is_none()
        && hysteresis_bps.is_none()
        && max_batch_size.is_none()
        && reporter_cap.is_none()
    {
        return Err(ContractError::EmptyConfigUpdate);
    }
    let mut config = CONFIG.load(deps.storage)?;
    if let Some(cooldown) = halving_cooldown {
        config.halving_cooldown = cooldown;
    }
    if let Some(bps) = hysteresis_bps {
        config.hysteresis_bps = bps;
    }
    if let Some(size) = max_batch_size {
        config.max_batch_size = size;
    }
    if let Some(cap) = reporter_cap {
        config.reporter_cap = cap;
    }
    config.validate()?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("halving_cooldown", config.halving_cooldown.to_string())
        .add_attribute("hysteresis_bps", config.hysteresis_bps.to_string())
        .add_attribute("max_batch_size", config.max_batch_size.to_string())
        .add_attribute("reporter_cap_amount", config.reporter_cap.amount)
        .add_attribute(
            "reporter_cap_period",
            config.reporter_cap.period.to_string(),
        ))
}
