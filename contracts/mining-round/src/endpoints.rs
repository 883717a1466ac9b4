//! Oracles' public HTTP endpoints (where proofs and leaves files are served):
//! `UpdateOracleEndpoints` (owner, checked by `contract::owner_only`) and the `OracleEndpoints`
//! query. Useful in both attestation modes; removing an oracle removes its endpoint.

use cosmwasm_std::{Addr, Deps, DepsMut, Order, Response, StdResult};
use cube_types::mining_round::{OracleEndpoint, OracleEndpointsResponse, MAX_ENDPOINT_LEN};
use cw_storage_plus::Map;

use crate::state::{MAX_ORACLES, ORACLES};
use crate::validate::check_changes;
use crate::ContractError;

/// oracle → endpoint URL.
pub const ORACLE_ENDPOINTS: Map<&Addr, String> = Map::new("oracle_endpoints");

fn invalid(url: &str, reason: &str) -> ContractError {
    ContractError::InvalidEndpoint {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

/// `https://` or `http://`, a non-empty host, at most `MAX_ENDPOINT_LEN` bytes, no whitespace
/// or control characters.
pub fn validate_endpoint(url: &str) -> Result<(), ContractError> {
    if url.len() > MAX_ENDPOINT_LEN {
        return Err(invalid(url, "longer than 256 bytes"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(url, "whitespace or control character"));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid(url, "scheme must be https:// or http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(invalid(url, "empty host"));
    }
    Ok(())
}

pub fn update_oracle_endpoints(
    deps: DepsMut,
    set: Vec<OracleEndpoint>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    check_changes(set.len(), remove.len())?;
    for oracle in &remove {
        let addr = deps.api.addr_validate(oracle)?;
        ORACLE_ENDPOINTS.remove(deps.storage, &addr);
    }
    for endpoint in &set {
        let addr = deps.api.addr_validate(&endpoint.oracle)?;
        if !ORACLES.has(deps.storage, &addr) {
            return Err(ContractError::UnknownOracle {
                oracle: addr.into_string(),
            });
        }
        validate_endpoint(&endpoint.url)?;
        ORACLE_ENDPOINTS.save(deps.storage, &addr, &endpoint.url)?;
    }
    Ok(Response::new()
        .add_attribute("action", "update_oracle_endpoints")
        .add_attribute("set", set.len().to_string())
        .add_attribute("removed", remove.len().to_string()))
}

pub fn oracle_endpoints(deps: Deps) -> Result<OracleEndpointsResponse, ContractError> {
    let bound = usize::try_from(MAX_ORACLES).unwrap_or(usize::MAX);
    let endpoints = ORACLE_ENDPOINTS
        .range(deps.storage, None, None, Order::Ascending)
        .take(bound)
        .map(|r| {
            r.map(|(oracle, url)| OracleEndpoint {
                oracle: oracle.into_string(),
                url,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(OracleEndpointsResponse { endpoints })
}
