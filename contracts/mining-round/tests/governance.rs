#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::testing::{mock_dependencies, mock_env};
use cosmwasm_std::{Binary, Uint128};
use cube_scoring::{ScorePolicy, ScoringError, TouClass, TouRange};
use cube_types::mining_round::*;
use cw_multi_test::Executor;
use ed25519_dalek::SigningKey;
use mining_round::contract::CONTRACT_NAME;
use mining_round::{ContractError, MigrateError, OwnershipError};
use rand::rngs::OsRng;

#[test]
fn two_step_ownership() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let new = s.addr("dao");
    let mallory = s.addr("mallory");
    assert_eq!(
        err(s.exec(
            &mallory,
            &ExecuteMsg::TransferOwnership {
                new_owner: mallory.to_string()
            }
        )),
        not_owner(&mallory)
    );
    assert_eq!(
        err(s.exec(&new, &ExecuteMsg::AcceptOwnership {})),
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );
    s.exec(
        &owner,
        &ExecuteMsg::TransferOwnership {
            new_owner: new.to_string(),
        },
    )
    .unwrap();
    let c: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(
        (c.owner.clone(), c.pending_owner.clone()),
        (owner.to_string(), Some(new.to_string()))
    );
    assert_eq!(
        err(s.exec(&mallory, &ExecuteMsg::AcceptOwnership {})),
        ContractError::Ownership(OwnershipError::NotPendingOwner {
            sender: mallory.clone()
        })
    );
    s.exec(&new, &ExecuteMsg::AcceptOwnership {}).unwrap();
    let c: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!((c.owner, c.pending_owner), (new.to_string(), None));
    // The old owner lost its rights.
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdatePolicy {
                policy: ScorePolicy::default()
            }
        )),
        not_owner(&owner)
    );
}

#[test]
fn cancel_ownership_transfer() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let new = s.addr("dao");
    let mallory = s.addr("mallory");
    // Nothing pending.
    assert_eq!(
        err(s.exec(&owner, &ExecuteMsg::CancelOwnershipTransfer {})),
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );
    s.exec(
        &owner,
        &ExecuteMsg::TransferOwnership {
            new_owner: new.to_string(),
        },
    )
    .unwrap();
    // Only the owner cancels: not another sender, nor the pending owner.
    for sender in [&mallory, &new] {
        assert_eq!(
            err(s.exec(sender, &ExecuteMsg::CancelOwnershipTransfer {})),
            not_owner(sender)
        );
    }
    let c: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(c.pending_owner, Some(new.to_string()));
    let res = s
        .exec(&owner, &ExecuteMsg::CancelOwnershipTransfer {})
        .unwrap();
    assert!(res.events.iter().any(|e| e.ty == "wasm"
        && e.attributes
            .iter()
            .any(|a| a.key == "action" && a.value == "cancel_ownership_transfer")));
    let c: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!((c.owner, c.pending_owner), (owner.to_string(), None));
    // The former pending owner can no longer accept.
    assert_eq!(
        err(s.exec(&new, &ExecuteMsg::AcceptOwnership {})),
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );
    // Cancelled twice: nothing pending any more.
    assert_eq!(
        err(s.exec(&owner, &ExecuteMsg::CancelOwnershipTransfer {})),
        ContractError::Ownership(OwnershipError::NoPendingOwner)
    );
}

#[test]
fn transfer_to_an_invalid_or_unnormalized_address_fails() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let new = s.addr("dao");
    // The same error as reward-pool's: contract-common validates the proposed owner.
    for bad in ["not an address".to_string(), new.to_string().to_uppercase()] {
        assert_eq!(
            err(s.exec(
                &owner,
                &ExecuteMsg::TransferOwnership {
                    new_owner: bad.clone()
                }
            )),
            ContractError::Ownership(OwnershipError::InvalidNewOwner { address: bad })
        );
        let c: ConfigResponse = s.query(&QueryMsg::Config {});
        assert_eq!(c.pending_owner, None);
    }
    // A refused proposal leaves an earlier one pending.
    s.exec(
        &owner,
        &ExecuteMsg::TransferOwnership {
            new_owner: new.to_string(),
        },
    )
    .unwrap();
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::TransferOwnership {
                new_owner: "not an address".to_string()
            }
        )),
        ContractError::Ownership(OwnershipError::InvalidNewOwner {
            address: "not an address".to_string()
        })
    );
    let c: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(c.pending_owner, Some(new.to_string()));
}

