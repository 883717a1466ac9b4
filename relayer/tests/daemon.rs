//! The real binaries as processes: `cube-sim fleet` writes the directory, `relayer run` serves
//! it, `cube-sim stream` feeds it; SIGTERM shuts down gracefully; SIGKILL under load loses no
//! acknowledged reading.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use common::{free_port, wait_exit};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain_client::mining_round::FleetManifest;
use cube_scoring::RatedPower;
use cube_sim::{window_reading, Fleet, FleetSpec};
use relayer::config::Config;
use relayer::ingest::now_unix;
use relayer::store::{ReadingStore, SqliteConfig, SqliteStore};
use relayer::telemetry::{Domain, ReadingJson, SignedReading};
use serde_json::{json, Value};

const CHAIN: &str = "cube-localnet";
const CONTRACT: &str = "wasm1daemontestcontract";
const DEVICES: usize = 50;
const SEED: u64 = 3;

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let now = now_unix();
    let genesis = now - now % 3600 - 48 * 3600;
    let cfg = Config::builder(CHAIN, CONTRACT, genesis)
        .offline()
        .store_path(dir.join("relayer.sqlite"))
        .listen_local(port)
        .round_duration_secs(604_800)
        .grace_secs(600)
        .static_devices(dir.join("devices.json"))
        .battery_whitelist(["WL-BAT-A", "WL-BAT-B"])
        .log_format("json")
        .build()
        .unwrap();
    let p = dir.join("relayer.toml");
    cfg.write(&p).unwrap();
    p
}

