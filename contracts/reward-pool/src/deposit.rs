//! Deposits: the CW20 `Send` hook (`Fund`, `AdFee`) and the owner's `Reconcile`.

use contract_common::ensure_token_deposit;
use cosmwasm_std::{from_json, DepsMut, Env, MessageInfo, Response, Uint128};
use cube_types::reward_pool::ReceiveMsg;
use cw20::{BalanceResponse, Cw20QueryMsg, Cw20ReceiveMsg};

use crate::error::ContractError;
use crate::halving::{credit_deposit, LevelChange};
use crate::helpers::{record_level_changes, validate_addr};
use crate::state::{CONFIG, MAX_CAMPAIGN_LEN, POOL};

/// The CW20 `Send` hook. Only the configured token may call it: another CW20 or a forged
/// `Receive` sent directly by an account is rejected.
pub fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    ensure_token_deposit(&info.sender, &config.token, wrapper.amount)?;
    let sender_addr = validate_addr(deps.api, &wrapper.sender)?;
    let msg: ReceiveMsg =
        from_json(&wrapper.msg).map_err(|err| ContractError::InvalidReceiveMsg {
            reason: err.to_string(),
        })?;
    let (action, campaign) = match msg {
        ReceiveMsg::Fund {} => (DepositKind::Fund, None),
        ReceiveMsg::AdFee { campaign } => {
            if campaign.is_empty() || campaign.len() > MAX_CAMPAIGN_LEN {
                return Err(ContractError::InvalidCampaign {
                    length: campaign.len(),
                    max: MAX_CAMPAIGN_LEN,
                });
            }
            (DepositKind::AdFee, Some(campaign))
        }
    };
    let mut response =
        deposit(deps, &env, action, wrapper.amount)?.add_attribute("sender", sender_addr);
    if let Some(campaign) = campaign {
        response = response.add_attribute("campaign", campaign);
    }
    Ok(response)
}

/// Owner only (`contract::owner_only`): adopts TOK that reached the pool by a plain `Transfer`
/// (not counted on arrival) as a fund deposit.
pub fn reconcile(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let pool = POOL.load(deps.storage)?;
    let balance: BalanceResponse = deps.querier.query_wasm_smart(
        &config.token,
        &Cw20QueryMsg::Balance {
            address: env.contract.address.to_string(),
        },
    )?;
    let accounted = pool.available.checked_add(pool.owed)?;
    let surplus = balance.balance.checked_sub(accounted).unwrap_or_default();
    if surplus.is_zero() {
        return Err(ContractError::NothingToReconcile);
    }
    Ok(deposit(deps, &env, DepositKind::Reconcile, surplus)?
        .add_attribute("token_balance", balance.balance))
}

#[derive(Clone, Copy)]
enum DepositKind {
    Fund,
    AdFee,
    Reconcile,
}

/// Credits a deposit to the available balance, then reverses halvings while it allows.
fn deposit(
    deps: DepsMut,
    env: &Env,
    kind: DepositKind,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut pool = POOL.load(deps.storage)?;
    let level_before = pool.level;
    let mut changes: Vec<LevelChange> = Vec::new();
    credit_deposit(&config, &mut pool, amount, &mut changes)?;
    let action = match kind {
        DepositKind::Fund => {
            pool.total_funded = pool.total_funded.checked_add(amount)?;
            "fund"
        }
        DepositKind::AdFee => {
            pool.total_ad_fees = pool.total_ad_fees.checked_add(amount)?;
            "ad_fee"
        }
        DepositKind::Reconcile => {
            pool.total_funded = pool.total_funded.checked_add(amount)?;
            pool.total_reconciled = pool.total_reconciled.checked_add(amount)?;
            "reconcile"
        }
    };
    POOL.save(deps.storage, &pool)?;
    let events = record_level_changes(deps.storage, changes, env.block.time)?;
    Ok(Response::new()
        .add_events(events)
        .add_attribute("action", action)
        .add_attribute("amount", amount)
        .add_attribute("balance", pool.available)
        .add_attribute("level_before", level_before.to_string())
        .add_attribute("level_after", pool.level.to_string()))
}