#[test]
fn oracles_and_quorum() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let o0 = s.oracles[0].to_string();
    let o1 = s.oracles[1].to_string();
    let o2 = s.oracles[2].to_string();
    // Removing two of three with quorum 2 leaves 1 < 2.
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateOracles {
                add: vec![],
                remove: vec![o1.clone(), o2.clone()]
            }
        )),
        ContractError::InvalidQuorum {
            quorum: 2,
            oracles: 1
        }
    );
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateOracles {
                add: vec![o0.clone()],
                remove: vec![]
            }
        )),
        ContractError::DuplicateOracle { oracle: o0.clone() }
    );
    let quorum = |q| ExecuteMsg::UpdateConfig {
        round_reward: None,
        attestation_window: None,
        claim_window: None,
        quorum: Some(q),
        rated_power: None,
        max_entries_per_batch: None,
        max_claim_rounds: None,
        challenge_window: None,
        dispute_bond_bps: None,
    };
    assert_eq!(
        err(s.exec(&owner, &quorum(0))),
        ContractError::InvalidQuorum {
            quorum: 0,
            oracles: 3
        }
    );
    assert_eq!(
        err(s.exec(&owner, &quorum(4))),
        ContractError::InvalidQuorum {
            quorum: 4,
            oracles: 3
        }
    );
    s.exec(&owner, &quorum(3)).unwrap();
    assert_eq!(s.query_oracles().quorum, 3);
    s.exec(&owner, &quorum(1)).unwrap();
    let d = s.addr("dave").to_string();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateOracles {
            add: vec![d.clone()],
            remove: vec![o2.clone()],
        },
    )
    .unwrap();
    let o = s.query_oracles();
    assert_eq!(o.quorum, 1);
    assert_eq!(o.oracles.len(), 3);
    assert!(o.oracles.contains(&d) && !o.oracles.contains(&o2));
    // Removed oracle can no longer vote.
    s.set_after_round_end(0, 0);
    let removed = s.oracles[2].clone();
    assert_eq!(
        err(s.exec(
            &removed,
            &ExecuteMsg::SubmitUsage {
                round: 0,
                batch_index: 0,
                batch_count: 1,
                policy_version: 1,
                entries: vec![]
            }
        )),
        ContractError::NotOracle { sender: o2 }
    );
}

