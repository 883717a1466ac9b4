//! The supervised relayer service (`relayer run`).
//!
//! Start-up: the secret files of the configuration are checked
//! ([`Config::check_secret_files`]), the operator key is derived from the mnemonic (a bad
//! mnemonic stops the start), the store is opened and the device directory loaded from the
//! registry last read from chain ([`Config::device_registry_file`]) and the static device
//! file ([`load_directory`]). The ingest server then serves at once: a chain that is down at
//! start-up delays attestation, never ingest.
//!
//! Components under one supervisor:
//!
//! * **ingest server**: `POST /v1/readings`, the read API and the peer endpoints, with the
//!   connection limits of `[http]`,
//! * **chain connection** (chain enabled): checks the chain id and the contract's round timing
//!   over REST, retrying with backoff ([`CHAIN_RETRY_FIRST`] doubling to [`CHAIN_RETRY_MAX`],
//!   each failure logged as a warning) while the chain is unreachable. A chain that answers
//!   with another chain id or round timing stops the relayer. Once connected it refreshes the
//!   directory (saving it next to the database), installs the read API's chain reader (until
//!   then the chain-forwarding routes answer [`CHAIN_NOT_CONNECTED`], see
//!   [`LateChainReader`]), and the supervisor starts:
//! * **registry follower**: keeps the ingest directory (latest registry) fresh from chain and
//!   saves every new registry,
//! * **round manager**: one independent worker task per round ([`crate::round_worker`]):
//!   at start every round whose attestation window is still open and that is not finished
//!   locally is resumed; every newly ended round gets its own worker. A round waiting for the
//!   other oracles never holds up another round. Readings of finalized rounds are pruned
//!   ([`Pruner`]); a failed prune is logged and retried, never fatal.
//!
//! In offline mode (`chain.enabled = false`) an offline planner replaces the chain components.
//!
//! The first component that fails (or ends) stops the others through the shared shutdown
//! signal, as does SIGTERM / Ctrl-C (the `shutdown` future); the store is closed last, after
//! the HTTP server drained and every worker stopped.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result};
use cube_scoring::{RatedPower, ScorePolicy};
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tracing::Instrument;

use crate::config::Config;
use crate::directory::{load_device_file, DeviceDirectory};
use crate::ingest::{now_unix, Ingestor};
use crate::metrics::Metrics;
use crate::peers::Peers;
use crate::plans::{PlanStore, StoredPlan};
use crate::round_worker::{
    compute_plan, run_round_instrumented, PinnedInputs, RoundChain, RoundOutcome, RoundPhase,
    RoundRules, WorkerCtx, WorkerError,
};
use crate::server::{router, serve, AppState, ChainReader, ReadFuture};
use crate::store::{ReadingStore, RoundProgress, SqliteStore, StoreError};
use crate::telemetry::Domain;

/// The device directory at start-up: the registry last read from chain
/// ([`Config::device_registry_file`]; with the chain enabled and when the file exists), then
/// the static device file (whose entry wins for a key in both). An unreadable registry file
/// is logged and ignored (the chain connection rewrites it); an unreadable static file is an
/// error.
pub fn load_directory(cfg: &Config) -> Result<DeviceDirectory> {
    let directory = DeviceDirectory::new();
    let mut records = Vec::new();
    if cfg.chain.enabled {
        let file = cfg.device_registry_file();
        match file.try_exists() {
            Ok(true) => match load_device_file(&file) {
                Ok(saved) => {
                    tracing::info!(
                        devices = saved.len(),
                        file = %file.display(),
                        "last known device registry loaded"
                    );
                    records.extend(saved);
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "last known device registry unreadable; ignored until the chain answers"
                ),
            },
            Ok(false) => {}
            Err(e) => tracing::warn!(
                error = %e,
                file = %file.display(),
                "last known device registry inaccessible; ignored until the chain answers"
            ),
        }
    }
    if let Some(path) = &cfg.devices.static_file {
        records.extend(load_device_file(path)?);
    }
    for e in directory.replace_all(records) {
        tracing::warn!(error = %e, "device skipped");
    }
    Ok(directory)
}

/// What the read API's chain-forwarding routes answer before the chain is connected.
pub const CHAIN_NOT_CONNECTED: &str = "chain not connected yet";

