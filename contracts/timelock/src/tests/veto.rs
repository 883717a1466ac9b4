//! The vetoer: stops operations before or after their eta, never executed or expired ones;
//! nobody else can; retired through the timelock itself.

use cube_types::timelock::{ExecuteMsg, OperationStatus};

use super::suite::{contract_err, unauthorized, Suite, SuiteBuilder, DELAY, GRACE};
use crate::ContractError;

fn active_suite() -> Suite {
    let mut suite = SuiteBuilder::new().build();
    suite.activate();
    suite
}

#[test]
fn a_vetoed_operation_never_executes() {
    let mut suite = active_suite();
    let guardian = suite.guardian.clone();
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1_000);

    // Vetoed before its eta.
    let early = suite.schedule_ok(vec![msg.clone()]);
    suite.advance(DELAY / 2);
    let vetoed_at = suite.now();
    let res = suite.veto(&guardian, early).unwrap();
    assert_eq!(
        super::suite::attr(&res, &suite.timelock, "operation_id"),
        early.to_string()
    );
    let op = suite.operation(early);
    assert_eq!(op.status, OperationStatus::Vetoed);
    assert_eq!(op.closed_at, Some(vetoed_at));
    suite.advance(DELAY);
    let err = contract_err(suite.execute_op(early).unwrap_err());
    assert_eq!(err, ContractError::Vetoed { id: early });
    // Vetoing twice.
    let err = contract_err(suite.veto(&guardian, early).unwrap_err());
    assert_eq!(err, ContractError::Vetoed { id: early });

    // Vetoed after its eta, before anyone executed it.
    let late = suite.schedule_ok(vec![msg.clone()]);
    suite.advance(DELAY + 10);
    assert_eq!(suite.operation(late).status, OperationStatus::Ready);
    suite.veto(&guardian, late).unwrap();
    let err = contract_err(suite.execute_op(late).unwrap_err());
    assert_eq!(err, ContractError::Vetoed { id: late });
    assert_eq!(suite.tok_balance(&recipient), 0);

    // An executed operation cannot be vetoed.
    let executed = suite.schedule_ok(vec![msg.clone()]);
    suite.advance(DELAY);
    suite.execute_op(executed).unwrap();
    let err = contract_err(suite.veto(&guardian, executed).unwrap_err());
    assert_eq!(err, ContractError::AlreadyExecuted { id: executed });
    assert_eq!(suite.operation(executed).status, OperationStatus::Done);
    assert_eq!(suite.tok_balance(&recipient), 1_000);

    // Nor an expired one.
    let expired = suite.schedule_ok(vec![msg]);
    suite.advance(DELAY + GRACE);
    let expires = suite.operation(expired).expires;
    let err = contract_err(suite.veto(&guardian, expired).unwrap_err());
    assert_eq!(
        err,
        ContractError::Expired {
            id: expired,
            expires
        }
    );
    assert_eq!(suite.operation(expired).status, OperationStatus::Expired);

    let err = contract_err(suite.veto(&guardian, 99).unwrap_err());
    assert_eq!(err, ContractError::UnknownOperation { id: 99 });
}

#[test]
fn veto_works_while_the_group_is_inactive() {
    let mut suite = active_suite();
    let (guardian, bob) = (suite.guardian.clone(), suite.bob.clone());
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1);
    let id = suite.schedule_ok(vec![msg]);
    suite
        .unbond(&bob, 100 * super::suite::TOKENS_PER_WEIGHT)
        .unwrap();
    assert!(!suite.is_active().active);
    suite.veto(&guardian, id).unwrap();
    assert_eq!(suite.operation(id).status, OperationStatus::Vetoed);
}

#[test]
fn only_the_vetoer_vetoes_and_the_timelock_can_retire_it() {
    let mut suite = active_suite();
    let guardian = suite.guardian.clone();
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1);
    let id = suite.schedule_ok(vec![msg.clone()]);

    let senders = [
        suite.proposer.clone(),
        suite.alice.clone(),
        suite.admin.clone(),
        suite.addr("mallory"),
    ];
    for sender in senders {
        let err = contract_err(suite.veto(&sender, id).unwrap_err());
        assert_eq!(err, unauthorized(&sender, "vetoer"));
    }
    assert_eq!(suite.operation(id).status, OperationStatus::Pending);

    // Only the timelock itself sets the vetoer.
    let retire = ExecuteMsg::SetVetoer { vetoer: None };
    for sender in [guardian.clone(), suite.proposer.clone()] {
        let err = contract_err(suite.exec(&sender, &retire).unwrap_err());
        assert_eq!(err, unauthorized(&sender, "timelock itself"));
    }
    assert_eq!(suite.config().vetoer, Some(guardian.clone()));

    // Retired through a scheduled operation (the response says so).
    let to_self = suite.to_self(&retire);
    let op = suite.schedule_ok(vec![to_self]);
    suite.advance(DELAY);
    let res = suite.execute_op(op).unwrap();
    assert_eq!(super::suite::attr(&res, &suite.timelock, "vetoer"), "none");
    assert_eq!(suite.config().vetoer, None);

    // The former vetoer can no longer veto, before or after the eta.
    let next = suite.schedule_ok(vec![msg]);
    let err = contract_err(suite.veto(&guardian, next).unwrap_err());
    assert_eq!(err, unauthorized(&guardian, "vetoer"));
    suite.advance(DELAY);
    let err = contract_err(suite.veto(&guardian, next).unwrap_err());
    assert_eq!(err, unauthorized(&guardian, "vetoer"));
    suite.execute_op(next).unwrap();
    assert_eq!(suite.tok_balance(&recipient), 1);

    // A new vetoer, set the same way, can.
    let council = suite.addr("council");
    let appoint = suite.to_self(&ExecuteMsg::SetVetoer {
        vetoer: Some(council.to_string()),
    });
    suite.run(vec![appoint]);
    assert_eq!(suite.config().vetoer, Some(council.clone()));
    let msg = suite.transfer(&recipient, 1);
    let last = suite.schedule_ok(vec![msg]);
    suite.veto(&council, last).unwrap();
    assert_eq!(suite.operation(last).status, OperationStatus::Vetoed);
}
