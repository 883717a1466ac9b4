//! Scheduling (proposer, limits), the delay, execution, expiry, the operations list and
//! native funds.

use cosmwasm_std::{coins, CosmosMsg};
use cube_types::timelock::{ExecuteMsg, OperationStatus, QueryMsg, MAX_DESCRIPTION, MAX_MSGS};
use cw_multi_test::Executor;

use super::suite::{
    attr, contract_err, unauthorized, Suite, SuiteBuilder, DELAY, GRACE, NATIVE_BALANCE,
    NATIVE_DENOM, TIMELOCK_TOK,
};
use crate::ContractError;

fn active_suite() -> Suite {
    let mut suite = SuiteBuilder::new().build();
    suite.activate();
    suite
}

#[test]
fn an_operation_executes_at_its_eta_and_only_once() {
    let mut suite = active_suite();
    let recipient = suite.addr("recipient");
    let proposer = suite.proposer.clone();
    let msgs = vec![suite.transfer(&recipient, 1_000)];
    let scheduled_at = suite.now();
    let res = suite
        .schedule(&proposer, msgs.clone(), "pay the recipient")
        .unwrap();
    let id: u64 = attr(&res, &suite.timelock, "operation_id").parse().unwrap();
    let eta = scheduled_at.plus_seconds(DELAY);
    assert_eq!(id, 1);
    assert_eq!(
        attr(&res, &suite.timelock, "eta"),
        eta.seconds().to_string()
    );

    let op = suite.operation(id);
    assert_eq!(op.id, id);
    assert_eq!(op.description, "pay the recipient");
    assert_eq!(op.msgs, msgs);
    assert_eq!(op.scheduled_at, scheduled_at);
    assert_eq!(op.eta, eta);
    assert_eq!(op.expires, eta.plus_seconds(GRACE));
    assert_eq!(op.status, OperationStatus::Pending);
    assert_eq!(op.closed_at, None);

    // One second early.
    suite.advance(DELAY - 1);
    let err = contract_err(suite.execute_op(id).unwrap_err());
    assert_eq!(err, ContractError::NotReady { id, eta });
    assert_eq!(suite.tok_balance(&recipient), 0);

    // At the eta exactly.
    suite.advance(1);
    assert_eq!(suite.now(), eta);
    assert_eq!(suite.operation(id).status, OperationStatus::Ready);
    let res = suite.execute_op(id).unwrap();
    assert_eq!(attr(&res, &suite.timelock, "operation_id"), "1");
    assert_eq!(suite.tok_balance(&recipient), 1_000);
    assert_eq!(suite.tok_balance(&suite.timelock), TIMELOCK_TOK - 1_000);
    let op = suite.operation(id);
    assert_eq!(op.status, OperationStatus::Done);
    assert_eq!(op.closed_at, Some(eta));

    // Never twice.
    let err = contract_err(suite.execute_op(id).unwrap_err());
    assert_eq!(err, ContractError::AlreadyExecuted { id });
    assert_eq!(suite.tok_balance(&recipient), 1_000);

    let err = contract_err(suite.execute_op(99).unwrap_err());
    assert_eq!(err, ContractError::UnknownOperation { id: 99 });
}

#[test]
fn a_failing_message_reverts_the_execution_and_the_operation_stays_ready() {
    let mut suite = active_suite();
    let recipient = suite.addr("recipient");
    // The first transfer alone would succeed; the second exceeds the balance.
    let msgs = vec![
        suite.transfer(&recipient, 10),
        suite.transfer(&recipient, TIMELOCK_TOK),
    ];
    let id = suite.schedule_ok(msgs);
    suite.advance(DELAY);
    assert!(suite.execute_op(id).is_err());
    assert_eq!(suite.tok_balance(&recipient), 0);
    assert_eq!(suite.tok_balance(&suite.timelock), TIMELOCK_TOK);
    let op = suite.operation(id);
    assert_eq!(op.status, OperationStatus::Ready);
    assert_eq!(op.closed_at, None);
}

