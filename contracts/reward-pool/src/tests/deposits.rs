//! Deposits through the CW20 hook, the hysteresis margin, and `Reconcile`.

use cosmwasm_std::Uint128;
use cube_types::reward_pool::{ExecuteMsg, RateEventKind};

use cw_multi_test::Executor;

use super::suite::{attr, contract_err, custom_events, SuiteBuilder, GENESIS_BALANCE, S};
use crate::ContractError;

#[test]
fn fund_and_ad_fee_are_counted_and_reported() {
    let mut suite = SuiteBuilder::new().build();
    let res = suite.fund(700).unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "fund");
    assert_eq!(attr(&res, &suite.pool, "amount"), "700");
    assert_eq!(attr(&res, &suite.pool, "balance"), "700");
    assert_eq!(attr(&res, &suite.pool, "sender"), suite.treasury.as_str());
    let res = suite.ad_fee(300, "launch").unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "ad_fee");
    assert_eq!(attr(&res, &suite.pool, "balance"), "1000");
    assert_eq!(attr(&res, &suite.pool, "sender"), suite.advertiser.as_str());

    suite.assert_state(1_000, 0, 0);
    let state = suite.state();
    assert_eq!(state.total_funded, Uint128::new(700));
    assert_eq!(state.total_ad_fees, Uint128::new(300));
    assert_eq!(suite.pool_tokens(), 1_000);
    assert_eq!(
        suite.token_balance(&suite.token, &suite.treasury),
        GENESIS_BALANCE - 700
    );
}

#[test]
fn hysteresis_margin_delays_the_reversal() {
    // 10 % margin: level 1 is reversed at T(1) · 1.1 = 550,000, not at 500,000.
    let mut suite = SuiteBuilder::new().hysteresis_bps(1_000).funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    suite.assert_state(499_850, 500_150, 1);
    assert_eq!(
        suite.state().reversal_threshold,
        Some(Uint128::new(550_000))
    );

    suite.ad_fee(50_149, "a").unwrap();
    suite.assert_state(549_999, 500_150, 1);
    let res = suite.ad_fee(1, "b").unwrap();
    assert_eq!(custom_events(&res, "reversal").len(), 1);
    suite.assert_state(550_000, 500_150, 0);
    assert_eq!(suite.state().reversal_threshold, None);
}

#[test]
fn margin_change_applies_to_the_next_deposit() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    let owner = suite.owner.clone();
    suite
        .execute(
            &owner,
            &ExecuteMsg::UpdateConfig {
                halving_cooldown: None,
                hysteresis_bps: Some(10_000),
                max_batch_size: None,
                reporter_cap: None,
            },
        )
        .unwrap();
    // With a 100 % margin T(1) = 500,000 is no longer enough; 1,000,000 is.
    suite.ad_fee(150, "a").unwrap();
    suite.assert_state(500_000, 500_150, 1);
    suite.ad_fee(499_999, "b").unwrap();
    suite.assert_state(999_999, 500_150, 1);
    suite.ad_fee(1, "c").unwrap();
    suite.assert_state(1_000_000, 500_150, 0);
}

#[test]
fn plain_transfer_is_not_counted_until_reconcile() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    suite.assert_state(499_850, 500_150, 1);

    let owner = suite.owner.clone();
    let err = contract_err(
        suite
            .execute(&owner, &ExecuteMsg::Reconcile {})
            .unwrap_err(),
    );
    assert_eq!(err, ContractError::NothingToReconcile);

    // A Transfer moves TOK to the pool without calling it: nothing is counted.
    suite.transfer_to_pool(600).unwrap();
    suite.assert_state(499_850, 500_150, 1);
    assert_eq!(suite.pool_tokens(), S + 600);

    // Reconcile adopts exactly the surplus as a fund; it reverses like any deposit.
    let res = suite.execute(&owner, &ExecuteMsg::Reconcile {}).unwrap();
    assert_eq!(attr(&res, &suite.pool, "action"), "reconcile");
    assert_eq!(attr(&res, &suite.pool, "amount"), "600");
    assert_eq!(custom_events(&res, "reversal").len(), 1);
    suite.assert_state(500_450, 500_150, 0);
    let state = suite.state();
    assert_eq!(state.total_reconciled, Uint128::new(600));
    assert_eq!(state.total_funded, Uint128::new(S + 600));
    assert_eq!(suite.pool_tokens(), 500_450 + 500_150);
    let last = suite.history(None, None).pop().unwrap();
    assert_eq!(last.kind, RateEventKind::Reversal);

    let err = contract_err(
        suite
            .execute(&owner, &ExecuteMsg::Reconcile {})
            .unwrap_err(),
    );
    assert_eq!(err, ContractError::NothingToReconcile);
}

#[test]
fn hysteresis_threshold_is_compared_exactly_not_rounded_down() {
    // T(1) = 500,001 and a 5 % margin: 525,001.05, so 525,001 is not enough.
    let mut suite = SuiteBuilder::new()
        .reference_pool(1_000_002)
        .hysteresis_bps(500)
        .funded(1_000_002)
        .build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    suite.assert_state(499_852, 500_150, 1);
    assert_eq!(
        suite.state().reversal_threshold,
        Some(Uint128::new(525_002))
    );
    suite.ad_fee(25_149, "a").unwrap();
    suite.assert_state(525_001, 500_150, 1);
    suite.ad_fee(1, "b").unwrap();
    suite.assert_state(525_002, 500_150, 0);
}

/// The instantiate message of a deployer that leaves `hysteresis_bps` out.
#[cosmwasm_schema::cw_serde]
struct WithoutHysteresis {
    token: String,
    reference_pool: Uint128,
    base_reward: Uint128,
    halving_cooldown: u64,
    max_batch_size: u32,
    reporters: Vec<String>,
    owner: Option<String>,
}

#[test]
fn default_margin_makes_undoing_a_fresh_halving_cost_a_tenth_of_the_threshold() {
    let builder = SuiteBuilder::new();
    let mut suite = builder.build_without_pool();
    let api = *suite.app.api();
    let full = builder.instantiate_msg(&api, &suite.token);
    let msg = WithoutHysteresis {
        token: full.token,
        reference_pool: full.reference_pool,
        base_reward: full.base_reward,
        halving_cooldown: full.halving_cooldown,
        max_batch_size: full.max_batch_size,
        reporters: full.reporters,
        owner: full.owner,
    };
    let owner = suite.owner.clone();
    suite.pool = suite
        .app
        .instantiate_contract(suite.pool_code, owner, &msg, &[], "pool", None)
        .unwrap();
    assert_eq!(
        suite.config().hysteresis_bps,
        cube_types::reward_pool::DEFAULT_HYSTERESIS_BPS
    );
    assert_eq!(cube_types::reward_pool::DEFAULT_HYSTERESIS_BPS, 1_000);
    // Left out as well: the reporter cap takes its default.
    assert_eq!(
        suite.config().reporter_cap,
        cube_types::reward_pool::ReporterCap::default()
    );
    suite.fund(S).unwrap();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    suite.assert_state(499_850, 500_150, 1);
    // Under a zero margin a deposit of 150 (1.5 rewards of the old level) would undo the
    // halving; now it takes T(1) / 10 = 50,000 more.
    suite.ad_fee(150, "small").unwrap();
    suite.assert_state(500_000, 500_150, 1);
    suite.ad_fee(49_999, "almost").unwrap();
    suite.assert_state(549_999, 500_150, 1);
    let res = suite.ad_fee(1, "enough").unwrap();
    assert_eq!(custom_events(&res, "reversal").len(), 1);
    suite.assert_state(550_000, 500_150, 0);
}
