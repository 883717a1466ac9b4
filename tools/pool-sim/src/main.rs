//! `pool-sim`: choose the reward pool's parameters with evidence.
//!
//! ```text
//! pool-sim run SCENARIO.json [--out DIR] [--runs N] [--seed N] [--sweep-runs N] [--no-sweep]
//! pool-sim margin [SCENARIO.json] --demand ACTIONS_PER_DAY...
//! ```
//!
//! `run` prints the closed forms (A, λ*) and their warnings first, then simulates the projection
//! and the Monte Carlo runs on the contract's own halving code, sweeps each parameter ±50 %, and
//! writes summary.json, CSV tables and SVG charts to DIR. `margin` prints the recommended
//! reversal margin for each demand, found on the contract's rules, next to the closed form.

mod charts;
mod files;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pool_sim::closed_form::group;
use pool_sim::engine::RunOutcome;
use pool_sim::margin::{recommended_margin, MarginAdvice};
use pool_sim::scenario::days_of;
use pool_sim::sweep::{self, Tornado, TORNADO_POINTS};
use pool_sim::{monte_carlo, project, ClosedForms, Report, Resolved, Scenario, SimError};

#[derive(Parser)]
#[command(
    name = "pool-sim",
    version,
    about = "Reward-pool simulator on the contract's own halving code"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario: closed forms, projection, Monte Carlo, tornado; JSON, CSV and SVG out.
    Run {
        /// The scenario file (JSON).
        scenario: PathBuf,
        /// Directory for summary.json, the CSV tables and the charts (created if missing).
        #[arg(long, default_value = "pool-sim-out")]
        out: PathBuf,
        /// Monte Carlo runs (overrides the scenario's `runs`).
        #[arg(long)]
        runs: Option<u32>,
        /// Random seed (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Runs per point of the ±50 % sweep (13 points); the scenario's runs when omitted.
        #[arg(long)]
        sweep_runs: Option<u32>,
        /// Skip the ±50 % sweep and its chart.
        #[arg(long)]
        no_sweep: bool,
        /// Also write runs.csv: every run's day-by-day reward and balance (radCAD columns).
        #[arg(long)]
        runs_csv: bool,
        /// Worker threads (default: the machine's cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// The recommended reversal margin for each demand, on the contract's rules.
    Margin {
        /// Pool parameters from this scenario (the product's defaults when omitted).
        scenario: Option<PathBuf>,
        /// Demand in actions per day; repeat for a table.
        #[arg(long, required = true, num_args = 1..)]
        demand: Vec<f64>,
    },
}

fn main() {
    if let Err(err) = real_main() {
        eprintln!("pool-sim: error: {err:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            scenario,
            out,
            runs,
            seed,
            sweep_runs,
            no_sweep,
            runs_csv,
            threads,
        } => {
            let mut loaded = load(&scenario)?;
            if let Some(runs) = runs {
                loaded.runs = runs;
            }
            if let Some(seed) = seed {
                loaded.seed = seed;
            }
            let options = RunOptions {
                out,
                sweep_runs: if no_sweep {
                    None
                } else {
                    Some(sweep_runs.unwrap_or(loaded.runs))
                },
                runs_csv,
                threads: threads
                    .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
                    .unwrap_or(1)
                    .max(1),
            };
            run_scenario(&loaded, &options)
        }
        Command::Margin { scenario, demand } => {
            let scenario = match scenario {
                Some(path) => load(&path)?,
                None => Scenario::from_json(include_str!("../scenarios/default.json"))?,
            };
            let resolved = scenario.resolve()?;
            print_margins(&resolved, &margins(&resolved, &demand)?);
            Ok(())
        }
    }
}

fn load(path: &PathBuf) -> Result<Scenario> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the scenario {}", path.display()))?;
    Scenario::from_json(&text).with_context(|| format!("in {}", path.display()))
}

struct RunOptions {
    out: PathBuf,
    sweep_runs: Option<u32>,
    runs_csv: bool,
    threads: usize,
}

/// Everything `run` writes, in one JSON document.
#[derive(serde::Serialize)]
struct Summary<'a> {
    report: &'a Report,
    tornado: Option<&'a Tornado>,
    margins: &'a [MarginAdvice],
    /// Seconds the projection and Monte Carlo runs took, and the sweep.
    seconds: Timing,
}

#[derive(serde::Serialize, Clone, Copy)]
struct Timing {
    monte_carlo: f64,
    sweep: f64,
    threads: usize,
}

