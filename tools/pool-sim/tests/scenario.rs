//! Scenario files, the Monte Carlo summary and the sweep.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pool_sim::engine::EventKind;
use pool_sim::scenario::Tok;
use pool_sim::sweep::{scaled, tornado, Parameter, TORNADO_POINTS};
use pool_sim::{monte_carlo, simulate, Scenario, SimError};

const DEFAULT: &str = include_str!("../scenarios/default.json");
const ABOVE_CRITICAL: &str = include_str!("../scenarios/above-critical.json");

fn small(runs: u32) -> Scenario {
    let mut scenario = Scenario::from_json(DEFAULT).unwrap();
    scenario.horizon_days = 400;
    scenario.runs = runs;
    // A pool a hundred times smaller, so levels pass within the horizon.
    scenario.pool.reference_pool = Tok::Text("1000000000".into());
    scenario.ad_fees.mean_per_day = Tok::Text("200000".into());
    scenario
}

#[test]
fn amounts_are_whole_tok_converted_exactly() {
    assert_eq!(Tok::Text("100".into()).base_units("x", 6), Ok(100_000_000));
    assert_eq!(Tok::Text("0.000001".into()).base_units("x", 6), Ok(1));
    assert_eq!(Tok::Text("1.5".into()).base_units("x", 6), Ok(1_500_000));
    assert_eq!(Tok::whole(7).base_units("x", 0), Ok(7));
    for bad in [
        "",
        "-1",
        "1e6",
        "0.0000001",
        "1.2.3",
        "abc",
        "340282366920938463463374607431768211456",
    ] {
        let err = Tok::Text(bad.into())
            .base_units("pool.base_reward", 6)
            .unwrap_err();
        assert!(
            matches!(&err, SimError::InvalidAmount { field, .. } if field == "pool.base_reward"),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn the_contract_refuses_what_the_simulator_refuses() {
    let mut scenario = Scenario::from_json(DEFAULT).unwrap();
    scenario.pool.base_reward = Tok::Text("200000000000".into());
    let err = scenario.resolve().unwrap_err();
    assert!(
        matches!(&err, SimError::InvalidPool { reason } if reason.contains("must be at least base_reward")),
        "{err:?}"
    );
    let mut scenario = Scenario::from_json(DEFAULT).unwrap();
    scenario.pool.hysteresis_bps = 10_001;
    assert!(matches!(
        scenario.resolve(),
        Err(SimError::InvalidPool { .. })
    ));
    let mut scenario = Scenario::from_json(DEFAULT).unwrap();
    scenario.step_seconds = 7_000;
    assert!(matches!(
        scenario.resolve(),
        Err(SimError::OutOfRange { field, .. }) if field == "step_seconds"
    ));
    let mut scenario = Scenario::from_json(DEFAULT).unwrap();
    scenario.demand.noise = f64::NAN;
    assert!(matches!(
        scenario.resolve(),
        Err(SimError::OutOfRange { field, .. }) if field == "demand.noise"
    ));
    let unknown = DEFAULT.replace("\"seed\"", "\"sede\"");
    assert!(
        matches!(Scenario::from_json(&unknown), Err(SimError::Parse { reason }) if reason.contains("sede"))
    );
}

#[test]
fn the_shipped_scenarios_resolve() {
    for text in [DEFAULT, ABOVE_CRITICAL] {
        let scenario = Scenario::from_json(text).unwrap();
        let resolved = scenario.resolve().unwrap();
        assert_eq!(
            resolved.config.reference_pool.u128(),
            100_000_000_000_000_000
        );
        assert_eq!(resolved.config.base_reward.u128(), 100_000_000);
        assert_eq!(resolved.runs, 1_000);
    }
}

/// Runs have their own random streams: any split of the range gives the same outcomes, and the
/// same seed gives the same report.
#[test]
fn monte_carlo_is_reproducible_and_split_independent() {
    let resolved = small(12).resolve().unwrap();
    let whole = monte_carlo(&resolved, 0..12, &mut || {}).unwrap();
    let mut split = monte_carlo(&resolved, 0..5, &mut || {}).unwrap();
    split.extend(monte_carlo(&resolved, 5..12, &mut || {}).unwrap());
    assert_eq!(whole, split);
    assert_ne!(whole[0], whole[1], "two runs drew the same world");
    let mut calls = 0;
    let first = simulate(&small(12), &mut |done, total| {
        calls += 1;
        assert_eq!(total, 12);
        assert_eq!(done, calls);
    })
    .unwrap();
    assert_eq!(calls, 12);
    assert_eq!(first, simulate(&small(12), &mut |_, _| {}).unwrap());
}

#[test]
fn the_report_is_consistent() {
    let report = simulate(&small(40), &mut |_, _| {}).unwrap();
    assert_eq!(report.runs, 40);
    assert!(
        report.warnings.iter().all(|w| !w.contains("invariant")),
        "{:?}",
        report.warnings
    );
    assert!(!report.halvings.is_empty(), "no halving within the horizon");
    for h in &report.halvings {
        let day = h.day.unwrap();
        assert!(day.p10 <= day.p50 && day.p50 <= day.p90, "{h:?}");
        assert!(h.probability > 0.0 && h.probability <= 1.0);
        assert!(h.reversal_threshold > 0.0);
    }
    // Deeper levels are reached later and by no more runs.
    for pair in report.halvings.windows(2) {
        assert!(pair[1].probability <= pair[0].probability);
    }
    let m = &report.money;
    assert!(m.paid.p50 <= m.deposited.p50);
    assert_eq!(report.band.len(), 400);
    for b in &report.band {
        assert!(b.reward.p10 <= b.reward.p50 && b.reward.p50 <= b.reward.p90);
    }
    // The projection keeps every day and its events are the halvings and reversals it made.
    assert_eq!(report.projection.days.len(), 400);
    let halvings = report
        .projection
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Halving)
        .count();
    let reversals = report.projection.events.len() - halvings;
    let last = report.projection.days.last().unwrap();
    assert_eq!(u32::try_from(halvings - reversals).unwrap(), last.level);
}

#[test]
fn the_above_critical_scenario_runs_dry_in_every_run() {
    let mut scenario = Scenario::from_json(ABOVE_CRITICAL).unwrap();
    scenario.runs = 30;
    let report = simulate(&scenario, &mut |_, _| {}).unwrap();
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("critical demand")));
    assert_eq!(report.exhaustion.probability, 1.0);
    let day = report.exhaustion.day.unwrap();
    assert!(day.p50 > 50.0 && day.p50 < 75.0, "{day:?}");
    assert!(report.projection.exhausted_day.is_some());
}

