//! The level rule in closed form. Pure functions over the pool state: no storage access.
//!
//! With n halvings in force the threshold is T(n) = S >> n and the reward R(n) = R0 >> n.
//! Before each single action: if available < T(n+1), the cooldown since the last halving has
//! passed (or there was none) and R(n+1) >= 1, then n := n + 1. On every deposit: while n > 0
//! and available >= T(n) · (1 + margin), n := n − 1.

use cosmwasm_std::{Timestamp, Uint128, Uint256};
use cube_types::reward_pool::RateEventKind;

use crate::error::ContractError;
use crate::state::{Config, PoolState};

/// The highest reachable level: R0 >> 128 is zero for every u128 R0.
pub const MAX_LEVEL: u32 = 127;
/// Bound on the segments of one entry: each segment but the last ends with a halving.
const MAX_SEGMENTS: u32 = MAX_LEVEL + 2;
const BPS_DENOMINATOR: u128 = 10_000;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// T(n) = S >> n (zero from n = 128 on).
pub fn threshold(reference_pool: Uint128, level: u32) -> Uint128 {
    reference_pool.checked_shr(level).unwrap_or_default()
}

/// R(n) = R0 >> n (zero from n = 128 on).
pub fn reward(base_reward: Uint128, level: u32) -> Uint128 {
    base_reward.checked_shr(level).unwrap_or_default()
}

/// A change of level, to be recorded in the rate history.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelChange {
    pub kind: RateEventKind,
    pub from_level: u32,
    pub to_level: u32,
    /// Available balance at the change.
    pub balance: Uint128,
    /// Reward per action after the change.
    pub reward: Uint128,
}

/// What an entry (or a batch) was paid.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Payment {
    /// Credited to the user.
    pub paid: Uint128,
    /// Shortfall: what the actions were due at their rate minus what the pool could pay.
    pub unpaid: Uint256,
}

/// End of the cooldown started by the last halving, if any (`None` also if it would not fit a
/// timestamp, which `Config::validate` rules out).
pub fn cooldown_end(config: &Config, pool: &PoolState) -> Option<Timestamp> {
    let last = pool.last_halving?;
    let cooldown_nanos = config.halving_cooldown.checked_mul(NANOS_PER_SECOND)?;
    last.nanos()
        .checked_add(cooldown_nanos)
        .map(Timestamp::from_nanos)
}

/// True when no cooldown blocks a halving at `now`: there was no halving, or
/// `now >= last_halving + halving_cooldown`.
pub fn cooldown_over(config: &Config, pool: &PoolState, now: Timestamp) -> bool {
    match pool.last_halving {
        None => true,
        Some(_) => cooldown_end(config, pool).is_some_and(|end| now >= end),
    }
}

/// The threshold below which the next halving happens, or `None` when R(n+1) would be zero.
pub fn next_halving_threshold(config: &Config, level: u32) -> Option<Uint128> {
    let next = level.checked_add(1)?;
    if next > MAX_LEVEL || reward(config.base_reward, next).is_zero() {
        return None;
    }
    Some(threshold(config.reference_pool, next))
}

/// Evaluates the halving condition once, before an action; halves at most one level.
fn maybe_halve(
    config: &Config,
    pool: &mut PoolState,
    now: Timestamp,
    changes: &mut Vec<LevelChange>,
) -> Result<(), ContractError> {
    let Some(next_threshold) = next_halving_threshold(config, pool.level) else {
        return Ok(());
    };
    if pool.available < next_threshold && cooldown_over(config, pool, now) {
        let from_level = pool.level;
        pool.level = from_level
            .checked_add(1)
            .ok_or(ContractError::LevelBoundExceeded)?;
        pool.last_halving = Some(now);
        changes.push(LevelChange {
            kind: RateEventKind::Halving,
            from_level,
            to_level: pool.level,
            balance: pool.available,
            reward: reward(config.base_reward, pool.level),
        });
    }
    Ok(())
}