/// The read API's chain reader, installed once the chain answers: until
/// [`LateChainReader::connect`] every query fails with [`CHAIN_NOT_CONNECTED`] (the routes
/// answer 502 with that text), afterwards queries go to the installed reader.
#[derive(Default)]
pub struct LateChainReader {
    inner: OnceLock<Arc<dyn ChainReader>>,
}

impl LateChainReader {
    /// A reader that is not connected yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `reader`. Only the first call installs one; it returns whether this one did.
    pub fn connect(&self, reader: Arc<dyn ChainReader>) -> bool {
        self.inner.set(reader).is_ok()
    }

    /// Whether a reader is installed.
    pub fn is_connected(&self) -> bool {
        self.inner.get().is_some()
    }
}

fn not_connected<'a>() -> ReadFuture<'a> {
    Box::pin(async { Err(CHAIN_NOT_CONNECTED.to_string()) })
}

impl ChainReader for LateChainReader {
    fn leaderboard(
        &self,
        round: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> ReadFuture<'_> {
        match self.inner.get() {
            Some(c) => c.leaderboard(round, start_after, limit),
            None => not_connected(),
        }
    }

    fn score(&self, round: u64, owner: String) -> ReadFuture<'_> {
        match self.inner.get() {
            Some(c) => c.score(round, owner),
            None => not_connected(),
        }
    }

    fn round(&self, round: u64) -> ReadFuture<'_> {
        match self.inner.get() {
            Some(c) => c.round(round),
            None => not_connected(),
        }
    }

    fn connected(&self) -> bool {
        self.is_connected()
    }
}

/// First pause between two attempts to reach the chain.
pub const CHAIN_RETRY_FIRST: Duration = Duration::from_secs(2);

/// Longest pause between two attempts to reach the chain.
pub const CHAIN_RETRY_MAX: Duration = Duration::from_secs(60);

/// The pause after `current` between attempts to reach the chain: doubled, at most
/// [`CHAIN_RETRY_MAX`].
pub fn next_chain_retry(current: Duration) -> Duration {
    current.saturating_mul(2).min(CHAIN_RETRY_MAX)
}

/// The chain answered, but is not the one configured: retrying does not help.
#[cfg(feature = "chain")]
#[derive(Debug, Error)]
pub enum ChainConnectError {
    /// The node serves another chain id than `chain.chain_id`.
    #[error("{0}")]
    WrongChain(chain_client::ChainError),
    /// The contract's round timing differs from `[rounds]`.
    #[error(
        "round timing mismatch: contract genesis {contract_genesis} duration \
         {contract_duration}, config genesis {config_genesis} duration {config_duration}"
    )]
    RoundTiming {
        /// The contract's genesis, unix seconds.
        contract_genesis: u64,
        /// The contract's round length, seconds.
        contract_duration: u64,
        /// `rounds.genesis`.
        config_genesis: u64,
        /// `rounds.duration_secs`.
        config_duration: u64,
    },
}

/// What the chain connection hands the supervisor: the connected chain, or `None` when it was
/// stopped before the chain answered.
#[cfg(feature = "chain")]
type Connection = Result<Option<crate::chain::MiningRound>, ChainConnectError>;
#[cfg(not(feature = "chain"))]
type Connection = Result<Option<std::convert::Infallible>, std::convert::Infallible>;

