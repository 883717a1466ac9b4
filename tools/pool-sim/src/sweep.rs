//! The ±50 % tornado: each parameter alone at half and at one and a half times its value, the
//! same random streams for every point (common random numbers), one figure compared.

use cosmwasm_std::Uint128;
use reward_pool::state::MAX_HYSTERESIS_BPS;
use serde::Serialize;

use crate::engine::RunOutcome;
use crate::error::SimError;
use crate::report::{pct, Percentiles};
use crate::scenario::{days_of, Resolved};

/// The parameters a tornado moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameter {
    /// S (and the initial funding when it defaults to S).
    ReferencePool,
    /// R0.
    BaseReward,
    Cooldown,
    Margin,
    Demand,
    AdFees,
}

impl Parameter {
    pub const ALL: [Parameter; 6] = [
        Parameter::ReferencePool,
        Parameter::BaseReward,
        Parameter::Cooldown,
        Parameter::Margin,
        Parameter::Demand,
        Parameter::AdFees,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Parameter::ReferencePool => "S",
            Parameter::BaseReward => "R0",
            Parameter::Cooldown => "cooldown",
            Parameter::Margin => "margin",
            Parameter::Demand => "demand",
            Parameter::AdFees => "ad fees",
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn scale_u128(value: u128, factor: f64) -> u128 {
    (value as f64 * factor).round().max(0.0) as u128
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn scale_u64(value: u64, factor: f64) -> u64 {
    (value as f64 * factor).round().max(0.0) as u64
}

/// `resolved` with one parameter times `factor`, checked by the contract's `Config::validate`.
pub fn scaled(
    resolved: &Resolved,
    parameter: Parameter,
    factor: f64,
) -> Result<Resolved, SimError> {
    let mut out = resolved.clone();
    let config = &mut out.config;
    match parameter {
        Parameter::ReferencePool => {
            config.reference_pool = Uint128::new(scale_u128(config.reference_pool.u128(), factor));
            if out.funding_follows_s {
                out.initial_funding = config.reference_pool.u128();
            }
        }
        Parameter::BaseReward => {
            config.base_reward = Uint128::new(scale_u128(config.base_reward.u128(), factor));
        }
        Parameter::Cooldown => {
            config.halving_cooldown = scale_u64(config.halving_cooldown, factor);
        }
        Parameter::Margin => {
            let bps = scale_u64(u64::from(config.hysteresis_bps), factor)
                .min(u64::from(MAX_HYSTERESIS_BPS));
            config.hysteresis_bps = u16::try_from(bps).unwrap_or(MAX_HYSTERESIS_BPS);
        }
        Parameter::Demand => out.demand.actions_per_day *= factor,
        Parameter::AdFees => out.fee_mean_per_day *= factor,
    }
    out.config.validate().map_err(|err| SimError::InvalidPool {
        reason: err.to_string(),
    })?;
    Ok(out)
}

/// What the tornado compares: the median TOK paid to users over the horizon, with two more
/// figures of the same runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    pub paid: Percentiles,
    pub exhaustion_probability: f64,
    pub final_reward: Percentiles,
}

impl SweepPoint {
    pub fn of(resolved: &Resolved, runs: &[RunOutcome]) -> Self {
        let count = runs.len().max(1) as f64;
        SweepPoint {
            paid: pct(runs.iter().map(|run| resolved.tok(run.paid))),
            exhaustion_probability: runs.iter().filter(|run| run.exhausted_at.is_some()).count()
                as f64
                / count,
            final_reward: pct(runs.iter().map(|run| {
                run.final_point()
                    .map(|point| resolved.tok(point.reward))
                    .unwrap_or(0.0)
            })),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TornadoBar {
    pub parameter: String,
    /// The parameter's value at −50 % and +50 %, as text.
    pub low_label: String,
    pub high_label: String,
    /// The compared figure at −50 % and +50 %.
    pub low: f64,
    pub high: f64,
    pub low_point: SweepPoint,
    pub high_point: SweepPoint,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tornado {
    /// What `low`, `high` and `base` measure.
    pub kpi: String,
    pub base: f64,
    pub base_point: SweepPoint,
    pub runs: u32,
    /// Widest swing first.
    pub bars: Vec<TornadoBar>,
    /// Points the contract would refuse (e.g. S below R0), with the reason.
    pub skipped: Vec<String>,
}

fn value_label(resolved: &Resolved, parameter: Parameter) -> String {
    let c = &resolved.config;
    match parameter {
        Parameter::ReferencePool => {
            crate::closed_form::group(resolved.tok(c.reference_pool.u128()))
        }
        Parameter::BaseReward => crate::closed_form::group(resolved.tok(c.base_reward.u128())),
        Parameter::Cooldown => format!("{:.1} d", days_of(c.halving_cooldown)),
        Parameter::Margin => format!("{} bps", c.hysteresis_bps),
        Parameter::Demand => format!(
            "{}/d",
            crate::closed_form::group(resolved.demand.actions_per_day)
        ),
        Parameter::AdFees => format!(
            "{}/d",
            crate::closed_form::group(resolved.fee_mean_per_day / resolved.unit())
        ),
    }
}

/// Computes the Monte Carlo runs of one sweep point.
pub type RunPoint<'a> = dyn FnMut(&Resolved, u32) -> Result<Vec<RunOutcome>, SimError> + 'a;

/// The tornado of `resolved` over `runs` runs per point: 1 + 2 × 6 points.
/// `run_points` computes the runs of one point (the command line spreads them over threads).
pub fn tornado(
    resolved: &Resolved,
    runs: u32,
    run_points: &mut RunPoint<'_>,
) -> Result<Tornado, SimError> {
    let base_point = SweepPoint::of(resolved, &run_points(resolved, runs)?);
    let mut bars = Vec::new();
    let mut skipped = Vec::new();
    for parameter in Parameter::ALL {
        let mut points = Vec::with_capacity(2);
        for factor in [0.5, 1.5] {
            match scaled(resolved, parameter, factor) {
                Ok(variant) => {
                    let point = SweepPoint::of(&variant, &run_points(&variant, runs)?);
                    points.push((value_label(&variant, parameter), point));
                }
                Err(err) => skipped.push(format!("{} ×{factor}: {err}", parameter.label())),
            }
        }
        if let [(low_label, low_point), (high_label, high_point)] = points.as_slice() {
            bars.push(TornadoBar {
                parameter: parameter.label().to_string(),
                low_label: low_label.clone(),
                high_label: high_label.clone(),
                low: low_point.paid.p50,
                high: high_point.paid.p50,
                low_point: low_point.clone(),
                high_point: high_point.clone(),
            });
        }
    }
    bars.sort_by(|a, b| {
        let swing = |bar: &TornadoBar| (bar.high - bar.low).abs();
        swing(b).total_cmp(&swing(a))
    });
    Ok(Tornado {
        kpi: "TOK paid over the horizon (P50)".to_string(),
        base: base_point.paid.p50,
        base_point,
        runs,
        bars,
        skipped,
    })
}

/// The number of point evaluations a tornado makes (for progress bars).
pub const TORNADO_POINTS: u32 = 1 + 2 * 6;
