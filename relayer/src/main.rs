//! `relayer`: the Cube oracle daemon.
//!
//! ```text
//! relayer run       --config relayer.toml     serve ingest + aggregate finished rounds
//! relayer status    --config relayer.toml     database, device and round progress summary
//! relayer aggregate --config relayer.toml --round N   print the round's batches (offline)
//! relayer keys device-new --out dev.key       new ed25519 device key (hex, mode 0600)
//! relayer keys device-pubkey --key-file dev.key
//! relayer bench [...]                         print throughput / aggregation figures
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use cube_scoring::ScorePolicy;
use relayer::aggregate::{aggregate_round, RoundInput, RoundPlan};
use relayer::config::Config;
use relayer::directory::{load_device_file, DeviceDirectory};
use relayer::ingest::{now_unix, Ingestor};
use relayer::metrics::Metrics;
use relayer::server::{router, serve, AppState};
use relayer::store::{ReadingStore, RoundProgress, SqliteStore, SubmissionRecord};
use relayer::telemetry::Domain;
use tokio::sync::watch;
use tracing::Instrument;

#[derive(Parser)]
#[command(name = "relayer", version, about = "Cube oracle daemon")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve ingest and aggregate finished rounds until SIGTERM / Ctrl-C.
    Run {
        /// Configuration file (see relayer/config.example.toml).
        #[arg(long, env = "RELAYER_CONFIG")]
        config: PathBuf,
    },
    /// Print a summary of the database and round progress.
    Status {
        /// Configuration file.
        #[arg(long, env = "RELAYER_CONFIG")]
        config: PathBuf,
        /// Show this round (default: the last finished one).
        #[arg(long)]
        round: Option<u64>,
    },
    /// Aggregate a round from the database and print its batches (does not submit).
    Aggregate {
        /// Configuration file.
        #[arg(long, env = "RELAYER_CONFIG")]
        config: PathBuf,
        /// Round index.
        #[arg(long)]
        round: u64,
        /// Policy version to stamp on the batches.
        #[arg(long, default_value_t = 1)]
        policy_version: u32,
    },
    /// Key handling.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Benchmarks (build with --release); prints figures.
    Bench {
        /// Devices in the ingest benchmark.
        #[arg(long, default_value_t = 2_000)]
        devices: usize,
        /// Readings per device in the ingest benchmark.
        #[arg(long, default_value_t = 50)]
        per_device: usize,
        /// Readings per HTTP request.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Signatures for the raw verification rate.
        #[arg(long, default_value_t = 20_000)]
        verify: usize,
        /// Devices in the aggregation benchmark.
        #[arg(long, default_value_t = 10_000)]
        agg_devices: usize,
        /// Readings in the aggregation benchmark.
        #[arg(long, default_value_t = 1_000_000)]
        agg_readings: usize,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create an ed25519 device key file (hex secret, mode 0600) and print its public key.
    DeviceNew {
        /// Output file (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a device key file.
    DevicePubkey {
        /// Key file.
        #[arg(long)]
        key_file: PathBuf,
    },
}

fn init_tracing(format: &str, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run { config } => {
            let cfg = Config::load(&config).context("loading configuration")?;
            init_tracing(&cfg.log.format, &cfg.log.level);
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(run(cfg))
        }
        Cmd::Status { config, round } => status(&Config::load(&config)?, round),
        Cmd::Aggregate {
            config,
            round,
            policy_version,
        } => aggregate_cmd(&Config::load(&config)?, round, policy_version),
        Cmd::Keys { cmd } => keys(cmd),
        Cmd::Bench {
            devices,
            per_device,
            batch,
            clients,
            verify,
            agg_devices,
            agg_readings,
        } => {
            init_tracing("text", "warn");
            let p = relayer::bench::IngestBench {
                devices,
                per_device,
                batch,
                clients,
            };
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(relayer::bench::run_all(
                    &p,
                    verify,
                    agg_devices,
                    agg_readings,
                ))?;
            Ok(())
        }
    }
}

