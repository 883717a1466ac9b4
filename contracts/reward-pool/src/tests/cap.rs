//! The per-reporter payout cap: what one reporter can credit per period, the allowance query,
//! and who changes the cap.

use cosmwasm_std::{Timestamp, Uint128};
use cube_types::reward_pool::{
    ExecuteMsg, InstantiateMsg, ReporterAllowanceResponse, ReporterCap,
    DEFAULT_REPORTER_CAP_AMOUNT, DEFAULT_REPORTER_CAP_PERIOD,
};
use cw_multi_test::Executor;

use super::suite::{attr, contract_err, Suite, SuiteBuilder, DAY, R0, S};
use crate::state::MAX_REPORTER_CAP_PERIOD;
use crate::{ContractError, OwnershipError};

/// Cap of the tests: 10 actions at R0 per day.
const CAP: u128 = 1_000;

/// End of the period of `period` seconds containing the suite's block time (periods are
/// aligned to unix time).
fn period_end(suite: &Suite, period: u64) -> u64 {
    (suite.now().seconds() / period + 1) * period
}

fn cap(amount: u128, period: u64) -> ReporterCap {
    ReporterCap {
        amount: Uint128::new(amount),
        period,
    }
}

/// `UpdateConfig` changing only the reporter cap.
fn cap_update(amount: u128, period: u64) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        halving_cooldown: None,
        hysteresis_bps: None,
        max_batch_size: None,
        reporter_cap: Some(cap(amount, period)),
    }
}

