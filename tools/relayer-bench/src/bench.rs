//! The benchmarks of `relayer-bench` (run it optimised). They print figures; nothing here
//! asserts on time.
//!
//! * raw ed25519 verification rate on one core (one by one, and batched) with the relayer's
//!   acceptance predicate (ZIP-215, `cube_telemetry::Domain::verify` / `verify_many`),
//! * readings/s acknowledged through `POST /v1/readings` with durable storage (SQLite WAL,
//!   `synchronous = FULL`, group commit), real HTTP on 127.0.0.1 with concurrent clients in
//!   the same process, once per client count (few clients move in lockstep — verify, then
//!   wait for the commit — so the figure grows with concurrency until the CPU is the bound),
//! * aggregation of N readings over D devices from the SQLite store: wall time and peak
//!   resident memory (`VmHWM` from `/proc/self/status`, reset through `/proc/self/clear_refs`
//!   before the phase when the kernel allows it),
//! * peer-page serving of a round holding one reading per device (100,000 devices by default,
//!   next to readings of the rounds before and after it): pages/s, readings/s and peak
//!   resident memory, through the store's `round_readings_page` at the server's default page
//!   size and through the real `GET /v1/rounds/{round}/readings` route on 127.0.0.1,
//! * the per-device quota check (`relayer::ingest::Buckets`) at 1,000,000 distinct devices:
//!   nanoseconds per check against the first 100,000 devices.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cube_scoring::{DeviceModel, RatedPower, ScorePolicy};
use thiserror::Error;

use cube_sim::{next_reading, Fleet, FleetSpec, SplitMix, WHITELISTED_BATTERIES, ZONES};
use cube_telemetry::{Domain, Reading, ReadingJson, SignedReading};
use host_util::now_unix;
use relayer::aggregate::{aggregate_round, RoundInput};
use relayer::directory::{DeviceDirectory, DeviceInfo};
use relayer::ingest::{Buckets, IngestPolicy, Ingestor, Quota, RoundClock};
use relayer::metrics::Metrics;
use relayer::server::{router, serve, AppState, ServerLimits, DEFAULT_PAGE};
use relayer::store::{ReadingStore, SqliteConfig, SqliteStore, StoreError};

