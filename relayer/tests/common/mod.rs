//! Shared test harness: a real relayer HTTP server on 127.0.0.1:0 over a fresh SQLite file,
//! with a device directory filled from real generated ed25519 keys.
#![allow(dead_code)]

use std::sync::Arc;

use cube_scoring::RatedPower;
use cube_sim::{Fleet, FleetSpec, SimDevice};
use relayer::directory::DeviceDirectory;
use relayer::ingest::BatchRequest;
use relayer::ingest::{now_unix, IngestPolicy, Ingestor, RoundClock};
use relayer::metrics::Metrics;
use relayer::server::{router, serve, AppState};
use relayer::store::{ReadingStore, SqliteConfig, SqliteStore};
use relayer::telemetry::{Domain, Reading, ReadingJson, SignedReading};
use tokio::sync::oneshot;

pub const CHAIN_ID: &str = "cube-localnet";
pub const CONTRACT: &str = "wasm1miningroundcontract";
pub const MAX_BODY: usize = 256 * 1024;
pub const MAX_ITEMS: usize = 500;

pub fn domain() -> Domain {
    Domain::new(CHAIN_ID, CONTRACT)
}

pub fn policy() -> IngestPolicy {
    let now = now_unix();
    IngestPolicy::unlimited(
        MAX_ITEMS,
        60,
        RoundClock::new(
            // Round 0 started two days ago (hour-aligned) and lasts a week: windows up to two
            // days old are open, older ones are stale, whatever the time of day.
            now - now % 3_600 - 48 * 3_600,
            7 * 86_400,
            3_600,
        ),
        RatedPower::default(),
    )
}