#[test]
fn config_policy_whitelist_keys() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let mallory = s.addr("mallory");
    // Policy validation at the boundary.
    let bad = ScorePolicy {
        tou_table: vec![TouRange {
            start_hour: 0,
            end_hour: 23,
            class: TouClass::Valley,
        }],
        ..ScorePolicy::default()
    };
    assert_eq!(
        err(s.exec(&owner, &ExecuteMsg::UpdatePolicy { policy: bad })),
        ContractError::Scoring(ScoringError::TouGap { hour: 23 })
    );
    assert_eq!(
        err(s.exec(
            &mallory,
            &ExecuteMsg::UpdatePolicy {
                policy: ScorePolicy::default()
            }
        )),
        not_owner(&mallory)
    );
    // Config changes.
    s.exec(
        &owner,
        &ExecuteMsg::UpdateConfig {
            round_reward: Some(Uint128::new(42)),
            attestation_window: Some(100),
            claim_window: Some(200),
            quorum: None,
            rated_power: Some(RatedPower {
                cube_v1_w: 1,
                cube_v2_w: 2,
            }),
            max_entries_per_batch: Some(7),
            max_claim_rounds: Some(3),
            challenge_window: None,
            dispute_bond_bps: None,
        },
    )
    .unwrap();
    let c: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(c.round_reward, Uint128::new(42));
    assert_eq!((c.attestation_window, c.claim_window), (100, 200));
    assert_eq!(
        c.rated_power,
        RatedPower {
            cube_v1_w: 1,
            cube_v2_w: 2
        }
    );
    assert_eq!((c.max_entries_per_batch, c.max_claim_rounds), (7, 3));
    let zero_window = ExecuteMsg::UpdateConfig {
        round_reward: None,
        attestation_window: None,
        claim_window: Some(0),
        quorum: None,
        rated_power: None,
        max_entries_per_batch: None,
        max_claim_rounds: None,
        challenge_window: None,
        dispute_bond_bps: None,
    };
    assert_eq!(
        err(s.exec(&owner, &zero_window)),
        ContractError::ZeroParameter {
            name: "claim_window".into()
        }
    );
    let too_many = ExecuteMsg::UpdateConfig {
        round_reward: None,
        attestation_window: None,
        claim_window: None,
        quorum: None,
        rated_power: None,
        max_entries_per_batch: Some(501),
        max_claim_rounds: None,
        challenge_window: None,
        dispute_bond_bps: None,
    };
    assert_eq!(
        err(s.exec(&owner, &too_many)),
        ContractError::ParameterOutOfRange {
            name: "max_entries_per_batch".into(),
            value: 501,
            min: 1,
            max: 500
        }
    );

    // Battery whitelist.
    s.exec(
        &owner,
        &ExecuteMsg::UpdateBatteryWhitelist {
            add: vec!["BAT-2".into(), "BAT-3".into()],
            remove: vec!["BAT-1".into()],
        },
    )
    .unwrap();
    let wl: BatteryWhitelistResponse = s.query(&QueryMsg::BatteryWhitelist {
        as_of_round: None,
        start_after: None,
        limit: None,
    });
    assert_eq!(wl.batteries, vec!["BAT-2".to_string(), "BAT-3".to_string()]);
    let wl: BatteryWhitelistResponse = s.query(&QueryMsg::BatteryWhitelist {
        as_of_round: None,
        start_after: Some("BAT-2".into()),
        limit: Some(1),
    });
    assert_eq!(wl.batteries, vec!["BAT-3".to_string()]);
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateBatteryWhitelist {
                add: vec!["".into()],
                remove: vec![]
            }
        )),
        ContractError::InvalidBatteryId { id: "".into() }
    );

    // Manufacturer keys: rotate to a new key; old certificates stop verifying.
    let new_key = SigningKey::generate(&mut OsRng);
    let old = Binary::from(s.manufacturer.verifying_key().to_bytes().to_vec());
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateManufacturerKeys {
                add: vec![],
                remove: vec![old.clone()]
            }
        )),
        ContractError::ManufacturerKeyCount { count: 0, max: 10 }
    );
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateManufacturerKeys {
                add: vec![Binary::from(vec![1u8; 33])],
                remove: vec![]
            }
        )),
        ContractError::InvalidManufacturerKey { len: 33 }
    );
    s.exec(
        &owner,
        &ExecuteMsg::UpdateManufacturerKeys {
            add: vec![Binary::from(new_key.verifying_key().to_bytes().to_vec())],
            remove: vec![old],
        },
    )
    .unwrap();
    let alice = s.addr("alice");
    let d = Device::new(DeviceModel::CubeV1, "SN-X");
    assert_eq!(
        err(s.register(&alice, &d)),
        ContractError::InvalidCertificate {}
    );
    let chain = s.chain_id();
    let contract = s.contract.to_string();
    let msg = s.registration_with(&alice, &d, &new_key, &chain, &contract);
    s.exec(&alice, &msg).unwrap();
    assert_eq!(s.owner_devices(&alice).cube_v1, 1);
}

#[test]
fn migrate_is_guarded() {
    // Same version: refused (multi-test, real migrate path).
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let res = s
        .app
        .migrate_contract(owner, s.contract.clone(), &MigrateMsg {}, s.code_id);
    assert_eq!(
        err(res),
        ContractError::Migrate(MigrateError::NotNewerVersion {
            stored: env!("CARGO_PKG_VERSION").into(),
            current: env!("CARGO_PKG_VERSION").into()
        })
    );
    // Another contract's state: refused.
    let mut deps = mock_dependencies();
    cw2::set_contract_version(deps.as_mut().storage, "other:contract", "0.0.1").unwrap();
    assert_eq!(
        mining_round::contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
        ContractError::Migrate(MigrateError::WrongContract {
            expected: CONTRACT_NAME.into(),
            found: "other:contract".into()
        })
    );
    // Newer version from an older one: accepted and recorded.
    cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, "0.0.1").unwrap();
    mining_round::contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    let v = cw2::get_contract_version(deps.as_ref().storage).unwrap();
    assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
    // A stored version newer than the code: refused.
    cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, "99.0.0").unwrap();
    assert_eq!(
        mining_round::contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err(),
        ContractError::Migrate(MigrateError::NotNewerVersion {
            stored: "99.0.0".into(),
            current: env!("CARGO_PKG_VERSION").into()
        })
    );
}

