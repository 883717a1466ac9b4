//! The life of the scaled-down pool of the acceptance list: S = 1,000,000, R0 = 100,
//! 14-day cooldown.

use cosmwasm_std::Uint128;
use cube_types::reward_pool::RateEventKind;

use super::suite::{attr, custom_events, SuiteBuilder, COOLDOWN, DAY, R0, S};

#[test]
fn crossing_t1_is_paid_at_the_old_rate_and_the_next_action_at_half() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (alice, bob) = (suite.addr("alice"), suite.addr("bob"));
    suite.assert_state(S, 0, 0);

    // 5,000 actions bring the balance to exactly T(1) = 500,000: not below it.
    let res = suite.record(&[(&alice, 5_000)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "500000");
    suite.assert_state(500_000, 500_000, 0);
    assert!(!suite.state().halving_pending);

    // The action whose payment crosses T(1) is still paid R0.
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "100");
    assert!(custom_events(&res, "halving").is_empty());
    suite.assert_state(499_900, 500_100, 0);
    let state = suite.state();
    assert!(state.halving_pending);
    assert_eq!(state.cooldown_end, None);
    assert!(!state.cooldown_active);

    // The next one halves first and is paid R0 / 2.
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "50");
    assert_eq!(attr(&res, &suite.pool, "level_before"), "0");
    assert_eq!(attr(&res, &suite.pool, "level_after"), "1");
    let halvings = custom_events(&res, "halving");
    assert_eq!(halvings.len(), 1);
    suite.assert_state(499_850, 500_150, 1);
    suite.assert_claimable(&alice, 500_000);
    suite.assert_claimable(&bob, 150);

    let now = suite.now();
    let state = suite.state();
    assert_eq!(state.current_reward, Uint128::new(50));
    assert_eq!(state.last_halving, Some(now));
    assert_eq!(state.cooldown_end, Some(now.plus_seconds(COOLDOWN)));
    assert!(state.cooldown_active);
    assert_eq!(state.next_halving_threshold, Some(Uint128::new(250_000)));
    assert_eq!(state.reversal_threshold, Some(Uint128::new(500_000)));
    let history = suite.history(None, None);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].seq, 1);
    assert_eq!(history[0].kind, RateEventKind::Halving);
    assert_eq!((history[0].from_level, history[0].to_level), (0, 1));
    assert_eq!(history[0].balance, Uint128::new(499_900));
    assert_eq!(history[0].reward, Uint128::new(50));
    assert_eq!(history[0].time, now);
}

#[test]
fn crossing_inside_one_entry_changes_the_rate_for_the_rest_of_it() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    // 5,001 actions at 100, then the 5,002nd halves and is paid 50, then 3 more at 50.
    let res = suite.record(&[(&alice, 5_005)]).unwrap();
    assert_eq!(
        attr(&res, &suite.pool, "paid"),
        (5_001 * 100 + 4 * 50).to_string()
    );
    suite.assert_state(S - 500_300, 500_300, 1);
    suite.assert_claimable(&alice, 500_300);
    assert_eq!(suite.history(None, None)[0].balance, Uint128::new(499_900));
}

/// Pool at level 1 whose balance has fallen below T(2) while the cooldown runs. Returns the
/// suite and the time the cooldown ends.
fn below_t2_during_cooldown() -> (super::suite::Suite, cosmwasm_std::Timestamp) {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 5_002)]).unwrap();
    suite.assert_state(499_850, 500_150, 1);
    let cooldown_end = suite.now().plus_seconds(COOLDOWN);

    suite.advance_time(DAY);
    // 4,998 actions at 50 bring the balance to 249,950 < T(2) = 250,000.
    suite.record(&[(&alice, 4_998)]).unwrap();
    suite.assert_state(249_950, 750_050, 1);
    let state = suite.state();
    assert!(state.halving_pending);
    assert!(state.cooldown_active);
    assert_eq!(state.cooldown_end, Some(cooldown_end));
    (suite, cooldown_end)
}