#[test]
fn a_reporter_entry_over_the_cap_is_refused_and_pays_nothing() {
    let mut suite = SuiteBuilder::new().reporter_cap(CAP, DAY).funded(S).build();
    let (alice, bob) = (suite.addr("alice"), suite.addr("bob"));
    let reporter = suite.reporter.clone();
    let period_ends = period_end(&suite, DAY);

    let res = suite.record(&[(&alice, 4)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "400");
    assert_eq!(attr(&res, &suite.pool, "reporter_paid_in_period"), "400");
    assert_eq!(attr(&res, &suite.pool, "reporter_remaining"), "600");

    // The first entry fits (900 of 1,000), the second does not: the whole batch is refused,
    // the first entry included. `remaining` is what was left before the refused entry.
    let before = suite.snapshot(&[&alice, &bob]);
    let err = contract_err(suite.record(&[(&alice, 5), (&bob, 2)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: reporter.clone(),
            requested: Uint128::new(200),
            remaining: Uint128::new(100),
            period_ends,
        }
    );
    assert_eq!(suite.snapshot(&[&alice, &bob]), before);
    suite.assert_claimable(&alice, 400);
    suite.assert_claimable(&bob, 0);
    assert_eq!(suite.last_batch(&reporter), Some(1));

    // Exactly up to the cap is paid.
    let res = suite.record(&[(&bob, 6)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "600");
    assert_eq!(attr(&res, &suite.pool, "reporter_paid_in_period"), "1000");
    assert_eq!(attr(&res, &suite.pool, "reporter_remaining"), "0");
    suite.assert_state(S - CAP, CAP, 0);

    // One more action is refused; claimables, balances and the allowance read back unchanged.
    let before = suite.snapshot(&[&alice, &bob]);
    let err = contract_err(suite.record(&[(&alice, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: reporter.clone(),
            requested: Uint128::new(R0),
            remaining: Uint128::zero(),
            period_ends,
        }
    );
    assert_eq!(suite.snapshot(&[&alice, &bob]), before);
    suite.assert_claimable(&alice, 400);
    suite.assert_claimable(&bob, 600);
    suite.assert_state(S - CAP, CAP, 0);
    assert_eq!(suite.pool_tokens(), S);
    assert_eq!(suite.last_batch(&reporter), Some(2));
    assert_eq!(
        suite.allowance(&reporter),
        ReporterAllowanceResponse {
            reporter,
            cap: Uint128::new(CAP),
            period: DAY,
            paid_in_period: Uint128::new(CAP),
            remaining: Uint128::zero(),
            period_ends,
        }
    );
}

#[test]
fn the_reporter_cap_resets_each_period() {
    let mut suite = SuiteBuilder::new().reporter_cap(CAP, DAY).funded(S).build();
    let alice = suite.addr("alice");
    let reporter = suite.reporter.clone();
    let first_end = period_end(&suite, DAY);
    assert_eq!(first_end % DAY, 0);

    suite.record(&[(&alice, 10)]).unwrap();
    assert_eq!(
        suite.allowance(&reporter),
        ReporterAllowanceResponse {
            reporter: reporter.clone(),
            cap: Uint128::new(CAP),
            period: DAY,
            paid_in_period: Uint128::new(CAP),
            remaining: Uint128::zero(),
            period_ends: first_end,
        }
    );

    // The last second of the period: still used up.
    suite.set_time(Timestamp::from_seconds(first_end - 1));
    let err = contract_err(suite.record(&[(&alice, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: reporter.clone(),
            requested: Uint128::new(R0),
            remaining: Uint128::zero(),
            period_ends: first_end,
        }
    );

    // The first second of the next period: the whole cap again.
    suite.set_time(Timestamp::from_seconds(first_end));
    assert_eq!(
        suite.allowance(&reporter),
        ReporterAllowanceResponse {
            reporter: reporter.clone(),
            cap: Uint128::new(CAP),
            period: DAY,
            paid_in_period: Uint128::zero(),
            remaining: Uint128::new(CAP),
            period_ends: first_end + DAY,
        }
    );
    let res = suite.record(&[(&alice, 3)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "reporter_paid_in_period"), "300");
    assert_eq!(attr(&res, &suite.pool, "reporter_remaining"), "700");
    let allowance = suite.allowance(&reporter);
    assert_eq!(allowance.paid_in_period, Uint128::new(300));
    assert_eq!(allowance.remaining, Uint128::new(700));
    suite.assert_claimable(&alice, CAP + 300);
    suite.assert_state(S - CAP - 300, CAP + 300, 0);

    // Several periods later the old record counts as nothing paid; the windows stay aligned
    // to unix time, not to the last payout.
    suite.advance_time(3 * DAY + 17);
    let allowance = suite.allowance(&reporter);
    assert_eq!(allowance.paid_in_period, Uint128::zero());
    assert_eq!(allowance.remaining, Uint128::new(CAP));
    assert_eq!(allowance.period_ends, first_end + 4 * DAY);
    suite.record(&[(&alice, 10)]).unwrap();
    assert_eq!(suite.allowance(&reporter).remaining, Uint128::zero());
    suite.assert_claimable(&alice, 2 * CAP + 300);
}

#[test]
fn only_the_owner_changes_the_reporter_cap() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (owner, mallory, alice) = (
        suite.owner.clone(),
        suite.addr("mallory"),
        suite.addr("alice"),
    );
    let reporter = suite.reporter.clone();

    // Left out at instantiation: the default, 10,000,000 TOK (6 decimals) per day.
    assert_eq!(
        DEFAULT_REPORTER_CAP_AMOUNT,
        Uint128::new(10_000_000_000_000)
    );
    assert_eq!(DEFAULT_REPORTER_CAP_PERIOD, 86_400);
    assert_eq!(suite.config().reporter_cap, ReporterCap::default());
    assert_eq!(
        suite.config().reporter_cap,
        cap(
            DEFAULT_REPORTER_CAP_AMOUNT.u128(),
            DEFAULT_REPORTER_CAP_PERIOD
        )
    );
    let allowance = suite.allowance(&reporter);
    assert_eq!(allowance.cap, DEFAULT_REPORTER_CAP_AMOUNT);
    assert_eq!(allowance.period, DEFAULT_REPORTER_CAP_PERIOD);

    // Neither an outsider nor the reporter itself can lift the cap.
    let before = suite.snapshot(&[&alice]);
    for sender in [mallory.clone(), reporter.clone()] {
        let err = contract_err(
            suite
                .execute(&sender, &cap_update(u128::MAX, 1))
                .unwrap_err(),
        );
        assert_eq!(
            err,
            ContractError::Ownership(OwnershipError::NotOwner { sender })
        );
    }
    assert_eq!(suite.snapshot(&[&alice]), before);

    let res = suite.execute(&owner, &cap_update(250, 3_600)).unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "update_config");
    assert_eq!(attr(&res, &suite.pool, "reporter_cap_amount"), "250");
    assert_eq!(attr(&res, &suite.pool, "reporter_cap_period"), "3600");
    let config = suite.config();
    assert_eq!(config.reporter_cap, cap(250, 3_600));
    // The other parameters keep their value.
    assert_eq!(config.halving_cooldown, before.config.halving_cooldown);
    assert_eq!(config.hysteresis_bps, before.config.hysteresis_bps);
    assert_eq!(config.max_batch_size, before.config.max_batch_size);
    let period_ends = period_end(&suite, 3_600);
    assert_eq!(
        suite.allowance(&reporter),
        ReporterAllowanceResponse {
            reporter: reporter.clone(),
            cap: Uint128::new(250),
            period: 3_600,
            paid_in_period: Uint128::zero(),
            remaining: Uint128::new(250),
            period_ends,
        }
    );

    // The new cap applies from the next batch.
    suite.record(&[(&alice, 2)]).unwrap();
    let err = contract_err(suite.record(&[(&alice, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: reporter.clone(),
            requested: Uint128::new(R0),
            remaining: Uint128::new(50),
            period_ends,
        }
    );

    // Lowered below what was paid in the period: nothing remains, nothing is taken back.
    suite.execute(&owner, &cap_update(150, 3_600)).unwrap();
    let allowance = suite.allowance(&reporter);
    assert_eq!(allowance.paid_in_period, Uint128::new(200));
    assert_eq!(allowance.remaining, Uint128::zero());
    suite.assert_claimable(&alice, 200);
    suite.assert_state(S - 200, 200, 0);
}

#[test]
fn one_entry_with_count_u64_max_cannot_empty_the_pool() {
    // Product-scale reward (100 TOK at 6 decimals), a pool 100 times the default cap, and the
    // cap left at its default.
    const REWARD: u128 = 100_000_000;
    const FUNDED: u128 = 1_000_000_000_000_000;
    let mut suite = SuiteBuilder::new()
        .reference_pool(FUNDED)
        .base_reward(REWARD)
        .funded(FUNDED)
        .build();
    let (alice, mallory) = (suite.addr("alice"), suite.addr("mallory"));
    let reporter = suite.reporter.clone();
    let period_ends = period_end(&suite, DEFAULT_REPORTER_CAP_PERIOD);
    let before = suite.snapshot(&[&alice, &mallory]);

    // The audit's exploit: the entry would be paid the whole pool (5,000,001 actions at R0, a
    // halving, then everything left). Refused: nothing is paid, the halving is undone too.
    let err = contract_err(suite.record(&[(&mallory, u64::MAX)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: reporter.clone(),
            requested: Uint128::new(FUNDED),
            remaining: DEFAULT_REPORTER_CAP_AMOUNT,
            period_ends,
        }
    );
    assert_eq!(suite.snapshot(&[&alice, &mallory]), before);
    suite.assert_state(FUNDED, 0, 0);
    suite.assert_claimable(&mallory, 0);
    assert_eq!(suite.pool_tokens(), FUNDED);
    assert!(suite.history(None, None).is_empty());
    assert_eq!(suite.last_batch(&reporter), None);

    // Exactly the default cap is still paid: 100,000 actions at 100 TOK.
    let cap_amount = DEFAULT_REPORTER_CAP_AMOUNT.u128();
    let res = suite.record(&[(&alice, 100_000)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), cap_amount.to_string());
    assert_eq!(attr(&res, &suite.pool, "reporter_remaining"), "0");
    suite.assert_state(FUNDED - cap_amount, cap_amount, 0);

    // And nothing more in this period, however small.
    let err = contract_err(suite.record(&[(&mallory, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter,
            requested: Uint128::new(REWARD),
            remaining: Uint128::zero(),
            period_ends,
        }
    );
    suite.assert_claimable(&mallory, 0);
    suite.assert_claimable(&alice, cap_amount);
}

#[test]
fn invalid_reporter_cap_parameters_are_refused() {
    assert_eq!(MAX_REPORTER_CAP_PERIOD, 366 * DAY);
    let builder = SuiteBuilder::new();
    let mut suite = builder.build_without_pool();
    let api = *suite.app.api();
    let good = builder.instantiate_msg(&api, &suite.token);
    let owner = suite.owner.clone();
    let cases = [
        (cap(0, DAY), ContractError::ZeroReporterCap),
        (
            cap(CAP, 0),
            ContractError::InvalidReporterCapPeriod {
                seconds: 0,
                max: MAX_REPORTER_CAP_PERIOD,
            },
        ),
        (
            cap(CAP, MAX_REPORTER_CAP_PERIOD + 1),
            ContractError::InvalidReporterCapPeriod {
                seconds: MAX_REPORTER_CAP_PERIOD + 1,
                max: MAX_REPORTER_CAP_PERIOD,
            },
        ),
    ];
    for (bad, expected) in &cases {
        let msg = InstantiateMsg {
            reporter_cap: Some(*bad),
            ..good.clone()
        };
        let err = suite
            .app
            .instantiate_contract(suite.pool_code, owner.clone(), &msg, &[], "pool", None)
            .unwrap_err();
        assert_eq!(contract_err(err), *expected);
    }

    // The bounds themselves are accepted.
    for edge in [cap(1, 1), cap(u128::MAX, MAX_REPORTER_CAP_PERIOD)] {
        let msg = InstantiateMsg {
            reporter_cap: Some(edge),
            ..good.clone()
        };
        suite.pool = suite
            .app
            .instantiate_contract(suite.pool_code, owner.clone(), &msg, &[], "pool", None)
            .unwrap();
        assert_eq!(suite.config().reporter_cap, edge);
    }

    // `UpdateConfig` runs the same checks and leaves the config as it was.
    let before = suite.config();
    for (bad, expected) in cases {
        let err = contract_err(
            suite
                .execute(&owner, &cap_update(bad.amount.u128(), bad.period))
                .unwrap_err(),
        );
        assert_eq!(err, expected);
    }
    assert_eq!(suite.config(), before);
}

#[test]
fn a_removed_and_re_added_reporter_keeps_its_usage() {
    let mut suite = SuiteBuilder::new().reporter_cap(CAP, DAY).funded(S).build();
    let (owner, alice) = (suite.owner.clone(), suite.addr("alice"));
    let reporter = suite.reporter.clone();
    suite.record(&[(&alice, 7)]).unwrap();

    suite
        .execute(
            &owner,
            &ExecuteMsg::RemoveReporter {
                address: reporter.to_string(),
            },
        )
        .unwrap();
    // Still answered while removed.
    assert_eq!(suite.allowance(&reporter).paid_in_period, Uint128::new(700));
    suite
        .execute(
            &owner,
            &ExecuteMsg::AddReporter {
                address: reporter.to_string(),
            },
        )
        .unwrap();

    // Re-adding did not start the period afresh.
    let err = contract_err(suite.record(&[(&alice, 4)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: reporter.clone(),
            requested: Uint128::new(400),
            remaining: Uint128::new(300),
            period_ends: period_end(&suite, DAY),
        }
    );
    suite.record(&[(&alice, 3)]).unwrap();
    assert_eq!(suite.allowance(&reporter).remaining, Uint128::zero());
    suite.assert_claimable(&alice, CAP);
}

#[test]
fn each_reporter_has_its_own_allowance() {
    let mut suite = SuiteBuilder::new()
        .reporters(&["reporter", "reporter-2"])
        .reporter_cap(CAP, DAY)
        .funded(S)
        .build();
    let alice = suite.addr("alice");
    let (one, two) = (suite.addr("reporter"), suite.addr("reporter-2"));
    suite.record_as(&one, 1, &[(&alice, 10)]).unwrap();
    let res = suite.record_as(&two, 1, &[(&alice, 10)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "reporter"), two.as_str());
    assert_eq!(attr(&res, &suite.pool, "reporter_paid_in_period"), "1000");
    assert_eq!(suite.allowance(&one).remaining, Uint128::zero());
    assert_eq!(suite.allowance(&two).remaining, Uint128::zero());

    let err = contract_err(suite.record_as(&one, 2, &[(&alice, 1)]).unwrap_err());
    assert_eq!(
        err,
        ContractError::ReporterCapExceeded {
            reporter: one,
            requested: Uint128::new(R0),
            remaining: Uint128::zero(),
            period_ends: period_end(&suite, DAY),
        }
    );
    suite.assert_claimable(&alice, 2 * CAP);
    suite.assert_state(S - 2 * CAP, 2 * CAP, 0);
}
