//! pool-sim: the reward pool's future, simulated on the contract's own code.
//!
//! The rules are not ported: [`engine::Pool`] changes the contract's `PoolState` only through
//! `reward_pool::halving` (`pay_actions`, `credit_deposit`), the functions `RecordActions` and
//! the deposit hook run on chain. Around them the engine puts a world: time in steps, demand
//! with growth and noise, ad-fee arrivals and scheduled deposits.
//!
//! This library does no file or terminal I/O: [`simulate`] takes a [`Scenario`] and returns a
//! [`Report`] (projection, Monte Carlo percentiles, band), [`sweep::tornado`] the ±50 % sweep and
//! [`margin::recommended_margin`] the margin for a demand. The `pool-sim` command line writes
//! them as JSON, CSV and SVG.

pub mod closed_form;
pub mod engine;
pub mod error;
pub mod margin;
pub mod report;
pub mod scenario;
pub mod sweep;

pub use closed_form::ClosedForms;
pub use error::SimError;
pub use report::Report;
pub use scenario::{Resolved, Scenario};

use engine::RunOutcome;

/// The projection: the scenario with expected demand and fees, no noise, every day kept.
pub fn project(resolved: &Resolved) -> Result<RunOutcome, SimError> {
    engine::run(resolved, None, true, &mut |_, _| {})
}

/// Monte Carlo runs `runs` of `resolved` (each run has its own random stream, so any split of
/// the range gives the same outcomes); `tick` after each run.
pub fn monte_carlo(
    resolved: &Resolved,
    runs: std::ops::Range<u32>,
    tick: &mut dyn FnMut(),
) -> Result<Vec<RunOutcome>, SimError> {
    runs.map(|index| {
        let outcome = engine::run(resolved, Some(index), false, &mut |_, _| {});
        tick();
        outcome
    })
    .collect()
}

/// One scenario, start to end: projection, `scenario.runs` Monte Carlo runs and their summary.
/// `progress(done, total)` after each run.
pub fn simulate(
    scenario: &Scenario,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Report, SimError> {
    let resolved = scenario.resolve()?;
    let projection = project(&resolved)?;
    let total = resolved.runs;
    let mut done = 0u32;
    let runs = monte_carlo(&resolved, 0..total, &mut || {
        done = done.saturating_add(1);
        progress(done, total);
    })?;
    Ok(Report::assemble(scenario, &resolved, projection, &runs))
}
