//! The scenario file: pool parameters, demand, ad fees, deposits, horizon, runs and seed.
//!
//! Amounts are whole TOK (a JSON string or integer, up to `decimals` fraction digits:
//! `"100000000000"`, `"0.5"`, `100`); the simulator works in base units, exactly as the contract.
//! [`Scenario::resolve`] checks everything and converts once; the pool parameters go through the
//! contract's own `Config::validate`, so a scenario the contract would refuse is refused here
//! with the same reason.

use cosmwasm_std::{Addr, Uint128};
use reward_pool::state::Config;
use serde::{Deserialize, Serialize};

use crate::error::SimError;

pub const SECONDS_PER_DAY: u64 = 86_400;
pub const DAYS_PER_YEAR: f64 = 365.0;
/// Longest horizon: 50 years of days.
pub const MAX_HORIZON_DAYS: u32 = 50 * 365;
/// Most Monte Carlo runs of one scenario.
pub const MAX_RUNS: u32 = 1_000_000;
/// Most simulation steps of one run (horizon / step).
pub const MAX_STEPS: u64 = 10_000_000;
/// Most scheduled deposits.
pub const MAX_DEPOSITS: usize = 10_000;
/// Largest expected demand: 10^15 actions per day.
pub const MAX_ACTIONS_PER_DAY: f64 = 1e15;
/// Largest annual growth (+1000 %) and smallest (−100 %).
pub const GROWTH_RANGE: (f64, f64) = (-1.0, 10.0);
/// Largest noise (σ of the daily log-normal factor).
pub const MAX_NOISE: f64 = 3.0;
/// Most ad-fee arrivals expected per day.
pub const MAX_ARRIVALS_PER_DAY: f64 = 1e6;

/// A TOK amount as written in a scenario: whole TOK with up to `decimals` fraction digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tok {
    Text(String),
    Whole(u64),
}

impl Tok {
    pub fn whole(amount: u64) -> Self {
        Tok::Whole(amount)
    }

    /// The amount in base units of a token with `decimals` decimals, exactly.
    pub fn base_units(&self, field: &str, decimals: u8) -> Result<u128, SimError> {
        let text = match self {
            Tok::Text(text) => text.trim().to_string(),
            Tok::Whole(whole) => whole.to_string(),
        };
        let bad = |reason: &str| SimError::InvalidAmount {
            field: field.to_string(),
            value: text.clone(),
            reason: reason.to_string(),
        };
        let (int_part, frac_part) = match text.split_once('.') {
            Some((int_part, frac_part)) => (int_part, frac_part),
            None => (text.as_str(), ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int_part) || !(frac_part.is_empty() || digits(frac_part)) {
            return Err(bad("not a non-negative decimal number of TOK"));
        }
        if frac_part.len() > usize::from(decimals) {
            return Err(bad("more fraction digits than the token has decimals"));
        }
        // Base units are the digits with the fraction padded to `decimals` places.
        let width = usize::from(decimals);
        format!("{int_part}{frac_part:0<width$}")
            .parse()
            .map_err(|_| bad("too large for 128 bits of base units"))
    }
}

/// The pool as it would be instantiated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolParams {
    /// Decimals of TOK (6 for the product's token).
    #[serde(default = "default_decimals")]
    pub decimals: u8,
    /// S, the reference pool: thresholds T(n) = S >> n.
    pub reference_pool: Tok,
    /// R0, the reward per action before any halving.
    pub base_reward: Tok,
    /// Seconds between two halvings.
    pub halving_cooldown: u64,
    /// Reversal margin above T(n), basis points (0 to 10,000).
    pub hysteresis_bps: u16,
    /// Funded at the start; S when omitted.
    #[serde(default)]
    pub initial_funding: Option<Tok>,
}

fn default_decimals() -> u8 {
    6
}

/// Actions per day: `actions_per_day · (1 + growth_per_year)^(t / 365 d)`, times a daily
/// log-normal factor of mean 1 and log-σ `noise` in the Monte Carlo runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    pub actions_per_day: f64,
    #[serde(default)]
    pub growth_per_year: f64,
    #[serde(default)]
    pub noise: f64,
}

/// Advertising fees: campaigns arrive as a Poisson process of `arrivals_per_day`, each an
/// exponential amount, so that `mean_per_day` TOK arrive per day on average (growing with
/// `growth_per_year`). The projection deposits the mean every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdFees {
    pub mean_per_day: Tok,
    #[serde(default = "default_arrivals")]
    pub arrivals_per_day: f64,
    #[serde(default)]
    pub growth_per_year: f64,
}

fn default_arrivals() -> f64 {
    1.0
}

impl Default for AdFees {
    fn default() -> Self {
        AdFees {
            mean_per_day: Tok::Whole(0),
            arrivals_per_day: default_arrivals(),
            growth_per_year: 0.0,
        }
    }
}