/// Benchmark failures.
#[derive(Error, Debug)]
pub enum BenchError {
    /// IO.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Store.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// HTTP client.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// The relayer's HTTP server over `ingest` on 127.0.0.1 (an ephemeral port), as the daemon
/// serves it.
struct BenchServer {
    /// `http://127.0.0.1:<port>`.
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl BenchServer {
    async fn start(
        ingest: Arc<Ingestor>,
        max_body_bytes: usize,
        limits: ServerLimits,
    ) -> Result<Self, BenchError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(
            AppState {
                ingest,
                chain: None,
            },
            max_body_bytes,
        );
        let task = tokio::spawn(serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        Ok(BenchServer { base, stop, task })
    }

    /// Stops accepting and waits for the server to drain.
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Peak resident set size in KiB (`VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Current resident set size in KiB (`VmRSS`).
pub fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs` value 5). Returns whether it worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// Single-core ed25519 verification rates (one-by-one, batched) over `n` signatures.
pub fn raw_verify_rates(n: usize) -> (f64, f64) {
    let domain = Domain::new("bench", "bench");
    let fleet = Fleet::generate(&FleetSpec {
        devices: 64,
        seed: 5,
        owner_prefix: "o".into(),
    });
    let rated = RatedPower::default();
    let mut rng = SplitMix(3);
    let mut devices = fleet.devices;
    let readings: Vec<SignedReading> = (0..n)
        .map(|i| {
            let len = devices.len().max(1);
            let dev = &mut devices[i % len];
            let t = 1_700_000_000 + (i as u64) * 60;
            next_reading(dev, &domain, &rated, t, t + 60, &mut rng)
        })
        .collect();
    let started = Instant::now();
    let mut ok = 0u64;
    for r in &readings {
        if domain.verify(r).is_ok() {
            ok += 1;
        }
    }
    let single = rate(ok, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let mut ok = 0u64;
    for chunk in readings.chunks(512) {
        let refs: Vec<&SignedReading> = chunk.iter().collect();
        ok += domain
            .verify_many(&refs)
            .iter()
            .filter(|r| r.is_ok())
            .count() as u64;
    }
    let batched = rate(ok, started.elapsed().as_secs_f64());
    (single, batched)
}

/// Parameters of the ingest benchmark.
#[derive(Debug, Clone)]
pub struct IngestBench {
    /// Devices.
    pub devices: usize,
    /// Readings per device.
    pub per_device: usize,
    /// Readings per HTTP request.
    pub batch: usize,
    /// Concurrent HTTP clients.
    pub clients: usize,
}

/// Result of the ingest benchmark.
#[derive(Debug, Clone)]
pub struct IngestFigures {
    /// Readings acknowledged as accepted.
    pub accepted: u64,
    /// Wall time, seconds.
    pub secs: f64,
    /// HTTP 429 responses (retried).
    pub busy_retries: u64,
}

/// Runs the HTTP ingest benchmark on a fresh database in `dir`.
pub async fn ingest_http(
    p: &IngestBench,
    dir: &std::path::Path,
) -> Result<IngestFigures, BenchError> {
    let chain = "bench-chain";
    let contract = "wasm1bench";
    let domain = Domain::new(chain, contract);
    let fleet = Fleet::generate(&FleetSpec {
        devices: p.devices,
        seed: 77,
        owner_prefix: "wasm1owner".into(),
    });
    let directory = Arc::new(DeviceDirectory::new());
    let skipped = directory.replace_all(fleet.records());
    if !skipped.is_empty() {
        return Err(BenchError::Other(format!(
            "{} devices skipped",
            skipped.len()
        )));
    }
    let now = now_unix();
    let per_device = u64::try_from(p.per_device).unwrap_or(u64::MAX);
    let first = now - 60 * per_device - 120;
    let policy = IngestPolicy::unlimited(
        p.batch.max(1),
        60,
        RoundClock::new(first - first % 3600, 7 * 86_400, 600),
        RatedPower::default(),
    );
    // Pre-sign and pre-serialise every request (client-side cost excluded from the server's
    // figure as far as one process allows). Client c owns devices c, c+C, …; its requests
    // carry readings in sequence order so every reading is valid.
    let mut rng = SplitMix(1);
    let rated = RatedPower::default();
    let mut devices = fleet.devices;
    let clients = p.clients.max(1);
    let mut bodies: Vec<Vec<Vec<u8>>> = vec![Vec::new(); clients];
    let mut total = 0u64;
    for (c, out) in bodies.iter_mut().enumerate() {
        let mut pending: Vec<ReadingJson> = Vec::with_capacity(p.batch);
        for k in 0..per_device {
            let t = first + k * 60;
            for dev in devices.iter_mut().skip(c).step_by(clients) {
                let r = next_reading(dev, &domain, &rated, t, t + 60, &mut rng);
                pending.push(ReadingJson::from(&r));
                total += 1;
                if pending.len() == p.batch.max(1) {
                    let body = serde_json::to_vec(&serde_json::json!({ "readings": pending }))
                        .map_err(|e| BenchError::Other(e.to_string()))?;
                    out.push(body);
                    pending.clear();
                }
            }
        }
        if !pending.is_empty() {
            let body = serde_json::to_vec(&serde_json::json!({ "readings": pending }))
                .map_err(|e| BenchError::Other(e.to_string()))?;
            out.push(body);
        }
    }
    let store = Arc::new(SqliteStore::open(SqliteConfig::new(
        dir.join("bench.sqlite"),
    ))?);
    let ingest = Arc::new(Ingestor::new(
        domain,
        policy,
        directory,
        store.clone() as Arc<dyn ReadingStore>,
        Arc::new(Metrics::new()),
    ));
    // Every client connects from 127.0.0.1: leave room above the per-address limit (a
    // defence against remote clients, not part of what is measured here).
    let defaults = ServerLimits::default();
    let limits = ServerLimits {
        max_connections: defaults.max_connections.max(clients.saturating_mul(2)),
        max_connections_per_ip: defaults
            .max_connections_per_ip
            .max(clients.saturating_mul(2)),
        ..defaults
    };
    let server = BenchServer::start(ingest.clone(), 64 * 1024 * 1024, limits).await?;
    let url = format!("{}/v1/readings", server.base);
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for list in bodies {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0u64;
            let mut busy = 0u64;
            for body in list {
                loop {
                    let resp = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await?;
                    if resp.status().as_u16() == 429 {
                        busy += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        continue;
                    }
                    let v: serde_json::Value = resp.json().await?;
                    accepted += v["accepted"].as_u64().unwrap_or(0);
                    break;
                }
            }
            Ok::<_, reqwest::Error>((accepted, busy))
        }));
    }
    let mut accepted = 0;
    let mut busy_retries = 0;
    for t in tasks {
        let (a, b) = t.await.map_err(|e| BenchError::Other(e.to_string()))??;
        accepted += a;
        busy_retries += b;
    }
    let secs = started.elapsed().as_secs_f64();
    server.stop().await;
    let stored = store.count_readings()?;
    if stored != total || accepted != total {
        return Err(BenchError::Other(format!(
            "expected {total} readings, acknowledged {accepted}, stored {stored}"
        )));
    }
    Ok(IngestFigures {
        accepted,
        secs,
        busy_retries,
    })
}

/// Result of the aggregation benchmark.
#[derive(Debug, Clone)]
pub struct AggregationFigures {
    /// Readings in the round.
    pub readings: u64,
    /// Owners with usage.
    pub owners: usize,
    /// Batches planned.
    pub batches: usize,
    /// Seconds to load the store (not part of the aggregation figure).
    pub load_secs: f64,
    /// Seconds to aggregate from the store and plan batches.
    pub secs: f64,
    /// Peak RSS during aggregation, KiB (None if unavailable).
    pub peak_kib: Option<u64>,
    /// RSS before the phase, KiB.
    pub base_kib: Option<u64>,
    /// Whether the peak was reset before the phase.
    pub peak_reset: bool,
}

/// Loads `readings` readings over `devices` devices straight into a store (signatures are not
/// part of aggregation, so zero signatures are stored), then aggregates the round.
pub fn aggregation(
    devices: usize,
    readings: usize,
    dir: &std::path::Path,
) -> Result<AggregationFigures, BenchError> {
    let genesis = 1_767_225_600u64; // 2026-01-01T00:00:00Z
    let clock = cube_types::clock::RoundClock {
        genesis,
        duration: 7 * 86_400,
    };
    let mut device_map = std::collections::HashMap::with_capacity(devices);
    let mut keys = Vec::with_capacity(devices);
    let mut rng = SplitMix(99);
    for i in 0..devices {
        let mut k = [0u8; 32];
        for c in k.chunks_mut(8) {
            c.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        keys.push(k);
        let model = if i % 2 == 0 {
            DeviceModel::CubeV1
        } else {
            DeviceModel::CubeV2
        };
        let tz = ZONES[i % ZONES.len()]
            .parse()
            .map_err(|_| BenchError::Other("zone".into()))?;
        device_map.insert(
            k,
            DeviceInfo {
                owner: format!("wasm1owner{:06}", i * 2 / 3),
                model,
                timezone: tz,
            },
        );
    }
    let store = SqliteStore::open(SqliteConfig {
        synchronous_full: false,
        ..SqliteConfig::new(dir.join("agg.sqlite"))
    })?;
    let per_device = readings.div_ceil(devices.max(1));
    let load_started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let mut loaded = 0usize;
    // Interleave devices hour by hour, 20k readings per transaction.
    let mut chunk: Vec<SignedReading> = Vec::with_capacity(20_000);
    'outer: for h in 0..per_device {
        for (i, k) in keys.iter().enumerate() {
            if loaded >= readings {
                break 'outer;
            }
            let h64 = u64::try_from(h).unwrap_or(0);
            // Offset windows by device so they are not all hour-aligned (exercises splitting).
            let off = u64::try_from(i % 60).unwrap_or(0) * 60;
            let start = genesis + off + h64 * 3600;
            chunk.push(SignedReading {
                reading: Reading {
                    device_pubkey: *k,
                    sequence: h64 + 1,
                    window_start: start,
                    window_end: start + 3600,
                    discharged_wh: 100 + rng.below(900),
                    charged_wh: 0,
                    battery_id: if i % 3 == 0 {
                        WHITELISTED_BATTERIES[0].to_string()
                    } else {
                        format!("GEN-{i}")
                    },
                    firmware: "bench".into(),
                },
                signature: [0; 64],
            });
            loaded += 1;
            if chunk.len() == 20_000 {
                let batch = std::mem::replace(&mut chunk, Vec::with_capacity(20_000));
                rt.block_on(async { store.submit(batch)?.await.map_err(|_| StoreError::Closed)? })?;
            }
        }
    }
    if !chunk.is_empty() {
        rt.block_on(async { store.submit(chunk)?.await.map_err(|_| StoreError::Closed)? })?;
    }
    let load_secs = load_started.elapsed().as_secs_f64();
    let whitelist: HashSet<String> = WHITELISTED_BATTERIES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let policy = ScorePolicy::default();
    let peak_reset = reset_peak_rss();
    let base_kib = rss_kib();
    let started = Instant::now();
    let (plan, stats) = aggregate_round(
        &store,
        &RoundInput {
            round: 0,
            clock,
            policy: &policy,
            policy_version: 1,
            whitelist: &whitelist,
            devices: &device_map,
            max_entries_per_batch: 50,
        },
    )
    .map_err(|e| BenchError::Other(e.to_string()))?;
    let secs = started.elapsed().as_secs_f64();
    Ok(AggregationFigures {
        readings: stats.readings,
        owners: plan.batches.iter().map(|b| b.entries.len()).sum(),
        batches: plan.batches.len(),
        load_secs,
        secs,
        peak_kib: peak_rss_kib(),
        base_kib,
        peak_reset,
    })
}

/// One pass through a round's pages.
#[derive(Debug, Clone, Copy)]
pub struct PagingFigures {
    /// Pages served.
    pub pages: u64,
    /// Readings served.
    pub readings: u64,
    /// Wall time, seconds.
    pub secs: f64,
    /// Peak RSS of the process during the pass, KiB (None if unavailable).
    pub peak_kib: Option<u64>,
    /// RSS before the pass, KiB.
    pub base_kib: Option<u64>,
    /// Whether the peak was reset before the pass.
    pub peak_reset: bool,
}

/// Result of the peer-page benchmark.
#[derive(Debug, Clone, Copy)]
pub struct PeerPageFigures {
    /// Readings of the paged round (one per device).
    pub round_readings: u64,
    /// Readings stored in the rounds before and after it.
    pub other_readings: u64,
    /// Seconds to load the store (not part of the figures).
    pub load_secs: f64,
    /// Page size ([`DEFAULT_PAGE`]).
    pub page: usize,
    /// Through `SqliteStore::round_readings_page`.
    pub store: PagingFigures,
    /// Through `GET /v1/rounds/{round}/readings` (client-side JSON parsing included).
    pub http: PagingFigures,
}

/// A key spread over the key space, derived from `i` (distinct for distinct `i`).
fn spread_key(i: u64) -> [u8; 32] {
    let mut rng = SplitMix(i);
    let mut k = [0u8; 32];
    for c in k.chunks_mut(8) {
        c.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    k
}

/// Fills a fresh store in `dir` with one reading per device for `devices` devices in round 1
/// of weekly rounds, plus readings of a fifth of the devices in rounds 0 and 2 (signatures
/// are zero: serving does not verify, the store keeps what it is given), then pages through
/// round 1 with the store and with the HTTP route, [`DEFAULT_PAGE`] readings per page.
pub async fn peer_pages(
    devices: usize,
    dir: &std::path::Path,
) -> Result<PeerPageFigures, BenchError> {
    const WEEK: u64 = 7 * 86_400;
    const HOURS: u64 = 7 * 24;
    let genesis = 1_767_225_600u64; // 2026-01-01T00:00:00Z
    let clock = RoundClock::new(genesis, WEEK, 600);
    let round = 1u64;
    let (from, to) = clock
        .bounds(round)
        .ok_or_else(|| BenchError::Other("round bounds".into()))?;
    let store = Arc::new(SqliteStore::open(SqliteConfig {
        synchronous_full: false,
        ..SqliteConfig::new(dir.join("peer-pages.sqlite"))
    })?);
    let n = u64::try_from(devices).unwrap_or(u64::MAX);
    let others = n / 5;
    let mut rng = SplitMix(5);
    // Windows of 15 minutes inside one hour (none straddles a round boundary), spread over
    // the round's hours; rounds in order, so every reading takes the writer's fast path.
    let mut reading = |i: u64, round_start: u64, sequence: u64| {
        let start = round_start + (i % HOURS) * 3_600 + (i % 45) * 60;
        SignedReading {
            reading: Reading {
                device_pubkey: spread_key(i),
                sequence,
                window_start: start,
                window_end: start + 900,
                discharged_wh: 100 + rng.below(900),
                charged_wh: 0,
                battery_id: format!("BENCH-{i}"),
                firmware: "bench".into(),
            },
            signature: [0; 64],
        }
    };
    let load_started = Instant::now();
    let mut chunk: Vec<SignedReading> = Vec::with_capacity(20_000);
    let plan = [(from - WEEK, others, 1u64), (from, n, 2), (to, others, 3)];
    for (round_start, count, sequence) in plan {
        for i in 0..count {
            chunk.push(reading(i, round_start, sequence));
            if chunk.len() == 20_000 {
                let batch = std::mem::replace(&mut chunk, Vec::with_capacity(20_000));
                store
                    .submit(batch)?
                    .await
                    .map_err(|_| StoreError::Closed)??;
            }
        }
    }
    if !chunk.is_empty() {
        store
            .submit(chunk)?
            .await
            .map_err(|_| StoreError::Closed)??;
    }
    let load_secs = load_started.elapsed().as_secs_f64();
    let stored = store.count_readings()?;
    if stored != n.saturating_add(others.saturating_mul(2)) {
        return Err(BenchError::Other(format!(
            "stored {stored} readings, expected {}",
            n.saturating_add(others.saturating_mul(2))
        )));
    }

    // Store pages.
    let paging = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || -> Result<PagingFigures, BenchError> {
            let peak_reset = reset_peak_rss();
            let base_kib = rss_kib();
            let started = Instant::now();
            let (mut pages, mut readings) = (0u64, 0u64);
            let mut after = None;
            loop {
                let p = store.round_readings_page(from, to, after, DEFAULT_PAGE)?;
                pages += 1;
                readings += u64::try_from(p.readings.len()).unwrap_or(u64::MAX);
                match p.next {
                    Some(c) => after = Some(c),
                    None => break,
                }
            }
            Ok(PagingFigures {
                pages,
                readings,
                secs: started.elapsed().as_secs_f64(),
                peak_kib: peak_rss_kib(),
                base_kib,
                peak_reset,
            })
        })
        .await
        .map_err(|e| BenchError::Other(e.to_string()))??
    };