fn run_scenario(scenario: &Scenario, options: &RunOptions) -> Result<()> {
    let resolved = scenario.resolve()?;
    let closed = ClosedForms::of(&resolved);
    print_closed_forms(&resolved, &closed);
    // The report repeats these first; they are printed once, here, before any run.
    let early_warnings = closed.warnings(&resolved);
    for warning in &early_warnings {
        eprintln!("warning: {warning}");
    }
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;

    let sweep_total = options
        .sweep_runs
        .map(|runs| u64::from(runs) * u64::from(TORNADO_POINTS))
        .unwrap_or(0);
    let bar = progress_bar(u64::from(resolved.runs) + sweep_total);

    let started = Instant::now();
    let projection = project(&resolved)?;
    bar.set_message("Monte Carlo");
    let runs = parallel_runs(&resolved, resolved.runs, options.threads, &bar)?;
    let mc_seconds = started.elapsed().as_secs_f64();
    let report = Report::assemble(scenario, &resolved, projection, &runs);
    let mut written = Vec::new();
    if options.runs_csv {
        written.push(files::write_runs_csv(&options.out.join("runs.csv"), &runs)?);
    }
    drop(runs);

    let sweep_started = Instant::now();
    let tornado = match options.sweep_runs {
        Some(sweep_runs) => {
            bar.set_message("±50 % sweep");
            Some(sweep::tornado(
                &resolved,
                sweep_runs,
                &mut |variant, count| parallel_runs(variant, count, options.threads, &bar),
            )?)
        }
        None => None,
    };
    let sweep_seconds = sweep_started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut demands = vec![closed.start_demand_per_day, closed.peak_demand_per_day];
    demands.dedup();
    let margins = margins(&resolved, &demands)?;

    print_report(&resolved, &report, tornado.as_ref(), early_warnings.len());
    print_margins(&resolved, &margins);
    let timing = Timing {
        monte_carlo: mc_seconds,
        sweep: sweep_seconds,
        threads: options.threads,
    };
    println!(
        "\n{} runs in {:.2} s ({} threads){}",
        resolved.runs,
        mc_seconds,
        options.threads,
        match &tornado {
            Some(t) => format!(
                "; sweep of {} × {} runs in {:.2} s",
                TORNADO_POINTS, t.runs, sweep_seconds
            ),
            None => String::new(),
        }
    );

    let summary = Summary {
        report: &report,
        tornado: tornado.as_ref(),
        margins: &margins,
        seconds: timing,
    };
    written.extend(files::write_tables(
        &options.out,
        &report,
        tornado.as_ref(),
    )?);
    written.push(files::write_json(
        &options.out.join("summary.json"),
        &summary,
    )?);
    written.extend(charts::write_all(
        &options.out,
        &report,
        tornado.as_ref(),
        resolved.unit(),
    )?);
    println!("wrote:");
    for path in written {
        println!("  {}", path.display());
    }
    Ok(())
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} runs, {per_sec}, eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs `count` Monte Carlo runs of `resolved` on `threads` threads. Each run has its own random
/// stream, so the outcome does not depend on the split.
fn parallel_runs(
    resolved: &Resolved,
    count: u32,
    threads: usize,
    bar: &ProgressBar,
) -> Result<Vec<RunOutcome>, SimError> {
    let threads = u32::try_from(threads).unwrap_or(1).clamp(1, count.max(1));
    let chunk = count.div_ceil(threads);
    // Without a terminal the bar is hidden: a line every twentieth of the whole work instead.
    let report_every = (bar.length().unwrap_or(0) / 20).max(1);
    let hidden = bar.is_hidden();
    let results: Vec<Result<Vec<RunOutcome>, SimError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = t.saturating_mul(chunk).min(count);
                let end = start.saturating_add(chunk).min(count);
                let bar = bar.clone();
                scope.spawn(move || {
                    monte_carlo(resolved, start..end, &mut || {
                        bar.inc(1);
                        if hidden && bar.position().is_multiple_of(report_every) {
                            eprintln!(
                                "{} {}/{} runs",
                                bar.message(),
                                bar.position(),
                                bar.length().unwrap_or(0)
                            );
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(SimError::Rules {
                        day: 0.0,
                        reason: "a worker thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut all = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for part in results {
        all.extend(part?);
    }
    Ok(all)
}

fn margins(resolved: &Resolved, demands: &[f64]) -> Result<Vec<MarginAdvice>> {
    demands
        .iter()
        .map(|&demand| {
            if !(demand.is_finite() && demand >= 0.0) {
                bail!("demand {demand} is not a non-negative number of actions per day");
            }
            Ok(recommended_margin(resolved, demand)?)
        })
        .collect()
}

fn days(value: f64) -> String {
    format!("{value:.1}")
}

fn print_closed_forms(resolved: &Resolved, closed: &ClosedForms) {
    println!("scenario {}", resolved.name);
    println!(
        "  S = {} TOK, R0 = {} TOK, cooldown {} d, margin {} bps, {} halvings until R(n) = 0",
        group(resolved.tok(resolved.config.reference_pool.u128())),
        group(resolved.tok(resolved.config.base_reward.u128())),
        days(days_of(resolved.config.halving_cooldown)),
        resolved.config.hysteresis_bps,
        closed.levels
    );
    println!(
        "  A  = S / (2·R0)   = {} actions per level",
        group(closed.actions_per_level)
    );
    match closed.critical_demand_per_day {
        Some(critical) => println!("  λ* = A / cooldown = {} actions per day", group(critical)),
        None => println!("  λ* = ∞ (no cooldown)"),
    }
    println!(
        "  demand {} → {} actions per day (peak); a level lasts {} days at the start",
        group(closed.start_demand_per_day),
        group(closed.peak_demand_per_day),
        closed
            .level_days_at_start
            .map(days)
            .unwrap_or_else(|| "∞".into())
    );
    println!(
        "  margin that keeps re-halvings a cooldown apart at peak demand: λ·cooldown/A = {:.0} bps",
        closed.margin_for_peak_bps.ceil()
    );
}

fn pct3(p: &pool_sim::report::Percentiles, f: fn(f64) -> String) -> String {
    format!("{} / {} / {}", f(p.p10), f(p.p50), f(p.p90))
}

/// `printed`: how many of the report's warnings (the closed forms' come first) were already
/// printed before the runs.
fn print_report(resolved: &Resolved, report: &Report, tornado: Option<&Tornado>, printed: usize) {
    println!(
        "\n{} Monte Carlo runs, {} days, seed {}",
        report.runs, resolved.horizon_days, resolved.seed
    );
    println!("  level  reward/action   reached   halving day P10 / P50 / P90   deposit to reverse (P50, TOK)");
    for h in report.halvings.iter().take(30) {
        println!(
            "  {:>5}  {:>13}   {:>6.1} %   {:>28}   {}",
            h.level,
            group(h.reward),
            h.probability * 100.0,
            h.day
                .as_ref()
                .map(|d| pct3(d, days))
                .unwrap_or_else(|| "-".into()),
            h.reversing_deposit
                .map(|d| group(d.p50))
                .unwrap_or_else(|| "-".into())
        );
    }
    match report.exhaustion.day {
        Some(day) => println!(
            "  runs dry: {:.1} % of runs, day P10 / P50 / P90 {}",
            report.exhaustion.probability * 100.0,
            pct3(&day, days)
        ),
        None => println!("  runs dry: in no run"),
    }
    let f = &report.flapping;
    println!(
        "  halvings per year P50 {:.2}, reversals per year P50 {:.2}; most in any 30 days: {} halvings, {} reversals",
        f.halvings_per_year.p50, f.reversals_per_year.p50, f.worst_halvings_in_30_days, f.worst_reversals_in_30_days
    );
    let m = &report.money;
    println!(
        "  paid {} TOK vs deposited {} TOK (P50; {:.1} % of deposits), unpaid {} TOK",
        group(m.paid.p50),
        group(m.deposited.p50),
        m.paid_share_of_deposits.p50 * 100.0,
        group(m.unpaid.p50)
    );
    println!(
        "  most paid in one day: {} TOK (P90): the reporters' caps together must allow it",
        group(m.peak_daily_paid.p90)
    );
    if let Some(t) = tornado {
        println!(
            "\n±50 % sweep of {} ({} runs per point), base {}",
            t.kpi,
            t.runs,
            group(t.base)
        );
        for bar in &t.bars {
            println!(
                "  {:>9}: {:>20} → {:>16}   {:>20} → {:>16}",
                bar.parameter,
                bar.low_label,
                group(bar.low),
                bar.high_label,
                group(bar.high)
            );
        }
        for skipped in &t.skipped {
            println!("  skipped {skipped}");
        }
    }
    for warning in report.warnings.iter().skip(printed) {
        println!("warning: {warning}");
    }
}

fn print_margins(resolved: &Resolved, margins: &[MarginAdvice]) {
    println!(
        "\nrecommended margin (cooldown {} d, A = {} actions)",
        days(days_of(resolved.config.halving_cooldown)),
        group(pool_sim::closed_form::actions_per_level(resolved))
    );
    println!(
        "  {:>16}   {:>14}   {:>16}   {:>14}",
        "actions/day", "simulated bps", "λ·cooldown/A bps", "re-halving day"
    );
    for advice in margins {
        println!(
            "  {:>16}   {:>14}   {:>16.1}   {:>14}",
            group(advice.demand_per_day),
            advice
                .simulated_bps
                .map(|bps| bps.to_string())
                .unwrap_or_else(|| "none ≤ 10000".into()),
            advice.closed_form_bps,
            advice
                .gap_days
                .map(|d| format!("{d:.2}"))
                .unwrap_or_else(|| "-".into())
        );
    }
}
