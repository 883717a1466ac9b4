//! Operator safety of the daemon: a relayer whose chain is down at start-up serves ingest at
//! once (static devices and the registry last saved from chain) while it retries the chain in
//! the background; a mnemonic never reaches the terminal through a config error; a mnemonic
//! file others can read stops the start; a failed prune is retried, never fatal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use common::{free_port, wait_exit};

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cube_sim::{Fleet, FleetSpec};
use relayer::config::Config;
use relayer::directory::{save_device_file, DeviceDirectory, StaticDevices};
use relayer::ingest::now_unix;
use relayer::service::{load_directory, Pruner, CHAIN_NOT_CONNECTED};
use relayer::store::{ReadingStore, SqliteConfig, SqliteStore};
use relayer::telemetry::{write_device_file, ReadingJson};
use serde_json::{json, Value};

/// The BIP-39 test vector of all-zero entropy (23 × `abandon`, then `art`): a valid mnemonic
/// of an account that holds nothing.
fn test_mnemonic() -> String {
    format!("{} art", ["abandon"; 23].join(" "))
}

/// Words that appear in no error message: whether a mnemonic made of them leaks is visible.
const WORDS: [&str; 24] = [
    "velvet", "orchard", "tundra", "glimpse", "harbor", "mosaic", "falcon", "lantern", "pepper",
    "quarry", "saddle", "timber", "umbrella", "walnut", "zephyr", "bramble", "cobalt", "dahlia",
    "ember", "fjord", "gecko", "hazel", "iris", "juniper",
];

fn fleet(devices: usize) -> Fleet {
    Fleet::generate(&FleetSpec {
        devices,
        seed: 11,
        owner_prefix: "wasm1owner".into(),
    })
}

/// A relayer process, killed when dropped (a failing test leaves no daemon behind).
use common::KillOnDrop as Daemon;

/// `relayer run --config <config>` with `RUST_LOG=warn`, stderr to `log`, without the
/// caller's `RELAYER…` variables (an override would change what is tested).
fn start_relayer(config: &Path, log: &Path) -> Daemon {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relayer"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("RELAYER") {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    Daemon(child)
}

/// Runs `relayer run --config <config>`, which must fail within ten seconds; its stderr.
fn failing_start(config: &Path, log: &Path) -> String {
    let mut daemon = start_relayer(config, log);
    let status = wait_exit(&mut daemon.0, Duration::from_secs(10));
    assert!(!status.success(), "the relayer started: {status:?}");
    std::fs::read_to_string(log).unwrap()
}

