//! `Pause` (owner or guardian), `Unpause` and `UpdateGuardian` (owner, checked by
//! `contract::owner_only`). While paused, `SubmitUsage`, `VoteBatch`, `AcceptBatch` and `Claim`
//! fail with `Paused`; nothing else changes, so locked rewards stay claimable after `Unpause`.

use contract_common::ownership::is_owner;
use cosmwasm_std::{DepsMut, MessageInfo, Response};

use crate::state::{GUARDIAN, PAUSED};
use crate::ContractError;

pub fn pause(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let is_owner = is_owner(deps.storage, &info.sender)?;
    let is_guardian = GUARDIAN
        .may_load(deps.storage)?
        .is_some_and(|g| g == info.sender);
    if !is_owner && !is_guardian {
        return Err(ContractError::NotOwnerOrGuardian {
            sender: info.sender,
        });
    }
    PAUSED.save(deps.storage, &true)?;
    Ok(Response::new()
        .add_attribute("action", "pause")
        .add_attribute("by", info.sender.as_str())
        .add_attribute("role", if is_owner { "owner" } else { "guardian" }))
}

pub fn unpause(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    PAUSED.save(deps.storage, &false)?;
    Ok(Response::new()
        .add_attribute("action", "unpause")
        .add_attribute("by", info.sender.as_str()))
}

pub fn update_guardian(deps: DepsMut, guardian: Option<String>) -> Result<Response, ContractError> {
    let value = match guardian {
        Some(g) => {
            let addr = deps.api.addr_validate(&g)?;
            GUARDIAN.save(deps.storage, &addr)?;
            addr.into_string()
        }
        None => {
            GUARDIAN.remove(deps.storage);
            String::new()
        }
    };
    Ok(Response::new()
        .add_attribute("action", "update_guardian")
        .add_attribute("guardian", value))
}