fn start_relayer(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_relayer"))
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_healthy(url: &str) -> Value {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{url}/health")).send().await {
            if r.status().is_success() {
                return r.json().await.unwrap();
            }
        }
        assert!(Instant::now() < deadline, "relayer did not become healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `cube-sim <subcommand>` for this test's fleet (devices, seed, chain id, contract).
fn cube_sim(subcommand: &str) -> Command {
    let mut cmd = Command::new(common::cube_sim_bin());
    cmd.args([subcommand, "--devices", &DEVICES.to_string()])
        .args(["--seed", &SEED.to_string()])
        .args(["--chain-id", CHAIN, "--contract", CONTRACT]);
    cmd
}

/// Asserts the process succeeded; its stdout.
fn succeeded(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fleet_files(dir: &Path) {
    succeeded(
        &cube_sim("fleet")
            .arg("--devices-out")
            .arg(dir.join("devices.json"))
            .arg("--registrations-out")
            .arg(dir.join("registrations.json"))
            .output()
            .unwrap(),
    );
    let manifest: FleetManifest =
        serde_json::from_slice(&std::fs::read(dir.join("registrations.json")).unwrap()).unwrap();
    assert_eq!(manifest.devices.len(), DEVICES);
}

/// The fleet files and a relayer serving them from `dir`: the process, its URL and its first
/// healthy `/health` answer.
async fn fleet_and_relayer(dir: &Path) -> (Child, String, Value) {
    fleet_files(dir);
    let port = free_port();
    let config = write_config(dir, port);
    let url = format!("http://127.0.0.1:{port}");
    let relayer = start_relayer(&config);
    let health = wait_healthy(&url).await;
    (relayer, url, health)
}

fn sigterm(child: &Child) {
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_feeds_daemon_and_sigterm_is_graceful() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relayer, url, h) = fleet_and_relayer(dir.path()).await;
    assert_eq!(h["devices"], DEVICES);
    assert_eq!(h["readings"], 0);

    // Two hours of 10-minute windows: 12 windows × 50 devices.
    let run_sim = || {
        cube_sim("stream")
            .args(["--relayer", &url])
            .args([
                "--window-secs",
                "600",
                "--backfill-secs",
                "7200",
                "--rate",
                "100000",
            ])
            .output()
            .unwrap()
    };
    let text = succeeded(&run_sim());
    let health = wait_healthy(&url).await;
    let stored = health["readings"].as_u64().unwrap();
    assert!(
        stored >= 12 * DEVICES as u64 - DEVICES as u64,
        "{stored}: {text}"
    );
    assert!(
        text.contains(&format!("accepted {stored} duplicates 0 rejected {{}}")),
        "{text}"
    );

    // A restarted simulator resends the same windows: all idempotent duplicates.
    let text = succeeded(&run_sim());
    assert!(text.contains("accepted 0 duplicates"), "{text}");
    assert_eq!(wait_healthy(&url).await["readings"].as_u64(), Some(stored));

    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!("relayer_readings_accepted_total {stored}\n")),
        "{metrics}"
    );

    sigterm(&relayer);
    let status = wait_exit(&mut relayer, Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    // The database is intact and complete after the graceful stop.
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("relayer.sqlite"))).unwrap();
    assert_eq!(store.count_readings().unwrap(), stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_reading() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relayer, url, _) = fleet_and_relayer(dir.path()).await;

    let fleet = Fleet::generate(&FleetSpec {
        devices: DEVICES,
        seed: SEED,
        owner_prefix: "wasm1simowner".into(),
    });
    let domain = Domain::new(CHAIN, CONTRACT);
    let rated = RatedPower::default();
    // 60-second windows over the last 40 hours, per device in order; 4 concurrent clients.
    let now = now_unix();
    let first = now - now % 60 - 40 * 3600;
    let windows: Vec<u64> = (0..2_400u64).map(|k| first + k * 60).collect();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<SignedReading>>();
    let mut tasks = Vec::new();
    for c in 0..4usize {
        let fleet = fleet.clone();
        let domain = domain.clone();
        let windows = windows.clone();
        let url = url.clone();
        let acked_tx = acked_tx.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut batch = Vec::new();
            for &t in &windows {
                for (i, d) in fleet.devices.iter().enumerate().skip(c).step_by(4) {
                    batch.push(window_reading(d, i, SEED, &domain, &rated, t, t + 60));
                }
                if batch.len() >= 250 {
                    let body = json!({"readings": batch.iter().map(ReadingJson::from).collect::<Vec<_>>()});
                    match client.post(format!("{url}/v1/readings")).json(&body).send().await {
                        Ok(r) if r.status().is_success() => {
                            let v: Value = match r.json().await {
                                Ok(v) => v,
                                Err(_) => return,
                            };
                            assert_eq!(v["accepted"].as_u64(), Some(batch.len() as u64), "{v}");
                            let _ = acked_tx.send(std::mem::take(&mut batch));
                        }
                        _ => return, // the relayer died: stop
                    }
                }
            }
        }));
    }
    drop(acked_tx);
    // Let it ingest under load, then SIGKILL.
    let mut acked: Vec<SignedReading> = Vec::new();
    while acked.len() < 6_000 {
        match acked_rx.recv().await {
            Some(b) => acked.extend(b),
            None => break,
        }
    }
    relayer.kill().unwrap();
    relayer.wait().unwrap();
    for t in tasks {
        let _ = t.await;
    }
    while let Ok(b) = acked_rx.try_recv() {
        acked.extend(b);
    }
    assert!(acked.len() >= 6_000, "only {} acknowledged", acked.len());

    // Restart on the same database: every acknowledged reading is there, byte for byte.
    let mut relayer = start_relayer(&dir.path().join("relayer.toml"));
    let h = wait_healthy(&url).await;
    assert!(h["readings"].as_u64().unwrap() >= acked.len() as u64);
    sigterm(&relayer);
    assert!(wait_exit(&mut relayer, Duration::from_secs(20)).success());
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("relayer.sqlite"))).unwrap();
    for r in &acked {
        assert_eq!(
            store
                .get_reading(&r.reading.device_pubkey, r.reading.sequence)
                .unwrap()
                .as_ref(),
            Some(r)
        );
    }
    eprintln!(
        "SIGKILL test: {} acknowledged, {} stored after restart",
        acked.len(),
        store.count_readings().unwrap()
    );
}
