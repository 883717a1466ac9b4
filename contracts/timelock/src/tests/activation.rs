//! The activation gate (weight and members with weight, counted through the group's hook),
//! the hook itself, and the empty-group rule at instantiation.

use cube_types::timelock::{Activation, ActivationResponse, ExecuteMsg, OperationStatus};
use cw4::{MemberChangedHookMsg, MemberDiff};

use super::suite::{
    contract_err, unauthorized, Suite, SuiteBuilder, DELAY, MIN_MEMBERS, MIN_WEIGHT,
    TOKENS_PER_WEIGHT as TPW,
};
use crate::ContractError;

fn not_active(total_weight: u64, members: u32) -> ContractError {
    ContractError::NotActive {
        total_weight,
        min_total_weight: MIN_WEIGHT,
        members,
        min_members: MIN_MEMBERS,
    }
}

fn gate(active: bool, total_weight: u64, members: u32) -> ActivationResponse {
    ActivationResponse {
        active,
        total_weight,
        members,
        activation: Activation {
            min_total_weight: MIN_WEIGHT,
            min_members: MIN_MEMBERS,
        },
    }
}

/// The counted members equal `expected` and the holders the group gives a weight above zero.
fn assert_members(suite: &Suite, expected: u32) {
    let weighted = suite
        .holders()
        .iter()
        .filter(|holder| suite.weight(holder).unwrap_or(0) > 0)
        .count();
    assert_eq!(
        u32::try_from(weighted).unwrap(),
        expected,
        "weighted holders"
    );
    assert_eq!(suite.is_active().members, expected, "counted members");
}

#[test]
fn schedule_is_refused_until_weight_and_members_are_reached() {
    let mut suite = SuiteBuilder::new().build();
    let (alice, bob, proposer) = (
        suite.alice.clone(),
        suite.bob.clone(),
        suite.proposer.clone(),
    );
    let recipient = suite.addr("recipient");
    let msgs = vec![suite.transfer(&recipient, 1)];

    // Nobody has bonded.
    assert_eq!(suite.is_active(), gate(false, 0, 0));
    let err = contract_err(suite.schedule(&proposer, msgs.clone(), "op").unwrap_err());
    assert_eq!(err, not_active(0, 0));

    // One holder above the weight, but alone.
    suite.bond(&alice, 150 * TPW).unwrap();
    assert_eq!(suite.is_active(), gate(false, 150, 1));
    let err = contract_err(suite.schedule(&proposer, msgs.clone(), "op").unwrap_err());
    assert_eq!(err, not_active(150, 1));

    // A second member (weight 1): active.
    suite.bond(&bob, TPW).unwrap();
    assert_eq!(suite.is_active(), gate(true, 151, 2));
    let id = suite.schedule_ok(msgs.clone());
    assert_eq!(id, 1);
    assert_eq!(suite.operation(id).status, OperationStatus::Pending);

    // Bob unbonds everything: the hook drops him and the gate closes again.
    suite.unbond(&bob, TPW).unwrap();
    assert_eq!(suite.weight(&bob), None);
    assert_eq!(suite.is_active(), gate(false, 150, 1));
    let err = contract_err(suite.schedule(&proposer, msgs.clone(), "op").unwrap_err());
    assert_eq!(err, not_active(150, 1));

    // Two members again but below the weight: still closed.
    suite.unbond(&alice, 100 * TPW).unwrap();
    suite.bond(&bob, TPW).unwrap();
    assert_eq!(suite.is_active(), gate(false, 51, 2));
    let err = contract_err(suite.schedule(&proposer, msgs, "op").unwrap_err());
    assert_eq!(err, not_active(51, 2));
    // Nothing was scheduled while closed.
    assert_eq!(suite.operations(None, None).len(), 1);
}

#[test]
fn execute_fails_closed_when_the_group_drops_below_the_threshold() {
    let mut suite = SuiteBuilder::new().build();
    suite.activate();
    let bob = suite.bob.clone();
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 500);
    let id = suite.schedule_ok(vec![msg]);

    suite.unbond(&bob, 100 * TPW).unwrap();
    suite.advance(DELAY);
    assert_eq!(suite.operation(id).status, OperationStatus::Ready);
    let err = contract_err(suite.execute_op(id).unwrap_err());
    assert_eq!(err, not_active(200, 1));
    assert_eq!(suite.tok_balance(&recipient), 0);
    assert_eq!(suite.operation(id).status, OperationStatus::Ready);

    // Bob bonds again: the operation executes.
    suite.bond(&bob, 100 * TPW).unwrap();
    suite.execute_op(id).unwrap();
    assert_eq!(suite.tok_balance(&recipient), 500);
    assert_eq!(suite.operation(id).status, OperationStatus::Done);
}