#[test]
fn the_tornado_moves_one_parameter_at_a_time() {
    let resolved = small(1).resolve().unwrap();
    let half = scaled(&resolved, Parameter::ReferencePool, 0.5).unwrap();
    assert_eq!(
        half.config.reference_pool.u128() * 2,
        resolved.config.reference_pool.u128()
    );
    assert_eq!(
        half.initial_funding,
        half.config.reference_pool.u128(),
        "funding follows S"
    );
    assert_eq!(half.config.base_reward, resolved.config.base_reward);
    let more = scaled(&resolved, Parameter::Margin, 1.5).unwrap();
    assert_eq!(more.config.hysteresis_bps, 1_500);
    let mut points = 0;
    let t = tornado(&resolved, 6, &mut |variant, runs| {
        points += 1;
        monte_carlo(variant, 0..runs, &mut || {})
    })
    .unwrap();
    assert_eq!(points, TORNADO_POINTS);
    assert_eq!(t.bars.len(), 6);
    for pair in t.bars.windows(2) {
        assert!((pair[0].high - pair[0].low).abs() >= (pair[1].high - pair[1].low).abs());
    }
    // More demand pays out more over the horizon.
    let demand = t.bars.iter().find(|b| b.parameter == "demand").unwrap();
    assert!(demand.high > demand.low, "{demand:?}");
}