    // HTTP pages.
    let policy = IngestPolicy::unlimited(500, 60, clock, RatedPower::default());
    let ingest = Arc::new(Ingestor::new(
        Domain::new("bench-chain", "wasm1bench"),
        policy,
        Arc::new(DeviceDirectory::new()),
        store.clone() as Arc<dyn ReadingStore>,
        Arc::new(Metrics::new()),
    ));
    let server = BenchServer::start(ingest, 1024 * 1024, ServerLimits::default()).await?;
    let url = format!("{}/v1/rounds/{round}/readings", server.base);
    let client = reqwest::Client::new();
    let peak_reset = reset_peak_rss();
    let base_kib = rss_kib();
    let started = Instant::now();
    let outcome = http_pages(&client, &url).await;
    let secs = started.elapsed().as_secs_f64();
    let peak_kib = peak_rss_kib();
    server.stop().await;
    let (pages, readings) = outcome?;
    let http = PagingFigures {
        pages,
        readings,
        secs,
        peak_kib,
        base_kib,
        peak_reset,
    };
    if paging.readings != n || http.readings != n {
        return Err(BenchError::Other(format!(
            "round {round}: expected {n} readings, store pages gave {}, HTTP pages {}",
            paging.readings, http.readings
        )));
    }
    Ok(PeerPageFigures {
        round_readings: n,
        other_readings: others.saturating_mul(2),
        load_secs,
        page: DEFAULT_PAGE,
        store: paging,
        http,
    })
}

