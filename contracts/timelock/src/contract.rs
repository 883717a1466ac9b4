//! Entry points and the handlers of the execute messages (the gate and the hook:
//! `activation`; the queries: `query`).

use contract_common::Checked;
use cosmwasm_schema::cw_serde;
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, CosmosMsg, Deps, DepsMut, Env, MessageInfo, Response, Storage, WasmMsg,
};
use cube_types::timelock::{
    Activation, ExecuteMsg, InstantiateMsg, MigrateMsg, OperationStatus, QueryMsg, MAX_ACCEPT,
    MAX_DESCRIPTION, MAX_MSGS,
};
use cw_utils::nonpayable;

use crate::activation::{ensure_active, group_total_weight, member_changed};
use crate::error::ContractError;
use crate::query as queries;
use crate::state::{
    add_seconds, validate_addr, Config, Operation, OperationState, CONFIG, LAST_ID, MEMBERS,
    OPERATIONS,
};

pub const CONTRACT_NAME: &str = "cube-rewards:timelock";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    refuse_funds(&info)?;
    let config = Config {
        proposer: validate_addr(deps.api, &msg.proposer)?,
        vetoer: msg
            .vetoer
            .as_deref()
            .map(|vetoer| validate_addr(deps.api, vetoer))
            .transpose()?,
        group: validate_addr(deps.api, &msg.group)?,
        min_delay: msg.min_delay,
        grace_period: msg.grace_period,
        activation: msg.activation,
    };
    config.validate()?;
    // The hook must see every bond: the group has to be empty when the timelock starts counting.
    let total_weight = group_total_weight(&deps.querier, &config.group).map_err(|err| {
        ContractError::GroupQueryFailed {
            group: config.group.to_string(),
            reason: err.to_string(),
        }
    })?;
    if total_weight != 0 {
        return Err(ContractError::GroupNotEmpty { total_weight });
    }

    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    LAST_ID.save(deps.storage, &0)?;
    MEMBERS.save(deps.storage, &0)?;

    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("proposer", config.proposer.as_str())
        .add_attribute("vetoer", vetoer_attr(&config))
        .add_attribute("group", config.group.as_str())
        .add_attributes(delay_attributes(&config)))
}