#[test]
fn second_threshold_waits_for_the_cooldown() {
    let (mut suite, cooldown_end) = below_t2_during_cooldown();
    let bob = suite.addr("bob");

    // t − 1 s: still level 1, paid 50.
    suite.set_time(cooldown_end.minus_seconds(1));
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "50");
    suite.assert_state(249_900, 750_100, 1);
    assert!(suite.state().cooldown_active);

    // t: the first action at the cooldown end halves, paid 25.
    suite.set_time(cooldown_end);
    assert!(!suite.state().cooldown_active);
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "25");
    suite.assert_state(249_875, 750_125, 2);
    let state = suite.state();
    assert_eq!(state.last_halving, Some(cooldown_end));
    assert_eq!(
        state.cooldown_end,
        Some(cooldown_end.plus_seconds(COOLDOWN))
    );

    // t + 1 s: level 2 holds, no second halving (T(3) = 125,000 is far).
    suite.set_time(cooldown_end.plus_seconds(1));
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "25");
    suite.assert_state(249_850, 750_150, 2);
    assert_eq!(suite.history(None, None).len(), 2);
    suite.assert_claimable(&bob, 100);
}

#[test]
fn first_action_one_second_after_the_cooldown_halves() {
    let (mut suite, cooldown_end) = below_t2_during_cooldown();
    let bob = suite.addr("bob");
    suite.set_time(cooldown_end.plus_seconds(1));
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "25");
    suite.assert_state(249_925, 750_075, 2);
    assert_eq!(
        suite.state().last_halving,
        Some(cooldown_end.plus_seconds(1))
    );
}

#[test]
fn ad_fee_to_exactly_t_n_reverses_one_level_just_below_does_not() {
    let (mut suite, cooldown_end) = below_t2_during_cooldown();
    let bob = suite.addr("bob");
    suite.set_time(cooldown_end);
    suite.record(&[(&bob, 1)]).unwrap();
    suite.assert_state(249_925, 750_075, 2);

    // One base unit short of T(2) = 250,000: no reversal.
    let res = suite.ad_fee(74, "campaign-1").unwrap();
    assert!(custom_events(&res, "reversal").is_empty());
    assert_eq!(attr(&res, &suite.pool, "action"), "ad_fee");
    assert_eq!(attr(&res, &suite.pool, "campaign"), "campaign-1");
    suite.assert_state(249_999, 750_075, 2);

    // Exactly T(2): back to level 1, cooldown timer untouched.
    suite.advance_time(10);
    let res = suite.ad_fee(1, "campaign-2").unwrap();
    let reversals = custom_events(&res, "reversal");
    assert_eq!(reversals.len(), 1);
    assert_eq!(attr(&res, &suite.pool, "level_after"), "1");
    suite.assert_state(250_000, 750_075, 1);
    let state = suite.state();
    assert_eq!(state.last_halving, Some(cooldown_end));
    assert_eq!(state.current_reward, Uint128::new(R0 / 2));
    let history = suite.history(None, None);
    let last = history.last().unwrap();
    assert_eq!(last.kind, RateEventKind::Reversal);
    assert_eq!((last.from_level, last.to_level), (2, 1));
    assert_eq!(last.balance, Uint128::new(250_000));
    assert_eq!(last.time, suite.now());
    assert_eq!(suite.state().total_ad_fees, Uint128::new(75));
}

#[test]
fn large_ad_fee_reverses_several_levels_at_once() {
    // Cooldown 0 lets one batch take the pool down three levels.
    let mut suite = SuiteBuilder::new().cooldown(0).funded(100_000).build();
    let alice = suite.addr("alice");
    // 100,000 < T(1), T(2), T(3) = 125,000: one halving before each of the first three
    // actions, then 99,913 >= T(4) = 62,500 holds the level.
    let res = suite.record(&[(&alice, 4)]).unwrap();
    assert_eq!(
        attr(&res, &suite.pool, "paid"),
        (50 + 25 + 12 + 12).to_string()
    );
    assert_eq!(custom_events(&res, "halving").len(), 3);
    suite.assert_state(99_901, 99, 3);

    // 150,099 lifts the balance to exactly T(2) = 250,000: levels 3 → 2 → 1.
    let res = suite.ad_fee(150_099, "big").unwrap();
    assert_eq!(custom_events(&res, "reversal").len(), 2);
    suite.assert_state(250_000, 99, 1);

    // A fee to S reverses the last level.
    let res = suite.ad_fee(750_000, "bigger").unwrap();
    assert_eq!(custom_events(&res, "reversal").len(), 1);
    suite.assert_state(S, 99, 0);
    let kinds: Vec<_> = suite
        .history(None, None)
        .into_iter()
        .map(|e| (e.kind, e.from_level, e.to_level))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (RateEventKind::Halving, 0, 1),
            (RateEventKind::Halving, 1, 2),
            (RateEventKind::Halving, 2, 3),
            (RateEventKind::Reversal, 3, 2),
            (RateEventKind::Reversal, 2, 1),
            (RateEventKind::Reversal, 1, 0),
        ]
    );
}