/// A chain-enabled config for `dir`: the test mnemonic in a 0600 file, the chain's REST
/// endpoint on a closed local port, hour-aligned genesis two days ago and week-long rounds
/// (the windows of [`common::window`] are open), listening on `port`.
fn chain_down_config(dir: &Path, port: u16) -> Config {
    let mnemonic_file = dir.join("operator.mnemonic");
    host_util::replace_secret_file(&mnemonic_file, test_mnemonic().as_bytes()).unwrap();
    let now = now_unix();
    Config::builder(
        common::CHAIN_ID,
        common::CONTRACT,
        now - now % 3_600 - 48 * 3_600,
    )
    .rest_url(format!("http://127.0.0.1:{}", free_port()))
    .mnemonic_file(&mnemonic_file)
    .store_path(dir.join("relayer.sqlite"))
    .synchronous_normal()
    .listen_local(port)
    .round_duration_secs(7 * 86_400)
    .grace_secs(3_600)
    .static_devices(dir.join("devices.json"))
    .log_format("text")
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_down_at_start_delays_attestation_not_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    let cfg = chain_down_config(dir, port);
    // Devices 0..3 in the static file, 3..6 in the registry a previous run saved from chain.
    let fleet = fleet(6);
    let records = fleet.records();
    write_device_file(&dir.join("devices.json"), &records[..3]).unwrap();
    save_device_file(&cfg.device_registry_file(), &records[3..]).unwrap();
    let config = dir.join("relayer.toml");
    cfg.write(&config).unwrap();
    let log = dir.join("relayer.log");
    let mut daemon = start_relayer(&config, &log);
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();

    // Serving within a few seconds, with every known device.
    let deadline = Instant::now() + Duration::from_secs(10);
    let health: Value = loop {
        if let Ok(r) = client.get(format!("{url}/health")).send().await {
            if r.status().is_success() {
                break r.json().await.unwrap();
            }
        }
        assert!(
            daemon.0.try_wait().unwrap().is_none(),
            "the relayer exited: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(
            Instant::now() < deadline,
            "not serving while the chain is down"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(health["devices"], 6, "{health}");
    assert_eq!(health["chain"], "connecting", "{health}");

    // Readings of a static device and of a device of the saved registry are accepted.
    let readings = [
        common::signed(&fleet.devices[0], 1, common::window(1), 100),
        common::signed(&fleet.devices[4], 1, common::window(1), 100),
    ];
    let body = json!({"readings": readings.iter().map(ReadingJson::from).collect::<Vec<_>>()});
    let r = client
        .post(format!("{url}/v1/readings"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["accepted"], 2, "{v}");

    // The chain-forwarding routes say why they cannot answer.
    let r = client
        .get(format!("{url}/v1/rounds/0/leaderboard"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert!(matches!(status, 502 | 503), "{status} {text}");
    assert!(text.contains(CHAIN_NOT_CONNECTED), "{text}");

    // The retry is logged as a warning.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("chain unreachable") {
            assert!(text.contains("WARN"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "no retry warning: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(daemon.0.try_wait().unwrap().is_none(), "still running");

    // SIGTERM while the chain is still down: a clean stop.
    let st = Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = wait_exit(&mut daemon.0, Duration::from_secs(20));
    assert!(
        status.success(),
        "{status:?}: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let store = SqliteStore::open(SqliteConfig::new(dir.join("relayer.sqlite"))).unwrap();
    assert_eq!(store.count_readings().unwrap(), 2);
}

#[tokio::test]
async fn registry_saved_by_one_run_is_loaded_by_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = Config::builder(common::CHAIN_ID, common::CONTRACT, 1_700_000_000)
        .mnemonic(test_mnemonic())
        .store_path(tmp.path().join("relayer.sqlite"))
        .build()
        .unwrap();
    let fleet = fleet(5);
    // Run 1: the chain answers (a static source stands in for it); the registry is saved.
    let run1 = DeviceDirectory::new();
    let n = run1
        .refresh_and_save(&StaticDevices(fleet.records()), &cfg.device_registry_file())
        .await
        .unwrap();
    assert_eq!(n, 5);
    // Run 2: the chain is down; the directory is the saved registry.
    let run2 = load_directory(&cfg).unwrap();
    assert_eq!(run2.len(), 5);
    assert_eq!(run2.snapshot(), run1.snapshot());
    // Offline mode does not use the chain's registry.
    let offline = Config::builder(common::CHAIN_ID, common::CONTRACT, 1_700_000_000)
        .offline()
        .store_path(tmp.path().join("relayer.sqlite"))
        .build()
        .unwrap();
    assert!(load_directory(&offline).unwrap().is_empty());
    // A damaged file is ignored (the chain rewrites it), not fatal.
    std::fs::write(cfg.device_registry_file(), "not json").unwrap();
    assert!(load_directory(&cfg).unwrap().is_empty());
}

#[cfg(unix)]
#[test]
fn mnemonic_file_readable_by_others_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cfg = chain_down_config(dir, free_port());
    write_device_file(&dir.join("devices.json"), &fleet(1).records()).unwrap();
    let config = dir.join("relayer.toml");
    cfg.write(&config).unwrap();
    let mnemonic_file = dir.join("operator.mnemonic");
    std::fs::set_permissions(&mnemonic_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stderr = failing_start(&config, &dir.join("insecure.log"));
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(
        stderr.contains(&mnemonic_file.display().to_string()),
        "{stderr}"
    );
    assert!(!stderr.contains("abandon"), "{stderr}");
}

#[test]
fn config_syntax_error_does_not_print_the_mnemonic() {
    let tmp = tempfile::tempdir().unwrap();
    let config: PathBuf = tmp.path().join("relayer.toml");
    // Line 6 lacks its closing quote.
    std::fs::write(
        &config,
        format!(
            "[chain]\nchain_id = \"cube-1\"\nmining_round_contract = \"wasm1abc\"\n\n\
             [operator]\nmnemonic = \"{}\n\n[rounds]\ngenesis = 1700000000\n",
            WORDS.join(" ")
        ),
    )
    .unwrap();
    let stderr = failing_start(&config, &tmp.path().join("syntax.log"));
    assert!(stderr.contains("line 6"), "{stderr}");
    for w in WORDS {
        assert!(!stderr.contains(w), "{w} printed: {stderr}");
    }
    // A value of the wrong type: line and key, not the value.
    std::fs::write(
        &config,
        "[chain]\nchain_id = \"cube-1\"\nmining_round_contract = \"wasm1abc\"\n\n\
         [operator]\nmnemonic = 12345\n\n[rounds]\ngenesis = 1700000000\n",
    )
    .unwrap();
    let stderr = failing_start(&config, &tmp.path().join("type.log"));
    assert!(stderr.contains("line 6"), "{stderr}");
    assert!(stderr.contains("operator.mnemonic"), "{stderr}");
    assert!(!stderr.contains("12345"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_prune_is_retried_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("s.sqlite");
    let store = Arc::new(SqliteStore::open(SqliteConfig::new(path.clone())).unwrap());
    let now = now_unix();
    let genesis = now - now % 3_600 - 10 * 3_600;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    // One reading in round 0, one in round 3 (rounds of an hour).
    let round0 = common::signed_by_key(&key, 1, (genesis, genesis + 60), 1);
    let round3 = common::signed_by_key(&key, 2, (genesis + 3 * 3_600, genesis + 3 * 3_600 + 60), 1);
    store
        .submit(vec![round0, round3])
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.count_readings().unwrap(), 2);

    // Another connection makes every delete fail (as a full disk or a locked database would).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_prune BEFORE DELETE ON readings \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
    let readings: Arc<dyn ReadingStore> = store.clone();
    let running = HashSet::new();
    // Keep one finalized round: round 2 closing prunes rounds up to 1.
    let mut pruner = Pruner::new(Some(1), genesis, 3_600);
    pruner.round_closed(2);
    assert!(pruner.run(&readings, &running).await.is_err());
    assert_eq!(pruner.pending(), Some(2), "still due after the failure");
    assert_eq!(store.count_readings().unwrap(), 2);
    // Round 3 closes while the failure persists: the higher bound is kept.
    pruner.round_closed(3);
    assert!(pruner.run(&readings, &running).await.is_err());
    assert_eq!(pruner.pending(), Some(3));

    // The database recovers: the next pass prunes up to round 2.
    conn.execute_batch("DROP TRIGGER refuse_prune;").unwrap();
    assert_eq!(pruner.run(&readings, &running).await.unwrap(), 1);
    assert_eq!(pruner.pending(), None);
    assert_eq!(store.count_readings().unwrap(), 1);
    assert_eq!(
        pruner.run(&readings, &running).await.unwrap(),
        0,
        "nothing due"
    );
    store.close();
}
