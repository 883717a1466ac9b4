//! `UpdateOracles` (owner, checked by `contract::owner_only`) and the oracle check of `SubmitUsage` / `VoteBatch`.

use cosmwasm_std::{Addr, DepsMut, Empty, HexBinary, Order, Response, Storage};

use crate::endpoints::ORACLE_ENDPOINTS;
use crate::state::{oracle_count, CONFIG, MAX_ORACLES, ORACLES};
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

/// The current oracles whose vote (`vote_of`) is `hash`, ascending: reads the vote of each
/// current oracle (at most `MAX_ORACLES`), so a removed oracle's vote never counts.
pub fn current_voters(
    storage: &dyn Storage,
    hash: &[u8],
    vote_of: impl Fn(&Addr) -> Result<Option<HexBinary>, ContractError>,
) -> Result<Vec<Addr>, ContractError> {
    let bound = usize::try_from(MAX_ORACLES).unwrap_or(usize::MAX);
    let oracles: Vec<Addr> = ORACLES
        .keys(storage, None, None, Order::Ascending)
        .take(bound)
        .collect::<Result<_, _>>()?;
    let mut voters = Vec::with_capacity(oracles.len());
    for oracle in oracles {
        if vote_of(&oracle)?.is_some_and(|v| v.as_slice() == hash) {
            voters.push(oracle);
        }
    }
    Ok(voters)
}

/// Number of `voters` (at most `MAX_ORACLES` from [`current_voters`], so it fits in u32).
pub fn vote_count(voters: &[Addr]) -> u32 {
    u32::try_from(voters.len()).unwrap_or(u32::MAX)
}

/// Number of [`current_voters`].
pub fn count_current_votes(
    storage: &dyn Storage,
    hash: &[u8],
    vote_of: impl Fn(&Addr) -> Result<Option<HexBinary>, ContractError>,
) -> Result<u32, ContractError> {
    Ok(vote_count(&current_voters(storage, hash, vote_of)?))
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
