//! `instantiate`: parameters, oracles, the initial whitelist, policy version 1 and round 0's
//! rules. (`contract::instantiate` records the cw2 version and refuses funds first.)

use contract_common::ownership::initialize_owner;
use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use cube_types::mining_round::{
    InstantiateMsg, DEFAULT_ATTESTATION_WINDOW, DEFAULT_CHALLENGE_WINDOW, DEFAULT_CLAIM_WINDOW,
    DEFAULT_DISPUTE_BOND_BPS, DEFAULT_MAX_CLAIM_ROUNDS, DEFAULT_MAX_ENTRIES_PER_BATCH,
    DEFAULT_ROUND_DURATION,
};

use crate::oracles::add_oracles;
use crate::state::{
    oracle_count, set_whitelisted, Config, Funds, PolicyRecord, RoundRules, CONFIG, FUNDS,
    GUARDIAN, PAUSED, POLICIES, POLICY_SCHEDULE, POLICY_VERSION, RULES,
};
use crate::validate::{check_changes, validate_battery_id};
use crate::ContractError;

pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
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
        attestation_mode: msg.attestation_mode.unwrap_or_default(),
        challenge_window: msg.challenge_window.unwrap_or(DEFAULT_CHALLENGE_WINDOW),
        dispute_bond_bps: msg.dispute_bond_bps.unwrap_or(DEFAULT_DISPUTE_BOND_BPS),
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
    RULES.save(deps.storage, 0, &RoundRules::of(&config))?;
    CONFIG.save(deps.storage, &config)?;
    initialize_owner(deps.storage, &owner)?;
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
        .add_attribute("quorum", config.quorum.to_string())
        .add_attribute("attestation_mode", config.attestation_mode.as_str()))
}
