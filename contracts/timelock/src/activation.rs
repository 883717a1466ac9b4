//! The activation gate: the group's total weight (queried) and its members with weight (counted
//! through the member-changed hook) against the threshold.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Deps, DepsMut, MessageInfo, QuerierWrapper, Response, StdResult};
use cube_types::timelock::ActivationResponse;
use cw4::{MemberChangedHookMsg, TotalWeightResponse};

use crate::error::ContractError;
use crate::state::{Config, CONFIG, MEMBERS};

/// The one group query the timelock sends. `{"total_weight":{}}` is answered by cw4-stake
/// (`TotalWeight {}`) and by cw4-group (`TotalWeight { at_height }`, absent = now) alike.
#[cw_serde]
enum GroupQuery {
    TotalWeight {},
}

/// The group's total weight now.
pub fn group_total_weight(querier: &QuerierWrapper, group: &Addr) -> StdResult<u64> {
    let res: TotalWeightResponse = querier.query_wasm_smart(group, &GroupQuery::TotalWeight {})?;
    Ok(res.weight)
}

/// Whether the group is active now, with the figures that decide it. A failing group query
/// counts as weight 0: the gate fails closed.
pub fn activation(deps: Deps, config: &Config) -> StdResult<ActivationResponse> {
    let total_weight = group_total_weight(&deps.querier, &config.group).unwrap_or(0);
    let members = MEMBERS.may_load(deps.storage)?.unwrap_or(0);
    let active = total_weight >= config.activation.min_total_weight
        && members >= config.activation.min_members;
    Ok(ActivationResponse {
        active,
        total_weight,
        members,
        activation: config.activation.clone(),
    })
}

/// Fails with `NotActive` (and its figures) unless the group is active.
pub fn ensure_active(deps: Deps, config: &Config) -> Result<(), ContractError> {
    let gate = activation(deps, config)?;
    if !gate.active {
        return Err(ContractError::NotActive {
            total_weight: gate.total_weight,
            min_total_weight: gate.activation.min_total_weight,
            members: gate.members,
            min_members: gate.activation.min_members,
        });
    }
    Ok(())
}

/// The group's hook: counts members whose weight crosses zero. Only the group may call it, and
/// for the group it never fails (a failing hook would fail the bond that triggered it). The
/// loop is bounded by what the group sent (cw4-stake: one diff per bond or unbond).
pub fn member_changed(
    deps: DepsMut,
    info: MessageInfo,
    msg: MemberChangedHookMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.group {
        return Err(ContractError::unauthorized(&info.sender, "group"));
    }
    let mut members = MEMBERS.may_load(deps.storage).ok().flatten().unwrap_or(0);
    for diff in &msg.diffs {
        let was = diff.old.unwrap_or(0) > 0;
        let is = diff.new.unwrap_or(0) > 0;
        if !was && is {
            members = members.saturating_add(1);
        } else if was && !is {
            members = members.saturating_sub(1);
        }
    }
    MEMBERS.save(deps.storage, &members)?;
    Ok(Response::new()
        .add_attribute("action", "member_changed_hook")
        .add_attribute("diffs", msg.diffs.len().to_string())
        .add_attribute("members", members.to_string()))
}
