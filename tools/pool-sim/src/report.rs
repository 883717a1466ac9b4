//! Monte Carlo summary of a scenario: percentiles over runs, the P10–P90 band, closed forms and
//! warnings. Everything here is data; the command line writes it out.

use serde::Serialize;

use crate::closed_form::ClosedForms;
use crate::engine::{saturate, DayPoint, Event, RunOutcome};
use crate::scenario::{days_of, Resolved, Scenario, DAYS_PER_YEAR};

/// P10, P50 and P90 of a sample (linear interpolation between order statistics).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl Percentiles {
    /// `None` for an empty sample.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        Some(Percentiles {
            p10: quantile(&sorted, 0.1),
            p50: quantile(&sorted, 0.5),
            p90: quantile(&sorted, 0.9),
        })
    }
}

/// Quantile `q` of sorted, non-empty `sorted` (the "type 7" definition of R and NumPy).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let position = q.clamp(0.0, 1.0) * last as f64;
    let lower = position.floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let index = lower as usize; // 0 ..= last
    let below = sorted.get(index).copied().unwrap_or(f64::NAN);
    let above = sorted
        .get(index.saturating_add(1))
        .copied()
        .unwrap_or(below);
    below + (above - below) * (position - lower)
}

/// When the pool first reached a level, over the runs that reached it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HalvingDates {
    pub level: u32,
    /// Reward per action at this level, TOK.
    pub reward: f64,
    /// Share of runs that reached the level within the horizon.
    pub probability: f64,
    /// Days from the start (over the runs that reached it).
    pub day: Option<Percentiles>,
    /// The deposit that reverses the level right after the halving into it, TOK.
    pub reversing_deposit: Option<Percentiles>,
    /// Balance at which the level reverses, T(n)·(1 + m), TOK.
    pub reversal_threshold: f64,
}

/// Running dry: the first action not paid in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exhaustion {
    pub probability: f64,
    pub day: Option<Percentiles>,
}

/// Level changes per year and the most in any 30 days (flapping).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flapping {
    pub halvings_per_year: Percentiles,
    pub reversals_per_year: Percentiles,
    pub max_halvings_in_30_days: Percentiles,
    pub max_reversals_in_30_days: Percentiles,
    /// The most halvings any run had in 30 days.
    pub worst_halvings_in_30_days: u32,
    pub worst_reversals_in_30_days: u32,
}

/// TOK over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    pub paid: Percentiles,
    pub deposited: Percentiles,
    pub unpaid: Percentiles,
    /// Paid ÷ deposited.
    pub paid_share_of_deposits: Percentiles,
    /// Most TOK paid in one day: the reporters' caps together must allow it.
    pub peak_daily_paid: Percentiles,
    /// Balance and level at the horizon.
    pub final_balance: Percentiles,
    pub final_level: Percentiles,
    pub final_reward: Percentiles,
}

/// One day of the P10–P90 band over runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandPoint {
    pub day: u32,
    pub reward: Percentiles,
    pub available: Percentiles,
}

/// The projection: expected demand and fees, no noise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    pub days: Vec<DayPoint>,
    pub events: Vec<Event>,
    pub exhausted_day: Option<f64>,
}

/// Everything one scenario produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    pub closed_forms: ClosedForms,
    pub warnings: Vec<String>,
    pub runs: u32,
    pub projection: Projection,
    pub halvings: Vec<HalvingDates>,
    pub exhaustion: Exhaustion,
    pub flapping: Flapping,
    pub money: Money,
    pub band: Vec<BandPoint>,
}

/// Percentiles of `values`, zeros for none.
pub(crate) fn pct(values: impl Iterator<Item = f64>) -> Percentiles {
    let values: Vec<f64> = values.collect();
    Percentiles::of(&values).unwrap_or(Percentiles {
        p10: 0.0,
        p50: 0.0,
        p90: 0.0,
    })
}

