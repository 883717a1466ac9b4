//! The migrate guard: refuses another contract's state (a different cw2 name) and any stored
//! version that is not strictly older than the code's, then records the new version.

use cosmwasm_std::{Response, StdError, Storage};
use semver::Version;
use thiserror::Error;

/// Refused migrations, the same in both contracts.
#[derive(Error, Debug, PartialEq)]
pub enum MigrateError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error("cannot migrate from contract {found}, expected {expected}")]
    WrongContract { expected: String, found: String },

    #[error("stored version {stored} is not older than {current}")]
    NotNewerVersion { stored: String, current: String },

    #[error("invalid semantic version {version}")]
    InvalidVersion { version: String },
}

/// Checks the stored cw2 version against `name` and `version` (the code's), stores the new
/// version and answers the `migrate` response (`from_version`, `to_version`).
pub fn ensure_upgrade(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<Response, MigrateError> {
    let stored = cw2::get_contract_version(storage)?;
    if stored.contract != name {
        return Err(MigrateError::WrongContract {
            expected: name.to_string(),
            found: stored.contract,
        });
    }
    if parse_version(&stored.version)? >= parse_version(version)? {
        return Err(MigrateError::NotNewerVersion {
            stored: stored.version,
            current: version.to_string(),
        });
    }
    cw2::set_contract_version(storage, name, version)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", version))
}

fn parse_version(version: &str) -> Result<Version, MigrateError> {
    Version::parse(version).map_err(|_| MigrateError::InvalidVersion {
        version: version.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;

    use super::*;

    const NAME: &str = "cube-rewards:example";

    fn stored(name: &str, version: &str) -> MockStorage {
        let mut storage = MockStorage::new();
        cw2::set_contract_version(&mut storage, name, version).unwrap();
        storage
    }

    fn upgrade(storage: &mut MockStorage, version: &str) -> Result<Response, MigrateError> {
        ensure_upgrade(storage, NAME, version)
    }

    #[test]
    fn upgrades_to_a_newer_version_and_records_it() {
        let mut storage = stored(NAME, "0.1.0");
        let res = upgrade(&mut storage, "0.1.1").unwrap();
        let attrs: Vec<(&str, &str)> = res
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            attrs,
            vec![
                ("action", "migrate"),
                ("from_version", "0.1.0"),
                ("to_version", "0.1.1")
            ]
        );
        let now = cw2::get_contract_version(&storage).unwrap();
        assert_eq!(
            (now.contract.as_str(), now.version.as_str()),
            (NAME, "0.1.1")
        );
    }

    #[test]
    fn refuses_the_same_or_an_older_version() {
        for stored_version in ["0.2.0", "0.3.0"] {
            let mut storage = stored(NAME, stored_version);
            assert_eq!(
                upgrade(&mut storage, "0.2.0").unwrap_err(),
                MigrateError::NotNewerVersion {
                    stored: stored_version.to_string(),
                    current: "0.2.0".to_string(),
                }
            );
            let kept = cw2::get_contract_version(&storage).unwrap();
            assert_eq!(kept.version, stored_version);
        }
    }

    #[test]
    fn refuses_another_contract() {
        let mut storage = stored("other:contract", "0.0.1");
        assert_eq!(
            upgrade(&mut storage, "0.1.0").unwrap_err(),
            MigrateError::WrongContract {
                expected: NAME.to_string(),
                found: "other:contract".to_string(),
            }
        );
    }

    #[test]
    fn refuses_unparsable_versions() {
        let mut storage = stored(NAME, "not-a-version");
        assert_eq!(
            upgrade(&mut storage, "0.1.0").unwrap_err(),
            MigrateError::InvalidVersion {
                version: "not-a-version".to_string(),
            }
        );
        let mut storage = stored(NAME, "0.1.0");
        assert_eq!(
            upgrade(&mut storage, "x").unwrap_err(),
            MigrateError::InvalidVersion {
                version: "x".to_string(),
            }
        );
    }

    #[test]
    fn missing_version_is_a_storage_error() {
        let mut storage = MockStorage::new();
        assert!(matches!(
            upgrade(&mut storage, "0.1.0"),
            Err(MigrateError::Std(_))
        ));
    }
}
