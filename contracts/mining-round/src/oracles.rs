//! `UpdateOracles` (owner, checked by `contract::owner_only`) and the oracle check of `SubmitUsage` / `VoteBatch`.

use cosmwasm_std::{Addr, DepsMut, Empty, Response, Storage};

use crate::endpoints::ORACLE_ENDPOINTS;
use crate::state::{oracle_count, CONFIG, ORACLES};
use crate::validate::check_changes;
use crate::ContractError;

/// Fails with `NotOracle { sender }` unless `sender` is a current oracle.
pub fn ensure_oracle(storage: &dyn Storage, sender: &Addr) -> Result<(), ContractError> {
    if !ORACLES.has(storage, sender) {
        return Err(ContractError::NotOracle {
            sender: sender.to_string(),
        });
    }
    Ok(())
}

/// Adds oracles; one already listed fails with `DuplicateOracle`.
pub fn add_oracles(deps: &mut DepsMut, oracles: &[String]) -> Result<(), ContractError> {
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

pub fn update_oracles(
    mut deps: DepsMut,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    check_changes(add.len(), remove.len())?;
    for oracle in &remove {
        let addr = deps.api.addr_validate(oracle)?;
        ORACLES.remove(deps.storage, &addr);
        ORACLE_ENDPOINTS.remove(deps.storage, &addr);
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
