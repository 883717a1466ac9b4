//! `UpdateBatteryWhitelist` (owner, checked by `contract::owner_only`): battery ids added or
//! removed from the next round on.

use cosmwasm_std::{DepsMut, Env, Response};

use crate::state::{set_whitelisted, CONFIG};
use crate::validate::{check_changes, validate_battery_id};
use crate::ContractError;

/// Whitelist changes, in force from the round after the current one.
pub fn update_battery_whitelist(
    deps: DepsMut,
    env: Env,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    check_changes(add.len(), remove.len())?;
    let from = CONFIG
        .load(deps.storage)?
        .effective_round(env.block.time.seconds())?;
    for id in &remove {
        set_whitelisted(deps.storage, id, from, false)?;
    }
    for id in &add {
        validate_battery_id(id)?;
        set_whitelisted(deps.storage, id, from, true)?;
    }
    Ok(Response::new()
        .add_attribute("action", "update_battery_whitelist")
        .add_attribute("effective_from_round", from.to_string())
        .add_attribute("added", add.len().to_string())
        .add_attribute("removed", remove.len().to_string()))
}