/// The delays and the activation threshold, as instantiate and `UpdateConfig` report them.
fn delay_attributes(config: &Config) -> [(&'static str, String); 4] {
    [
        ("min_delay", config.min_delay.to_string()),
        ("grace_period", config.grace_period.to_string()),
        (
            "min_total_weight",
            config.activation.min_total_weight.to_string(),
        ),
        ("min_members", config.activation.min_members.to_string()),
    ]
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    refuse_funds(&info)?;
    match msg {
        // Proposer only, while active.
        ExecuteMsg::Schedule { msgs, description } => schedule(deps, env, info, msgs, description),
        // Anyone, while active.
        ExecuteMsg::Execute { id } => execute_operation(deps, env, id),
        // Vetoer only.
        ExecuteMsg::Veto { id } => veto(deps, env, info, id),
        // Anyone.
        ExecuteMsg::AcceptOwnership { contracts } => accept_ownership(deps, contracts),
        // The timelock itself only.
        ExecuteMsg::UpdateConfig {
            min_delay,
            grace_period,
            activation,
            proposer,
        } => update_config(
            deps,
            env,
            info,
            min_delay,
            grace_period,
            activation,
            proposer,
        ),
        ExecuteMsg::SetVetoer { vetoer } => set_vetoer(deps, env, info, vetoer),
        // The group only; never fails for it.
        ExecuteMsg::MemberChangedHook(hook) => member_changed(deps, info, hook),
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

/// Native funds would be stranded: no message (nor the instantiation) takes them.
fn refuse_funds(info: &MessageInfo) -> Result<(), ContractError> {
    nonpayable(info).map_err(|_| ContractError::NativeFundsRejected)
}

fn vetoer_attr(config: &Config) -> String {
    config
        .vetoer
        .as_ref()
        .map_or_else(|| "none".to_string(), |vetoer| vetoer.to_string())
}

fn load_operation(storage: &dyn Storage, id: u64) -> Result<Operation, ContractError> {
    OPERATIONS
        .may_load(storage, id)?
        .ok_or(ContractError::UnknownOperation { id })
}

fn schedule(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msgs: Vec<CosmosMsg>,
    description: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.proposer {
        return Err(ContractError::unauthorized(&info.sender, "proposer"));
    }
    if msgs.is_empty() {
        return Err(ContractError::EmptyOperation);
    }
    if msgs.len() > MAX_MSGS {
        return Err(ContractError::TooManyMessages {
            count: msgs.len(),
            max: MAX_MSGS,
        });
    }
    if description.len() > MAX_DESCRIPTION {
        return Err(ContractError::DescriptionTooLong {
            length: description.len(),
            max: MAX_DESCRIPTION,
        });
    }
    ensure_active(deps.as_ref(), &config)?;

    let id = LAST_ID.load(deps.storage)?.checked_inc()?;
    let now = env.block.time;
    let eta = add_seconds(now, config.min_delay)?;
    let expires = add_seconds(eta, config.grace_period)?;
    OPERATIONS.save(
        deps.storage,
        id,
        &Operation {
            description,
            msgs,
            scheduled_at: now,
            eta,
            expires,
            state: OperationState::Scheduled,
        },
    )?;
    LAST_ID.save(deps.storage, &id)?;
    Ok(Response::new()
        .add_attribute("action", "schedule")
        .add_attribute("operation_id", id.to_string())
        .add_attribute("eta", eta.seconds().to_string())
        .add_attribute("expires", expires.seconds().to_string()))
}

fn execute_operation(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let mut op = load_operation(deps.storage, id)?;
    match op.status(env.block.time) {
        OperationStatus::Ready => {}
        OperationStatus::Done => return Err(ContractError::AlreadyExecuted { id }),
        OperationStatus::Vetoed => return Err(ContractError::Vetoed { id }),
        OperationStatus::Pending => return Err(ContractError::NotReady { id, eta: op.eta }),
        OperationStatus::Expired => {
            return Err(ContractError::Expired {
                id,
                expires: op.expires,
            })
        }
    }
    let config = CONFIG.load(deps.storage)?;
    ensure_active(deps.as_ref(), &config)?;

    // Marked done before the messages are dispatched; plain messages, so a failing one reverts
    // the whole transaction, the mark included.
    op.state = OperationState::Done { at: env.block.time };
    OPERATIONS.save(deps.storage, id, &op)?;
    Ok(Response::new()
        .add_messages(op.msgs)
        .add_attribute("action", "execute")
        .add_attribute("operation_id", id.to_string()))
}

fn veto(deps: DepsMut, env: Env, info: MessageInfo, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if config.vetoer.as_ref() != Some(&info.sender) {
        return Err(ContractError::unauthorized(&info.sender, "vetoer"));
    }
    let mut op = load_operation(deps.storage, id)?;
    match op.status(env.block.time) {
        OperationStatus::Pending | OperationStatus::Ready => {}
        OperationStatus::Done => return Err(ContractError::AlreadyExecuted { id }),
        OperationStatus::Vetoed => return Err(ContractError::Vetoed { id }),
        OperationStatus::Expired => {
            return Err(ContractError::Expired {
                id,
                expires: op.expires,
            })
        }
    }
    op.state = OperationState::Vetoed { at: env.block.time };
    OPERATIONS.save(deps.storage, id, &op)?;
    Ok(Response::new()
        .add_attribute("action", "veto")
        .add_attribute("operation_id", id.to_string()))
}

/// The ownership message of our contracts (contract-common's two-step ownership).
#[cw_serde]
enum OwnedMsg {
    AcceptOwnership {},
}

fn accept_ownership(deps: DepsMut, contracts: Vec<String>) -> Result<Response, ContractError> {
    if contracts.is_empty() || contracts.len() > MAX_ACCEPT {
        return Err(ContractError::InvalidContractList {
            count: contracts.len(),
            max: MAX_ACCEPT,
        });
    }
    let msg = to_json_binary(&OwnedMsg::AcceptOwnership {})?;
    let msgs = contracts
        .iter()
        .map(|contract| -> Result<WasmMsg, ContractError> {
            Ok(WasmMsg::Execute {
                contract_addr: validate_addr(deps.api, contract)?.into_string(),
                msg: msg.clone(),
                funds: vec![],
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Response::new()
        .add_messages(msgs)
        .add_attribute("action", "accept_ownership")
        .add_attribute("contracts", contracts.join(",")))
}

fn ensure_self(env: &Env, info: &MessageInfo) -> Result<(), ContractError> {
    if info.sender != env.contract.address {
        return Err(ContractError::unauthorized(&info.sender, "timelock itself"));
    }
    Ok(())
}

fn update_config(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    min_delay: Option<u64>,
    grace_period: Option<u64>,
    activation: Option<Activation>,
    proposer: Option<String>,
) -> Result<Response, ContractError> {
    ensure_self(&env, &info)?;
    let mut config = CONFIG.load(deps.storage)?;
    if let Some(delay) = min_delay {
        config.min_delay = delay;
    }
    if let Some(grace) = grace_period {
        config.grace_period = grace;
    }
    if let Some(threshold) = activation {
        config.activation = threshold;
    }
    if let Some(address) = proposer {
        config.proposer = validate_addr(deps.api, &address)?;
    }
    config.validate()?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("proposer", config.proposer.as_str())
        .add_attributes(delay_attributes(&config)))
}

fn set_vetoer(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    vetoer: Option<String>,
) -> Result<Response, ContractError> {
    ensure_self(&env, &info)?;
    let mut config = CONFIG.load(deps.storage)?;
    config.vetoer = vetoer
        .as_deref()
        .map(|address| validate_addr(deps.api, address))
        .transpose()?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "set_vetoer")
        .add_attribute("vetoer", vetoer_attr(&config)))
}
