//! The three closed forms of the halving pool, printed before any run.
//!
//! With T(n) = S >> n and R(n) = R0 >> n:
//! - every level pays T(n) − T(n+1) = S / 2^(n+1) at R0 / 2^n, so it lasts the same number of
//!   actions, **A = S / (2·R0)**;
//! - a level lasts A / λ days at λ actions per day, so the cooldown binds above the **critical
//!   demand λ\* = A / cooldown**: halvings lag, the balance falls through several thresholds and
//!   the pool runs dry at a high reward;
//! - after a reversal with margin m the balance is T(n)·(1 + m) and the next halving comes when it
//!   falls below T(n) again, **m·A actions later**, so a margin m ≥ λ·cooldown / A keeps a
//!   re-halving at least one cooldown after the reversal.

use serde::Serialize;

use crate::scenario::{days_of, Resolved};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClosedForms {
    /// A = S / (2·R0): actions per level, every level.
    pub actions_per_level: f64,
    /// λ* = A / cooldown, actions per day (`None`: no cooldown, it never binds).
    pub critical_demand_per_day: Option<f64>,
    /// Expected demand at the start and its highest value over the horizon, actions per day.
    pub start_demand_per_day: f64,
    pub peak_demand_per_day: f64,
    /// Days a level lasts at the start's demand (A / λ).
    pub level_days_at_start: Option<f64>,
    /// Halvings the schedule has before R(n) reaches zero.
    pub levels: u32,
    /// λ_peak · cooldown / A, in basis points: the smallest margin that keeps re-halvings a
    /// cooldown after reversals at peak demand.
    pub margin_for_peak_bps: f64,
}

/// A = S / (2·R0).
pub fn actions_per_level(resolved: &Resolved) -> f64 {
    resolved.config.reference_pool.u128() as f64 / (2.0 * resolved.config.base_reward.u128() as f64)
}

/// λ·cooldown / A in basis points.
pub fn margin_bps_for(resolved: &Resolved, demand_per_day: f64) -> f64 {
    demand_per_day * days_of(resolved.config.halving_cooldown) / actions_per_level(resolved)
        * 10_000.0
}

impl ClosedForms {
    pub fn of(resolved: &Resolved) -> Self {
        let a = actions_per_level(resolved);
        let cooldown_days = days_of(resolved.config.halving_cooldown);
        let start = resolved.demand_at(0);
        let peak = resolved.peak_demand();
        let base = resolved.config.base_reward.u128();
        ClosedForms {
            actions_per_level: a,
            critical_demand_per_day: (cooldown_days > 0.0).then(|| a / cooldown_days),
            start_demand_per_day: start,
            peak_demand_per_day: peak,
            level_days_at_start: (start > 0.0).then(|| a / start),
            levels: 127u32.saturating_sub(base.leading_zeros()),
            margin_for_peak_bps: margin_bps_for(resolved, peak),
        }
    }

    /// What a deployer must read before the figures.
    pub fn warnings(&self, resolved: &Resolved) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(critical) = self.critical_demand_per_day {
            if self.peak_demand_per_day > critical {
                warnings.push(format!(
                    "peak demand {} actions/day exceeds the critical demand λ* = {} actions/day: \
                     the cooldown holds halvings back, the balance falls through several \
                     thresholds and the pool runs dry at a high reward",
                    group(self.peak_demand_per_day),
                    group(critical)
                ));
            }
        }
        let margin = f64::from(resolved.config.hysteresis_bps);
        if self.margin_for_peak_bps <= 10_000.0 && margin < self.margin_for_peak_bps {
            warnings.push(format!(
                "margin {margin} bps is below λ·cooldown/A = {:.0} bps at peak demand: after a \
                 reversal the next halving can come within one cooldown",
                self.margin_for_peak_bps.ceil()
            ));
        }
        warnings
    }
}

/// A number with thousands separators (no fraction at and above 100).
pub fn group(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value.abs() < 100.0 {
        return format!("{value:.2}");
    }
    let text = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (index, ch) in text.chars().enumerate() {
        if index > 0 && (text.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if value < 0.0 {
        out.insert(0, '-');
    }
    out
}
