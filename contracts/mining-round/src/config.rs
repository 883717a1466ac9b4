//! `UpdateConfig` and `UpdateManufacturerKeys` (owner, checked by
//! `contract::owner_only`). The reward, the attestation and claim windows, rated power and
//! batch size are pinned per round: a change applies from the next round.

use cosmwasm_std::{Binary, DepsMut, Env, Response, Uint128};
use cube_scoring::RatedPower;

use crate::state::{oracle_count, stored_rules, RoundRules, CONFIG, RULES};
use crate::validate::check_changes;
use crate::ContractError;

/// Optional parameter changes of `UpdateConfig`.
pub struct ConfigChanges {
    pub round_reward: Option<Uint128>,
    pub attestation_window: Option<u64>,
    pub claim_window: Option<u64>,
    pub quorum: Option<u32>,
    pub rated_power: Option<RatedPower>,
    pub max_entries_per_batch: Option<u32>,
    pub max_claim_rounds: Option<u32>,
    pub challenge_window: Option<u64>,
    pub dispute_bond_bps: Option<u32>,
}

/// Overwrites each named field of `$config` given (`Some`) in `$changes`.
macro_rules! overwrite {
    ($config:ident, $changes:ident, $($field:ident),+) => {
        $(if let Some(value) = $changes.$field {
            $config.$field = value;
        })+
    };
}

pub fn update_config(
    deps: DepsMut,
    env: Env,
    changes: ConfigChanges,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    overwrite!(
        config,
        changes,
        round_reward,
        attestation_window,
        claim_window,
        quorum,
        rated_power,
        max_entries_per_batch,
        max_claim_rounds,
        challenge_window,
        dispute_bond_bps
    );
    config.validate(oracle_count(deps.storage)?)?;
    CONFIG.save(deps.storage, &config)?;
    // The round's rules are pinned per round: a change applies from the next round, so a
    // round that is running or has ended keeps the rules it started with.
    let rules = RoundRules::of(&config);
    let from = config.effective_round(env.block.time.seconds())?;
    if stored_rules(deps.storage, from)? != rules {
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
        .add_attribute("max_claim_rounds", config.max_claim_rounds.to_string())
        .add_attribute("challenge_window", config.challenge_window.to_string())
        .add_attribute("dispute_bond_bps", config.dispute_bond_bps.to_string()))
}

pub fn update_manufacturer_keys(
    deps: DepsMut,
    add: Vec<Binary>,
    remove: Vec<Binary>,
) -> Result<Response, ContractError> {
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