#[test]
fn the_hook_only_accepts_the_group() {
    let mut suite = SuiteBuilder::new().build();
    let alice = suite.alice.clone();
    let hook = ExecuteMsg::MemberChangedHook(MemberChangedHookMsg::one(MemberDiff::new(
        alice.to_string(),
        None,
        Some(500),
    )));
    let senders = [
        suite.addr("mallory"),
        suite.proposer.clone(),
        alice.clone(),
        suite.ect.clone(),
        suite.timelock.clone(),
    ];
    for sender in senders {
        let err = contract_err(suite.exec(&sender, &hook).unwrap_err());
        assert_eq!(err, unauthorized(&sender, "group"));
    }
    assert_eq!(suite.is_active().members, 0);
}

#[test]
fn the_hook_counts_members_with_weight_and_never_blocks_a_bond() {
    // min_bond 100 < tokens_per_weight 1,000: a stake of 100 to 999 is a member of weight 0.
    let mut suite = SuiteBuilder::new().min_bond(100).build();
    let [alice, bob, carol, dave] = suite.holders();

    suite.bond(&alice, 5 * TPW).unwrap();
    assert_members(&suite, 1);
    // Weight 0: bonded, a member of the group, not counted.
    suite.bond(&bob, 500).unwrap();
    assert_eq!(suite.staked(&bob), 500);
    assert_eq!(suite.weight(&bob), Some(0));
    assert_members(&suite, 1);
    suite.bond(&carol, 2 * TPW).unwrap();
    assert_members(&suite, 2);
    // Bob reaches weight 1.
    suite.bond(&bob, 500).unwrap();
    assert_eq!(suite.weight(&bob), Some(1));
    assert_members(&suite, 3);
    // More weight for alice: no crossing of zero.
    suite.bond(&alice, 5 * TPW).unwrap();
    assert_eq!(suite.weight(&alice), Some(10));
    assert_members(&suite, 3);
    // Alice leaves entirely.
    suite.unbond(&alice, 10 * TPW).unwrap();
    assert_eq!(suite.weight(&alice), None);
    assert_members(&suite, 2);
    // Carol falls to weight 0.
    suite.unbond(&carol, 1_500).unwrap();
    assert_eq!(suite.weight(&carol), Some(0));
    assert_members(&suite, 1);
    // Dave below min_bond: no membership, no diff.
    suite.bond(&dave, 99).unwrap();
    assert_eq!(suite.weight(&dave), None);
    assert_members(&suite, 1);
    suite.bond(&dave, TPW).unwrap();
    assert_eq!(suite.weight(&dave), Some(1));
    assert_members(&suite, 2);

    assert_eq!(suite.total_weight(), 2);
    assert_eq!(suite.is_active(), gate(false, 2, 2));
}

#[test]
fn a_late_hook_saturates_at_zero_and_never_blocks_an_unbond() {
    let mut suite = SuiteBuilder::new().without_hook().build();
    let alice = suite.alice.clone();
    // Bonded before the hook: not counted.
    suite.bond(&alice, 5 * TPW).unwrap();
    assert_eq!(suite.is_active().members, 0);
    suite.add_hook().unwrap();
    // The unbond reports alice leaving a count of 0: it stays 0 and the unbond goes through.
    suite.unbond(&alice, 5 * TPW).unwrap();
    assert_eq!(suite.weight(&alice), None);
    assert_eq!(suite.is_active().members, 0);
    suite.bond(&alice, 5 * TPW).unwrap();
    assert_eq!(suite.is_active().members, 1);
}

#[test]
fn instantiate_over_a_group_with_weight_fails() {
    let builder = SuiteBuilder::new();
    let mut suite = builder.build_without_timelock();
    let alice = suite.alice.clone();
    suite.bond(&alice, 7 * TPW).unwrap();
    let msg = builder.instantiate_msg(&suite);
    let err = contract_err(suite.instantiate_timelock(&msg).unwrap_err());
    assert_eq!(err, ContractError::GroupNotEmpty { total_weight: 7 });
}

#[test]
fn instantiate_over_something_that_is_not_a_group_fails() {
    let builder = SuiteBuilder::new();
    let mut suite = builder.build_without_timelock();
    for group in [suite.addr("nobody"), suite.tok.clone()] {
        let mut msg = builder.instantiate_msg(&suite);
        msg.group = group.to_string();
        let err = contract_err(suite.instantiate_timelock(&msg).unwrap_err());
        match err {
            ContractError::GroupQueryFailed { group: named, .. } => {
                assert_eq!(named, group.to_string())
            }
            other => panic!("expected GroupQueryFailed, got {other:?}"),
        }
    }
}
