//! Instantiation, owner-only parameter changes, two-step ownership and migration.

use cosmwasm_std::{
    Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, Storage, Uint128,
};
use cube_scoring::{RatedPower, ScorePolicy};
use cube_types::mining_round::{
    InstantiateMsg, DEFAULT_ATTESTATION_WINDOW, DEFAULT_CLAIM_WINDOW, DEFAULT_MAX_CLAIM_ROUNDS,
    DEFAULT_MAX_ENTRIES_PER_BATCH, DEFAULT_ROUND_DURATION,
};

use crate::state::{
    oracle_count, rules_for_round, set_whitelisted, Config, Funds, PolicyRecord, RoundRules,
    CONFIG, FUNDS, GUARDIAN, MAX_CHANGES, ORACLES, OWNER, PAUSED, PENDING_OWNER, POLICIES,
    POLICY_SCHEDULE, POLICY_VERSION, RULES,
};
use crate::ContractError;

pub const CONTRACT_NAME: &str = "crates.io:mining-round";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn ensure_owner(storage: &dyn Storage, sender: &Addr) -> Result<(), ContractError> {
    if OWNER.load(storage)? != *sender {
        return Err(ContractError::Unauthorized {});
    }
    Ok(())
}

fn validate_battery_id(id: &str) -> Result<(), ContractError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ContractError::InvalidBatteryId { id: id.to_string() });
    }
    Ok(())
}

fn check_changes(add: usize, remove: usize) -> Result<(), ContractError> {
    let count = add.saturating_add(remove);
    if count > MAX_CHANGES {
        return Err(ContractError::TooManyChanges {
            count,
            max: MAX_CHANGES,
        });
    }
    Ok(())
}

fn add_oracles(deps: &mut DepsMut, oracles: &[String]) -> Result<(), ContractError> {
    for oracle in oracles {
        let addr = deps.api.addr_validate(oracle)?;
        if ORACLES.has(deps.storage, &addr) {
            return Err(ContractError::DuplicateOracle {
                oracle: addr.to_string(),
            });
        }
        ORACLES.save(deps.storage, &addr, &Empty {})?;
    }
    Ok(())
}

pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let owner = match msg.owner {
        Some(owner) => deps.api.addr_validate(&owner)?,
        None => info.sender,
    };
    check_changes(msg.oracles.len(), 0)?;
    check_changes(msg.battery_whitelist.len(), 0)?;
    add_oracles(&mut deps, &msg.oracles)?;
    let config = Config {
        reward_token: deps.api.addr_validate(&msg.reward_token)?,
        round_reward: msg.round_reward,
        genesis_time: msg.genesis_time.unwrap_or(env.block.time.seconds()),
        round_duration: msg.round_duration.unwrap_or(DEFAULT_ROUND_DURATION),
        attestation_window: msg.attestation_window.unwrap_or(DEFAULT_ATTESTATION_WINDOW),
        claim_window: msg.claim_window.unwrap_or(DEFAULT_CLAIM_WINDOW),
        quorum: msg.quorum,
        rated_power: msg.rated_power.unwrap_or_default(),
        max_entries_per_batch: msg
            .max_entries_per_batch
            .unwrap_or(DEFAULT_MAX_ENTRIES_PER_BATCH),
        max_claim_rounds: msg.max_claim_rounds.unwrap_or(DEFAULT_MAX_CLAIM_ROUNDS),
        manufacturer_keys: msg.manufacturer_keys,
    };
    config.validate(oracle_count(deps.storage)?)?;
    let policy = msg.policy.unwrap_or_default();
    policy.validate()?;
    for id in &msg.battery_whitelist {
        validate_battery_id(id)?;
        set_whitelisted(deps.storage, id, 0, true)?;
    }
    if let Some(guardian) = &msg.guardian {
        GUARDIAN.save(deps.storage, &deps.api.addr_validate(guardian)?)?;
    }
    PAUSED.save(deps.storage, &false)?;
    RULES.save(
        deps.storage,
        0,
        &RoundRules {
            rated_power: config.rated_power,
            max_entries_per_batch: config.max_entries_per_batch,
        },
    )?;
    CONFIG.save(deps.storage, &config)?;
    OWNER.save(deps.storage, &owner)?;
    FUNDS.save(deps.storage, &Funds::default())?;
    POLICY_VERSION.save(deps.storage, &1)?;
    POLICIES.save(
        deps.storage,
        1,
        &PolicyRecord {
            policy,
            effective_from_round: 0,
        },
    )?;
    POLICY_SCHEDULE.save(deps.storage, 0, &1)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.as_str())
        .add_attribute("reward_token", config.reward_token.as_str())
        .add_attribute("round_reward", config.round_reward)
        .add_attribute("genesis_time", config.genesis_time.to_string())
        .add_attribute("round_duration", config.round_duration.to_string())
        .add_attribute("quorum", config.quorum.to_string()))
}

