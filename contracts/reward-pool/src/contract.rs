//! Entry points: one `match` routing each message to its module.

use contract_common::{ensure_owner, ownership};
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use cube_types::reward_pool::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use cw_utils::nonpayable;

use crate::error::ContractError;
use crate::{actions, admin, claim, deposit, query as queries};

pub const CONTRACT_NAME: &str = "cube-rewards:reward-pool";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    refuse_funds(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    admin::instantiate(deps, env, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    refuse_funds(&info)?;
    if owner_only(&msg) {
        ensure_owner(deps.storage, &info.sender)?;
    }
    match msg {
        // Deposits: only the configured TOK contract, via the CW20 Send hook.
        ExecuteMsg::Receive(wrapper) => deposit::receive(deps, env, info, wrapper),
        // Owner only (`owner_only`).
        ExecuteMsg::Reconcile {} => deposit::reconcile(deps, env),
        // Reporters only; strictly increasing batch id per reporter.
        ExecuteMsg::RecordActions { batch_id, actions } => {
            actions::record_actions(deps, env, info, batch_id, actions)
        }
        // Anyone with a claimable balance.
        ExecuteMsg::Claim { recipient } => claim::claim(deps, info, recipient),
        // Owner only (`owner_only`; the ownership transfer is checked by contract-common).
        ExecuteMsg::AddReporter { address } => admin::set_reporter(deps, address, true),
        ExecuteMsg::RemoveReporter { address } => admin::set_reporter(deps, address, false),
        ExecuteMsg::UpdateConfig {
            halving_cooldown,
            hysteresis_bps,
            max_batch_size,
            reporter_cap,
        } => admin::update_config(
            deps,
            halving_cooldown,
            hysteresis_bps,
            max_batch_size,
            reporter_cap,
        ),
        ExecuteMsg::TransferOwnership { new_owner } => Ok(ownership::transfer_ownership(
            deps.storage,
            deps.api,
            &info.sender,
            &new_owner,
        )?),
        ExecuteMsg::CancelOwnershipTransfer {} => Ok(ownership::cancel_ownership_transfer(
            deps.storage,
            &info.sender,
        )?),
        // Pending owner only.
        ExecuteMsg::AcceptOwnership {} => {
            Ok(ownership::accept_ownership(deps.storage, &info.sender)?)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    queries::query(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    // Refuses another contract's state and any version that is not newer.
    Ok(contract_common::ensure_upgrade(
        deps.storage,
        CONTRACT_NAME,
        CONTRACT_VERSION,
    )?)
}

/// The messages only the owner may send, checked before routing so a reader sees them on one
/// screen and the handlers can assume it.
fn owner_only(msg: &ExecuteMsg) -> bool {
    matches!(
        msg,
        ExecuteMsg::Reconcile {}
            | ExecuteMsg::AddReporter { .. }
            | ExecuteMsg::RemoveReporter { .. }
            | ExecuteMsg::UpdateConfig { .. }
    )
}

/// Native funds would be stranded: no message (nor the instantiation) takes them.
fn refuse_funds(info: &MessageInfo) -> Result<(), ContractError> {
    nonpayable(info).map_err(|_| ContractError::NativeFundsRejected)
}
