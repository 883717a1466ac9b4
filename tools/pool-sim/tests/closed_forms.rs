//! The simulator reproduces the three closed forms of the halving pool, and the figures of an
//! independent day-by-day model of the rules (a 30-line Python model written from the
//! specification, not from this code), within 1 %.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmwasm_std::{Timestamp, Uint128};
use pool_sim::closed_form::{actions_per_level, ClosedForms};
use pool_sim::engine::{self, DepositKind, EventKind, Pool, GENESIS_SECONDS};
use pool_sim::margin::recommended_margin;
use pool_sim::scenario::{Demand, PoolParams, Scenario, Tok};
use pool_sim::{project, Resolved};
use reward_pool::halving::{reversal_threshold, threshold};
use reward_pool::state::PoolState;

const DAY: u64 = 86_400;
const COOLDOWN: u64 = 14 * DAY;

/// The product's pool (S = 100 B TOK, R0 = 100 TOK, 14 days) under constant demand, no fees.
fn scenario(
    actions_per_day: f64,
    horizon_days: u32,
    step_seconds: u64,
    margin_bps: u16,
) -> Scenario {
    Scenario {
        name: "closed-form".into(),
        pool: PoolParams {
            decimals: 6,
            reference_pool: Tok::Text("100000000000".into()),
            base_reward: Tok::whole(100),
            halving_cooldown: COOLDOWN,
            hysteresis_bps: margin_bps,
            initial_funding: None,
        },
        demand: Demand {
            actions_per_day,
            growth_per_year: 0.0,
            noise: 0.0,
        },
        ad_fees: Default::default(),
        deposits: vec![],
        horizon_days,
        step_seconds,
        runs: 1,
        seed: 1,
    }
}

fn within(measured: f64, expected: f64, tolerance: f64) -> bool {
    ((measured - expected) / expected).abs() <= tolerance
}

#[test]
fn closed_forms_of_the_product_defaults() {
    let resolved = scenario(1_000_000.0, 10, DAY, 1_000).resolve().unwrap();
    let closed = ClosedForms::of(&resolved);
    assert_eq!(closed.actions_per_level, 5e8);
    let critical = closed.critical_demand_per_day.unwrap();
    assert!(within(critical, 35_714_285.7, 1e-6), "λ* = {critical}");
    assert_eq!(closed.levels, 26);
    assert!(within(closed.margin_for_peak_bps, 280.0, 1e-9));
    assert!(closed.warnings(&resolved).is_empty());
    // Above λ*, the warning comes first.
    let hot = scenario(40_000_000.0, 10, DAY, 1_000).resolve().unwrap();
    let warnings = ClosedForms::of(&hot).warnings(&hot);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("exceeds the critical demand")),
        "{warnings:?}"
    );
}

/// Every level lasts A = S / (2·R0) actions: 500 days at 1 M actions per day.
#[test]
fn every_level_lasts_a_actions() {
    let resolved = scenario(1_000_000.0, 2_600, DAY, 1_000).resolve().unwrap();
    let a = actions_per_level(&resolved);
    // Actions counted from the start to each halving, step by step.
    let mut actions_before_step = 0u128;
    let mut halving_at: Vec<u128> = vec![0];
    let mut last_level = 0;
    engine::run(&resolved, None, false, &mut |step, pool| {
        if pool.state.level > last_level {
            // The halving came inside this step: within one step of actions (0.2 % of A).
            halving_at.push(actions_before_step + u128::from(step.actions) / 2);
            last_level = pool.state.level;
        }
        actions_before_step += u128::from(step.actions);
    })
    .unwrap();
    assert!(
        halving_at.len() >= 6,
        "only {} halvings",
        halving_at.len() - 1
    );
    for pair in halving_at.windows(2) {
        let level_actions = (pair[1] - pair[0]) as f64;
        assert!(
            within(level_actions, a, 0.01),
            "a level lasted {level_actions} actions, A = {a}"
        );
    }
}

/// The cooldown binds above λ* = A / cooldown and not below: at 0.99·λ* every halving comes
/// within a step of the balance crossing its threshold; at 1.01·λ* halvings lag behind.
#[test]
fn the_cooldown_binds_above_the_critical_demand() {
    let base = scenario(1.0, 1, DAY, 1_000).resolve().unwrap();
    let critical = ClosedForms::of(&base).critical_demand_per_day.unwrap();
    let lag = |factor: f64| -> f64 {
        let resolved: Resolved = scenario(critical * factor, 160, 3_600, 1_000)
            .resolve()
            .unwrap();
        let out = project(&resolved).unwrap();
        let step_actions = critical * factor / 24.0;
        out.events
            .iter()
            .filter(|e| e.kind == EventKind::Halving)
            .map(|e| {
                // How far below T(n+1) the balance was, in steps of payouts at the old rate.
                let t = threshold(resolved.config.reference_pool, e.to_level).u128();
                let old_rate = 2.0 * e.reward as f64;
                (t.saturating_sub(e.balance)) as f64 / (old_rate * step_actions)
            })
            .fold(0.0, f64::max)
    };
    let below = lag(0.99);
    let above = lag(1.01);
    assert!(below <= 1.0, "below λ* a halving lagged {below} steps");
    assert!(
        above > 2.0,
        "above λ* the largest lag is only {above} steps"
    );
}

