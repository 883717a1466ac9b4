//! Queries: config, activation, one operation, operations by id.

use contract_common::PageLimits;
use cosmwasm_std::{to_json_binary, Binary, Deps, Env, Order, StdError, StdResult};
use cube_types::timelock::{
    ActivationResponse, ConfigResponse, OperationResponse, OperationsResponse, QueryMsg,
};
use cw_storage_plus::Bound;

use crate::activation::activation;
use crate::error::ContractError;
use crate::state::{CONFIG, OPERATIONS};

/// Page size of `Operations`: 10 by default, at most 30.
pub const PAGE: PageLimits = PageLimits::new(10, 30);

pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&config(deps)?),
        QueryMsg::IsActive {} => to_json_binary(&is_active(deps)?),
        QueryMsg::Operation { id } => to_json_binary(&operation(deps, &env, id)?),
        QueryMsg::Operations { start_after, limit } => {
            to_json_binary(&operations(deps, &env, start_after, limit)?)
        }
    }?;
    Ok(binary)
}

fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        proposer: config.proposer,
        vetoer: config.vetoer,
        group: config.group,
        min_delay: config.min_delay,
        grace_period: config.grace_period,
        activation: config.activation,
    })
}

fn is_active(deps: Deps) -> StdResult<ActivationResponse> {
    let config = CONFIG.load(deps.storage)?;
    activation(deps, &config)
}

fn operation(deps: Deps, env: &Env, id: u64) -> StdResult<OperationResponse> {
    let op = OPERATIONS
        .may_load(deps.storage, id)?
        .ok_or_else(|| StdError::not_found(format!("operation {id}")))?;
    Ok(op.into_response(id, env.block.time))
}

fn operations(
    deps: Deps,
    env: &Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<OperationsResponse> {
    let now = env.block.time;
    let operations = OPERATIONS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(PAGE.page(limit))
        .map(|item| item.map(|(id, op)| op.into_response(id, now)))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(OperationsResponse { operations })
}
