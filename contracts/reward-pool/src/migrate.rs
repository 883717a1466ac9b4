//! `migrate`: refuses another contract's state and any version that is not newer.

use cosmwasm_std::{DepsMut, Response};
use semver::Version;

use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;

pub fn migrate(deps: DepsMut) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: stored.contract,
        });
    }
    let stored_version = parse_version(&stored.version)?;
    let current_version = parse_version(CONTRACT_VERSION)?;
    if stored_version >= current_version {
        return Err(ContractError::NotNewerVersion {
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

fn parse_version(version: &str) -> Result<Version, ContractError> {
    Version::parse(version).map_err(|_| ContractError::InvalidVersion {
        version: version.to_string(),
    })
}
