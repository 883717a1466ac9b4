//! The supervised relayer service (`relayer run`).
//!
//! Three components run under one supervisor:
//!
//! * **ingest server**: `POST /v1/readings`, the read API and the peer endpoints,
//! * **registry follower**: keeps the ingest directory (latest registry) fresh from chain,
//! * **round manager**: one independent worker task per round ([`crate::round_worker`]):
//!   at start every round whose attestation window is still open and that is not finished
//!   locally is resumed; every newly ended round gets its own worker. A round waiting for the
//!   other oracles never holds up another round.
//!
//! The first component that fails (or ends) stops the others through the shared shutdown
//! signal, as does SIGTERM / Ctrl-C (the `shutdown` future); the store is closed last, after
//! the HTTP server drained and every worker stopped.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cube_scoring::{RatedPower, ScorePolicy};
use tokio::sync::watch;
use tokio::task::JoinSet;
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
use crate::server::{router, serve, AppState};
use crate::store::{ReadingStore, RoundProgress, SqliteStore};
use crate::telemetry::Domain;

/// Loads the static device file of the config (if any) into a new directory.
pub fn load_directory(cfg: &Config) -> Result<DeviceDirectory> {
    let directory = DeviceDirectory::new();
    if let Some(path) = &cfg.devices.static_file {
        let records = load_device_file(path)?;
        for e in directory.replace_all(records) {
            tracing::warn!(error = %e, "device skipped");
        }
    }
    Ok(directory)
}