fn load_directory(cfg: &Config) -> Result<DeviceDirectory> {
    let directory = DeviceDirectory::new();
    if let Some(path) = &cfg.devices.static_file {
        let records = load_device_file(path)?;
        for e in directory.replace_all(records) {
            tracing::warn!(error = %e, "device skipped");
        }
    }
    // Seam: once `packages/chain-client` exposes the mining-round `Devices` query, a
    // `DeviceSource` implementation refreshes this directory every
    // `chain.device_refresh_secs` (see `relayer::directory::DeviceSource`).
    Ok(directory)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// With the chain enabled: builds the client, checks the contract's round timing against the
/// config, loads the device registry and keeps refreshing it.
#[cfg(feature = "chain")]
async fn connect_chain(
    cfg: &Config,
    directory: &Arc<DeviceDirectory>,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<ChainHandle>> {
    use relayer::chain::{ChainDevices, MiningRound};
    if !cfg.chain.enabled {
        tracing::warn!("chain disabled: offline mode, nothing is submitted");
        return Ok(None);
    }
    let mnemonic = match &cfg.operator.mnemonic_file {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => cfg.operator.mnemonic.expose().to_string(),
    };
    let signer = chain_client::Signer::from_mnemonic(&mnemonic, &cfg.chain.account_prefix)?;
    drop(mnemonic);
    let client_cfg = chain_client::ChainConfig::new(
        cfg.chain.rest_url.clone(),
        cfg.chain.chain_id.clone(),
        cfg.chain.gas_price.parse()?,
    );
    let client = chain_client::ChainClient::new(client_cfg, signer)?;
    client.check_chain_id().await?;
    tracing::info!(oracle = %client.address(), "chain client ready");
    let chain = MiningRound {
        client: Arc::new(client),
        contract: cfg.chain.mining_round_contract.clone(),
    };
    let c = chain.config().await?;
    if c.genesis_time != cfg.rounds.genesis || c.round_duration != cfg.rounds.duration_secs {
        bail!(
            "round timing mismatch: contract genesis {} duration {}, config genesis {} duration {}",
            c.genesis_time,
            c.round_duration,
            cfg.rounds.genesis,
            cfg.rounds.duration_secs
        );
    }
    let source = Arc::new(ChainDevices(chain.clone()));
    let n = directory.refresh(source.as_ref()).await?;
    tracing::info!(devices = n, "device registry loaded from chain");
    let every = Duration::from_secs(cfg.chain.device_refresh_secs);
    let dir = directory.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tokio::time::sleep(every) => {}
            }
            match dir.refresh(source.as_ref()).await {
                Ok(n) => tracing::debug!(devices = n, "device registry refreshed"),
                Err(e) => tracing::warn!(error = %e, "device registry refresh failed"),
            }
        }
    });
    Ok(Some(chain))
}

#[cfg(not(feature = "chain"))]
async fn connect_chain(
    cfg: &Config,
    _directory: &Arc<DeviceDirectory>,
    _stop: watch::Receiver<bool>,
) -> Result<Option<ChainHandle>> {
    if cfg.chain.enabled {
        bail!("built without the `chain` feature; set chain.enabled = false");
    }
    Ok(None)
}

#[cfg(feature = "chain")]
fn chain_reader(chain: &Option<ChainHandle>) -> Option<Arc<dyn relayer::server::ChainReader>> {
    chain
        .as_ref()
        .map(|c| Arc::new(c.clone()) as Arc<dyn relayer::server::ChainReader>)
}

#[cfg(not(feature = "chain"))]
fn chain_reader(_chain: &Option<ChainHandle>) -> Option<Arc<dyn relayer::server::ChainReader>> {
    None
}