/// The independent model's figures: above λ* the pool runs dry at a high reward.
#[test]
fn running_dry_matches_the_independent_model() {
    // (actions per day, final level, day the balance ran out) from the day-by-day model.
    let model = [
        (30_000_000.0, 26, 496.0),
        (36_000_000.0, 15, 222.0),
        (40_000_000.0, 4, 61.0),
        (50_000_000.0, 2, 35.0),
    ];
    for (demand, level, dry_day) in model {
        let resolved = scenario(demand, 700, DAY, 1_000).resolve().unwrap();
        let out = project(&resolved).unwrap();
        let exhausted_at = out.exhausted_at.expect("runs dry");
        // The level in force when the first action went unpaid (the empty pool goes on halving
        // afterwards, once per cooldown, to the end of the schedule).
        let level_then = out
            .events
            .iter()
            .rfind(|e| e.time <= exhausted_at)
            .map_or(0, |e| e.to_level);
        assert_eq!(level_then, level, "level when dry at {demand}/day");
        let exhausted = exhausted_at as f64 / DAY as f64;
        assert!(
            within(exhausted, dry_day, 0.01),
            "at {demand}/day dry on day {exhausted}, the model says {dry_day}"
        );
    }
}

/// After a reversal with margin m the next halving comes m·A actions later.
#[test]
fn a_reversal_buys_m_times_a_actions() {
    for margin_bps in [100u16, 280, 1_000, 5_000] {
        let resolved = scenario(1_000_000.0, 1, DAY, margin_bps).resolve().unwrap();
        let a = actions_per_level(&resolved);
        let mut pool = Pool::new(resolved.config.clone());
        let below = threshold(resolved.config.reference_pool, 1).u128() - 1;
        pool.state = PoolState {
            available: Uint128::new(below),
            level: 1,
            last_halving: Some(Timestamp::from_seconds(GENESIS_SECONDS)),
            ..PoolState::default()
        };
        let target = Uint128::try_from(reversal_threshold(&resolved.config, 1).unwrap()).unwrap();
        let mut changes = vec![];
        pool.deposit(DepositKind::AdFee, target.u128() - below, &mut changes)
            .unwrap();
        assert_eq!(pool.state.level, 0, "the deposit reverses level 1");
        let now = Timestamp::from_seconds(GENESIS_SECONDS + COOLDOWN);
        let chunk = 10_000u64;
        let mut actions = 0u64;
        while pool.state.level == 0 {
            pool.act(chunk, now, &mut changes).unwrap();
            actions += chunk;
        }
        let expected = a * f64::from(margin_bps) / 10_000.0;
        assert!(
            within(actions as f64, expected, 0.01),
            "margin {margin_bps}: re-halving after {actions} actions, m·A = {expected}"
        );
    }
}

/// The recommended margin found on the contract's rules is λ·cooldown / A.
#[test]
fn the_recommended_margin_is_lambda_cooldown_over_a() {
    let resolved = scenario(1_000_000.0, 1, DAY, 1_000).resolve().unwrap();
    for (demand, expected) in [
        (1_000_000.0, 280u16),
        (5_000_000.0, 1_400),
        (10_000_000.0, 2_800),
    ] {
        let advice = recommended_margin(&resolved, demand).unwrap();
        let found = advice.simulated_bps.expect("a margin exists below λ*");
        assert!(
            within(f64::from(found), f64::from(expected), 0.01),
            "at {demand}/day the search found {found} bps, λ·cooldown/A = {expected}"
        );
        assert!(within(advice.closed_form_bps, f64::from(expected), 1e-9));
        let gap = advice.gap_days.unwrap();
        assert!(
            (14.0..14.2).contains(&gap),
            "re-halving {gap} days after the reversal"
        );
    }
    // At λ* and above no margin up to 100 % keeps a cooldown.
    let advice = recommended_margin(&resolved, 40_000_000.0).unwrap();
    assert_eq!(advice.simulated_bps, None);
}