#[test]
fn only_the_proposer_schedules() {
    let mut suite = active_suite();
    let recipient = suite.addr("recipient");
    let msgs = vec![suite.transfer(&recipient, 1)];
    let senders = [
        suite.alice.clone(),
        suite.guardian.clone(),
        suite.admin.clone(),
        suite.timelock.clone(),
        suite.addr("mallory"),
    ];
    for sender in senders {
        let err = contract_err(suite.schedule(&sender, msgs.clone(), "op").unwrap_err());
        assert_eq!(err, unauthorized(&sender, "proposer"));
    }
    assert!(suite.operations(None, None).is_empty());
}

#[test]
fn schedule_limits() {
    let mut suite = active_suite();
    let proposer = suite.proposer.clone();
    let recipient = suite.addr("recipient");
    let one = suite.transfer(&recipient, 1);

    let err = contract_err(suite.schedule(&proposer, vec![], "nothing").unwrap_err());
    assert_eq!(err, ContractError::EmptyOperation);

    let too_many: Vec<CosmosMsg> = vec![one.clone(); MAX_MSGS + 1];
    let err = contract_err(suite.schedule(&proposer, too_many, "op").unwrap_err());
    assert_eq!(
        err,
        ContractError::TooManyMessages {
            count: MAX_MSGS + 1,
            max: MAX_MSGS
        }
    );

    let long = "x".repeat(MAX_DESCRIPTION + 1);
    let err = contract_err(
        suite
            .schedule(&proposer, vec![one.clone()], &long)
            .unwrap_err(),
    );
    assert_eq!(
        err,
        ContractError::DescriptionTooLong {
            length: MAX_DESCRIPTION + 1,
            max: MAX_DESCRIPTION
        }
    );
    assert!(suite.operations(None, None).is_empty());

    // At the limits: accepted.
    let longest = "x".repeat(MAX_DESCRIPTION);
    suite
        .schedule(&proposer, vec![one.clone(); MAX_MSGS], &longest)
        .unwrap();
    let op = suite.operation(1);
    assert_eq!(op.msgs.len(), MAX_MSGS);
    assert_eq!(op.description, longest);
    // An empty description is fine.
    suite.schedule(&proposer, vec![one], "").unwrap();
    assert_eq!(suite.operations(None, None).len(), 2);
}

#[test]
fn an_operation_expires_after_its_grace_period() {
    let mut suite = active_suite();
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1_000);
    let id = suite.schedule_ok(vec![msg]);
    let op = suite.operation(id);

    // The last second of the grace period: still ready.
    suite.set_time(op.expires.minus_seconds(1));
    assert_eq!(suite.operation(id).status, OperationStatus::Ready);

    suite.set_time(op.expires);
    assert_eq!(suite.operation(id).status, OperationStatus::Expired);
    let err = contract_err(suite.execute_op(id).unwrap_err());
    assert_eq!(
        err,
        ContractError::Expired {
            id,
            expires: op.expires
        }
    );
    assert_eq!(suite.tok_balance(&recipient), 0);
    let op = suite.operation(id);
    assert_eq!(op.status, OperationStatus::Expired);
    assert_eq!(op.closed_at, None);
}