#[test]
fn instantiate_validates() {
    use cw_multi_test::{App, ContractWrapper};
    let mut app = App::default();
    let code = app.store_code(Box::new(ContractWrapper::new(
        mining_round::contract::execute,
        mining_round::contract::instantiate,
        mining_round::contract::query,
    )));
    let creator = app.api().addr_make("creator");
    let oracle = app.api().addr_make("oracle");
    let base = InstantiateMsg {
        owner: None,
        reward_token: app.api().addr_make("token").to_string(),
        round_reward: Uint128::new(1),
        genesis_time: None,
        round_duration: None,
        attestation_window: None,
        claim_window: None,
        oracles: vec![oracle.to_string()],
        quorum: 1,
        manufacturer_keys: vec![Binary::from(vec![3u8; 32])],
        battery_whitelist: vec![],
        policy: None,
        rated_power: None,
        max_entries_per_batch: None,
        max_claim_rounds: None,
        guardian: None,
        attestation_mode: None,
        challenge_window: None,
        dispute_bond_bps: None,
    };
    let mut inst =
        |msg: &InstantiateMsg| app.instantiate_contract(code, creator.clone(), msg, &[], "m", None);
    let mut m = base.clone();
    m.quorum = 2;
    assert_eq!(
        inst(&m).unwrap_err().downcast::<ContractError>().unwrap(),
        ContractError::InvalidQuorum {
            quorum: 2,
            oracles: 1
        }
    );
    let mut m = base.clone();
    m.round_duration = Some(0);
    assert_eq!(
        inst(&m).unwrap_err().downcast::<ContractError>().unwrap(),
        ContractError::ZeroParameter {
            name: "round_duration".into()
        }
    );
    let mut m = base.clone();
    m.manufacturer_keys = vec![];
    assert_eq!(
        inst(&m).unwrap_err().downcast::<ContractError>().unwrap(),
        ContractError::ManufacturerKeyCount { count: 0, max: 10 }
    );
    let addr = inst(&base).unwrap();
    let c: ConfigResponse = app
        .wrap()
        .query_wasm_smart(addr.clone(), &QueryMsg::Config {})
        .unwrap();
    assert_eq!(c.owner, creator.to_string());
    assert_eq!(
        (c.round_duration, c.attestation_window, c.claim_window),
        (86_400, 259_200, 7_776_000)
    );
    assert_eq!(
        (
            c.max_entries_per_batch,
            c.max_claim_rounds,
            c.policy_version
        ),
        (100, 10, 1)
    );
    assert_eq!(c.rated_power, RatedPower::default());
    let p: PolicyResponse = app
        .wrap()
        .query_wasm_smart(addr, &QueryMsg::Policy { version: None })
        .unwrap();
    assert_eq!(p.policy, ScorePolicy::default());
}

#[test]
fn every_owner_message_from_anyone_else_fails_with_not_owner() {
    let mut s = SuiteBuilder::default().build();
    let mallory = s.addr("mallory");
    let oracle = s.oracles[0].to_string();
    let messages = [
        ExecuteMsg::UpdatePolicy {
            policy: ScorePolicy::default(),
        },
        ExecuteMsg::UpdateOracles {
            add: vec![mallory.to_string()],
            remove: vec![oracle],
        },
        ExecuteMsg::UpdateConfig {
            round_reward: Some(Uint128::new(1)),
            attestation_window: None,
            claim_window: None,
            quorum: None,
            rated_power: None,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            challenge_window: None,
            dispute_bond_bps: None,
        },
        ExecuteMsg::UpdateBatteryWhitelist {
            add: vec!["B-1".to_string()],
            remove: vec![],
        },
        ExecuteMsg::UpdateManufacturerKeys {
            add: vec![Binary::from([7u8; 32])],
            remove: vec![],
        },
        ExecuteMsg::TransferOwnership {
            new_owner: mallory.to_string(),
        },
        // The owner is checked before the address.
        ExecuteMsg::TransferOwnership {
            new_owner: "Not An Address".to_string(),
        },
        ExecuteMsg::CancelOwnershipTransfer {},
        ExecuteMsg::WithdrawUnlocked {
            amount: Uint128::new(1),
            recipient: None,
        },
        ExecuteMsg::Reconcile {},
        ExecuteMsg::Unpause {},
        ExecuteMsg::UpdateGuardian {
            guardian: Some(mallory.to_string()),
        },
        ExecuteMsg::UpdateOracleEndpoints {
            set: vec![OracleEndpoint {
                oracle: s.oracles[0].to_string(),
                url: "https://mallory.example".to_string(),
            }],
            remove: vec![],
        },
    ];
    let before: ConfigResponse = s.query(&QueryMsg::Config {});
    for msg in &messages {
        assert_eq!(err(s.exec(&mallory, msg)), not_owner(&mallory), "{msg:?}");
    }
    let after: ConfigResponse = s.query(&QueryMsg::Config {});
    assert_eq!(after, before);
}
