//! The recommended reversal margin for a demand, found on the contract's rules.
//!
//! The worst case for flapping: a halving n is reversed by a deposit that lifts the balance to
//! exactly T(n)·(1 + m), no cooldown is running, and demand then runs at λ actions per day. The
//! re-halving comes when the balance falls below T(n) again. The recommended margin is the
//! smallest m (whole basis points) for which that re-halving comes no sooner than one cooldown
//! after the reversal, so halvings and reversals cannot alternate faster than the cooldown allows
//! halvings alone. The closed form is m = λ·cooldown / A; this search runs the contract's code.

use cosmwasm_std::{Timestamp, Uint128};
use reward_pool::halving::{reversal_threshold, threshold, LevelChange};
use reward_pool::state::{Config, PoolState, MAX_HYSTERESIS_BPS};
use serde::Serialize;

use crate::closed_form::margin_bps_for;
use crate::engine::{saturate, take_whole, to_u64, DepositKind, Pool, GENESIS_SECONDS};
use crate::error::SimError;
use crate::scenario::{days_of, Resolved};

/// Steps of the search's clock per cooldown.
const STEPS_PER_COOLDOWN: u64 = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginAdvice {
    pub demand_per_day: f64,
    /// λ·cooldown / A.
    pub closed_form_bps: f64,
    /// The smallest margin found on the contract's rules; `None` when even 10,000 bps (100 %)
    /// does not keep a cooldown (demand at or above λ*).
    pub simulated_bps: Option<u16>,
    /// Days from the reversal to the re-halving at the recommended margin.
    pub gap_days: Option<f64>,
}

/// Seconds from a reversal of level 1 at exactly T(1)·(1 + m) to the next halving, at
/// `demand_per_day`; `None` when it comes a cooldown or more later.
fn gap_below_cooldown(config: &Config, demand_per_day: f64) -> Result<Option<u64>, SimError> {
    rehalving_gap(config, demand_per_day, config.halving_cooldown)
}

/// Seconds from a reversal of level 1 at exactly T(1)·(1 + m) to the next halving, at
/// `demand_per_day`, on a clock of cooldown / 20,000; `None` when it comes `limit` or later.
fn rehalving_gap(
    config: &Config,
    demand_per_day: f64,
    limit: u64,
) -> Result<Option<u64>, SimError> {
    let cooldown = config.halving_cooldown;
    let err = |err: reward_pool::ContractError| SimError::Rules {
        day: 0.0,
        reason: err.to_string(),
    };
    let target = saturate(reversal_threshold(config, 1).map_err(err)?);
    let below = threshold(config.reference_pool, 1).u128().saturating_sub(1);
    // Level 1 since a halving a cooldown ago, balance just below T(1); the deposit reverses it.
    let mut pool = Pool::new(config.clone());
    pool.state = PoolState {
        available: Uint128::new(below),
        level: 1,
        last_halving: Some(Timestamp::from_seconds(GENESIS_SECONDS)),
        ..PoolState::default()
    };
    let start = GENESIS_SECONDS.saturating_add(cooldown);
    let mut changes: Vec<LevelChange> = Vec::new();
    pool.deposit(
        DepositKind::AdFee,
        target.saturating_sub(below),
        &mut changes,
    )
    .map_err(err)?;
    if pool.state.level != 0 {
        return Err(SimError::Rules {
            day: 0.0,
            reason: "the deposit to T(1)·(1 + m) did not reverse level 1".into(),
        });
    }
    let step = (cooldown / STEPS_PER_COOLDOWN).max(1);
    let per_step = demand_per_day * days_of(step);
    let mut carry = 0.0f64;
    let mut elapsed = 0u64;
    while elapsed < limit {
        let count = to_u64(take_whole(per_step, &mut carry));
        if count > 0 {
            changes.clear();
            let now = Timestamp::from_seconds(start.saturating_add(elapsed));
            pool.act(count, now, &mut changes).map_err(err)?;
            if pool.state.level > 0 {
                return Ok(Some(elapsed));
            }
        }
        elapsed = elapsed.saturating_add(step);
    }
    Ok(None)
}

/// The smallest margin (bps) that keeps a re-halving one cooldown after a reversal at
/// `demand_per_day`, by bisection over the contract's rules.
pub fn recommended_margin(
    resolved: &Resolved,
    demand_per_day: f64,
) -> Result<MarginAdvice, SimError> {
    let with_margin = |bps: u16| Config {
        hysteresis_bps: bps,
        ..resolved.config.clone()
    };
    let closed_form_bps = margin_bps_for(resolved, demand_per_day);
    let mut advice = MarginAdvice {
        demand_per_day,
        closed_form_bps,
        simulated_bps: None,
        gap_days: None,
    };
    if resolved.config.halving_cooldown == 0 || demand_per_day <= 0.0 {
        advice.simulated_bps = Some(0);
        return Ok(advice);
    }
    if gap_below_cooldown(&with_margin(MAX_HYSTERESIS_BPS), demand_per_day)?.is_some() {
        return Ok(advice);
    }
    // Invariant: `high` keeps a cooldown, `low` does not (unless the answer is 0).
    let (mut low, mut high) = (0u16, MAX_HYSTERESIS_BPS);
    if gap_below_cooldown(&with_margin(0), demand_per_day)?.is_none() {
        high = 0;
    }
    while high.saturating_sub(low) > 1 {
        let mid = low.saturating_add(high.saturating_sub(low) / 2);
        if gap_below_cooldown(&with_margin(mid), demand_per_day)?.is_some() {
            low = mid;
        } else {
            high = mid;
        }
    }
    advice.simulated_bps = Some(high);
    advice.gap_days = Some(rehalving_days(&with_margin(high), demand_per_day)?);
    Ok(advice)
}

/// Days from the reversal to the re-halving (searching up to two cooldowns).
fn rehalving_days(config: &Config, demand_per_day: f64) -> Result<f64, SimError> {
    let limit = config.halving_cooldown.saturating_mul(2);
    Ok(rehalving_gap(config, demand_per_day, limit)?
        .map(days_of)
        .unwrap_or(f64::INFINITY))
}
