//! Every execute message sent by someone not allowed returns its exact error and leaves the
//! pool unchanged.

use cosmwasm_std::{coins, to_json_binary, Uint128};
use cube_types::reward_pool::{ActionEntry, ExecuteMsg, ReceiveMsg};
use cw20::Cw20ReceiveMsg;
use cw_multi_test::Executor;

use super::suite::{contract_err, Suite, SuiteBuilder, NATIVE_DENOM, S};
use crate::{ContractError, DepositError, OwnershipError};

/// A pool with a claimable balance and a pending ownership transfer, so that every guard has
/// something to protect.
fn busy_suite() -> Suite {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 10)]).unwrap();
    let owner = suite.owner.clone();
    let next = suite.addr("next-owner");
    suite
        .execute(
            &owner,
            &ExecuteMsg::TransferOwnership {
                new_owner: next.to_string(),
            },
        )
        .unwrap();
    suite
}

#[test]
fn owner_messages_from_anyone_else_fail_with_not_owner() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let mallory = suite.addr("mallory");
    let before = suite.snapshot(&[&alice]);
    let messages = vec![
        ExecuteMsg::AddReporter {
            address: mallory.to_string(),
        },
        ExecuteMsg::RemoveReporter {
            address: suite.reporter.to_string(),
        },
        ExecuteMsg::UpdateConfig {
            halving_cooldown: Some(0),
            hysteresis_bps: None,
            max_batch_size: None,
            reporter_cap: None,
        },
        ExecuteMsg::Reconcile {},
        ExecuteMsg::TransferOwnership {
            new_owner: mallory.to_string(),
        },
        // The owner is checked before the address.
        ExecuteMsg::TransferOwnership {
            new_owner: "Not An Address".to_string(),
        },
        ExecuteMsg::CancelOwnershipTransfer {},
    ];
    // The reporter and a user are not the owner either.
    for sender in [mallory.clone(), suite.reporter.clone(), alice.clone()] {
        for msg in &messages {
            let err = contract_err(suite.execute(&sender, msg).unwrap_err());
            assert_eq!(
                err,
                ContractError::Ownership(OwnershipError::NotOwner {
                    sender: sender.clone()
                }),
                "{msg:?}"
            );
        }
    }
    assert_eq!(suite.snapshot(&[&alice]), before);
}

#[test]
fn record_actions_from_a_non_reporter_fails() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let before = suite.snapshot(&[&alice]);
    for sender in [suite.owner.clone(), alice.clone(), suite.token.clone()] {
        let err = contract_err(suite.record_as(&sender, 99, &[(&alice, 1)]).unwrap_err());
        assert_eq!(err, ContractError::NotReporter { sender });
    }
    assert_eq!(suite.snapshot(&[&alice]), before);
}

#[test]
fn accept_ownership_from_someone_else_fails() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let before = suite.snapshot(&[&alice]);
    for sender in [suite.owner.clone(), alice.clone()] {
        let err = contract_err(
            suite
                .execute(&sender, &ExecuteMsg::AcceptOwnership {})
                .unwrap_err(),
        );
        assert_eq!(
            err,
            ContractError::Ownership(OwnershipError::NotPendingOwner { sender })
        );
    }
    assert_eq!(suite.snapshot(&[&alice]), before);
}

#[test]
fn claim_by_someone_without_rewards_fails_and_cannot_touch_others() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let mallory = suite.addr("mallory");
    let before = suite.snapshot(&[&alice, &mallory]);
    // Naming alice as recipient does not give mallory alice's rewards.
    let err = contract_err(suite.claim(&mallory, Some(&alice)).unwrap_err());
    assert_eq!(err, ContractError::NothingToClaim);
    let err = contract_err(suite.claim(&mallory, None).unwrap_err());
    assert_eq!(err, ContractError::NothingToClaim);
    assert_eq!(suite.snapshot(&[&alice, &mallory]), before);
    assert_eq!(suite.token_balance(&suite.token, &mallory), 0);
}

#[test]
fn forged_receive_called_directly_is_rejected() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let mallory = suite.addr("mallory");
    let before = suite.snapshot(&[&alice]);
    let forged = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: mallory.to_string(),
        amount: Uint128::new(1_000_000_000),
        msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
    });
    let err = contract_err(suite.execute(&mallory, &forged).unwrap_err());
    assert_eq!(
        err,
        ContractError::Deposit(DepositError::UnauthorizedToken {
            sender: mallory,
            expected: suite.token.clone()
        })
    );
    assert_eq!(suite.snapshot(&[&alice]), before);
}

#[test]
fn a_second_cw20_sending_to_the_pool_is_rejected() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let before = suite.snapshot(&[&alice]);
    let (other, treasury) = (suite.other_token.clone(), suite.treasury.clone());
    for msg in [
        ReceiveMsg::Fund {},
        ReceiveMsg::AdFee {
            campaign: "c".to_string(),
        },
    ] {
        let err = contract_err(suite.send_from(&other, &treasury, 5_000, &msg).unwrap_err());
        assert_eq!(
            err,
            ContractError::Deposit(DepositError::UnauthorizedToken {
                sender: other.clone(),
                expected: suite.token.clone()
            })
        );
    }
    assert_eq!(suite.snapshot(&[&alice]), before);
    assert_eq!(suite.token_balance(&other, &suite.pool), 0);
}

#[test]
fn native_funds_are_refused_at_instantiate() {
    let builder = SuiteBuilder::new();
    let mut suite = builder.build_without_pool();
    let api = *suite.app.api();
    let msg = builder.instantiate_msg(&api, &suite.token);
    let rich = suite.rich.clone();
    let err = suite
        .app
        .instantiate_contract(
            suite.pool_code,
            rich.clone(),
            &msg,
            &coins(10, NATIVE_DENOM),
            "pool",
            None,
        )
        .unwrap_err();
    assert_eq!(contract_err(err), ContractError::NativeFundsRejected);
    // Nothing left the sender.
    assert_eq!(
        suite
            .app
            .wrap()
            .query_balance(&rich, NATIVE_DENOM)
            .unwrap()
            .amount,
        Uint128::new(1_000_000)
    );
}

#[test]
fn native_funds_are_refused_on_every_message() {
    let mut suite = busy_suite();
    let alice = suite.addr("alice");
    let before = suite.snapshot(&[&alice]);
    let rich = suite.rich.clone();
    let pool = suite.pool.clone();
    let err = suite
        .app
        .execute_contract(
            rich.clone(),
            pool,
            &ExecuteMsg::RecordActions {
                batch_id: 1,
                actions: vec![ActionEntry {
                    user: alice.to_string(),
                    count: 1,
                }],
            },
            &coins(10, NATIVE_DENOM),
        )
        .unwrap_err();
    assert_eq!(contract_err(err), ContractError::NativeFundsRejected);
    assert_eq!(suite.snapshot(&[&alice]), before);
    assert_eq!(
        suite
            .app
            .wrap()
            .query_balance(&rich, NATIVE_DENOM)
            .unwrap()
            .amount,
        Uint128::new(1_000_000)
    );
}