type Component = (&'static str, Result<()>);

/// What the supervisor waits for.
enum Event {
    /// SIGTERM / Ctrl-C.
    Shutdown,
    /// A component ended.
    Ended(Result<Component, JoinError>),
    /// The chain connection ended.
    Connected(Result<Connection, JoinError>),
}

/// The chain connection's result once it ends; pending while there is none.
async fn join_connector(
    connector: &mut Option<JoinHandle<Connection>>,
) -> Result<Connection, JoinError> {
    match connector {
        Some(h) => h.await,
        None => std::future::pending().await,
    }
}

/// What the components started after the chain connection share with the others.
#[derive(Clone)]
#[cfg_attr(not(feature = "chain"), allow(dead_code))]
struct Shared {
    store: Arc<SqliteStore>,
    plans: Arc<PlanStore>,
    directory: Arc<DeviceDirectory>,
    ingest: Arc<Ingestor>,
    peers: Arc<Peers>,
    metrics: Arc<Metrics>,
}

/// Runs the relayer until `shutdown` resolves or a component fails.
pub async fn run(cfg: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    cfg.check_secret_files()?;
    tracing::info!(
        chain_id = %cfg.chain.chain_id,
        contract = %cfg.chain.mining_round_contract,
        listen = %cfg.http.listen,
        db = %cfg.store.path.display(),
        peers = cfg.peers.urls.len(),
        "starting relayer"
    );
    // The operator key is derived now (a bad mnemonic stops the start); reaching the chain is
    // left to the chain connection, which retries.
    #[cfg(feature = "chain")]
    let chain = if cfg.chain.enabled {
        Some(chain_client(&cfg)?)
    } else {
        None
    };
    #[cfg(not(feature = "chain"))]
    if cfg.chain.enabled {
        anyhow::bail!("built without the `chain` feature; set chain.enabled = false");
    }
    let sqlite_cfg = cfg.sqlite();
    let store = Arc::new(
        tokio::task::spawn_blocking(move || SqliteStore::open(sqlite_cfg))
            .await?
            .context("opening store")?,
    );
    let plan_path = cfg.store.path.clone();
    let plans = Arc::new(
        tokio::task::spawn_blocking(move || PlanStore::open(&plan_path))
            .await?
            .context("opening plan table")?,
    );
    let directory = Arc::new(load_directory(&cfg)?);
    let metrics = Arc::new(Metrics::new());
    let domain = Domain::new(&cfg.chain.chain_id, &cfg.chain.mining_round_contract);
    let ingest = Arc::new(Ingestor::new(
        domain,
        cfg.ingest_policy(),
        directory.clone(),
        store.clone() as Arc<dyn ReadingStore>,
        metrics.clone(),
    ));
    let peers = Arc::new(Peers::new(cfg.peers.urls.clone(), cfg.peer_limits()));
    let shared = Shared {
        store: store.clone(),
        plans: plans.clone(),
        directory: directory.clone(),
        ingest: ingest.clone(),
        peers,
        metrics,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut set: JoinSet<Component> = JoinSet::new();

    // Ingest server: serves at once, whether or not the chain answers.
    let late_reader = Arc::new(LateChainReader::new());
    let reader: Option<Arc<dyn ChainReader>> = cfg
        .chain
        .enabled
        .then(|| late_reader.clone() as Arc<dyn ChainReader>);
    let listener = tokio::net::TcpListener::bind(&cfg.http.listen)
        .await
        .with_context(|| format!("binding {}", cfg.http.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let app = router(
        AppState {
            ingest: ingest.clone(),
            chain: reader,
        },
        cfg.http.max_body_bytes,
    );
    let limits = cfg.server_limits();
    let mut rx = stop_rx.clone();
    set.spawn(async move {
        let r = serve(listener, app, limits, async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .await;
        ("ingest server", r.map_err(anyhow::Error::from))
    });

    // The chain connection in the background, or the offline planner.
    #[cfg(feature = "chain")]
    let mut connector: Option<JoinHandle<Connection>> = chain.map(|c| {
        tokio::spawn(connect_chain(
            c,
            (cfg.rounds.genesis, cfg.rounds.duration_secs),
            directory.clone(),
            cfg.device_registry_file(),
            late_reader.clone(),
            stop_rx.clone(),
        ))
    });
    #[cfg(not(feature = "chain"))]
    let mut connector: Option<JoinHandle<Connection>> = None;
    if !cfg.chain.enabled {
        tracing::warn!("chain disabled: offline mode, rounds are planned but nothing is submitted");
        set.spawn(offline_rounds(
            cfg.clone(),
            store.clone() as Arc<dyn ReadingStore>,
            plans.clone(),
            directory.clone(),
            stop_rx.clone(),
        ));
    }

    // Supervision: the first component to end (or the signal, or a chain that answers but is
    // not the configured one) stops everything.
    let mut first_error: Option<anyhow::Error> = None;
    tokio::pin!(shutdown);
    loop {
        let event = tokio::select! {
            _ = &mut shutdown => Event::Shutdown,
            Some(res) = set.join_next() => Event::Ended(res),
            res = join_connector(&mut connector) => Event::Connected(res),
        };
        match event {
            Event::Shutdown => {
                tracing::info!("shutdown requested");
                break;
            }
            Event::Ended(res) => {
                first_error = Some(match res {
                    Ok((name, Ok(()))) => {
                        tracing::error!(component = name, "component ended unexpectedly");
                        anyhow::anyhow!("{name} ended unexpectedly")
                    }
                    Ok((name, Err(e))) => {
                        tracing::error!(component = name, error = %e, "component failed");
                        e.context(name)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "component panicked");
                        anyhow::anyhow!("component panicked: {e}")
                    }
                });
                break;
            }
            Event::Connected(res) => {
                connector = None;
                match res {
                    Ok(Ok(Some(chain))) => {
                        start_chain_components(&mut set, &cfg, &shared, chain, &stop_rx);
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "chain connection refused");
                        first_error = Some(anyhow::Error::from(e).context("chain connection"));
                        break;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "chain connection panicked");
                        first_error = Some(anyhow::anyhow!("chain connection panicked: {e}"));
                        break;
                    }
                }
            }
        }
    }
    tracing::info!("stopping: draining HTTP, round workers, then the writer");
    let _ = stop_tx.send(true);
    // Still trying to reach the chain: nothing to drain (reads only; a registry file being
    // written is replaced atomically).
    if let Some(h) = connector.take() {
        h.abort();
    }
    let drain = async {
        while let Some(res) = set.join_next().await {
            match res {
                Ok((name, Err(e))) => {
                    tracing::warn!(component = name, error = %e, "component error during shutdown")
                }
                Ok((name, Ok(()))) => tracing::debug!(component = name, "component stopped"),
                Err(e) => tracing::warn!(error = %e, "component panicked during shutdown"),
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(30), drain)
        .await
        .is_err()
    {
        tracing::warn!("components did not stop within 30 s; aborting them");
        set.abort_all();
    }
    let s = store.clone();
    let _ = tokio::task::spawn_blocking(move || s.close()).await;
    tracing::info!("stopped");
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The chain client with the operator key (no network access: the key is derived, the
/// endpoint and gas price checked).
#[cfg(feature = "chain")]
fn chain_client(cfg: &Config) -> Result<crate::chain::MiningRound> {
    let mnemonic = match &cfg.operator.mnemonic_file {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => cfg.operator.mnemonic.expose().to_string(),
    };
    let signer = chain_client::Signer::from_mnemonic(&mnemonic, &cfg.chain.account_prefix)
        .context("operator key")?;
    drop(mnemonic);
    let client_cfg = chain_client::ChainConfig::new(
        cfg.chain.rest_url.clone(),
        cfg.chain.chain_id.clone(),
        cfg.chain.gas_price.parse().context("chain.gas_price")?,
    );
    let client = chain_client::ChainClient::new(client_cfg, signer).context("chain client")?;
    Ok(crate::chain::MiningRound {
        client: Arc::new(client),
        contract: cfg.chain.mining_round_contract.clone(),
    })
}

/// One attempt to reach the chain failed.
#[cfg(feature = "chain")]
enum Attempt {
    /// Not reachable (or not answering sensibly yet): retried.
    Unreachable(crate::chain::ChainSideError),
    /// Answered, but not as configured: fatal.
    Refused(ChainConnectError),
}

/// Checks chain id and the contract's round timing.
#[cfg(feature = "chain")]
async fn check_chain(
    chain: &crate::chain::MiningRound,
    (genesis, duration): (u64, u64),
) -> Result<(), Attempt> {
    match chain.client.check_chain_id().await {
        Ok(()) => {}
        // The only configuration error of this check: the node serves another chain.
        Err(e @ chain_client::ChainError::Config(_)) => {
            return Err(Attempt::Refused(ChainConnectError::WrongChain(e)))
        }
        Err(e) => return Err(Attempt::Unreachable(e.into())),
    }
    let c = chain.config().await.map_err(Attempt::Unreachable)?;
    if c.genesis_time != genesis || c.round_duration != duration {
        return Err(Attempt::Refused(ChainConnectError::RoundTiming {
            contract_genesis: c.genesis_time,
            contract_duration: c.round_duration,
            config_genesis: genesis,
            config_duration: duration,
        }));
    }
    Ok(())
}

/// The chain connection: retries [`check_chain`] with backoff until the chain answers (each
/// failure a warning), then installs the read API's chain reader and refreshes (and saves) the
/// device directory. `Ok(None)` when stopped first.
#[cfg(feature = "chain")]
async fn connect_chain(
    chain: crate::chain::MiningRound,
    timing: (u64, u64),
    directory: Arc<DeviceDirectory>,
    registry_file: std::path::PathBuf,
    reader: Arc<LateChainReader>,
    mut stop: watch::Receiver<bool>,
) -> Connection {
    let mut pause = CHAIN_RETRY_FIRST;
    loop {
        let attempt = tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(None),
            r = check_chain(&chain, timing) => r,
        };
        match attempt {
            Ok(()) => break,
            Err(Attempt::Refused(e)) => return Err(e),
            Err(Attempt::Unreachable(e)) => tracing::warn!(
                error = %e,
                retry_in_secs = pause.as_secs(),
                "chain unreachable: ingest continues, attestation waits; retrying"
            ),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(None),
            _ = tokio::time::sleep(pause) => {}
        }
        pause = next_chain_retry(pause);
    }
    tracing::info!(oracle = %chain.client.address(), "chain client ready");
    reader.connect(Arc::new(chain.clone()));
    let source = crate::chain::ChainDevices(chain.clone());
    match directory.refresh_and_save(&source, &registry_file).await {
        Ok(n) => tracing::info!(devices = n, "device registry loaded from chain"),
        Err(e) => tracing::warn!(
            error = %e,
            "device registry: reading from chain or saving failed (the follower retries)"
        ),
    }
    Ok(Some(chain))
}

/// Starts the registry follower and the round manager on the connected chain.
#[cfg(feature = "chain")]
fn start_chain_components(
    set: &mut JoinSet<Component>,
    cfg: &Config,
    shared: &Shared,
    chain: crate::chain::MiningRound,
    stop: &watch::Receiver<bool>,
) {
    let source = Arc::new(crate::chain::ChainDevices(chain.clone()));
    set.spawn(follow_registry(
        shared.directory.clone(),
        source,
        Duration::from_secs(cfg.chain.device_refresh_secs),
        cfg.device_registry_file(),
        stop.clone(),
    ));
    let ctx = Arc::new(WorkerCtx {
        chain: Arc::new(chain),
        store: shared.store.clone() as Arc<dyn ReadingStore>,
        plans: shared.plans.clone(),
        peers: shared.peers.clone(),
        ingest: shared.ingest.clone(),
        grace: cfg.rounds.grace_secs,
        delay: cfg.aggregation_delay(),
        poll: Duration::from_secs(cfg.aggregation.poll_secs),
        agreement_timeout: Duration::from_secs(cfg.aggregation.agreement_timeout_secs),
        metrics: shared.metrics.clone(),
    });
    set.spawn(manage_rounds(
        ctx,
        cfg.aggregation.max_resume_rounds,
        cfg.store.retention_rounds,
        stop.clone(),
    ));
}

/// Without the `chain` feature there is no chain connection.
#[cfg(not(feature = "chain"))]
fn start_chain_components(
    _set: &mut JoinSet<Component>,
    _cfg: &Config,
    _shared: &Shared,
    chain: std::convert::Infallible,
    _stop: &watch::Receiver<bool>,
) {
    match chain {}
}

#[cfg(feature = "chain")]
async fn follow_registry(
    directory: Arc<DeviceDirectory>,
    source: Arc<crate::chain::ChainDevices>,
    every: Duration,
    registry_file: std::path::PathBuf,
    mut stop: watch::Receiver<bool>,
) -> Component {
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return ("registry follower", Ok(())),
            _ = tokio::time::sleep(every) => {}
        }
        match directory
            .refresh_and_save(source.as_ref(), &registry_file)
            .await
        {
            Ok(n) => tracing::debug!(devices = n, "device registry refreshed"),
            Err(e) => tracing::warn!(error = %e, "device registry refresh failed (will retry)"),
        }
    }
}

async fn local_phase(store: &Arc<dyn ReadingStore>, round: u64) -> Result<Option<RoundPhase>> {
    let s = store.clone();
    let p = tokio::task::spawn_blocking(move || s.round_progress(round)).await??;
    Ok(p.and_then(|p| RoundPhase::parse(&p.status)))
}

/// Retries `f` until it succeeds or `stop` is set (None).
async fn retry_chain<T, F, Fut>(stop: &mut watch::Receiver<bool>, what: &str, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, WorkerError>>,
{
    loop {
        match f().await {
            Ok(v) => return Some(v),
            Err(e) => tracing::warn!(error = %e, "{what} failed, retrying"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return None,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Spawns one worker per round: the open rounds of the attestation window at start (resume),
/// then every round as it ends. Fails on the first fatal worker error; a failed prune is not
/// one (see [`Pruner`]).
pub async fn manage_rounds<C: RoundChain>(
    ctx: Arc<WorkerCtx<C>>,
    max_resume: u64,
    retention_rounds: Option<u64>,
    mut stop: watch::Receiver<bool>,
) -> Component {
    let name = "round manager";
    let Some(r0) = retry_chain(&mut stop, "reading round parameters", || {
        ctx.chain.round_rules(0)
    })
    .await
    else {
        return (name, Ok(()));
    };
    let duration = r0.round_duration.max(1);
    let window = r0.attestation_deadline.saturating_sub(r0.end);
    let genesis = r0.genesis_time;
    let now = now_unix();
    // Oldest round whose attestation window may still be open: end + window > now.
    let current = now.saturating_sub(genesis) / duration;
    let oldest = now
        .saturating_sub(genesis)
        .saturating_sub(window)
        .checked_div(duration)
        .unwrap_or(0)
        .saturating_sub(1);
    let mut next = oldest.max(current.saturating_sub(max_resume));
    tracing::info!(
        from = next,
        current,
        attestation_window_secs = window,
        "round manager: resuming open rounds"
    );
    let mut tasks: JoinSet<(u64, Result<RoundOutcome, WorkerError>)> = JoinSet::new();
    let mut running: HashSet<u64> = HashSet::new();
    let mut pruner = Pruner::new(retention_rounds, genesis, duration);
    loop {
        let now = now_unix();
        // Plausibility at ingest uses the rated power pinned for the rounds still open for
        // data (and the next one, as far as it is known).
        let oldest_open = now
            .saturating_sub(crate::store::MAX_WINDOW_SECS)
            .saturating_sub(ctx.grace)
            .saturating_sub(genesis)
            / duration;
        let current = now.saturating_sub(genesis) / duration;
        if let Err(e) = ctx
            .learn_rated_power(oldest_open.saturating_sub(1)..=current.saturating_add(1))
            .await
        {
            tracing::warn!(error = %e, "reading the pinned rated power failed (will retry)");
        }
        // Every ended round gets a worker (unless finished locally).
        loop {
            let end = genesis.saturating_add(next.saturating_add(1).saturating_mul(duration));
            if end > now {
                break;
            }
            let phase = match local_phase(&ctx.store, next).await {
                Ok(p) => p,
                Err(e) => return (name, Err(e)),
            };
            if !phase.is_some_and(RoundPhase::is_final) && running.insert(next) {
                let c = ctx.clone();
                let s = stop.clone();
                let r = next;
                tasks.spawn(async move { (r, run_round_instrumented(c, r, s).await) });
            }
            next = next.saturating_add(1);
        }
        let end_of_next = genesis.saturating_add(next.saturating_add(1).saturating_mul(duration));
        let wait = Duration::from_secs(end_of_next.saturating_sub(now).clamp(1, 60));
        let finished = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            Some(done) = tasks.join_next() => Some(done),
            _ = tokio::time::sleep(wait) => None,
        };
        match finished {
            None => {}
            Some(Ok((r, Ok(outcome)))) => {
                running.remove(&r);
                tracing::info!(round = r, ?outcome, "round worker finished");
                if outcome == RoundOutcome::Closed {
                    pruner.round_closed(r);
                }
            }
            Some(Ok((r, Err(e)))) => {
                tracing::error!(round = r, error = %e, "round worker failed");
                return (
                    name,
                    Err(anyhow::Error::from(e).context(format!("round {r}"))),
                );
            }
            Some(Err(e)) => return (name, Err(anyhow::anyhow!("round worker panicked: {e}"))),
        }
        // Due after a round closed, or still due after a failure: a failed prune is logged by
        // the pruner and retried on the next pass.
        let _ = pruner.run(&ctx.store, &running).await;
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok((r, Err(e))) = done {
            tracing::warn!(round = r, error = %e, "round worker error during shutdown");
        }
    }
    (name, Ok(()))
}

/// Why a prune failed (logged and retried, never fatal).
#[derive(Debug, Error)]
pub enum PruneError {
    /// The store failed to delete.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The blocking task running the delete did not complete.
    #[error("prune task: {0}")]
    Task(String),
}

/// `[store] retention_rounds = k`: after round `r` closed on chain, the readings of rounds up
/// to `r - k` are deleted, never those of a round a worker still works on. A prune that fails
/// (a full disk, a locked database) is logged and stays due, the highest closed round
/// winning, until a later [`Pruner::run`] succeeds: it never stops the relayer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruner {
    retention_rounds: Option<u64>,
    genesis: u64,
    duration: u64,
    pending: Option<u64>,
}

impl Pruner {
    /// A pruner for rounds of `duration` seconds from `genesis`; `retention_rounds: None`
    /// keeps every reading.
    pub fn new(retention_rounds: Option<u64>, genesis: u64, duration: u64) -> Self {
        Pruner {
            retention_rounds,
            genesis,
            duration,
            pending: None,
        }
    }

    /// Round `round` closed on chain: its prune is due (with retention configured).
    pub fn round_closed(&mut self, round: u64) {
        if self.retention_rounds.is_some() {
            self.pending = Some(self.pending.map_or(round, |p| p.max(round)));
        }
    }

    /// The closed round whose prune is due, if any.
    pub fn pending(&self) -> Option<u64> {
        self.pending
    }

    /// Runs the due prune, if any, never deleting readings of a round in `running`: the
    /// number of readings deleted. A failure is logged as a warning, returned, and the prune
    /// stays due.
    pub async fn run(
        &mut self,
        store: &Arc<dyn ReadingStore>,
        running: &HashSet<u64>,
    ) -> Result<u64, PruneError> {
        let Some(closed) = self.pending else {
            return Ok(0);
        };
        match self.prune(store, closed, running).await {
            Ok(n) => {
                self.pending = None;
                Ok(n)
            }
            Err(e) => {
                tracing::warn!(
                    round = closed,
                    error = %e,
                    "pruning readings of finalized rounds failed (will retry)"
                );
                Err(e)
            }
        }
    }

    /// Deletes the readings of rounds up to `closed - k`, stopping below the oldest running
    /// round.
    async fn prune(
        &self,
        store: &Arc<dyn ReadingStore>,
        closed: u64,
        running: &HashSet<u64>,
    ) -> Result<u64, PruneError> {
        let Some(k) = self.retention_rounds else {
            return Ok(0);
        };
        let Some(mut upto) = closed.checked_sub(k) else {
            return Ok(0);
        };
        if let Some(oldest_open) = running.iter().min() {
            match oldest_open.checked_sub(1) {
                Some(r) => upto = upto.min(r),
                None => return Ok(0),
            }
        }
        let ts = self
            .genesis
            .saturating_add(upto.saturating_add(1).saturating_mul(self.duration));
        let store = store.clone();
        let n = tokio::task::spawn_blocking(move || store.prune_rounds_before(ts))
            .await
            .map_err(|e| PruneError::Task(e.to_string()))??;
        if n > 0 {
            tracing::info!(
                upto_round = upto,
                deleted = n,
                "readings of finalized rounds pruned"
            );
        }
        Ok(n)
    }
}

/// Offline mode: plans each ended round with the local settings (static devices, config
/// whitelist, default policy v1) and records it; nothing is submitted.
async fn offline_rounds(
    cfg: Config,
    store: Arc<dyn ReadingStore>,
    plans: Arc<PlanStore>,
    directory: Arc<DeviceDirectory>,
    mut stop: watch::Receiver<bool>,
) -> Component {
    let name = "offline round planner";
    let clock = cfg.round_clock();
    let mut next = clock
        .round_at(now_unix().saturating_sub(clock.grace))
        .and_then(|r| r.checked_sub(1))
        .unwrap_or(0);
    loop {
        while let Some((start, end)) = clock.bounds(next) {
            if end.saturating_add(clock.grace) > now_unix() {
                break;
            }
            let inputs = offline_inputs(&cfg, &directory, next, start, end);
            let (s, p) = (store.clone(), plans.clone());
            let grace = clock.grace;
            let span = tracing::info_span!("round", round = next);
            let r = tokio::task::spawn_blocking(move || -> Result<(), WorkerError> {
                if p.load(next)?.is_some() {
                    return Ok(());
                }
                let c = compute_plan(s.as_ref(), &inputs, grace)?;
                tracing::info!(
                    batches = c.plan.batches.len(),
                    readings = c.stats.readings,
                    "round aggregated (offline mode, not submitted)"
                );
                s.put_round_progress(&RoundProgress {
                    round: next,
                    policy_version: u64::from(c.plan.policy_version),
                    batch_count: u32::try_from(c.plan.batches.len()).unwrap_or(u32::MAX),
                    status: RoundPhase::Done.as_str().into(),
                })?;
                p.save(&StoredPlan {
                    round: next,
                    generation: 0,
                    inputs_digest: c.inputs_digest,
                    plan: c.plan,
                })
            })
            .instrument(span)
            .await;
            match r {
                Ok(Ok(())) => next = next.saturating_add(1),
                Ok(Err(e)) if e.is_fatal() => return (name, Err(e.into())),
                Ok(Err(e)) => {
                    tracing::warn!(round = next, error = %e, "offline planning failed, retrying");
                    break;
                }
                Err(e) => return (name, Err(anyhow::anyhow!("planner panicked: {e}"))),
            }
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return (name, Ok(())),
            _ = tokio::time::sleep(Duration::from_secs(cfg.aggregation.poll_secs)) => {}
        }
    }
}

/// The inputs offline mode uses for `round` (local settings; never used with the chain).
pub fn offline_inputs(
    cfg: &Config,
    directory: &DeviceDirectory,
    round: u64,
    start: u64,
    end: u64,
) -> PinnedInputs {
    let devices: HashMap<_, _> = directory.snapshot();
    PinnedInputs {
        rules: RoundRules {
            round,
            start,
            end,
            attestation_deadline: end,
            genesis_time: cfg.rounds.genesis,
            round_duration: cfg.rounds.duration_secs,
            policy_version: 1,
            rated_power: RatedPower {
                cube_v1_w: cfg.devices.cube_v1_w,
                cube_v2_w: cfg.devices.cube_v2_w,
            },
            max_entries_per_batch: u32::try_from(cfg.rounds.max_entries_per_batch)
                .unwrap_or(u32::MAX),
            // Offline mode posts nothing: no reward, no windows.
            round_reward: Default::default(),
            attestation_window: 0,
            claim_window: 0,
        },
        policy: ScorePolicy::default(),
        whitelist: cfg.whitelist(),
        devices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_retry_doubles_to_a_minute() {
        let mut pause = CHAIN_RETRY_FIRST;
        let mut seen = vec![pause.as_secs()];
        for _ in 0..7 {
            pause = next_chain_retry(pause);
            seen.push(pause.as_secs());
        }
        assert_eq!(seen, vec![2, 4, 8, 16, 32, 60, 60, 60]);
    }

    struct Answering;

    impl ChainReader for Answering {
        fn leaderboard(
            &self,
            round: u64,
            _start_after: Option<String>,
            _limit: Option<u32>,
        ) -> ReadFuture<'_> {
            Box::pin(async move { Ok(serde_json::json!({ "leaderboard": round })) })
        }

        fn score(&self, round: u64, owner: String) -> ReadFuture<'_> {
            Box::pin(async move { Ok(serde_json::json!({ "round": round, "owner": owner })) })
        }

        fn round(&self, round: u64) -> ReadFuture<'_> {
            Box::pin(async move { Ok(serde_json::json!({ "round": round })) })
        }
    }

    #[tokio::test]
    async fn late_reader_answers_not_connected_until_connected() {
        let late = LateChainReader::new();
        assert!(!late.is_connected());
        assert_eq!(late.round(3).await, Err(CHAIN_NOT_CONNECTED.to_string()));
        assert_eq!(
            late.score(3, "wasm1o".into()).await,
            Err(CHAIN_NOT_CONNECTED.to_string())
        );
        assert_eq!(
            late.leaderboard(3, None, None).await,
            Err(CHAIN_NOT_CONNECTED.to_string())
        );
        assert!(late.connect(Arc::new(Answering)));
        assert!(!late.connect(Arc::new(Answering)), "installed once");
        assert!(late.is_connected());
        assert_eq!(late.round(3).await, Ok(serde_json::json!({ "round": 3 })));
        assert_eq!(
            late.score(3, "wasm1o".into()).await,
            Ok(serde_json::json!({ "round": 3, "owner": "wasm1o" }))
        );
        assert_eq!(
            late.leaderboard(4, None, Some(1)).await,
            Ok(serde_json::json!({ "leaderboard": 4 }))
        );
    }

    #[test]
    fn pruner_keeps_the_highest_closed_round() {
        let mut p = Pruner::new(Some(2), 0, 60);
        assert_eq!(p.pending(), None);
        p.round_closed(5);
        p.round_closed(3);
        assert_eq!(p.pending(), Some(5));
        let mut keep_all = Pruner::new(None, 0, 60);
        keep_all.round_closed(5);
        assert_eq!(
            keep_all.pending(),
            None,
            "no retention: nothing is ever due"
        );
    }
}