#[test]
fn drained_pool_pays_the_remainder_then_zero() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (alice, bob) = (suite.addr("alice"), suite.addr("bob"));
    suite.record(&[(&alice, 5_002)]).unwrap();
    suite.ad_fee(30, "odd").unwrap();
    suite.assert_state(499_880, 500_150, 1);

    // 9,997 actions at 50 leave 30; the 9,998th gets those 30, 20 unpaid.
    let res = suite.record(&[(&bob, 9_998)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "499880");
    assert_eq!(attr(&res, &suite.pool, "unpaid"), "20");
    suite.assert_state(0, S + 30, 1);
    suite.assert_claimable(&bob, 499_880);

    // Empty pool: actions are recorded, nothing is paid, the shortfall is reported.
    let res = suite.record(&[(&bob, 2)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "paid"), "0");
    assert_eq!(attr(&res, &suite.pool, "unpaid"), "100");
    suite.assert_state(0, S + 30, 1);
    suite.assert_claimable(&bob, 499_880);

    // After the cooldown the empty pool halves again; the shortfall is at the new rate.
    suite.advance_time(COOLDOWN);
    let res = suite.record(&[(&bob, 1)]).unwrap();
    assert_eq!(attr(&res, &suite.pool, "unpaid"), "25");
    suite.assert_state(0, S + 30, 2);

    // Every owed unit is backed: both users claim everything.
    suite.claim(&alice, None).unwrap();
    suite.claim(&bob, None).unwrap();
    suite.assert_state(0, 0, 2);
    assert_eq!(suite.pool_tokens(), 0);
    assert_eq!(suite.token_balance(&suite.token, &alice), 500_150);
    assert_eq!(suite.token_balance(&suite.token, &bob), 499_880);
}

#[test]
fn huge_count_is_priced_in_closed_form() {
    // A per-unit loop over u64::MAX actions would never finish.
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    let res = suite.record(&[(&alice, u64::MAX)]).unwrap();
    // 5,001 actions at 100, then level 1 (cooldown blocks more) drains the remaining 499,900.
    let due = 5_001u128 * 100 + (u128::from(u64::MAX) - 5_001) * 50;
    assert_eq!(attr(&res, &suite.pool, "paid"), S.to_string());
    assert_eq!(attr(&res, &suite.pool, "unpaid"), (due - S).to_string());
    assert_eq!(attr(&res, &suite.pool, "actions"), u64::MAX.to_string());
    suite.assert_state(0, S, 1);
}

#[test]
fn huge_count_without_cooldown_halves_down_to_the_last_level() {
    let mut suite = SuiteBuilder::new().cooldown(0).funded(S).build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, u64::MAX)]).unwrap();
    // R0 = 100: R(6) = 1, R(7) = 0, so the pool stops at level 6 with everything paid.
    suite.assert_state(0, S, 6);
    let state = suite.state();
    assert_eq!(state.current_reward, Uint128::new(1));
    assert_eq!(state.next_halving_threshold, None);
    assert!(!state.halving_pending);
    assert_eq!(suite.history(None, Some(30)).len(), 6);
}

/// The worked example of the contract's README, step by step.
#[test]
fn readme_worked_example() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let alice = suite.addr("alice");
    let start = suite.now();
    suite.record(&[(&alice, 5_000)]).unwrap();
    suite.assert_state(500_000, 500_000, 0);
    suite.record(&[(&alice, 1)]).unwrap();
    suite.assert_state(499_900, 500_100, 0);
    suite.record(&[(&alice, 1)]).unwrap();
    suite.assert_state(499_850, 500_150, 1);
    suite.set_time(start.plus_seconds(DAY));
    suite.record(&[(&alice, 4_998)]).unwrap();
    suite.assert_state(249_950, 750_050, 1);
    suite.set_time(start.plus_seconds(COOLDOWN - 1));
    suite.record(&[(&alice, 1)]).unwrap();
    suite.assert_state(249_900, 750_100, 1);
    suite.set_time(start.plus_seconds(COOLDOWN));
    suite.record(&[(&alice, 1)]).unwrap();
    suite.assert_state(249_875, 750_125, 2);
    suite.ad_fee(99, "a").unwrap();
    suite.assert_state(249_974, 750_125, 2);
    suite.ad_fee(26, "b").unwrap();
    suite.assert_state(250_000, 750_125, 1);
    suite.ad_fee(250_000, "c").unwrap();
    suite.assert_state(500_000, 750_125, 0);
    assert_eq!(suite.state().current_reward, Uint128::new(R0));
}