async fn run(cfg: Config) -> Result<()> {
    tracing::info!(
        chain_id = %cfg.chain.chain_id,
        contract = %cfg.chain.mining_round_contract,
        listen = %cfg.http.listen,
        db = %cfg.store.path.display(),
        operator_key_configured = !cfg.operator.mnemonic.is_empty() || cfg.operator.mnemonic_file.is_some(),
        "starting relayer"
    );
    let store = Arc::new(SqliteStore::open(cfg.sqlite()).context("opening store")?);
    let directory = Arc::new(load_directory(&cfg)?);
    tracing::info!(devices = directory.len(), "device directory loaded");
    let ingest = Arc::new(Ingestor::new(
        Domain::new(&cfg.chain.chain_id, &cfg.chain.mining_round_contract),
        cfg.ingest_policy(),
        directory.clone(),
        store.clone() as Arc<dyn ReadingStore>,
        Arc::new(Metrics::new()),
    ));
    let (stop_tx, stop_rx) = watch::channel(false);
    let chain = connect_chain(&cfg, &directory, stop_rx.clone()).await?;
    let listener = tokio::net::TcpListener::bind(&cfg.http.listen)
        .await
        .with_context(|| format!("binding {}", cfg.http.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let app = router(
        AppState {
            ingest: ingest.clone(),
            chain: chain_reader(&chain),
        },
        cfg.http.max_body_bytes,
    );
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(serve(listener, app, async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    let agg = tokio::spawn(aggregation_loop(
        cfg.clone(),
        store.clone(),
        directory.clone(),
        chain,
        stop_rx.clone(),
    ));
    shutdown_signal().await;
    tracing::info!("shutting down: draining HTTP, then the writer");
    let _ = stop_tx.send(true);
    server.await??;
    let _ = agg.await;
    store.close();
    tracing::info!("stopped");
    Ok(())
}

/// Aggregates each round once its end plus grace has passed and records the plan; with the
/// chain enabled, inputs come from the contract and the plan is submitted
/// (`relayer::chain::submit_round`), retried every tick until the round is finalized.
async fn aggregation_loop(
    cfg: Config,
    store: Arc<SqliteStore>,
    directory: Arc<DeviceDirectory>,
    chain: Option<ChainHandle>,
    mut stop: watch::Receiver<bool>,
) {
    let clock = cfg.round_clock();
    let mut next_round = clock
        .round_at(now_unix().saturating_sub(clock.grace))
        .and_then(|r| r.checked_sub(1))
        .unwrap_or(0);
    // A round is aggregated once per process: re-aggregating while submitting could pick up a
    // registry change and produce different hashes than the votes already cast.
    let mut plans: HashMap<u64, RoundPlan> = HashMap::new();
    loop {
        let now = now_unix();
        while let Some((_, end)) = clock.bounds(next_round) {
            if end.saturating_add(clock.grace) > now {
                break;
            }
            let span = tracing::info_span!("round", round = next_round);
            let done = async {
                match &chain {
                    Some(c) => {
                        chain_round(&cfg, store.as_ref(), &directory, c, &mut plans, next_round)
                            .await
                    }
                    None => offline_round(&cfg, store.as_ref(), &directory, next_round),
                }
            }
            .instrument(span)
            .await;
            match done {
                Ok(true) => next_round = next_round.saturating_add(1),
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(round = next_round, error = %e, "round processing failed, will retry");
                    break;
                }
            }
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Offline mode: aggregate once with the configured whitelist and the default policy v1.
fn offline_round(
    cfg: &Config,
    store: &SqliteStore,
    directory: &DeviceDirectory,
    round: u64,
) -> Result<bool> {
    if store.round_progress(round)?.is_some() {
        return Ok(true);
    }
    let devices = directory.snapshot();
    let whitelist = cfg.whitelist();
    let policy = ScorePolicy::default();
    let input = RoundInput {
        round,
        clock: cfg.round_clock(),
        policy: &policy,
        policy_version: 1,
        whitelist: &whitelist,
        devices: &devices,
        max_entries_per_batch: cfg.rounds.max_entries_per_batch,
    };
    let (plan, stats) = aggregate_round(store, &input)?;
    record_plan(store, &plan, "aggregated")?;
    tracing::info!(
        batches = plan.batches.len(),
        readings = stats.readings,
        skipped = stats.skipped_unknown_device,
        "round aggregated (offline mode, not submitted)"
    );
    Ok(true)
}

#[cfg(feature = "chain")]
type ChainHandle = relayer::chain::MiningRound;
#[cfg(not(feature = "chain"))]
type ChainHandle = std::convert::Infallible;

/// Chain mode: returns Ok(true) when the round needs no more work.
#[cfg(feature = "chain")]
async fn chain_round(
    cfg: &Config,
    store: &SqliteStore,
    directory: &DeviceDirectory,
    chain: &ChainHandle,
    plans: &mut HashMap<u64, RoundPlan>,
    round: u64,
) -> Result<bool> {
    use cube_types::mining_round::RoundStatus;
    if matches!(store.round_progress(round)?, Some(p) if p.status == "done") {
        return Ok(true);
    }
    let inputs = relayer::chain::round_inputs(chain, round, cfg.rounds.grace_secs).await?;
    match inputs.status {
        RoundStatus::Finalized | RoundStatus::Void | RoundStatus::Swept => {
            let p = store.round_progress(round)?;
            store.put_round_progress(&RoundProgress {
                round,
                policy_version: u64::from(inputs.policy_version),
                batch_count: p.map(|p| p.batch_count).unwrap_or(0),
                status: "done".into(),
            })?;
            return Ok(true);
        }
        RoundStatus::AttestationExpired => {
            tracing::warn!("attestation window over without finalization");
            return Ok(true);
        }
        RoundStatus::Upcoming | RoundStatus::InProgress => return Ok(false),
        RoundStatus::Attesting => {}
    }
    if let std::collections::hash_map::Entry::Vacant(slot) = plans.entry(round) {
        let devices = directory.snapshot();
        let input = RoundInput {
            round,
            clock: inputs.clock,
            policy: &inputs.policy,
            policy_version: inputs.policy_version,
            whitelist: &inputs.whitelist,
            devices: &devices,
            max_entries_per_batch: inputs.max_entries_per_batch,
        };
        let (plan, stats) = aggregate_round(store, &input)?;
        if store.round_progress(round)?.is_none() {
            record_plan(store, &plan, "aggregated")?;
        }
        tracing::info!(
            batches = plan.batches.len(),
            readings = stats.readings,
            skipped = stats.skipped_unknown_device,
            "round aggregated"
        );
        slot.insert(plan);
    }
    let Some(plan) = plans.get(&round) else {
        return Ok(false);
    };
    let summary = relayer::chain::submit_round(chain, store, plan).await?;
    tracing::info!(?summary, "submission pass");
    if summary.finalized {
        plans.remove(&round);
    }
    Ok(summary.finalized)
}

#[cfg(not(feature = "chain"))]
async fn chain_round(
    _cfg: &Config,
    _store: &SqliteStore,
    _directory: &DeviceDirectory,
    chain: &ChainHandle,
    _plans: &mut HashMap<u64, RoundPlan>,
    _round: u64,
) -> Result<bool> {
    match *chain {}
}

fn record_plan(store: &SqliteStore, plan: &RoundPlan, status: &str) -> Result<()> {
    for b in &plan.batches {
        tracing::info!(
            batch = b.index,
            entries = b.entries.len(),
            hash = %hex::encode(b.hash),
            "batch planned"
        );
        store.put_submission(&SubmissionRecord {
            round: plan.round,
            batch_index: b.index,
            batch_hash: b.hash,
            kind: "pending".into(),
            state: "planned".into(),
            tx_hash: None,
        })?;
    }
    store.put_round_progress(&RoundProgress {
        round: plan.round,
        policy_version: u64::from(plan.policy_version),
        batch_count: u32::try_from(plan.batches.len())?,
        status: status.into(),
    })?;
    Ok(())
}

fn status(cfg: &Config, round: Option<u64>) -> Result<()> {
    let store = SqliteStore::open(cfg.sqlite())?;
    let clock = cfg.round_clock();
    let now = now_unix();
    println!("database        {}", cfg.store.path.display());
    println!("readings        {}", store.count_readings()?);
    println!(
        "current round   {}",
        clock
            .round_at(now)
            .map(|r| r.to_string())
            .unwrap_or_else(|| "before genesis".into())
    );
    let show = round.or_else(|| clock.round_at(now).and_then(|r| r.checked_sub(1)));
    if let Some(r) = show {
        match store.round_progress(r)? {
            Some(p) => println!(
                "round {r}: status {} policy v{} batches {}",
                p.status, p.policy_version, p.batch_count
            ),
            None => println!("round {r}: not aggregated"),
        }
        for s in store.submissions(r)? {
            println!(
                "  batch {} {} {} {} {}",
                s.batch_index,
                hex::encode(s.batch_hash),
                s.kind,
                s.state,
                s.tx_hash.unwrap_or_default()
            );
        }
    }
    store.close();
    Ok(())
}

fn aggregate_cmd(cfg: &Config, round: u64, policy_version: u32) -> Result<()> {
    let store = SqliteStore::open(cfg.sqlite())?;
    let directory = load_directory(cfg)?;
    let devices = directory.snapshot();
    let whitelist = cfg.whitelist();
    let policy = ScorePolicy::default();
    let (plan, stats) = aggregate_round(
        &store,
        &RoundInput {
            round,
            clock: cfg.round_clock(),
            policy: &policy,
            policy_version,
            whitelist: &whitelist,
            devices: &devices,
            max_entries_per_batch: cfg.rounds.max_entries_per_batch,
        },
    )?;
    println!(
        "round {round}: {} readings ({} of unknown devices skipped), {} batches",
        stats.readings,
        stats.skipped_unknown_device,
        plan.batches.len()
    );
    for b in &plan.batches {
        println!(
            "batch {} entries {} hash {}",
            b.index,
            b.entries.len(),
            hex::encode(b.hash)
        );
    }
    store.close();
    Ok(())
}

fn keys(cmd: KeysCmd) -> Result<()> {
    match cmd {
        KeysCmd::DeviceNew { out } => {
            if out.exists() {
                bail!("{} exists; refusing to overwrite a key", out.display());
            }
            let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
            write_secret(&out, &hex::encode(key.to_bytes()))?;
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
            Ok(())
        }
        KeysCmd::DevicePubkey { key_file } => {
            let text = std::fs::read_to_string(&key_file)
                .with_context(|| format!("reading {}", key_file.display()))?;
            let mut secret = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut secret)
                .context("key file must hold 64 hex characters")?;
            let key = ed25519_dalek::SigningKey::from_bytes(&secret);
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
            Ok(())
        }
    }
}

fn write_secret(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