/// Pages through the peer readings route at `url` (server default page size) until `next` is
/// null; returns the pages and readings received.
async fn http_pages(client: &reqwest::Client, url: &str) -> Result<(u64, u64), BenchError> {
    let (mut pages, mut readings) = (0u64, 0u64);
    let mut after: Option<String> = None;
    loop {
        let mut req = client.get(url);
        if let Some(c) = &after {
            req = req.query(&[("after", c)]);
        }
        let resp = req.send().await?;
        if !resp.status().is_success() {
            return Err(BenchError::Other(format!(
                "peer page: HTTP {}",
                resp.status()
            )));
        }
        let v: serde_json::Value = resp.json().await?;
        pages += 1;
        readings += v["readings"]
            .as_array()
            .map_or(0, |a| u64::try_from(a.len()).unwrap_or(u64::MAX));
        match v["next"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => return Ok((pages, readings)),
        }
    }
}

/// Result of the quota benchmark.
#[derive(Debug, Clone, Copy)]
pub struct QuotaFigures {
    /// Distinct keys taken in the first phase (100,000 unless fewer were asked for or the
    /// time budget ran out).
    pub first_keys: u64,
    /// Nanoseconds per check over the first keys (new keys, map growing from empty).
    pub first_ns: f64,
    /// Probes on random existing keys after the first phase.
    pub small_probes: u64,
    /// Nanoseconds per probe after the first phase.
    pub small_probe_ns: f64,
    /// Distinct keys taken in all.
    pub keys: u64,
    /// Seconds to take every key.
    pub fill_secs: f64,
    /// Probes on random existing keys after every key was taken.
    pub probes: u64,
    /// Nanoseconds per probe after every key was taken.
    pub probe_ns: f64,
    /// Whether a phase stopped at the time budget.
    pub budget_hit: bool,
}