/// New policy version, in force from the round after the current one (round 0 before genesis).
pub fn update_policy(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    policy: ScorePolicy,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
    policy.validate()?;
    let config = CONFIG.load(deps.storage)?;
    let effective_from_round = match config.round_at(env.block.time.seconds()) {
        Some(current) => current
            .checked_add(1)
            .ok_or(cosmwasm_std::OverflowError::new(
                cosmwasm_std::OverflowOperation::Add,
            ))?,
        None => 0,
    };
    let version = POLICY_VERSION.load(deps.storage)?.checked_add(1).ok_or(
        cosmwasm_std::OverflowError::new(cosmwasm_std::OverflowOperation::Add),
    )?;
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

pub fn update_oracles(
    mut deps: DepsMut,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
    check_changes(add.len(), remove.len())?;
    for oracle in &remove {
        let addr = deps.api.addr_validate(oracle)?;
        ORACLES.remove(deps.storage, &addr);
    }
    add_oracles(&mut deps, &add)?;
    let count = oracle_count(deps.storage)?;
    CONFIG.load(deps.storage)?.validate(count)?;
    Ok(Response::new()
        .add_attribute("action", "update_oracles")
        .add_attribute("added", add.join(","))
        .add_attribute("removed", remove.join(","))
        .add_attribute("oracles", count.to_string()))
}

/// Optional parameter changes of `UpdateConfig`.
pub struct ConfigChanges {
    pub round_reward: Option<Uint128>,
    pub attestation_window: Option<u64>,
    pub claim_window: Option<u64>,
    pub quorum: Option<u32>,
    pub rated_power: Option<RatedPower>,
    pub max_entries_per_batch: Option<u32>,
    pub max_claim_rounds: Option<u32>,
}

pub fn update_config(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    changes: ConfigChanges,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
    let mut config = CONFIG.load(deps.storage)?;
    if let Some(v) = changes.round_reward {
        config.round_reward = v;
    }
    if let Some(v) = changes.attestation_window {
        config.attestation_window = v;
    }
    if let Some(v) = changes.claim_window {
        config.claim_window = v;
    }
    if let Some(v) = changes.quorum {
        config.quorum = v;
    }
    if let Some(v) = changes.rated_power {
        config.rated_power = v;
    }
    if let Some(v) = changes.max_entries_per_batch {
        config.max_entries_per_batch = v;
    }
    if let Some(v) = changes.max_claim_rounds {
        config.max_claim_rounds = v;
    }
    config.validate(oracle_count(deps.storage)?)?;
    CONFIG.save(deps.storage, &config)?;
    // Rated power and batch size are pinned per round: a change applies from the next round.
    let rules = RoundRules {
        rated_power: config.rated_power,
        max_entries_per_batch: config.max_entries_per_batch,
    };
    let from = config.effective_round(env.block.time.seconds())?;
    if rules_for_round(deps.storage, from)? != rules {
        RULES.save(deps.storage, from, &rules)?;
    }
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("rules_from_round", from.to_string())
        .add_attribute("round_reward", config.round_reward)
        .add_attribute("attestation_window", config.attestation_window.to_string())
        .add_attribute("claim_window", config.claim_window.to_string())
        .add_attribute("quorum", config.quorum.to_string())
        .add_attribute(
            "max_entries_per_batch",
            config.max_entries_per_batch.to_string(),
        )
        .add_attribute("max_claim_rounds", config.max_claim_rounds.to_string()))
}

/// Whitelist changes, in force from the round after the current one.
pub fn update_battery_whitelist(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
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

pub fn update_manufacturer_keys(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<Binary>,
    remove: Vec<Binary>,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
    check_changes(add.len(), remove.len())?;
    let mut config = CONFIG.load(deps.storage)?;
    config.manufacturer_keys.retain(|k| !remove.contains(k));
    for key in add {
        if !config.manufacturer_keys.contains(&key) {
            config.manufacturer_keys.push(key);
        }
    }
    config.validate(oracle_count(deps.storage)?)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_manufacturer_keys")
        .add_attribute("keys", config.manufacturer_keys.len().to_string()))
}

pub fn transfer_ownership(
    deps: DepsMut,
    info: MessageInfo,
    new_owner: String,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
    let new_owner_addr = deps.api.addr_validate(&new_owner)?;
    PENDING_OWNER.save(deps.storage, &new_owner_addr)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_ownership")
        .add_attribute("owner", info.sender.as_str())
        .add_attribute("pending_owner", new_owner_addr.as_str()))
}

pub fn accept_ownership(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let pending = PENDING_OWNER
        .may_load(deps.storage)?
        .ok_or(ContractError::NoPendingOwner {})?;
    if pending != info.sender {
        return Err(ContractError::NotPendingOwner {});
    }
    OWNER.save(deps.storage, &pending)?;
    PENDING_OWNER.remove(deps.storage);
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("owner", pending.as_str()))
}

/// Refuses another contract's state and any version that is not strictly newer.
pub fn migrate(deps: DepsMut) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::MigrateWrongContract {
            name: stored.contract,
        });
    }
    let stored_version: semver::Version = stored.version.parse()?;
    let current: semver::Version = CONTRACT_VERSION.parse()?;
    if stored_version >= current {
        return Err(ContractError::MigrateNotNewer {
            stored: stored.version,
            current: CONTRACT_VERSION.to_string(),
        });
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// Read-only owner lookup for queries.
pub fn owner(deps: Deps) -> Result<(Addr, Option<Addr>), ContractError> {
    Ok((
        OWNER.load(deps.storage)?,
        PENDING_OWNER.may_load(deps.storage)?,
    ))
}
