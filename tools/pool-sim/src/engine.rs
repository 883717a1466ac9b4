//! One run of a scenario on the contract's own rules.
//!
//! [`Pool`] holds the contract's `Config` and `PoolState` and changes them only through
//! reward-pool's `halving` module, the code `RecordActions` and the deposit hook run: actions are
//! paid by `pay_actions`, deposits credited by `credit_deposit` (which reverses halvings). What
//! the engine adds is the world around the pool: time in steps, demand, ad-fee arrivals,
//! scheduled deposits, and the bookkeeping of what happened.

use cosmwasm_std::{Timestamp, Uint128, Uint256};
use cube_types::reward_pool::RateEventKind;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Poisson};
use reward_pool::halving::{self, LevelChange, Payment};
use reward_pool::state::{Config, PoolState};
use reward_pool::ContractError;
use serde::Serialize;

use crate::error::SimError;
use crate::scenario::{days_of, Resolved, SECONDS_PER_DAY};

/// Block time of the simulation's start (any time works: the rules only compare differences).
pub const GENESIS_SECONDS: u64 = 1_700_000_000;
/// Window of the "most halvings in any 30 days" figure.
pub const FLAP_WINDOW_SECONDS: u64 = 30 * SECONDS_PER_DAY;

/// Where a deposit comes from; the contract books funding and ad fees in different totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositKind {
    /// The initial funding and scheduled deposits (`ReceiveMsg::Fund`).
    Fund,
    /// An advertising fee (`ReceiveMsg::AdFee`).
    AdFee,
}

/// The contract's pool, changed only through the contract's code.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub config: Config,
    pub state: PoolState,
}

impl Pool {
    pub fn new(config: Config) -> Self {
        Pool {
            config,
            state: PoolState::default(),
        }
    }

    /// A deposit through the CW20 hook: credited, then halvings reversed while the balance allows.
    pub fn deposit(
        &mut self,
        kind: DepositKind,
        amount: u128,
        changes: &mut Vec<LevelChange>,
    ) -> Result<(), ContractError> {
        let amount = Uint128::new(amount);
        halving::credit_deposit(&self.config, &mut self.state, amount, changes)?;
        match kind {
            DepositKind::Fund => {
                self.state.total_funded = self.state.total_funded.checked_add(amount)?;
            }
            DepositKind::AdFee => {
                self.state.total_ad_fees = self.state.total_ad_fees.checked_add(amount)?;
            }
        }
        Ok(())
    }

    /// One `RecordActions` entry of `count` actions at block time `now`.
    pub fn act(
        &mut self,
        count: u64,
        now: Timestamp,
        changes: &mut Vec<LevelChange>,
    ) -> Result<Payment, ContractError> {
        let payment = halving::pay_actions(&self.config, &mut self.state, now, count, changes)?;
        self.state.owed = self.state.owed.checked_add(payment.paid)?;
        self.state.total_rewarded = self.state.total_rewarded.checked_add(payment.paid)?;
        Ok(payment)
    }

    /// Reward per action in force.
    pub fn reward(&self) -> u128 {
        halving::reward(self.config.base_reward, self.state.level).u128()
    }

    /// The balance below which the next halving comes (`None`: no further halving).
    pub fn next_threshold(&self) -> Option<u128> {
        halving::next_halving_threshold(&self.config, self.state.level).map(|t| t.u128())
    }

    /// The balance that reverses the level in force (`None` at level 0).
    pub fn reversal_threshold(&self) -> Option<u128> {
        if self.state.level == 0 {
            return None;
        }
        halving::reversal_threshold(&self.config, self.state.level)
            .ok()
            .map(saturate)
    }

    /// Everything deposited so far.
    pub fn deposited(&self) -> u128 {
        self.state
            .total_funded
            .u128()
            .saturating_add(self.state.total_ad_fees.u128())
    }

    /// The contract's invariant: deposits = available + everything granted (owed here, as the
    /// simulation never claims).
    pub fn invariant_holds(&self) -> bool {
        self.state
            .available
            .u128()
            .checked_add(self.state.owed.u128())
            == Some(self.deposited())
    }
}