/// Quota checks per phase between two looks at the clock budget.
const BUDGET_STRIDE: u64 = 1_024;

/// Runs `take(spread_key(i), 1, Instant::now())` for each `i` of `keys`; returns the checks
/// done, the seconds taken and whether it stopped early (at a multiple of [`BUDGET_STRIDE`])
/// because `budget` was spent.
fn take_range(
    buckets: &Buckets<[u8; 32]>,
    keys: impl Iterator<Item = u64>,
    budget: Duration,
) -> (u64, f64, bool) {
    let started = Instant::now();
    let mut done = 0u64;
    let mut granted = 0u64;
    let mut over = false;
    for i in keys {
        granted = granted.wrapping_add(buckets.take(spread_key(i), 1, Instant::now()));
        done += 1;
        if done.is_multiple_of(BUDGET_STRIDE) && started.elapsed() > budget {
            over = true;
            break;
        }
    }
    std::hint::black_box(granted);
    (done, started.elapsed().as_secs_f64(), over)
}

fn ns_per(n: u64, secs: f64) -> f64 {
    if n > 0 {
        secs * 1e9 / n as f64
    } else {
        0.0
    }
}

/// Per-device quota checks (`Buckets::take`, the ingest path's per-device token bucket) for
/// `keys` distinct 32-byte keys: the first 100,000 (baseline), then the rest, with `probes`
/// checks of random existing keys after the first 100,000 and after all of them. The quota
/// (burst 100, refill 0.01/s) keeps every bucket below its burst for the whole run, so none is
/// idle. Each phase stops once `budget` is spent. Key derivation and `Instant::now()` are part
/// of every check in every phase.
pub fn quota_checks(keys: usize, probes: usize, budget: Duration) -> QuotaFigures {
    let buckets = Buckets::<[u8; 32]>::new(Quota {
        rate: 0.01,
        burst: 100.0,
    });
    let keys = u64::try_from(keys).unwrap_or(u64::MAX);
    let probes = u64::try_from(probes).unwrap_or(u64::MAX);
    let first = keys.min(100_000);
    let mut rng = SplitMix(11);
    let (first_keys, first_secs, over1) = take_range(&buckets, 0..first, budget);
    let small = first_keys;
    let (small_probes, small_secs, over2) =
        take_range(&buckets, (0..probes).map(|_| rng.below(small)), budget);
    let (more, more_secs, over3) = if over1 {
        (0, 0.0, false)
    } else {
        take_range(&buckets, first..keys, budget)
    };
    let total = first_keys.saturating_add(more);
    let (probes_done, probe_secs, over4) =
        take_range(&buckets, (0..probes).map(|_| rng.below(total)), budget);
    QuotaFigures {
        first_keys,
        first_ns: ns_per(first_keys, first_secs),
        small_probes,
        small_probe_ns: ns_per(small_probes, small_secs),
        keys: total,
        fill_secs: first_secs + more_secs,
        probes: probes_done,
        probe_ns: ns_per(probes_done, probe_secs),
        budget_hit: over1 || over2 || over3 || over4,
    }
}

