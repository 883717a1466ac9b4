//! `migrate` refuses another contract's state and versions that are not newer.

use cube_types::reward_pool::MigrateMsg;
use cw_multi_test::Executor;

use super::suite::{contract_err, SuiteBuilder};
use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::{ContractError, MigrateError};

fn set_version(suite: &mut super::suite::Suite, name: &str, version: &str) {
    let pool = suite.pool.clone();
    let mut storage = suite.app.contract_storage_mut(&pool);
    cw2::set_contract_version(storage.as_mut(), name, version).unwrap();
}

fn stored_version(suite: &super::suite::Suite) -> cw2::ContractVersion {
    cw2::query_contract_info(&suite.app.wrap(), suite.pool.to_string()).unwrap()
}

#[test]
fn instantiate_records_the_contract_version() {
    let suite = SuiteBuilder::new().build();
    let info = stored_version(&suite);
    assert_eq!(info.contract, CONTRACT_NAME);
    assert_eq!(info.version, CONTRACT_VERSION);
}

#[test]
fn migrate_rules() {
    let mut suite = SuiteBuilder::new().build();
    let (owner, pool, code) = (suite.owner.clone(), suite.pool.clone(), suite.pool_code);

    // Same version: refused.
    let err = suite
        .app
        .migrate_contract(owner.clone(), pool.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert_eq!(
        contract_err(err),
        ContractError::Migrate(MigrateError::NotNewerVersion {
            stored: CONTRACT_VERSION.to_string(),
            current: CONTRACT_VERSION.to_string()
        })
    );

    // A newer stored version: refused, nothing rewritten.
    set_version(&mut suite, CONTRACT_NAME, "99.0.0");
    let err = suite
        .app
        .migrate_contract(owner.clone(), pool.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert_eq!(
        contract_err(err),
        ContractError::Migrate(MigrateError::NotNewerVersion {
            stored: "99.0.0".to_string(),
            current: CONTRACT_VERSION.to_string()
        })
    );
    assert_eq!(stored_version(&suite).version, "99.0.0");

    // Another contract's state: refused.
    set_version(&mut suite, "other:contract", "0.0.1");
    let err = suite
        .app
        .migrate_contract(owner.clone(), pool.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert_eq!(
        contract_err(err),
        ContractError::Migrate(MigrateError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: "other:contract".to_string()
        })
    );

    // Garbage version: refused with a typed error.
    set_version(&mut suite, CONTRACT_NAME, "one");
    let err = suite
        .app
        .migrate_contract(owner.clone(), pool.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert_eq!(
        contract_err(err),
        ContractError::Migrate(MigrateError::InvalidVersion {
            version: "one".to_string()
        })
    );

    // An older version of this contract migrates and records the new version.
    set_version(&mut suite, CONTRACT_NAME, "0.0.1");
    suite
        .app
        .migrate_contract(owner, pool, &MigrateMsg {}, code)
        .unwrap();
    let info = stored_version(&suite);
    assert_eq!(info.contract, CONTRACT_NAME);
    assert_eq!(info.version, CONTRACT_VERSION);
    suite.assert_state(0, 0, 0);
}
