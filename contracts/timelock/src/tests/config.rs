//! `UpdateConfig` and instantiation bounds, `AcceptOwnership` over a real reward-pool, migrate.

use cosmwasm_std::{Addr, Uint128};
use cube_types::reward_pool as rp;
use cube_types::timelock::{
    Activation, ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, OperationStatus, QueryMsg,
    MAX_ACCEPT, MAX_DELAY, MAX_GRACE, MIN_DELAY_FLOOR, MIN_GRACE,
};
use cw_multi_test::Executor;

use super::suite::{
    contract_err, reward_pool_contract, unauthorized, Suite, SuiteBuilder, DELAY, GRACE,
    MIN_MEMBERS, MIN_WEIGHT,
};
use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::{ContractError, MigrateError};

fn active_suite() -> Suite {
    let mut suite = SuiteBuilder::new().build();
    suite.activate();
    suite
}

fn update(
    min_delay: Option<u64>,
    grace_period: Option<u64>,
    activation: Option<Activation>,
    proposer: Option<String>,
) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        min_delay,
        grace_period,
        activation,
        proposer,
    }
}

#[test]
fn update_config_only_through_the_timelock_itself() {
    let mut suite = active_suite();
    let (proposer, guardian, alice) = (
        suite.proposer.clone(),
        suite.guardian.clone(),
        suite.alice.clone(),
    );
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1);

    // Sent directly, by anyone: refused.
    let longer = update(Some(2 * DELAY), None, None, None);
    for sender in [proposer.clone(), guardian.clone(), alice.clone()] {
        let err = contract_err(suite.exec(&sender, &longer).unwrap_err());
        assert_eq!(err, unauthorized(&sender, "timelock itself"));
    }
    assert_eq!(suite.config().min_delay, DELAY);

    // Through a scheduled operation: applied.
    let to_self = suite.to_self(&longer);
    suite.run(vec![to_self]);
    assert_eq!(
        suite.config(),
        ConfigResponse {
            proposer: proposer.clone(),
            vetoer: Some(guardian.clone()),
            group: suite.stake.clone(),
            min_delay: 2 * DELAY,
            grace_period: GRACE,
            activation: Activation {
                min_total_weight: MIN_WEIGHT,
                min_members: MIN_MEMBERS,
            },
        }
    );
    // The new delay applies to what is scheduled from now on.
    let scheduled_at = suite.now();
    let id = suite.schedule_ok(vec![msg.clone()]);
    assert_eq!(
        suite.operation(id).eta,
        scheduled_at.plus_seconds(2 * DELAY)
    );

    // An out-of-bounds update fails at execution, which reverts: the operation stays ready.
    let to_self = suite.to_self(&update(Some(0), None, None, None));
    let bad = suite.schedule_ok(vec![to_self]);
    suite.advance(2 * DELAY);
    let err = contract_err(suite.execute_op(bad).unwrap_err());
    assert_eq!(
        err,
        ContractError::DelayOutOfBounds {
            delay: 0,
            min: MIN_DELAY_FLOOR,
            max: MAX_DELAY
        }
    );
    assert_eq!(suite.operation(bad).status, OperationStatus::Ready);
    assert_eq!(suite.config().min_delay, 2 * DELAY);

    // A new proposer, grace period and threshold.
    let handover = suite.to_self(&update(
        None,
        Some(2 * GRACE),
        Some(Activation {
            min_total_weight: 300,
            min_members: 2,
        }),
        Some(alice.to_string()),
    ));
    suite.run(vec![handover]);
    let config = suite.config();
    assert_eq!(config.proposer, alice);
    assert_eq!(config.min_delay, 2 * DELAY);
    assert_eq!(config.grace_period, 2 * GRACE);
    assert_eq!(
        config.activation,
        Activation {
            min_total_weight: 300,
            min_members: 2
        }
    );
    let gate = suite.is_active();
    assert!(gate.active);
    assert_eq!(gate.total_weight, 300);
    let err = contract_err(
        suite
            .schedule(&proposer, vec![msg.clone()], "op")
            .unwrap_err(),
    );
    assert_eq!(err, unauthorized(&proposer, "proposer"));
    suite
        .schedule(&alice, vec![msg], "by the new proposer")
        .unwrap();
}