/// Pays `count` actions one after the other, in closed form: the entry is cut into segments of
/// actions paid at one rate, and each segment but the last ends where the next action would
/// trigger a halving. The work is bounded by the number of levels, never by `count`.
pub fn pay_actions(
    config: &Config,
    pool: &mut PoolState,
    now: Timestamp,
    count: u64,
    changes: &mut Vec<LevelChange>,
) -> Result<Payment, ContractError> {
    let mut remaining = count;
    let mut payment = Payment::default();
    for _ in 0..MAX_SEGMENTS {
        if remaining == 0 {
            return Ok(payment);
        }
        maybe_halve(config, pool, now, changes)?;
        let rate = reward(config.base_reward, pool.level);
        // Number of actions paid at `rate` before the level would change.
        let segment = match next_halving_threshold(config, pool.level) {
            Some(next_threshold) if cooldown_over(config, pool, now) => {
                match pool.available.checked_sub(next_threshold) {
                    // Actions j = 0, 1, … are paid while available − j·rate >= T(n+1): the first
                    // always (the condition was just evaluated), then floor((B − T) / r) more.
                    Ok(headroom) if !rate.is_zero() => {
                        let extra = headroom.checked_div(rate)?;
                        let extra = u64::try_from(extra.u128()).unwrap_or(u64::MAX);
                        extra.saturating_add(1).min(remaining)
                    }
                    _ => 1,
                }
            }
            _ => remaining,
        };
        let due = Uint256::from(rate).checked_mul(Uint256::from(segment))?;
        let paid = if due > Uint256::from(pool.available) {
            pool.available
        } else {
            Uint128::try_from(due).map_err(|_| ContractError::LevelBoundExceeded)?
        };
        pool.available = pool.available.checked_sub(paid)?;
        payment.paid = payment.paid.checked_add(paid)?;
        payment.unpaid = payment
            .unpaid
            .checked_add(due.checked_sub(Uint256::from(paid))?)?;
        remaining = remaining
            .checked_sub(segment)
            .ok_or(ContractError::LevelBoundExceeded)?;
    }
    if remaining == 0 {
        Ok(payment)
    } else {
        Err(ContractError::LevelBoundExceeded)
    }
}

/// T(level) · (10,000 + margin_bps): the reversal threshold scaled by 10,000, exact.
fn scaled_reversal_threshold(config: &Config, level: u32) -> Result<Uint256, ContractError> {
    let base = Uint256::from(threshold(config.reference_pool, level));
    let factor = Uint256::from(BPS_DENOMINATOR + u128::from(config.hysteresis_bps));
    Ok(base.checked_mul(factor)?)
}

/// Smallest balance that reverses level `level`: T(level) · (1 + margin_bps / 10,000), rounded
/// up (the comparison itself is exact).
pub fn reversal_threshold(config: &Config, level: u32) -> Result<Uint256, ContractError> {
    let scaled = scaled_reversal_threshold(config, level)?;
    let denominator = Uint256::from(BPS_DENOMINATOR);
    let floor = scaled.checked_div(denominator)?;
    if floor.checked_mul(denominator)? == scaled {
        Ok(floor)
    } else {
        Ok(floor.checked_add(Uint256::one())?)
    }
}

/// True when `available >= T(level) · (1 + margin_bps / 10,000)`, compared exactly.
fn reversal_reached(config: &Config, pool: &PoolState) -> Result<bool, ContractError> {
    let scaled_available =
        Uint256::from(pool.available).checked_mul(Uint256::from(BPS_DENOMINATOR))?;
    Ok(scaled_available >= scaled_reversal_threshold(config, pool.level)?)
}

/// A deposit: credits `amount` to the available balance, then reverses halvings while the
/// balance allows. The deposit hook and `Reconcile` run it; so does the pool simulator.
pub fn credit_deposit(
    config: &Config,
    pool: &mut PoolState,
    amount: Uint128,
    changes: &mut Vec<LevelChange>,
) -> Result<(), ContractError> {
    pool.available = pool.available.checked_add(amount)?;
    apply_reversals(config, pool, changes)
}

/// Reverses halvings while the balance allows; several levels at once if it does. Does not
/// touch the cooldown timer.
pub fn apply_reversals(
    config: &Config,
    pool: &mut PoolState,
    changes: &mut Vec<LevelChange>,
) -> Result<(), ContractError> {
    for _ in 0..=MAX_LEVEL {
        if pool.level == 0 {
            break;
        }
        if !reversal_reached(config, pool)? {
            break;
        }
        let from_level = pool.level;
        pool.level = from_level
            .checked_sub(1)
            .ok_or(ContractError::LevelBoundExceeded)?;
        changes.push(LevelChange {
            kind: RateEventKind::Reversal,
            from_level,
            to_level: pool.level,
            balance: pool.available,
            reward: reward(config.base_reward, pool.level),
        });
    }
    Ok(())
}