pub struct Harness {
    pub url: String,
    pub store: Arc<SqliteStore>,
    pub ingest: Arc<Ingestor>,
    pub fleet: Fleet,
    pub client: reqwest::Client,
    pub _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Harness {
    pub async fn start(devices: usize) -> Harness {
        Self::start_with(devices, |_| {}).await
    }

    pub async fn start_with(devices: usize, tune: impl FnOnce(&mut SqliteConfig)) -> Harness {
        Self::start_full(devices, policy(), tune).await
    }

    pub async fn start_with_policy(devices: usize, policy: IngestPolicy) -> Harness {
        Self::start_full(devices, policy, |_| {}).await
    }

    pub async fn start_full(
        devices: usize,
        policy: IngestPolicy,
        tune: impl FnOnce(&mut SqliteConfig),
    ) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = SqliteConfig::new(dir.path().join("relayer.sqlite"));
        tune(&mut cfg);
        let store = Arc::new(SqliteStore::open(cfg).unwrap());
        let fleet = Fleet::generate(&FleetSpec {
            devices,
            seed: 7,
            owner_prefix: "wasm1owner".into(),
        });
        let directory = Arc::new(DeviceDirectory::new());
        assert!(directory.replace_all(fleet.records()).is_empty());
        let ingest = Arc::new(Ingestor::new(
            domain(),
            policy,
            directory,
            store.clone() as Arc<dyn ReadingStore>,
            Arc::new(Metrics::new()),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(
            AppState {
                ingest: ingest.clone(),
                chain: None,
            },
            MAX_BODY,
        );
        let server = tokio::spawn(serve(
            listener,
            app,
            relayer::server::ServerLimits::default(),
            async {
                let _ = rx.await;
            },
        ));
        Harness {
            url,
            store,
            ingest,
            fleet,
            client: reqwest::Client::new(),
            _dir: dir,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// POSTs a raw body; returns status and parsed JSON (Null if not JSON).
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(format!("{}/v1/readings", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        status_and_json(r).await
    }

    /// GETs `path` (below the server's URL); returns status and parsed JSON (Null if not JSON).
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        status_and_json(r).await
    }

    /// The JSON answer to GET `path` (status not checked).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.1
    }

    /// POSTs `readings` as one batch; returns status and parsed JSON.
    pub async fn post(&self, readings: &[SignedReading]) -> (u16, serde_json::Value) {
        let body = BatchRequest {
            readings: readings.iter().map(ReadingJson::from).collect(),
        };
        self.post_raw(serde_json::to_vec(&body).unwrap()).await
    }

    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
    }
}

/// Status and JSON body of a response (Null if the body is not JSON).
async fn status_and_json(r: reqwest::Response) -> (u16, serde_json::Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// A reading of `dev` for `window` with `wh` discharged, nothing charged, firmware 1.0.0.
pub fn reading(dev: &SimDevice, seq: u64, (start, end): (u64, u64), wh: u64) -> Reading {
    Reading {
        device_pubkey: dev.pubkey(),
        sequence: seq,
        window_start: start,
        window_end: end,
        discharged_wh: wh,
        charged_wh: 0,
        battery_id: dev.battery_id.clone(),
        firmware: "1.0.0".into(),
    }
}

/// [`reading`] signed by `dev` for [`domain`].
pub fn signed(dev: &SimDevice, seq: u64, window: (u64, u64), wh: u64) -> SignedReading {
    domain().sign(&dev.key, reading(dev, seq, window, wh))
}

/// A reading of `device` (battery "B", firmware "f", nothing charged) with a zero signature:
/// for the store, which takes what it is given.
pub fn unsigned(device: [u8; 32], seq: u64, (start, end): (u64, u64), wh: u64) -> SignedReading {
    SignedReading {
        reading: Reading {
            device_pubkey: device,
            sequence: seq,
            window_start: start,
            window_end: end,
            discharged_wh: wh,
            charged_wh: 0,
            battery_id: "B".into(),
            firmware: "f".into(),
        },
        signature: [0; 64],
    }
}

/// [`unsigned`] of the bare key `k`, signed for [`domain`].
pub fn signed_by_key(
    k: &ed25519_dalek::SigningKey,
    seq: u64,
    window: (u64, u64),
    wh: u64,
) -> SignedReading {
    domain().sign(
        k,
        unsigned(k.verifying_key().to_bytes(), seq, window, wh).reading,
    )
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A child process killed when dropped (a failing test leaves nothing running).
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` to exit, at most `within`.
pub fn wait_exit(
    child: &mut std::process::Child,
    within: std::time::Duration,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(std::time::Instant::now() < deadline, "process did not exit");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// An hour-aligned window `hours_ago` hours before the current hour.
pub fn window(hours_ago: u64) -> (u64, u64) {
    let now = now_unix();
    let start = now - now % 3600 - hours_ago * 3600;
    (start, start + 3600)
}

/// The `cube-sim` binary: `CUBE_SIM_BIN` when set (the test command builds the whole workspace
/// once and points here). Otherwise, since Cargo hands integration tests only their own
/// package's binaries, it is built here on first use (same workspace, target directory and
/// profile as the running test; a no-op when it is up to date) and found next to the `relayer`
/// binary.
pub fn cube_sim_bin() -> std::path::PathBuf {
    static BIN: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("CUBE_SIM_BIN").filter(|b| !b.is_empty()) {
            let bin = std::path::PathBuf::from(bin);
            assert!(
                bin.is_file(),
                "CUBE_SIM_BIN={} is not a file",
                bin.display()
            );
            return bin;
        }
        let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_relayer"))
            .parent()
            .expect("the relayer binary has a directory")
            .to_path_buf();
        let profile = bin_dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| if n == "debug" { "dev" } else { n })
            .unwrap_or("dev")
            .to_string();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", "cube-sim", "--bin", "cube-sim"])
            .args(["--profile", &profile])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo build -p cube-sim");
        assert!(status.success(), "cargo build -p cube-sim failed");
        let bin = bin_dir.join("cube-sim");
        assert!(bin.is_file(), "{} missing after the build", bin.display());
        bin
    })
    .clone()
}

/// A TCP proxy on 127.0.0.1 in front of `target` (`host:port`); returns its base URL. While
/// `healed` is false it accepts every connection and closes it at once (to whoever connects,
/// the target is unreachable: a network partition); once `healed` is set it relays new
/// connections byte for byte.
pub async fn partition_proxy(
    target: String,
    healed: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if !healed.load(std::sync::atomic::Ordering::SeqCst) {
                drop(inbound);
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    url
}

/// A hostile relayer peer on 127.0.0.1; returns its base URL. It tells each honest relayer a
/// different story: the relayer that lists `{url}/{who}` as a peer gets, for round `r`, a
/// digest that never equals anyone's (so it is pulled on every pull and never agrees) and one
/// page holding the readings of `sets[who]` whose window touches `[genesis + r·round_secs,
/// genesis + (r+1)·round_secs)`. The readings are genuine (validly signed by a registered
/// device whose owner colludes with the peer's operator), so every relayer stores what it is
/// given; only the honest relayers' exchange makes all of them hold every reading.
pub async fn hostile_peer(
    genesis: u64,
    round_secs: u64,
    sets: std::collections::HashMap<String, Vec<SignedReading>>,
) -> String {
    use axum::extract::{Path, State};
    type Sets = Arc<(
        u64,
        u64,
        std::collections::HashMap<String, Vec<ReadingJson>>,
    )>;
    async fn digest(Path((who, round)): Path<(String, u64)>) -> axum::Json<serde_json::Value> {
        axum::Json(serde_json::json!({"round": round, "count": 1, "digest": format!("{who:f>64}")}))
    }
    async fn readings(
        State(sets): State<Sets>,
        Path((who, round)): Path<(String, u64)>,
    ) -> axum::Json<serde_json::Value> {
        let (genesis, round_secs, sets) = &*sets;
        let start = genesis.saturating_add(round.saturating_mul(*round_secs));
        let end = start.saturating_add(*round_secs);
        let touching: Vec<&ReadingJson> = sets
            .get(&who)
            .map(|v| {
                v.iter()
                    .filter(|r| r.window_start < end && r.window_end > start)
                    .collect()
            })
            .unwrap_or_default();
        axum::Json(serde_json::json!({"round": round, "readings": touching, "next": null}))
    }
    let sets: Sets = Arc::new((
        genesis,
        round_secs,
        sets.into_iter()
            .map(|(k, v)| (k, v.iter().map(ReadingJson::from).collect()))
            .collect(),
    ));
    let app = axum::Router::new()
        .route(
            "/{who}/v1/rounds/{round}/digest",
            axum::routing::get(digest),
        )
        .route(
            "/{who}/v1/rounds/{round}/readings",
            axum::routing::get(readings),
        )
        .with_state(sets);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}