#[test]
fn instantiate_validates_addresses_delays_and_threshold() {
    let builder = SuiteBuilder::new();
    let mut suite = builder.build_without_timelock();
    let base = builder.instantiate_msg(&suite);
    let threshold = |min_total_weight, min_members| Activation {
        min_total_weight,
        min_members,
    };
    let bad = "Not An Address".to_string();
    let cases = vec![
        (
            InstantiateMsg {
                min_delay: 0,
                ..base.clone()
            },
            ContractError::DelayOutOfBounds {
                delay: 0,
                min: MIN_DELAY_FLOOR,
                max: MAX_DELAY,
            },
        ),
        (
            InstantiateMsg {
                min_delay: MAX_DELAY + 1,
                ..base.clone()
            },
            ContractError::DelayOutOfBounds {
                delay: MAX_DELAY + 1,
                min: MIN_DELAY_FLOOR,
                max: MAX_DELAY,
            },
        ),
        (
            InstantiateMsg {
                grace_period: MIN_GRACE - 1,
                ..base.clone()
            },
            ContractError::GraceOutOfBounds {
                grace: MIN_GRACE - 1,
                min: MIN_GRACE,
                max: MAX_GRACE,
            },
        ),
        (
            InstantiateMsg {
                grace_period: MAX_GRACE + 1,
                ..base.clone()
            },
            ContractError::GraceOutOfBounds {
                grace: MAX_GRACE + 1,
                min: MIN_GRACE,
                max: MAX_GRACE,
            },
        ),
        (
            InstantiateMsg {
                activation: threshold(MIN_WEIGHT, 0),
                ..base.clone()
            },
            ContractError::InvalidActivation {
                reason: "min_members must be at least 1".to_string(),
            },
        ),
        (
            InstantiateMsg {
                activation: threshold(0, MIN_MEMBERS),
                ..base.clone()
            },
            ContractError::InvalidActivation {
                reason: "min_total_weight must be at least 1".to_string(),
            },
        ),
        (
            InstantiateMsg {
                proposer: bad.clone(),
                ..base.clone()
            },
            ContractError::InvalidAddress {
                address: bad.clone(),
            },
        ),
        (
            InstantiateMsg {
                vetoer: Some(bad.clone()),
                ..base.clone()
            },
            ContractError::InvalidAddress {
                address: bad.clone(),
            },
        ),
        (
            InstantiateMsg {
                group: bad.clone(),
                ..base.clone()
            },
            ContractError::InvalidAddress {
                address: bad.clone(),
            },
        ),
    ];
    for (msg, expected) in cases {
        let err = contract_err(suite.instantiate_timelock(&msg).unwrap_err());
        assert_eq!(err, expected, "{msg:?}");
    }

    // At the bounds, and without a vetoer: accepted.
    for (min_delay, grace_period) in [(MIN_DELAY_FLOOR, MIN_GRACE), (MAX_DELAY, MAX_GRACE)] {
        let msg = InstantiateMsg {
            vetoer: None,
            min_delay,
            grace_period,
            activation: threshold(1, 1),
            ..base.clone()
        };
        let timelock = suite.instantiate_timelock(&msg).unwrap();
        let config: ConfigResponse = suite
            .app
            .wrap()
            .query_wasm_smart(timelock, &QueryMsg::Config {})
            .unwrap();
        assert_eq!(
            config,
            ConfigResponse {
                proposer: suite.proposer.clone(),
                vetoer: None,
                group: suite.stake.clone(),
                min_delay,
                grace_period,
                activation: threshold(1, 1),
            }
        );
    }
}

/// The reward-pool's owner and pending owner.
fn pool_owners(suite: &Suite, pool: &Addr) -> (Addr, Option<Addr>) {
    let config: rp::ConfigResponse = suite
        .app
        .wrap()
        .query_wasm_smart(pool.clone(), &rp::QueryMsg::Config {})
        .unwrap();
    (config.owner, config.pending_owner)
}

