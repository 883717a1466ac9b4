//! `Pause` (owner or guardian), `Unpause` and `UpdateGuardian` (owner, checked by
//! `contract::owner_only`). While paused, `SubmitUsage`, `VoteBatch`, `AcceptBatch`, `Claim`
//! and `SweepExpired` fail with `Paused`, and the claim clock stands still: every claim
//! deadline moves later by the time spent paused, so locked rewards stay claimable after
//! `Unpause` for as long as their window had left when the pause began. Attestation deadlines
//! are not moved (a round not attested in time is void; its reward was never locked).

use contract_common::ownership::is_owner;
use contract_common::Checked;
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use crate::state::{pause_clock, GUARDIAN, PAUSED, PAUSE_CLOCK};
use crate::ContractError;

/// Starts a pause (a repeated `Pause` keeps the pause's start).
pub fn pause(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    let is_owner = is_owner(deps.storage, &info.sender)?;
    let is_guardian = GUARDIAN
        .may_load(deps.storage)?
        .is_some_and(|g| g == info.sender);
    if !is_owner && !is_guardian {
        return Err(ContractError::NotOwnerOrGuardian {
            sender: info.sender,
        });
    }
    let mut clock = pause_clock(deps.storage)?;
    let now = env.block.time.seconds();
    let since = *clock.since.get_or_insert(now);
    PAUSE_CLOCK.save(deps.storage, &clock)?;
    PAUSED.save(deps.storage, &true)?;
    Ok(Response::new()
        .add_attribute("action", "pause")
        .add_attribute("paused_since", since.to_string())
        .add_attribute("by", info.sender.as_str())
        .add_attribute("role", if is_owner { "owner" } else { "guardian" }))
}

/// Ends the pause: its length is added to the time spent paused (claim deadlines move by it).
pub fn unpause(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    let mut clock = pause_clock(deps.storage)?;
    let now = env.block.time.seconds();
    let paused_for = clock.since.take().map_or(0, |s| now.saturating_sub(s));
    clock.total = clock.total.try_add(paused_for)?;
    PAUSE_CLOCK.save(deps.storage, &clock)?;
    PAUSED.save(deps.storage, &false)?;
    Ok(Response::new()
        .add_attribute("action", "unpause")
        .add_attribute("by", info.sender.as_str())
        .add_attribute("paused_for", paused_for.to_string())
        .add_attribute("total_paused", clock.total.to_string()))
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