/// The optional benchmarks of [`run_all`]; `None` skips one.
#[derive(Debug, Clone, Copy)]
pub struct ServingBenches {
    /// Devices of the peer-page benchmark.
    pub peer_devices: Option<usize>,
    /// Distinct keys of the quota benchmark.
    pub quota_keys: Option<usize>,
    /// Time budget of each phase of the quota benchmark.
    pub quota_budget: Duration,
}

/// Runs everything and prints the figures.
pub async fn run_all(
    ingest: &[IngestBench],
    verify_n: usize,
    agg_devices: usize,
    agg_readings: usize,
    serving: ServingBenches,
) -> Result<(), BenchError> {
    let dir = tempfile::Builder::new()
        .prefix("relayer-bench-")
        .tempdir()?;
    println!("== relayer bench ({} CPUs available)", num_cpus());
    let (single, batched) = tokio::task::spawn_blocking(move || raw_verify_rates(verify_n))
        .await
        .map_err(|e| BenchError::Other(e.to_string()))?;
    println!(
        "raw ed25519 verify, 1 core, one by one : {single:>10.0} sig/s ({verify_n} signatures)"
    );
    println!("raw ed25519 verify, 1 core, batched 512: {batched:>10.0} sig/s");
    for p in ingest {
        let sub = dir.path().join(format!("ingest-{}-clients", p.clients));
        std::fs::create_dir_all(&sub)?;
        let f = ingest_http(p, &sub).await?;
        let rps = rate(f.accepted, f.secs);
        println!(
            "HTTP ingest (durable, synchronous=FULL): {rps:>10.0} readings/s acknowledged \
             ({} readings, {} devices, {}/request, {} clients, {:.2} s, {} x 429 retried)",
            f.accepted, p.devices, p.batch, p.clients, f.secs, f.busy_retries
        );
        println!(
            "  ratio to raw single-core one-by-one verify rate: {:.2}",
            if single > 0.0 { rps / single } else { 0.0 }
        );
        println!(
            "  ratio to raw single-core batched verify rate:    {:.2}",
            if batched > 0.0 { rps / batched } else { 0.0 }
        );
    }
    let a = tokio::task::spawn_blocking({
        let p = dir.path().to_path_buf();
        move || aggregation(agg_devices, agg_readings, &p)
    })
    .await
    .map_err(|e| BenchError::Other(e.to_string()))??;
    println!(
        "aggregation: {} readings, {} devices, {} owners, {} batches: {:.2} s \
         (store load {:.1} s, not included)",
        a.readings, agg_devices, a.owners, a.batches, a.secs, a.load_secs
    );
    println!(
        "  peak RSS during aggregation (VmHWM): {} MiB (RSS before {} MiB, peak reset: {})",
        a.peak_kib.map(|k| k / 1024).unwrap_or(0),
        a.base_kib.map(|k| k / 1024).unwrap_or(0),
        a.peak_reset
    );
    if let Some(devices) = serving.peer_devices {
        let sub = dir.path().join("peer-pages");
        std::fs::create_dir_all(&sub)?;
        let f = peer_pages(devices, &sub).await?;
        println!(
            "peer pages: round of {} readings ({devices} devices, {} more readings in the \
             rounds around it), {} per page (store load {:.1} s, not included)",
            f.round_readings, f.other_readings, f.page, f.load_secs
        );
        for (what, p) in [
            ("store round_readings_page", f.store),
            ("HTTP GET /v1/rounds/{r}/readings", f.http),
        ] {
            println!(
                "  {what:<34}: {:>8.1} pages/s {:>10.0} readings/s ({} pages, {:.2} s); \
                 peak RSS {} MiB (before {} MiB, peak reset: {})",
                rate(p.pages, p.secs),
                rate(p.readings, p.secs),
                p.pages,
                p.secs,
                p.peak_kib.map(|k| k / 1024).unwrap_or(0),
                p.base_kib.map(|k| k / 1024).unwrap_or(0),
                p.peak_reset
            );
        }
    }
    if let Some(keys) = serving.quota_keys {
        let budget = serving.quota_budget;
        let q = tokio::task::spawn_blocking(move || quota_checks(keys, 100_000, budget))
            .await
            .map_err(|e| BenchError::Other(e.to_string()))?;
        println!(
            "quota check (Buckets::take), {} distinct devices{}:",
            q.keys,
            if q.budget_hit {
                format!(" (a phase stopped at its {} s budget)", budget.as_secs())
            } else {
                String::new()
            }
        );
        println!(
            "  first {:>9} devices (new keys)        : {:>8.0} ns/check",
            q.first_keys, q.first_ns
        );
        println!(
            "  {:>9} checks, random keys of {:>9}: {:>8.0} ns/check",
            q.small_probes, q.first_keys, q.small_probe_ns
        );
        println!(
            "  {:>9} checks, random keys of {:>9}: {:>8.0} ns/check (all keys taken in {:.2} s)",
            q.probes, q.keys, q.probe_ns, q.fill_secs
        );
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        println!(
            "  ratio at {} devices: {:.2} x the first {} devices, {:.2} x random checks at {}",
            q.keys,
            ratio(q.probe_ns, q.first_ns),
            q.first_keys,
            ratio(q.probe_ns, q.small_probe_ns),
            q.first_keys
        );
    }
    Ok(())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
