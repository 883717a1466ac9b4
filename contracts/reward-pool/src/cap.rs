//! The per-reporter payout cap: one reporter's `RecordActions` credit at most
//! `ReporterCap::amount` per period. Periods are aligned to unix time,
//! `[floor(t / period) · period, … + period)`, so an allowance resets at a time known in
//! advance; a usage record of an earlier period counts as nothing paid.

use cosmwasm_std::{Addr, Storage, Timestamp, Uint128};
use cube_types::reward_pool::ReporterCap;

use crate::error::ContractError;
use crate::state::{ReporterUsage, MAX_REPORTER_CAP_PERIOD, REPORTER_USAGE};

/// A reporter's standing against its cap in the period containing one block time.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    /// The reporter.
    pub reporter: Addr,
    /// The cap in force.
    pub cap: ReporterCap,
    /// Start of the current period, unix seconds.
    pub period_start: u64,
    /// First second of the next period, unix seconds.
    pub period_ends: u64,
    /// TOK credited by the reporter in the current period.
    pub paid: Uint128,
}

impl Allowance {
    /// The allowance of `reporter` under `cap` at `now`.
    pub fn load(
        storage: &dyn Storage,
        cap: ReporterCap,
        reporter: Addr,
        now: Timestamp,
    ) -> Result<Self, ContractError> {
        let time = now.seconds();
        // `Config::validate` rules out a zero period; the end overflows only near u64::MAX s.
        let bad_period = || ContractError::InvalidReporterCapPeriod {
            seconds: cap.period,
            max: MAX_REPORTER_CAP_PERIOD,
        };
        let period_start = cap.period_start(time).ok_or_else(bad_period)?;
        let period_ends = cap.period_end(time).ok_or_else(bad_period)?;
        let paid = match REPORTER_USAGE.may_load(storage, &reporter)? {
            Some(usage) if usage.period_start == period_start => usage.paid,
            _ => Uint128::zero(),
        };
        Ok(Self {
            reporter,
            cap,
            period_start,
            period_ends,
            paid,
        })
    }

    /// What the reporter may still credit in the current period: `cap − paid`, 0 when a
    /// lowered cap is already used up.
    pub fn remaining(&self) -> Uint128 {
        self.cap.amount.saturating_sub(self.paid)
    }

    /// Counts one entry's payout against the cap, or fails with `ReporterCapExceeded` when it
    /// is more than what remains (then the whole batch is reverted and the entry pays nothing).
    pub fn charge(&mut self, amount: Uint128) -> Result<(), ContractError> {
        let remaining = self.remaining();
        if amount > remaining {
            return Err(ContractError::ReporterCapExceeded {
                reporter: self.reporter.clone(),
                requested: amount,
                remaining,
                period_ends: self.period_ends,
            });
        }
        self.paid = self.paid.checked_add(amount)?;
        Ok(())
    }

    /// Stores what the reporter credited in the current period.
    pub fn save(&self, storage: &mut dyn Storage) -> Result<(), ContractError> {
        REPORTER_USAGE.save(
            storage,
            &self.reporter,
            &ReporterUsage {
                period_start: self.period_start,
                paid: self.paid,
            },
        )?;
        Ok(())
    }
}