impl Report {
    /// Summarises the projection and the Monte Carlo runs of `resolved`.
    pub fn assemble(
        scenario: &Scenario,
        resolved: &Resolved,
        projection: RunOutcome,
        runs: &[RunOutcome],
    ) -> Self {
        let closed_forms = ClosedForms::of(resolved);
        let mut warnings = closed_forms.warnings(resolved);
        let count = runs.len().max(1) as f64;
        let tok = |base: u128| resolved.tok(base);
        let years = f64::from(resolved.horizon_days) / DAYS_PER_YEAR;

        let deepest = runs
            .iter()
            .map(|run| run.level_reached.len())
            .max()
            .unwrap_or(1);
        let halvings = (1..deepest)
            .map(|level| {
                let reached: Vec<&RunOutcome> = runs
                    .iter()
                    .filter(|run| run.level_reached.len() > level)
                    .collect();
                let days: Vec<f64> = reached
                    .iter()
                    .filter_map(|run| run.level_reached.get(level).copied().map(days_of))
                    .collect();
                let deposits: Vec<f64> = reached
                    .iter()
                    .filter_map(|run| {
                        run.reverse_deposit
                            .get(level.saturating_sub(1))
                            .copied()
                            .map(tok)
                    })
                    .collect();
                let level = u32::try_from(level).unwrap_or(u32::MAX);
                HalvingDates {
                    level,
                    reward: tok(
                        reward_pool::halving::reward(resolved.config.base_reward, level).u128(),
                    ),
                    probability: reached.len() as f64 / count,
                    day: Percentiles::of(&days),
                    reversing_deposit: Percentiles::of(&deposits),
                    reversal_threshold: reward_pool::halving::reversal_threshold(
                        &resolved.config,
                        level,
                    )
                    .map(|t| resolved.tok(saturate(t)))
                    .unwrap_or(f64::NAN),
                }
            })
            .collect();

        let exhausted: Vec<f64> = runs
            .iter()
            .filter_map(|run| run.exhausted_at.map(days_of))
            .collect();
        let exhaustion = Exhaustion {
            probability: exhausted.len() as f64 / count,
            day: Percentiles::of(&exhausted),
        };
        if exhaustion.probability > 0.0 {
            warnings.push(format!(
                "the pool runs dry in {:.1} % of runs (median day {:.0})",
                exhaustion.probability * 100.0,
                exhaustion.day.map(|d| d.p50).unwrap_or(f64::NAN)
            ));
        }
        let breaches: u64 = runs.iter().map(|run| run.invariant_breaches).sum::<u64>()
            + projection.invariant_breaches;
        if breaches > 0 {
            warnings.push(format!(
                "invariant broken after {breaches} steps: deposits ≠ available + owed"
            ));
        }

        let flapping = Flapping {
            halvings_per_year: pct(runs.iter().map(|run| f64::from(run.halvings) / years)),
            reversals_per_year: pct(runs.iter().map(|run| f64::from(run.reversals) / years)),
            max_halvings_in_30_days: pct(runs.iter().map(|run| f64::from(run.max_halvings_30d))),
            max_reversals_in_30_days: pct(runs.iter().map(|run| f64::from(run.max_reversals_30d))),
            worst_halvings_in_30_days: runs
                .iter()
                .map(|run| run.max_halvings_30d)
                .max()
                .unwrap_or(0),
            worst_reversals_in_30_days: runs
                .iter()
                .map(|run| run.max_reversals_30d)
                .max()
                .unwrap_or(0),
        };

        let money = Money {
            paid: pct(runs.iter().map(|run| tok(run.paid))),
            deposited: pct(runs.iter().map(|run| tok(run.deposited))),
            unpaid: pct(runs.iter().map(|run| tok(run.unpaid))),
            paid_share_of_deposits: pct(runs.iter().map(|run| {
                if run.deposited == 0 {
                    0.0
                } else {
                    run.paid as f64 / run.deposited as f64
                }
            })),
            peak_daily_paid: pct(runs.iter().map(|run| tok(run.peak_daily_paid))),
            final_balance: pct(runs
                .iter()
                .filter_map(|run| run.final_point())
                .map(|p| tok(p.available))),
            final_level: pct(runs
                .iter()
                .filter_map(|run| run.final_point())
                .map(|p| f64::from(p.level))),
            final_reward: pct(runs
                .iter()
                .filter_map(|run| run.final_point())
                .map(|p| tok(p.reward))),
        };

        let band = band(runs);
        Report {
            scenario: scenario.clone(),
            closed_forms,
            warnings,
            runs: u32::try_from(runs.len()).unwrap_or(u32::MAX),
            projection: Projection {
                exhausted_day: projection.exhausted_at.map(days_of),
                days: projection.days,
                events: projection.events,
            },
            halvings,
            exhaustion,
            flapping,
            money,
            band,
        }
    }
}

/// P10/P50/P90 of reward per action and balance for each day, over the runs.
fn band(runs: &[RunOutcome]) -> Vec<BandPoint> {
    let days = runs.iter().map(|run| run.daily.len()).min().unwrap_or(0);
    let mut rewards = Vec::with_capacity(runs.len());
    let mut balances = Vec::with_capacity(runs.len());
    (0..days)
        .filter_map(|index| {
            rewards.clear();
            balances.clear();
            for run in runs {
                if let Some([reward, available]) = run.daily.get(index) {
                    rewards.push(*reward);
                    balances.push(*available);
                }
            }
            Some(BandPoint {
                day: u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX),
                reward: Percentiles::of(&rewards)?,
                available: Percentiles::of(&balances)?,
            })
        })
        .collect()
}