#[test]
fn accept_ownership_completes_a_reward_pool_transfer() {
    // No activation needed: the timelock only takes what an owner handed over.
    let mut suite = SuiteBuilder::new().build();
    let (admin, timelock) = (suite.admin.clone(), suite.timelock.clone());
    let keeper = suite.addr("keeper");
    let pool_code = suite.app.store_code(reward_pool_contract());
    let pool = suite
        .app
        .instantiate_contract(
            pool_code,
            admin.clone(),
            &rp::InstantiateMsg {
                token: suite.tok.to_string(),
                reference_pool: Uint128::new(1_000_000),
                base_reward: Uint128::new(100),
                halving_cooldown: 86_400,
                hysteresis_bps: 0,
                max_batch_size: 10,
                reporters: vec![suite.addr("reporter").to_string()],
                owner: Some(admin.to_string()),
                reporter_cap: None,
            },
            &[],
            "reward-pool",
            None,
        )
        .unwrap();
    let accept = ExecuteMsg::AcceptOwnership {
        contracts: vec![pool.to_string()],
    };

    // Nothing handed over yet: the pool's own refusal comes back.
    let err = suite.exec(&keeper, &accept).unwrap_err();
    assert_eq!(
        err.downcast::<reward_pool::ContractError>().unwrap(),
        reward_pool::ContractError::Ownership(reward_pool::OwnershipError::NoPendingOwner)
    );
    assert_eq!(pool_owners(&suite, &pool), (admin.clone(), None));

    suite
        .app
        .execute_contract(
            admin.clone(),
            pool.clone(),
            &rp::ExecuteMsg::TransferOwnership {
                new_owner: timelock.to_string(),
            },
            &[],
        )
        .unwrap();
    assert_eq!(
        pool_owners(&suite, &pool),
        (admin.clone(), Some(timelock.clone()))
    );
    suite.exec(&keeper, &accept).unwrap();
    assert_eq!(pool_owners(&suite, &pool), (timelock, None));
}

#[test]
fn accept_ownership_takes_one_to_max_accept_valid_contracts() {
    let mut suite = SuiteBuilder::new().build();
    let keeper = suite.addr("keeper");
    let some = suite.addr("some-contract").to_string();
    for count in [0, MAX_ACCEPT + 1] {
        let msg = ExecuteMsg::AcceptOwnership {
            contracts: vec![some.clone(); count],
        };
        let err = contract_err(suite.exec(&keeper, &msg).unwrap_err());
        assert_eq!(
            err,
            ContractError::InvalidContractList {
                count,
                max: MAX_ACCEPT
            }
        );
    }
    // Exactly MAX_ACCEPT passes the list check: the messages are sent (and fail here only
    // because the address is no contract).
    let msg = ExecuteMsg::AcceptOwnership {
        contracts: vec![some.clone(); MAX_ACCEPT],
    };
    let err = suite.exec(&keeper, &msg).unwrap_err();
    assert!(
        err.downcast_ref::<ContractError>().is_none(),
        "the timelock accepted the list; the send failed: {err:?}"
    );
    let msg = ExecuteMsg::AcceptOwnership {
        contracts: vec!["Not An Address".to_string()],
    };
    let err = contract_err(suite.exec(&keeper, &msg).unwrap_err());
    assert_eq!(
        err,
        ContractError::InvalidAddress {
            address: "Not An Address".to_string()
        }
    );
}

#[test]
fn instantiate_records_the_version_and_migrate_refuses_the_same_version() {
    let mut suite = SuiteBuilder::new().build();
    let info = cw2::query_contract_info(&suite.app.wrap(), suite.timelock.to_string()).unwrap();
    assert_eq!(
        (info.contract.as_str(), info.version.as_str()),
        (CONTRACT_NAME, CONTRACT_VERSION)
    );
    let (admin, timelock, code) = (
        suite.admin.clone(),
        suite.timelock.clone(),
        suite.timelock_code,
    );
    let err = suite
        .app
        .migrate_contract(admin, timelock, &MigrateMsg {}, code)
        .unwrap_err();
    assert_eq!(
        contract_err(err),
        ContractError::Migrate(MigrateError::NotNewerVersion {
            stored: CONTRACT_VERSION.to_string(),
            current: CONTRACT_VERSION.to_string(),
        })
    );
}