/// A deposit at a known time (a treasury top-up, a sponsor), in every run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledDeposit {
    /// Days from the start (fractions allowed); lands at the first step at or after it.
    pub day: f64,
    pub amount: Tok,
}

/// A scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "default_name")]
    pub name: String,
    pub pool: PoolParams,
    pub demand: Demand,
    #[serde(default)]
    pub ad_fees: AdFees,
    #[serde(default)]
    pub deposits: Vec<ScheduledDeposit>,
    pub horizon_days: u32,
    /// Seconds between two simulated blocks of actions (one `RecordActions` time); a day when
    /// omitted.
    #[serde(default = "default_step")]
    pub step_seconds: u64,
    #[serde(default = "default_runs")]
    pub runs: u32,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_name() -> String {
    "scenario".to_string()
}
fn default_step() -> u64 {
    SECONDS_PER_DAY
}
fn default_runs() -> u32 {
    1_000
}
fn default_seed() -> u64 {
    1
}

/// A scenario checked and in base units.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub name: String,
    /// The contract's config (token address is a placeholder: the rules never read it).
    pub config: Config,
    pub decimals: u8,
    pub initial_funding: u128,
    /// The initial funding was left to default to S (a sweep of S moves it too).
    pub funding_follows_s: bool,
    pub demand: Demand,
    /// Mean ad fees per day in base units (as f64: a rate, not an amount held).
    pub fee_mean_per_day: f64,
    pub fee_arrivals_per_day: f64,
    pub fee_growth_per_year: f64,
    /// Scheduled deposits: (seconds from start, base units), sorted by time.
    pub deposits: Vec<(u64, u128)>,
    pub horizon_days: u32,
    pub step_seconds: u64,
    pub runs: u32,
    pub seed: u64,
}

fn check_range(field: &str, value: f64, min: f64, max: f64) -> Result<(), SimError> {
    if value.is_finite() && value >= min && value <= max {
        Ok(())
    } else {
        Err(SimError::OutOfRange {
            field: field.to_string(),
            value: value.to_string(),
            range: format!("{min} to {max}"),
        })
    }
}

impl Scenario {
    /// Parses a scenario from JSON, naming the line and column of a syntax error.
    pub fn from_json(text: &str) -> Result<Self, SimError> {
        serde_json::from_str(text).map_err(|err| SimError::Parse {
            reason: err.to_string(),
        })
    }