type Component = (&'static str, Result<()>);

/// Runs the relayer until `shutdown` resolves or a component fails.
pub async fn run(cfg: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    tracing::info!(
        chain_id = %cfg.chain.chain_id,
        contract = %cfg.chain.mining_round_contract,
        listen = %cfg.http.listen,
        db = %cfg.store.path.display(),
        peers = cfg.peers.urls.len(),
        "starting relayer"
    );
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
    let peers = Arc::new(Peers::new(
        cfg.peers.urls.clone(),
        Duration::from_secs(cfg.peers.timeout_secs),
    ));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut set: JoinSet<Component> = JoinSet::new();

    #[cfg(feature = "chain")]
    let chain = connect_chain(&cfg).await?;
    #[cfg(not(feature = "chain"))]
    let chain: Option<std::convert::Infallible> = {
        if cfg.chain.enabled {
            bail!("built without the `chain` feature; set chain.enabled = false");
        }
        None
    };

    // Registry follower (ingest directory) and round manager.
    #[cfg(feature = "chain")]
    let reader: Option<Arc<dyn crate::server::ChainReader>> = match &chain {
        Some(c) => {
            let source = Arc::new(crate::chain::ChainDevices(c.clone()));
            let n = directory
                .refresh(source.as_ref())
                .await
                .context("loading the device registry")?;
            tracing::info!(devices = n, "device registry loaded from chain");
            set.spawn(follow_registry(
                directory.clone(),
                source,
                Duration::from_secs(cfg.chain.device_refresh_secs),
                stop_rx.clone(),
            ));
            let ctx = Arc::new(WorkerCtx {
                chain: Arc::new(c.clone()),
                store: store.clone() as Arc<dyn ReadingStore>,
                plans: plans.clone(),
                peers: peers.clone(),
                ingest: ingest.clone(),
                grace: cfg.rounds.grace_secs,
                delay: cfg.aggregation_delay(),
                poll: Duration::from_secs(cfg.aggregation.poll_secs),
                agreement_timeout: Duration::from_secs(cfg.aggregation.agreement_timeout_secs),
                metrics: metrics.clone(),
            });
            set.spawn(manage_rounds(
                ctx,
                cfg.aggregation.max_resume_rounds,
                cfg.store.retention_rounds,
                stop_rx.clone(),
            ));
            Some(Arc::new(c.clone()) as Arc<dyn crate::server::ChainReader>)
        }
        None => None,
    };
    #[cfg(not(feature = "chain"))]
    let reader: Option<Arc<dyn crate::server::ChainReader>> = {
        drop(peers);
        None
    };
    if chain.is_none() {
        tracing::warn!("chain disabled: offline mode, rounds are planned but nothing is submitted");
        set.spawn(offline_rounds(
            cfg.clone(),
            store.clone() as Arc<dyn ReadingStore>,
            plans.clone(),
            directory.clone(),
            stop_rx.clone(),
        ));
    }

    // Ingest server.
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
    let mut rx = stop_rx.clone();
    set.spawn(async move {
        let r = serve(listener, app, async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .await;
        ("ingest server", r.map_err(anyhow::Error::from))
    });

    // Supervision: the first component to end (or the signal) stops everything.
    let mut first_error: Option<anyhow::Error> = None;
    tokio::pin!(shutdown);
    tokio::select! {
        _ = &mut shutdown => tracing::info!("shutdown requested"),
        Some(res) = set.join_next() => {
            match res {
                Ok((name, Ok(()))) => {
                    tracing::error!(component = name, "component ended unexpectedly");
                    first_error = Some(anyhow::anyhow!("{name} ended unexpectedly"));
                }
                Ok((name, Err(e))) => {
                    tracing::error!(component = name, error = %e, "component failed");
                    first_error = Some(e.context(name));
                }
                Err(e) => {
                    tracing::error!(error = %e, "component panicked");
                    first_error = Some(anyhow::anyhow!("component panicked: {e}"));
                }
            }
        }
    }
    tracing::info!("stopping: draining HTTP, round workers, then the writer");
    let _ = stop_tx.send(true);
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

/// With the chain enabled: the client, after checking chain id and round timing.
#[cfg(feature = "chain")]
async fn connect_chain(cfg: &Config) -> Result<Option<crate::chain::MiningRound>> {
    if !cfg.chain.enabled {
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
    let chain = crate::chain::MiningRound {
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
    Ok(Some(chain))
}

#[cfg(feature = "chain")]
async fn follow_registry(
    directory: Arc<DeviceDirectory>,
    source: Arc<crate::chain::ChainDevices>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> Component {
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return ("registry follower", Ok(())),
            _ = tokio::time::sleep(every) => {}
        }
        match directory.refresh(source.as_ref()).await {
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
/// then every round as it ends. Fails on the first fatal worker error.
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
                    let pruned =
                        prune(&ctx, r, retention_rounds, &running, genesis, duration).await;
                    if let Err(e) = pruned {
                        return (name, Err(e));
                    }
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
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok((r, Err(e))) = done {
            tracing::warn!(round = r, error = %e, "round worker error during shutdown");
        }
    }
    (name, Ok(()))
}

/// `[store] retention_rounds = k`: after round `r` closed on chain, deletes the readings of
/// rounds up to `r - k`, never of a round a worker still works on.
async fn prune<C: RoundChain>(
    ctx: &Arc<WorkerCtx<C>>,
    closed: u64,
    retention_rounds: Option<u64>,
    running: &HashSet<u64>,
    genesis: u64,
    duration: u64,
) -> Result<()> {
    let Some(k) = retention_rounds else {
        return Ok(());
    };
    let Some(mut upto) = closed.checked_sub(k) else {
        return Ok(());
    };
    if let Some(oldest_open) = running.iter().min() {
        match oldest_open.checked_sub(1) {
            Some(r) => upto = upto.min(r),
            None => return Ok(()),
        }
    }
    let ts = genesis.saturating_add(upto.saturating_add(1).saturating_mul(duration));
    let store = ctx.store.clone();
    let n = tokio::task::spawn_blocking(move || store.prune_rounds_before(ts)).await??;
    if n > 0 {
        tracing::info!(
            upto_round = upto,
            deleted = n,
            "readings of finalized rounds pruned"
        );
    }
    Ok(())
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
            round_reward: cosmwasm_std::Uint128::zero(),
            attestation_window: 0,
            claim_window: 0,
        },
        policy: ScorePolicy::default(),
        whitelist: cfg.whitelist(),
        devices,
    }
}
