//! The command line: files written, figures printed, errors named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pool-sim");

fn scenario_file(dir: &std::path::Path, runs: u32) -> std::path::PathBuf {
    let mut scenario: serde_json::Value =
        serde_json::from_str(include_str!("../scenarios/above-critical.json")).unwrap();
    scenario["runs"] = runs.into();
    let path = dir.join("scenario.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&scenario).unwrap()).unwrap();
    path
}

#[test]
fn run_writes_tables_json_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(dir.path(), 20);
    let out = dir.path().join("out");
    let output = Command::new(BIN)
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--sweep-runs",
            "4",
            "--runs-csv",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // The closed forms come first, and the warning that demand exceeds λ*.
    let first_lines: Vec<&str> = stdout.lines().take(4).collect();
    assert!(
        first_lines
            .iter()
            .any(|l| l.contains("A  = S / (2·R0)   = 500,000,000 actions per level")),
        "{stdout}"
    );
    assert!(
        first_lines
            .iter()
            .any(|l| l.contains("λ* = A / cooldown = 35,714,286 actions per day")),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning: peak demand 40,000,000 actions/day exceeds the critical demand"),
        "{stderr}"
    );
    assert!(stdout.contains("runs dry: 100.0 % of runs"), "{stdout}");
    for file in [
        "summary.json",
        "projection.csv",
        "events.csv",
        "halvings.csv",
        "band.csv",
        "tornado.csv",
        "runs.csv",
        "levels.svg",
        "balance.svg",
        "band.svg",
        "tornado.svg",
    ] {
        let path = out.join(file);
        assert!(path.is_file(), "{file} missing");
        let text = std::fs::read_to_string(&path).unwrap();
        if file.ends_with(".svg") {
            assert!(text.starts_with("<svg"), "{file} is not an SVG");
            assert!(text.len() > 2_000, "{file} is nearly empty");
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["report"]["runs"], 20);
    assert_eq!(summary["report"]["exhaustion"]["probability"], 1.0);
    assert_eq!(summary["tornado"]["bars"].as_array().unwrap().len(), 6);
    let projection = std::fs::read_to_string(out.join("projection.csv")).unwrap();
    assert_eq!(projection.lines().count(), 121, "a header and 120 days");
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.starts_with("simulation,subset,run,substep,timestep,"));
    assert_eq!(runs.lines().count(), 1 + 20 * 120);
    // No temporary file is left behind.
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));
}

#[test]
fn margin_prints_the_search_next_to_the_closed_form() {
    let output = Command::new(BIN)
        .args(["margin", "--demand", "1000000", "--demand", "40000000"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1,000,000"))
        .unwrap();
    assert!(row.contains(" 280 ") && row.contains("280.0"), "{row}");
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("40,000,000"))
        .unwrap();
    assert!(row.contains("none ≤ 10000"), "{row}");
}

#[test]
fn bad_scenarios_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, r#"{"pool": {"reference_pool": "1", "base_reward": "100", "halving_cooldown": 1, "hysteresis_bps": 0}, "demand": {"actions_per_day": 1}, "horizon_days": 1}"#).unwrap();
    let output = Command::new(BIN)
        .args([
            "run",
            path.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pool-sim: error: pool: the contract would refuse these parameters"),
        "{stderr}"
    );
    let output = Command::new(BIN)
        .args(["run", dir.path().join("missing.json").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the scenario"));
}
