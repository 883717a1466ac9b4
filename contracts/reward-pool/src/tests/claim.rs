//! `Claim`: rewards leave the pool through the real CW20.

use cosmwasm_std::Uint128;

use super::suite::{attr, contract_err, SuiteBuilder, S};
use crate::ContractError;

#[test]
fn claim_pays_the_sender_and_clears_the_balance() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (alice, bob) = (suite.addr("alice"), suite.addr("bob"));
    suite.record(&[(&alice, 7), (&bob, 2)]).unwrap();
    suite.assert_claimable(&alice, 700);

    let res = suite.claim(&alice, None).unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "claim");
    assert_eq!(attr(&res, &suite.pool, "amount"), "700");
    assert_eq!(attr(&res, &suite.pool, "recipient"), alice.as_str());
    assert_eq!(suite.token_balance(&suite.token, &alice), 700);
    suite.assert_claimable(&alice, 0);
    suite.assert_claimable(&bob, 200);
    suite.assert_state(S - 900, 200, 0);
    assert_eq!(suite.state().total_claimed, Uint128::new(700));
    assert_eq!(suite.pool_tokens(), S - 700);

    // Nothing is paid twice.
    let err = contract_err(suite.claim(&alice, None).unwrap_err());
    assert_eq!(err, ContractError::NothingToClaim);
    assert_eq!(suite.token_balance(&suite.token, &alice), 700);
}

#[test]
fn claim_to_a_recipient() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (alice, cold) = (suite.addr("alice"), suite.addr("cold-wallet"));
    suite.record(&[(&alice, 3)]).unwrap();
    let res = suite.claim(&alice, Some(&cold)).unwrap();
    assert_eq!(attr(&res, &suite.pool, "user"), alice.as_str());
    assert_eq!(attr(&res, &suite.pool, "recipient"), cold.as_str());
    assert_eq!(suite.token_balance(&suite.token, &cold), 300);
    assert_eq!(suite.token_balance(&suite.token, &alice), 0);
    suite.assert_claimable(&alice, 0);
    suite.assert_state(S - 300, 0, 0);
}

#[test]
fn rewards_accrue_across_batches_until_claimed() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 1)]).unwrap();
    suite.record(&[(&alice, 2), (&alice, 3)]).unwrap();
    suite.assert_claimable(&alice, 600);
    suite.claim(&alice, None).unwrap();
    suite.record(&[(&alice, 1)]).unwrap();
    suite.assert_claimable(&alice, 100);
    suite.claim(&alice, None).unwrap();
    assert_eq!(suite.token_balance(&suite.token, &alice), 700);
    suite.assert_state(S - 700, 0, 0);
}