pub(crate) fn saturate(value: Uint256) -> u128 {
    Uint128::try_from(value)
        .map(|v| v.u128())
        .unwrap_or(u128::MAX)
}

/// A level change, with the time it happened (seconds from the start).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub time: u64,
    pub kind: EventKind,
    pub from_level: u32,
    pub to_level: u32,
    /// Available balance at the change (base units).
    pub balance: u128,
    /// Reward per action after the change (base units).
    pub reward: u128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Halving,
    Reversal,
}

impl Event {
    fn from_change(time: u64, change: &LevelChange) -> Self {
        Event {
            time,
            kind: match change.kind {
                RateEventKind::Halving => EventKind::Halving,
                RateEventKind::Reversal => EventKind::Reversal,
            },
            from_level: change.from_level,
            to_level: change.to_level,
            balance: change.balance.u128(),
            reward: change.reward.u128(),
        }
    }

    pub fn day(&self) -> f64 {
        days_of(self.time)
    }
}

/// The pool at the end of a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayPoint {
    /// Days from the start at the end of this day (1, 2, …).
    pub day: u32,
    pub available: u128,
    pub level: u32,
    pub reward: u128,
    /// Halving threshold T(n+1) in force (`None`: no further halving).
    pub next_threshold: Option<u128>,
    /// Reversal threshold T(n)·(1 + m) in force (`None` at level 0).
    pub reversal_threshold: Option<u128>,
    /// Actions that day.
    pub actions: u64,
    /// Paid that day.
    pub paid_today: u128,
    /// Cumulative: paid, deposited (funding and fees), due but not paid.
    pub paid: u128,
    pub deposited: u128,
    pub unpaid: u128,
}

/// One step as it was applied: deposits first, then the step's actions as one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// Seconds from the start.
    pub time: u64,
    pub deposits: Vec<(DepositKind, u128)>,
    pub actions: u64,
    pub payment: Payment,
}

/// What one run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The pool at the end of each day (only when asked for detail: the projection).
    pub days: Vec<DayPoint>,
    /// Reward per action and available balance (TOK) at the end of each day, for the band.
    pub daily: Vec<[f64; 2]>,
    /// The pool at the end of the last day.
    pub last_day: Option<DayPoint>,
    pub events: Vec<Event>,
    /// First time (seconds) each level was reached; index = level (index 0 = the start).
    pub level_reached: Vec<u64>,
    /// For each level reached (index = level − 1): the deposit that would have reversed it right
    /// after the first halving into it, T(n)·(1 + m) − balance.
    pub reverse_deposit: Vec<u128>,
    /// First time an action was not paid in full (seconds).
    pub exhausted_at: Option<u64>,
    pub paid: u128,
    pub deposited: u128,
    pub unpaid: u128,
    pub actions: u128,
    pub halvings: u32,
    pub reversals: u32,
    pub max_halvings_30d: u32,
    pub max_reversals_30d: u32,
    pub peak_daily_paid: u128,
    /// Steps after which deposits ≠ available + owed (the contract's invariant): always 0.
    pub invariant_breaches: u64,
}

impl RunOutcome {
    pub fn final_point(&self) -> Option<&DayPoint> {
        self.last_day.as_ref()
    }
}

/// Randomness of a Monte Carlo run, or none for the projection.
enum World {
    Projection {
        action_carry: f64,
        fee_carry: f64,
    },
    Sampled {
        rng: Box<ChaCha8Rng>,
        noise: Option<LogNormal<f64>>,
        day_factor: f64,
        action_carry: f64,
    },
}