#[test]
fn operations_are_listed_by_id_with_their_status() {
    let mut suite = active_suite();
    let guardian = suite.guardian.clone();
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1);

    let done = suite.schedule_ok(vec![msg.clone()]);
    let vetoed = suite.schedule_ok(vec![msg.clone()]);
    let expired = suite.schedule_ok(vec![msg.clone()]);
    suite.advance(DELAY);
    suite.execute_op(done).unwrap();
    suite.veto(&guardian, vetoed).unwrap();
    let closed_at = suite.now();
    suite.advance(GRACE);
    let ready = suite.schedule_ok(vec![msg.clone()]);
    suite.advance(DELAY);
    let pending = suite.schedule_ok(vec![msg.clone()]);
    assert_eq!([done, vetoed, expired, ready, pending], [1, 2, 3, 4, 5]);

    let all = suite.operations(None, None);
    let statuses: Vec<(u64, OperationStatus)> = all.iter().map(|op| (op.id, op.status)).collect();
    assert_eq!(
        statuses,
        vec![
            (1, OperationStatus::Done),
            (2, OperationStatus::Vetoed),
            (3, OperationStatus::Expired),
            (4, OperationStatus::Ready),
            (5, OperationStatus::Pending),
        ]
    );
    let closed: Vec<_> = all.iter().map(|op| op.closed_at).collect();
    assert_eq!(
        closed,
        vec![Some(closed_at), Some(closed_at), None, None, None]
    );
    // Each entry is what `Operation` answers.
    for op in &all {
        assert_eq!(*op, suite.operation(op.id));
    }

    // Pages.
    let ids = |ops: Vec<cube_types::timelock::OperationResponse>| -> Vec<u64> {
        ops.iter().map(|op| op.id).collect()
    };
    assert_eq!(ids(suite.operations(None, Some(2))), vec![1, 2]);
    assert_eq!(ids(suite.operations(Some(2), Some(2))), vec![3, 4]);
    assert_eq!(ids(suite.operations(Some(4), Some(2))), vec![5]);
    assert!(suite.operations(Some(5), None).is_empty());
    assert!(suite.operations(None, Some(0)).is_empty());

    // Default 10, at most 30.
    for _ in 0..27 {
        suite.schedule_ok(vec![msg.clone()]);
    }
    assert_eq!(suite.operations(None, None).len(), 10);
    assert_eq!(suite.operations(None, Some(100)).len(), 30);
    assert_eq!(ids(suite.operations(Some(30), Some(100))), vec![31, 32]);

    // An unknown operation is a query error naming it.
    let err = suite
        .app
        .wrap()
        .query_wasm_smart::<cube_types::timelock::OperationResponse>(
            suite.timelock.clone(),
            &QueryMsg::Operation { id: 99 },
        )
        .unwrap_err();
    assert!(err.to_string().contains("operation 99 not found"), "{err}");
}

#[test]
fn native_funds_are_refused() {
    let mut suite = active_suite();
    let (proposer, rich, timelock) = (
        suite.proposer.clone(),
        suite.rich.clone(),
        suite.timelock.clone(),
    );
    let recipient = suite.addr("recipient");
    let msg = suite.transfer(&recipient, 1);
    let err = suite
        .app
        .execute_contract(
            proposer.clone(),
            timelock.clone(),
            &ExecuteMsg::Schedule {
                msgs: vec![msg],
                description: "with funds".to_string(),
            },
            &coins(10, NATIVE_DENOM),
        )
        .unwrap_err();
    assert_eq!(contract_err(err), ContractError::NativeFundsRejected);
    assert!(suite.operations(None, None).is_empty());
    assert_eq!(suite.native_balance(&proposer), NATIVE_BALANCE);

    // Any message, from anyone.
    let err = suite
        .app
        .execute_contract(
            rich.clone(),
            timelock.clone(),
            &ExecuteMsg::Execute { id: 1 },
            &coins(10, NATIVE_DENOM),
        )
        .unwrap_err();
    assert_eq!(contract_err(err), ContractError::NativeFundsRejected);

    // And the instantiation.
    let builder = SuiteBuilder::new();
    let msg = builder.instantiate_msg(&suite);
    let code = suite.timelock_code;
    let err = suite
        .app
        .instantiate_contract(
            code,
            rich.clone(),
            &msg,
            &coins(10, NATIVE_DENOM),
            "timelock",
            None,
        )
        .unwrap_err();
    assert_eq!(contract_err(err), ContractError::NativeFundsRejected);
    assert_eq!(suite.native_balance(&rich), NATIVE_BALANCE);
    assert_eq!(suite.native_balance(&timelock), 0);
}
