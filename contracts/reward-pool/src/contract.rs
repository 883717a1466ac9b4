//! Entry points: one `match` routing each message to its module.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use cube_types::reward_pool::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::{actions, admin, claim, deposit, migrate as migration, query as queries};

pub const CONTRACT_NAME: &str = "crates.io:reward-pool";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    // Native funds sent with the instantiation would be stranded: refuse them.
    if !info.funds.is_empty() {
        return Err(ContractError::NativeFundsRejected);
    }
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
    // No message takes native funds: refuse them everywhere.
    if !info.funds.is_empty() {
        return Err(ContractError::NativeFundsRejected);
    }
    match msg {
        // Deposits: only the configured TOK contract, via the CW20 Send hook.
        ExecuteMsg::Receive(wrapper) => deposit::receive(deps, env, info, wrapper),
        // Owner only.
        ExecuteMsg::Reconcile {} => deposit::reconcile(deps, env, info),
        // Reporters only; strictly increasing batch id per reporter.
        ExecuteMsg::RecordActions { batch_id, actions } => {
            actions::record_actions(deps, env, info, batch_id, actions)
        }
        // Anyone with a claimable balance.
        ExecuteMsg::Claim { recipient } => claim::claim(deps, info, recipient),
        // Owner only.
        ExecuteMsg::AddReporter { address } => admin::add_reporter(deps, info, address),
        ExecuteMsg::RemoveReporter { address } => admin::remove_reporter(deps, info, address),
        ExecuteMsg::UpdateConfig {
            halving_cooldown,
            hysteresis_bps,
            max_batch_size,
        } => admin::update_config(deps, info, halving_cooldown, hysteresis_bps, max_batch_size),
        ExecuteMsg::TransferOwnership { new_owner } => {
            admin::transfer_ownership(deps, info, new_owner)
        }
        ExecuteMsg::CancelOwnershipTransfer {} => admin::cancel_ownership_transfer(deps, info),
        // Pending owner only.
        ExecuteMsg::AcceptOwnership {} => admin::accept_ownership(deps, info),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    queries::query(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    migration::migrate(deps)
}