/// The random generator of run `run`: one ChaCha8 stream per run, so a run's numbers do not
/// depend on how many runs there are or on the order they are computed in.
pub fn run_rng(seed: u64, run: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(run));
    rng
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn to_u64(value: f64) -> u64 {
    // Saturating by definition of `as` for floats; callers pass finite, non-negative values.
    value.max(0.0) as u64
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_u128(value: f64) -> u128 {
    value.max(0.0) as u128
}

/// The whole part of `amount` plus what earlier steps carried; the fraction is carried on, so
/// rounding never loses or invents an action or a base unit over a run.
pub(crate) fn take_whole(amount: f64, carry: &mut f64) -> f64 {
    let total = amount + *carry;
    let whole = total.floor();
    *carry = total - whole;
    whole
}

/// Runs a scenario once: the projection (`run = None`: expected demand and fees, no noise) or
/// Monte Carlo run `run`. `detail` keeps every day's [`DayPoint`]; `observe` sees every step as
/// applied (the cross-check replays them).
pub fn run(
    resolved: &Resolved,
    run: Option<u32>,
    detail: bool,
    observe: &mut dyn FnMut(&StepRecord, &Pool),
) -> Result<RunOutcome, SimError> {
    let mut world = match run {
        None => World::Projection {
            action_carry: 0.0,
            fee_carry: 0.0,
        },
        Some(index) => {
            let sigma = resolved.demand.noise;
            let noise = if sigma > 0.0 {
                // Mean 1: exp(μ + σ²/2) = 1.
                LogNormal::new(-sigma * sigma / 2.0, sigma).ok()
            } else {
                None
            };
            World::Sampled {
                rng: Box::new(run_rng(resolved.seed, index)),
                noise,
                day_factor: 1.0,
                action_carry: 0.0,
            }
        }
    };
    let step = resolved.step_seconds;
    let steps = resolved.steps();
    let steps_per_day = SECONDS_PER_DAY / step;
    let step_days = days_of(step);
    let mut pool = Pool::new(resolved.config.clone());
    let mut changes: Vec<LevelChange> = Vec::new();
    let rules = |time: u64, err: ContractError| SimError::Rules {
        day: days_of(time),
        reason: err.to_string(),
    };
    let mut out = RunOutcome {
        days: Vec::new(),
        daily: Vec::with_capacity(usize::try_from(resolved.horizon_days).unwrap_or(0)),
        last_day: None,
        events: Vec::new(),
        level_reached: vec![0],
        reverse_deposit: Vec::new(),
        exhausted_at: None,
        paid: 0,
        deposited: 0,
        unpaid: 0,
        actions: 0,
        halvings: 0,
        reversals: 0,
        max_halvings_30d: 0,
        max_reversals_30d: 0,
        peak_daily_paid: 0,
        invariant_breaches: 0,
    };
    let mut unpaid = Uint256::zero();
    let mut next_deposit = 0usize;
    let mut day_actions = 0u64;
    let mut day_paid = 0u128;
    if resolved.initial_funding > 0 {
        pool.deposit(DepositKind::Fund, resolved.initial_funding, &mut changes)
            .map_err(|err| rules(0, err))?;
    }
    for index in 0..steps {
        let time = index.saturating_mul(step);
        let now = Timestamp::from_seconds(GENESIS_SECONDS.saturating_add(time));
        let mut record = StepRecord {
            time,
            deposits: Vec::new(),
            actions: 0,
            payment: Payment::default(),
        };
        // Deposits land before the step's actions: scheduled ones due by now, then ad fees.
        while let Some(&(at, amount)) = resolved.deposits.get(next_deposit) {
            if at > time {
                break;
            }
            record.deposits.push((DepositKind::Fund, amount));
            next_deposit = next_deposit.saturating_add(1);
        }
        let fees_per_day = resolved.fees_at(time);
        let expected_actions = resolved.demand_at(time) * step_days;
        match &mut world {
            World::Projection {
                action_carry,
                fee_carry,
            } => {
                let fee = take_whole(fees_per_day * step_days, fee_carry);
                if fee >= 1.0 {
                    record.deposits.push((DepositKind::AdFee, to_u128(fee)));
                }
                record.actions = to_u64(take_whole(expected_actions, action_carry));
            }
            World::Sampled {
                rng,
                noise,
                day_factor,
                action_carry,
            } => {
                if index % steps_per_day == 0 {
                    *day_factor = match noise {
                        Some(dist) => dist.sample(rng.as_mut()),
                        None => 1.0,
                    };
                }
                let arrivals_rate = resolved.fee_arrivals_per_day * step_days;
                if fees_per_day > 0.0 && arrivals_rate > 0.0 {
                    let arrivals = Poisson::new(arrivals_rate)
                        .map(|dist| to_u64(dist.sample(rng.as_mut())))
                        .unwrap_or(0);
                    let mean_amount = fees_per_day / resolved.fee_arrivals_per_day;
                    if let Ok(amounts) = Exp::new(1.0 / mean_amount) {
                        for _ in 0..arrivals {
                            let amount = to_u128(amounts.sample(rng.as_mut()).round());
                            if amount > 0 {
                                record.deposits.push((DepositKind::AdFee, amount));
                            }
                        }
                    }
                }
                record.actions = to_u64(take_whole(expected_actions * *day_factor, action_carry));
            }
        }
        changes.clear();
        for &(kind, amount) in &record.deposits {
            pool.deposit(kind, amount, &mut changes)
                .map_err(|err| rules(time, err))?;
        }
        if record.actions > 0 {
            record.payment = pool
                .act(record.actions, now, &mut changes)
                .map_err(|err| rules(time, err))?;
        }
        for change in &changes {
            let event = Event::from_change(time, change);
            match event.kind {
                EventKind::Halving => {
                    out.halvings = out.halvings.saturating_add(1);
                    let level = usize::try_from(event.to_level).unwrap_or(usize::MAX);
                    if level == out.level_reached.len() {
                        out.level_reached.push(time);
                        let needed = halving::reversal_threshold(&pool.config, event.to_level)
                            .map(saturate)
                            .unwrap_or(u128::MAX)
                            .saturating_sub(event.balance);
                        out.reverse_deposit.push(needed);
                    }
                }
                EventKind::Reversal => out.reversals = out.reversals.saturating_add(1),
            }
            out.events.push(event);
        }
        if !record.payment.unpaid.is_zero() && out.exhausted_at.is_none() {
            out.exhausted_at = Some(time);
        }
        unpaid = unpaid.saturating_add(record.payment.unpaid);
        out.actions = out.actions.saturating_add(u128::from(record.actions));
        day_actions = day_actions.saturating_add(record.actions);
        day_paid = day_paid.saturating_add(record.payment.paid.u128());
        if !pool.invariant_holds() {
            out.invariant_breaches = out.invariant_breaches.saturating_add(1);
        }
        observe(&record, &pool);
        if (index + 1) % steps_per_day == 0 {
            let day = u32::try_from((index + 1) / steps_per_day).unwrap_or(u32::MAX);
            out.peak_daily_paid = out.peak_daily_paid.max(day_paid);
            let point = DayPoint {
                day,
                available: pool.state.available.u128(),
                level: pool.state.level,
                reward: pool.reward(),
                next_threshold: pool.next_threshold(),
                reversal_threshold: pool.reversal_threshold(),
                actions: day_actions,
                paid_today: day_paid,
                paid: pool.state.total_rewarded.u128(),
                deposited: pool.deposited(),
                unpaid: saturate(unpaid),
            };
            out.daily
                .push([resolved.tok(point.reward), resolved.tok(point.available)]);
            if detail {
                out.days.push(point.clone());
            }
            out.last_day = Some(point);
            day_actions = 0;
            day_paid = 0;
        }
    }
    out.paid = pool.state.total_rewarded.u128();
    out.deposited = pool.deposited();
    out.unpaid = saturate(unpaid);
    out.max_halvings_30d = most_in_window(&out.events, EventKind::Halving, FLAP_WINDOW_SECONDS);
    out.max_reversals_30d = most_in_window(&out.events, EventKind::Reversal, FLAP_WINDOW_SECONDS);
    Ok(out)
}

/// Most events of `kind` within any window of `window` seconds.
pub fn most_in_window(events: &[Event], kind: EventKind, window: u64) -> u32 {
    let times: Vec<u64> = events
        .iter()
        .filter(|event| event.kind == kind)
        .map(|event| event.time)
        .collect();
    let mut best = 0usize;
    let mut start = 0usize;
    for (end, &time) in times.iter().enumerate() {
        while times
            .get(start)
            .is_some_and(|&first| time.saturating_sub(first) >= window)
        {
            start = start.saturating_add(1);
        }
        best = best.max(end.saturating_sub(start).saturating_add(1));
    }
    u32::try_from(best).unwrap_or(u32::MAX)
}
