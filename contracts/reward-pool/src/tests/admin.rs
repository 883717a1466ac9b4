//! Reporter management, parameters and two-step ownership.

use cube_types::reward_pool::{ExecuteMsg, ReporterInfo};

use super::suite::{attr, contract_err, SuiteBuilder, COOLDOWN, DAY, S};
use crate::state::MAX_BATCH_SIZE_CAP;
use crate::{ContractError, OwnershipError};

#[test]
fn owner_adds_and_removes_reporters() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (owner, alice, carol) = (
        suite.owner.clone(),
        suite.addr("alice"),
        suite.addr("carol"),
    );
    let add = |address: &cosmwasm_std::Addr| ExecuteMsg::AddReporter {
        address: address.to_string(),
    };
    let remove = |address: &cosmwasm_std::Addr| ExecuteMsg::RemoveReporter {
        address: address.to_string(),
    };

    let res = suite.execute(&owner, &add(&carol)).unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "add_reporter");
    let reporters: Vec<_> = suite
        .reporters(None, None)
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert!(reporters.contains(&carol));
    assert_eq!(reporters.len(), 2);
    let err = contract_err(suite.execute(&owner, &add(&carol)).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterExists {
            address: carol.clone()
        }
    );

    suite.record_as(&carol, 4, &[(&alice, 1)]).unwrap();
    let res = suite.execute(&owner, &remove(&carol)).unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "remove_reporter");
    assert_eq!(suite.reporters(None, None).len(), 1);
    let err = contract_err(suite.record_as(&carol, 5, &[(&alice, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::NotReporter {
            sender: carol.clone()
        }
    );
    let err = contract_err(suite.execute(&owner, &remove(&carol)).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterNotFound {
            address: carol.clone()
        }
    );

    // Re-added, the reporter still cannot replay its old batch ids.
    suite.execute(&owner, &add(&carol)).unwrap();
    let err = contract_err(suite.record_as(&carol, 4, &[(&alice, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::BatchIdNotIncreasing {
            batch_id: 4,
            last_batch_id: 4
        }
    );
    assert!(suite.reporters(None, None).contains(&ReporterInfo {
        address: carol.clone(),
        last_batch_id: Some(4)
    }));
    suite.assert_claimable(&alice, 100);

    let upper = carol.to_string().to_uppercase();
    let err = contract_err(
        suite
            .execute(
                &owner,
                &ExecuteMsg::AddReporter {
                    address: upper.clone(),
                },
            )
            .unwrap_err(),
    );
    assert_eq!(err, ContractError::InvalidAddress { address: upper });
}

#[test]
fn update_config_changes_only_given_fields() {
    let mut suite = SuiteBuilder::new().build();
    let owner = suite.owner.clone();
    let err = contract_err(
        suite
            .execute(
                &owner,
                &ExecuteMsg::UpdateConfig {
                    halving_cooldown: None,
                    hysteresis_bps: None,
                    max_batch_size: None,
                    reporter_cap: None,
                },
            )
            .unwrap_err(),
    );
    assert_eq!(err, ContractError::EmptyConfigUpdate);

    suite
        .execute(
            &owner,
            &ExecuteMsg::UpdateConfig {
                halving_cooldown: Some(DAY),
                hysteresis_bps: None,
                max_batch_size: Some(7),
                reporter_cap: None,
            },
        )
        .unwrap();
    let config = suite.config();
    assert_eq!(config.halving_cooldown, DAY);
    assert_eq!(config.hysteresis_bps, 0);
    assert_eq!(config.max_batch_size, 7);

    let before = suite.config();
    for (msg, expected) in [
        (
            ExecuteMsg::UpdateConfig {
                halving_cooldown: None,
                hysteresis_bps: Some(10_001),
                max_batch_size: None,
                reporter_cap: None,
            },
            ContractError::HysteresisTooLarge {
                bps: 10_001,
                max: 10_000,
            },
        ),
        (
            ExecuteMsg::UpdateConfig {
                halving_cooldown: Some(0),
                hysteresis_bps: None,
                max_batch_size: Some(MAX_BATCH_SIZE_CAP + 1),
                reporter_cap: None,
            },
            ContractError::InvalidMaxBatchSize {
                size: MAX_BATCH_SIZE_CAP + 1,
                max: MAX_BATCH_SIZE_CAP,
            },
        ),
    ] {
        assert_eq!(
            contract_err(suite.execute(&owner, &msg).unwrap_err()),
            expected
        );
    }
    assert_eq!(suite.config(), before);
}

#[test]
fn shorter_cooldown_applies_to_the_running_one() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    let halved_at = suite.now();
    suite.record(&[(&alice, 4_998)]).unwrap();
    suite.assert_state(249_950, 750_050, 1);
    assert_eq!(
        suite.state().cooldown_end,
        Some(halved_at.plus_seconds(COOLDOWN))
    );

    let owner = suite.owner.clone();
    suite
        .execute(
            &owner,
            &ExecuteMsg::UpdateConfig {
                halving_cooldown: Some(DAY),
                hysteresis_bps: None,
                max_batch_size: None,
                reporter_cap: None,
            },
        )
        .unwrap();
    assert_eq!(
        suite.state().cooldown_end,
        Some(halved_at.plus_seconds(DAY))
    );
    suite.set_time(halved_at.plus_seconds(DAY));
    suite.record(&[(&alice, 1)]).unwrap();
    suite.assert_state(249_925, 750_075, 2);
}

#[test]
fn two_step_ownership_transfer() {
    let mut suite = SuiteBuilder::new().build();
    let (owner, next, other) = (suite.owner.clone(), suite.addr("dao"), suite.addr("other"));

    let err = contract_err(
        suite
            .execute(&next, &ExecuteMsg::AcceptOwnership {})
            .unwrap_err(),
    );
    assert_eq!(
        err,
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );
    let err = contract_err(
        suite
            .execute(&owner, &ExecuteMsg::CancelOwnershipTransfer {})
            .unwrap_err(),
    );
    assert_eq!(
        err,
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );

    // Propose, cancel, propose again.
    suite
        .execute(
            &owner,
            &ExecuteMsg::TransferOwnership {
                new_owner: other.to_string(),
            },
        )
        .unwrap();
    assert_eq!(suite.config().pending_owner, Some(other.clone()));
    suite
        .execute(&owner, &ExecuteMsg::CancelOwnershipTransfer {})
        .unwrap();
    assert_eq!(suite.config().pending_owner, None);
    let err = contract_err(
        suite
            .execute(&other, &ExecuteMsg::AcceptOwnership {})
            .unwrap_err(),
    );
    assert_eq!(
        err,
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );

    suite
        .execute(
            &owner,
            &ExecuteMsg::TransferOwnership {
                new_owner: next.to_string(),
            },
        )
        .unwrap();
    // Until accepted, the old owner is still in charge.
    assert_eq!(suite.config().owner, owner);
    let res = suite
        .execute(&next, &ExecuteMsg::AcceptOwnership {})
        .unwrap();
    assert_eq!(attr(&res, &suite.pool, "previous_owner"), owner.as_str());
    let config = suite.config();
    assert_eq!(config.owner, next);
    assert_eq!(config.pending_owner, None);

    let err = contract_err(
        suite
            .execute(
                &owner,
                &ExecuteMsg::AddReporter {
                    address: other.to_string(),
                },
            )
            .unwrap_err(),
    );
    assert_eq!(
        err,
        ContractError::Ownership(OwnershipError::NotOwner { sender: owner })
    );
    suite
        .execute(
            &next,
            &ExecuteMsg::AddReporter {
                address: other.to_string(),
            },
        )
        .unwrap();
    assert_eq!(suite.reporters(None, None).len(), 2);
}

#[test]
fn transfer_to_an_invalid_or_unnormalized_address_fails() {
    let mut suite = SuiteBuilder::new().build();
    let (owner, next) = (suite.owner.clone(), suite.addr("dao"));
    // The same error as mining-round's: contract-common validates the proposed owner.
    for bad in [
        "not an address".to_string(),
        next.to_string().to_uppercase(),
    ] {
        let err = contract_err(
            suite
                .execute(
                    &owner,
                    &ExecuteMsg::TransferOwnership {
                        new_owner: bad.clone(),
                    },
                )
                .unwrap_err(),
        );
        assert_eq!(
            err,
            ContractError::Ownership(OwnershipError::InvalidNewOwner { address: bad })
        );
        assert_eq!(suite.config().pending_owner, None);
    }

    // A refused proposal leaves an earlier one pending.
    suite
        .execute(
            &owner,
            &ExecuteMsg::TransferOwnership {
                new_owner: next.to_string(),
            },
        )
        .unwrap();
    let err = contract_err(
        suite
            .execute(
                &owner,
                &ExecuteMsg::TransferOwnership {
                    new_owner: "not an address".to_string(),
                },
            )
            .unwrap_err(),
    );
    assert_eq!(
        err,
        ContractError::Ownership(OwnershipError::InvalidNewOwner {
            address: "not an address".to_string()
        })
    );
    assert_eq!(suite.config().pending_owner, Some(next));
}
