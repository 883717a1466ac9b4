//! `UpdatePolicy` (owner, checked by `contract::owner_only`): a new score policy version, in
//! force from the next round.

use contract_common::Checked;
use cosmwasm_std::{DepsMut, Env, Response};
use cube_scoring::ScorePolicy;

use crate::state::{PolicyRecord, CONFIG, POLICIES, POLICY_SCHEDULE, POLICY_VERSION};
use crate::ContractError;

/// New policy version, in force from the round after the current one (round 0 before genesis).
pub fn update_policy(
    deps: DepsMut,
    env: Env,
    policy: ScorePolicy,
) -> Result<Response, ContractError> {
    policy.validate()?;
    let config = CONFIG.load(deps.storage)?;
    let effective_from_round = config.effective_round(env.block.time.seconds())?;
    let version = POLICY_VERSION.load(deps.storage)?.checked_inc()?;
    POLICY_VERSION.save(deps.storage, &version)?;
    POLICIES.save(
        deps.storage,
        version,
        &PolicyRecord {
            policy,
            effective_from_round,
        },
    )?;
    POLICY_SCHEDULE.save(deps.storage, effective_from_round, &version)?;
    Ok(Response::new()
        .add_attribute("action", "update_policy")
        .add_attribute("version", version.to_string())
        .add_attribute("effective_from_round", effective_from_round.to_string()))
}