    /// Checks every field and converts amounts to base units.
    pub fn resolve(&self) -> Result<Resolved, SimError> {
        let decimals = self.pool.decimals;
        if decimals > 18 {
            return Err(SimError::OutOfRange {
                field: "pool.decimals".into(),
                value: decimals.to_string(),
                range: "0 to 18".into(),
            });
        }
        let reference_pool = self
            .pool
            .reference_pool
            .base_units("pool.reference_pool", decimals)?;
        let base_reward = self
            .pool
            .base_reward
            .base_units("pool.base_reward", decimals)?;
        let config = Config {
            token: Addr::unchecked("tok"),
            reference_pool: Uint128::new(reference_pool),
            base_reward: Uint128::new(base_reward),
            halving_cooldown: self.pool.halving_cooldown,
            hysteresis_bps: self.pool.hysteresis_bps,
            max_batch_size: reward_pool::state::MAX_BATCH_SIZE_CAP,
            reporter_cap: Default::default(),
        };
        config.validate().map_err(|err| SimError::InvalidPool {
            reason: err.to_string(),
        })?;
        let initial_funding = match &self.pool.initial_funding {
            Some(amount) => amount.base_units("pool.initial_funding", decimals)?,
            None => reference_pool,
        };
        check_range(
            "demand.actions_per_day",
            self.demand.actions_per_day,
            0.0,
            MAX_ACTIONS_PER_DAY,
        )?;
        check_range(
            "demand.growth_per_year",
            self.demand.growth_per_year,
            GROWTH_RANGE.0,
            GROWTH_RANGE.1,
        )?;
        check_range("demand.noise", self.demand.noise, 0.0, MAX_NOISE)?;
        let fee_mean = self
            .ad_fees
            .mean_per_day
            .base_units("ad_fees.mean_per_day", decimals)?;
        check_range(
            "ad_fees.arrivals_per_day",
            self.ad_fees.arrivals_per_day,
            0.0,
            MAX_ARRIVALS_PER_DAY,
        )?;
        if fee_mean > 0 && self.ad_fees.arrivals_per_day <= 0.0 {
            return Err(SimError::OutOfRange {
                field: "ad_fees.arrivals_per_day".into(),
                value: self.ad_fees.arrivals_per_day.to_string(),
                range: "above 0 when ad_fees.mean_per_day is above 0".into(),
            });
        }
        check_range(
            "ad_fees.growth_per_year",
            self.ad_fees.growth_per_year,
            GROWTH_RANGE.0,
            GROWTH_RANGE.1,
        )?;
        if self.horizon_days == 0 || self.horizon_days > MAX_HORIZON_DAYS {
            return Err(SimError::OutOfRange {
                field: "horizon_days".into(),
                value: self.horizon_days.to_string(),
                range: format!("1 to {MAX_HORIZON_DAYS}"),
            });
        }
        let horizon_seconds = u64::from(self.horizon_days).saturating_mul(SECONDS_PER_DAY);
        if self.step_seconds == 0
            || self.step_seconds > SECONDS_PER_DAY
            || !SECONDS_PER_DAY.is_multiple_of(self.step_seconds)
            || horizon_seconds / self.step_seconds > MAX_STEPS
        {
            return Err(SimError::OutOfRange {
                field: "step_seconds".into(),
                value: self.step_seconds.to_string(),
                range: format!(
                    "a divisor of 86,400, with at most {MAX_STEPS} steps over the horizon"
                ),
            });
        }
        if self.runs == 0 || self.runs > MAX_RUNS {
            return Err(SimError::OutOfRange {
                field: "runs".into(),
                value: self.runs.to_string(),
                range: format!("1 to {MAX_RUNS}"),
            });
        }
        if self.deposits.len() > MAX_DEPOSITS {
            return Err(SimError::OutOfRange {
                field: "deposits".into(),
                value: self.deposits.len().to_string(),
                range: format!("at most {MAX_DEPOSITS} entries"),
            });
        }
        let mut deposits = Vec::with_capacity(self.deposits.len());
        for (index, deposit) in self.deposits.iter().enumerate() {
            let field = format!("deposits[{index}]");
            if !(deposit.day.is_finite()
                && deposit.day >= 0.0
                && deposit.day < f64::from(self.horizon_days))
            {
                return Err(SimError::OutOfRange {
                    field: format!("{field}.day"),
                    value: deposit.day.to_string(),
                    range: format!("0 to below the horizon, {} days", self.horizon_days),
                });
            }
            let amount = deposit
                .amount
                .base_units(&format!("{field}.amount"), decimals)?;
            deposits.push((seconds_of_days(deposit.day), amount));
        }
        deposits.sort_by_key(|(time, _)| *time);
        Ok(Resolved {
            name: self.name.clone(),
            config,
            decimals,
            initial_funding,
            funding_follows_s: self.pool.initial_funding.is_none(),
            demand: self.demand.clone(),
            fee_mean_per_day: fee_mean as f64,
            fee_arrivals_per_day: self.ad_fees.arrivals_per_day,
            fee_growth_per_year: self.ad_fees.growth_per_year,
            deposits,
            horizon_days: self.horizon_days,
            step_seconds: self.step_seconds,
            runs: self.runs,
            seed: self.seed,
        })
    }
}

/// Days of a number of seconds.
pub fn days_of(seconds: u64) -> f64 {
    seconds as f64 / SECONDS_PER_DAY as f64
}

/// Seconds of a (checked, non-negative, bounded) number of days, rounded up to whole seconds.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn seconds_of_days(days: f64) -> u64 {
    // Callers pass days in 0..=MAX_HORIZON_DAYS: the product fits u64 and is non-negative.
    (days * SECONDS_PER_DAY as f64).ceil().max(0.0) as u64
}

impl Resolved {
    /// Base units per TOK.
    pub fn unit(&self) -> f64 {
        10f64.powi(i32::from(self.decimals))
    }

    /// An amount of base units in TOK (for charts and tables).
    pub fn tok(&self, base_units: u128) -> f64 {
        base_units as f64 / self.unit()
    }

    pub fn horizon_seconds(&self) -> u64 {
        u64::from(self.horizon_days).saturating_mul(SECONDS_PER_DAY)
    }

    pub fn steps(&self) -> u64 {
        self.horizon_seconds() / self.step_seconds
    }

    /// Expected actions per day at `seconds` from the start (no noise).
    pub fn demand_at(&self, seconds: u64) -> f64 {
        let years = days_of(seconds) / DAYS_PER_YEAR;
        self.demand.actions_per_day * (1.0 + self.demand.growth_per_year).powf(years)
    }

    /// Expected ad fees per day (base units) at `seconds` from the start.
    pub fn fees_at(&self, seconds: u64) -> f64 {
        let years = days_of(seconds) / DAYS_PER_YEAR;
        self.fee_mean_per_day * (1.0 + self.fee_growth_per_year).powf(years)
    }

    /// Highest expected demand over the horizon (growth is monotonic: one of the two ends).
    pub fn peak_demand(&self) -> f64 {
        self.demand_at(0)
            .max(self.demand_at(self.horizon_seconds()))
    }
}
