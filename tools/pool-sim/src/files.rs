//! The tables `pool-sim run` writes: CSV (amounts in base units where exact, TOK where a
//! percentile) and summary.json. Each file is written to a temporary name and renamed, so a run
//! stopped half-way never leaves a truncated table behind.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pool_sim::engine::{EventKind, RunOutcome};
use pool_sim::report::{Percentiles, Report};
use pool_sim::sweep::Tornado;

fn write_atomic(path: &Path, contents: &[u8]) -> Result<PathBuf> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(path.to_path_buf())
}

pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<PathBuf> {
    let mut text = serde_json::to_string_pretty(value).context("cannot encode the summary")?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn pcts(p: Option<&Percentiles>) -> String {
    match p {
        Some(p) => format!("{},{},{}", p.p10, p.p50, p.p90),
        None => ",,".to_string(),
    }
}

/// projection.csv, events.csv, halvings.csv, band.csv and (with a sweep) tornado.csv.
pub fn write_tables(
    dir: &Path,
    report: &Report,
    tornado: Option<&Tornado>,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();

    // The projection, one row per day, exact base units.
    let mut csv = String::from(
        "day,available,level,reward,next_threshold,reversal_threshold,actions,paid_today,paid,deposited,unpaid\n",
    );
    for p in &report.projection.days {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{}",
            p.day,
            p.available,
            p.level,
            p.reward,
            opt(p.next_threshold),
            opt(p.reversal_threshold),
            p.actions,
            p.paid_today,
            p.paid,
            p.deposited,
            p.unpaid
        );
    }
    written.push(write_atomic(&dir.join("projection.csv"), csv.as_bytes())?);

    let mut csv = String::from("day,kind,from_level,to_level,balance,reward\n");
    for e in &report.projection.events {
        let kind = match e.kind {
            EventKind::Halving => "halving",
            EventKind::Reversal => "reversal",
        };
        let _ = writeln!(
            csv,
            "{},{kind},{},{},{},{}",
            e.day(),
            e.from_level,
            e.to_level,
            e.balance,
            e.reward
        );
    }
    written.push(write_atomic(&dir.join("events.csv"), csv.as_bytes())?);

    let mut csv = String::from(
        "level,reward_tok,probability,day_p10,day_p50,day_p90,reversing_deposit_p10,reversing_deposit_p50,reversing_deposit_p90,reversal_threshold_tok\n",
    );
    for h in &report.halvings {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{}",
            h.level,
            h.reward,
            h.probability,
            pcts(h.day.as_ref()),
            pcts(h.reversing_deposit.as_ref()),
            h.reversal_threshold
        );
    }
    written.push(write_atomic(&dir.join("halvings.csv"), csv.as_bytes())?);

    let mut csv = String::from(
        "day,reward_p10,reward_p50,reward_p90,available_p10,available_p50,available_p90\n",
    );
    for b in &report.band {
        let _ = writeln!(
            csv,
            "{},{},{}",
            b.day,
            pcts(Some(&b.reward)),
            pcts(Some(&b.available))
        );
    }
    written.push(write_atomic(&dir.join("band.csv"), csv.as_bytes())?);

    if let Some(t) = tornado {
        let mut csv = String::from(
            "parameter,low_value,high_value,base_paid_p50,low_paid_p50,high_paid_p50,low_exhaustion_probability,high_exhaustion_probability\n",
        );
        for bar in &t.bars {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{}",
                bar.parameter,
                bar.low_label.replace(',', ""),
                bar.high_label.replace(',', ""),
                t.base,
                bar.low,
                bar.high,
                bar.low_point.exhaustion_probability,
                bar.high_point.exhaustion_probability
            );
        }
        written.push(write_atomic(&dir.join("tornado.csv"), csv.as_bytes())?);
    }
    Ok(written)
}

/// runs.csv: every run, every day, in radCAD's layout (`simulation, subset, run, substep,
/// timestep` then the state): reward per action and available balance in TOK.
pub fn write_runs_csv(path: &Path, runs: &[RunOutcome]) -> Result<PathBuf> {
    let mut csv = String::from("simulation,subset,run,substep,timestep,reward,available\n");
    for (index, run) in runs.iter().enumerate() {
        for (day, [reward, available]) in run.daily.iter().enumerate() {
            let _ = writeln!(csv, "0,0,{},1,{},{reward},{available}", index + 1, day + 1);
        }
    }
    write_atomic(path, csv.as_bytes())
}
