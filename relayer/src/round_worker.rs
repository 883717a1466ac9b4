//! The per-round worker: pinned inputs → persisted plan → votes that converge.
//!
//! # One round, from end to finalization
//!
//! 1. Wait until the round has ended on chain and ingest no longer accepts readings for it
//!    (`[aggregation] delay_secs` after its end).
//! 2. Load the round's persisted plan ([`crate::plans::PlanStore`]). Without one: pull the
//!    round's signed readings from the peers ([`crate::peers`]) until every peer's digest
//!    equals ours or the agreement timeout passes ([`WorkerCtx::await_agreement`]), read the
//!    round's **pinned inputs** from the contract ([`RoundChain::pinned_inputs`]: registry as
//!    of the round, whitelist as of the round, the round's policy, rated power, batch size and
//!    clock) and aggregate over the union ([`compute_plan`]), then persist the plan (batches,
//!    hashes and the digest of every input) **before** the first vote. After a restart the
//!    persisted plan is used as is: a plan changes only through step 4.
//! 3. Every pass reads each batch from chain (`Batch`, `Vote`) and decides with [`decide`]:
//!    accepted → nothing; our hash already has quorum but is not accepted → `AcceptBatch`; our
//!    vote is in → wait; nobody submitted our hash's data → `SubmitUsage`; otherwise
//!    `VoteBatch` (which replaces an earlier vote of ours for another hash).
//! 4. While the chain holds any hash for a batch that is not ours ([`ChainSummary`]), the
//!    worker re-syncs ([`WorkerCtx::resync`]): at once for a hash it has not examined, then
//!    every five polls. It pulls from the peers, recomputes over the union and, whenever the
//!    recomputation differs from the current plan (and keeps every batch the chain accepted,
//!    [`keeps_accepted`]), persists it as the next generation and votes it. Since the union
//!    only grows and the rule over it is deterministic, honest relayers that reach each other
//!    end up voting the same plan (the argument is in the relayer's README).
//!
//! Decisions are taken from chain state (queries), never from the text of an error; a failed
//! transaction is simply retried on the next pass after re-reading the chain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cube_scoring::{RatedPower, ScorePolicy, UsageEntry};
use cube_types::mining_round::{BatchId, ExecuteMsg};
use sha2::{Digest, Sha256};
use thiserror::Error;
use tokio::sync::watch;
use tracing::Instrument;

use crate::aggregate::{plan_batches, AggregateError, AggregateStats, Aggregator, RoundPlan};
use crate::directory::DeviceInfo;
use crate::ingest::now_unix;
use crate::peers::{Peers, PullReport};
use crate::plans::{PlanStore, StoredPlan};
use crate::store::{ReadingStore, RoundProgress, StoreError, SubmissionRecord};
use crate::telemetry::Reading;

/// Round-worker failures.
#[derive(Error, Debug)]
pub enum WorkerError {
    /// A chain query or transaction failed (retried on the next pass).
    #[error("chain: {0}")]
    Chain(String),
    /// The reading store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Aggregation failed (e.g. the round's policy is invalid).
    #[error("aggregate: {0}")]
    Aggregate(#[from] AggregateError),
    /// The plan table failed or holds a corrupt plan.
    #[error("plan store: {0}")]
    Plan(String),
    /// A blocking task panicked or was cancelled.
    #[error("blocking task: {0}")]
    Join(String),
}

impl WorkerError {
    /// Whether the whole service must stop (storage gone); anything else is retried.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            WorkerError::Store(
                StoreError::Closed | StoreError::Io(_) | StoreError::SchemaTooNew { .. }
            ) | WorkerError::Join(_)
        )
    }
}

/// What a submission record stands for (persisted as the `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionKind {
    /// The batch's data was sent (`SubmitUsage`).
    Data,
    /// Our hash was voted (`VoteBatch`).
    Vote,
    /// `AcceptBatch` was called for our hash.
    Accept,
    /// The batch was already accepted; nothing sent.
    Skip,
    /// Planned, nothing sent yet.
    Pending,
}

impl SubmissionKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::Data => "data",
            SubmissionKind::Vote => "vote",
            SubmissionKind::Accept => "accept",
            SubmissionKind::Skip => "skip",
            SubmissionKind::Pending => "pending",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "data" => SubmissionKind::Data,
            "vote" => SubmissionKind::Vote,
            "accept" => SubmissionKind::Accept,
            "skip" => SubmissionKind::Skip,
            "pending" => SubmissionKind::Pending,
            _ => return None,
        })
    }
}

/// State of a submission record (persisted as the `state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionState {
    /// In the plan, nothing sent.
    Planned,
    /// Written before broadcasting; resolved from chain state after a crash.
    Intent,
    /// Included in a block (tx hash recorded).
    Confirmed,
}

impl SubmissionState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Planned => "planned",
            SubmissionState::Intent => "intent",
            SubmissionState::Confirmed => "confirmed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "planned" => SubmissionState::Planned,
            "intent" => SubmissionState::Intent,
            "confirmed" => SubmissionState::Confirmed,
            _ => return None,
        })
    }
}

/// Local phase of a round (persisted as `round_progress.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundPhase {
    /// Plan persisted, no vote yet.
    Aggregated,
    /// Votes being cast / waiting for quorum.
    Submitting,
    /// Finalized, void or swept on chain: nothing left to do.
    Done,
    /// Attestation window over without finalization.
    Expired,
}

impl RoundPhase {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundPhase::Aggregated => "aggregated",
            RoundPhase::Submitting => "submitting",
            RoundPhase::Done => "done",
            RoundPhase::Expired => "expired",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "aggregated" => RoundPhase::Aggregated,
            "submitting" => RoundPhase::Submitting,
            "done" => RoundPhase::Done,
            "expired" => RoundPhase::Expired,
            _ => return None,
        })
    }

    /// Whether the worker has nothing left to do.
    pub fn is_final(self) -> bool {
        matches!(self, RoundPhase::Done | RoundPhase::Expired)
    }
}

/// Status of a round on chain, as the worker needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainRoundStatus {
    /// Not ended yet.
    Open,
    /// Ended, attestations accepted.
    Attesting,
    /// Finalized, void or swept.
    Closed,
    /// Attestation window over without finalization.
    Expired,
}

/// The pinned rules of one round: the contract's answer to `RoundParams { round }` as it is.
pub use cube_types::mining_round::RoundParamsResponse as RoundRules;

/// Everything aggregation of one round reads, as of that round.
#[derive(Debug, Clone)]
pub struct PinnedInputs {
    /// Round rules.
    pub rules: RoundRules,
    /// The round's policy.
    pub policy: ScorePolicy,
    /// Battery whitelist as of the round.
    pub whitelist: HashSet<String>,
    /// Registry as of the round.
    pub devices: HashMap<[u8; 32], DeviceInfo>,
}

/// One hash's tally for a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyView {
    /// Batch hash.
    pub hash: [u8; 32],
    /// Votes of current oracles.
    pub votes: u32,
    /// Whether the batch data for this hash is on chain.
    pub submitted: bool,
}

/// One batch as the chain holds it (`Batch { round, batch_index }`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchView {
    /// Accepted hash, once accepted.
    pub accepted: Option<[u8; 32]>,
    /// Current quorum.
    pub quorum: u32,
    /// Tallies.
    pub tallies: Vec<TallyView>,
}

impl BatchView {
    /// Tally of `hash`.
    pub fn tally(&self, hash: &[u8; 32]) -> Option<&TallyView> {
        self.tallies.iter().find(|t| &t.hash == hash)
    }

    /// Every hash other than `ours` that current oracles vote for, in hash order. A submitted
    /// hash with no votes left (e.g. a vote replaced after a re-sync) is evidence, not a
    /// competing result.
    pub fn foreign(&self, ours: &[u8; 32]) -> Vec<[u8; 32]> {
        let mut v: Vec<[u8; 32]> = self
            .tallies
            .iter()
            .filter(|t| &t.hash != ours && t.votes > 0)
            .map(|t| t.hash)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// What one pass over the chain learned about the round's batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainSummary {
    /// `(batch_index, hash)` of every hash the chain holds for a batch that is not ours:
    /// voted hashes of batches not accepted yet, and the accepted hash where it is not ours.
    pub foreign: Vec<(u32, [u8; 32])>,
    /// Accepted hash per batch index.
    pub accepted: BTreeMap<u32, [u8; 32]>,
}

/// Whether `plan` keeps every batch the chain already accepted (same index, same hash; the
/// hash covers the batch count). A plan that contradicts an accepted batch can never
/// finalize the round.
pub fn keeps_accepted(plan: &RoundPlan, accepted: &BTreeMap<u32, [u8; 32]>) -> bool {
    accepted
        .iter()
        .all(|(i, h)| plan.batches.iter().any(|b| b.index == *i && &b.hash == h))
}

/// The chain as the round worker sees it (implemented over the mining-round contract in
/// [`crate::chain`]).
pub trait RoundChain: Send + Sync + 'static {
    /// This oracle's address.
    fn oracle(&self) -> String;
    /// Status of `round`.
    fn round_status(
        &self,
        round: u64,
    ) -> impl Future<Output = Result<ChainRoundStatus, WorkerError>> + Send;
    /// Pinned rules of `round`.
    fn round_rules(
        &self,
        round: u64,
    ) -> impl Future<Output = Result<RoundRules, WorkerError>> + Send;
    /// Everything aggregation reads, as of `round`.
    fn pinned_inputs(
        &self,
        round: u64,
    ) -> impl Future<Output = Result<PinnedInputs, WorkerError>> + Send;
    /// One batch.
    fn batch(
        &self,
        round: u64,
        batch_index: u32,
    ) -> impl Future<Output = Result<BatchView, WorkerError>> + Send;
    /// This oracle's counting vote for a batch.
    fn my_vote(
        &self,
        round: u64,
        batch_index: u32,
    ) -> impl Future<Output = Result<Option<[u8; 32]>, WorkerError>> + Send;
    /// Sends one transaction (`SubmitUsage`, `VoteBatch` or `AcceptBatch`); returns its hash.
    fn send(&self, msg: ExecuteMsg) -> impl Future<Output = Result<String, WorkerError>> + Send;
}

/// What to do for one batch, from chain state alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchDecision {
    /// Accepted with our hash.
    Accepted,
    /// Accepted with another hash (we diverge).
    AcceptedOther([u8; 32]),
    /// Our hash meets quorum but is not accepted: call `AcceptBatch`.
    CallAccept,
    /// Our vote counts; waiting for the other oracles.
    Wait,
    /// Nobody submitted our hash's data: `SubmitUsage`.
    SubmitData,
    /// Our hash's data is on chain and our vote is missing or for another hash: `VoteBatch`.
    Vote,
}

/// Decides from `view` and our current vote `mine` what to do for our hash `ours`.
pub fn decide(view: &BatchView, mine: Option<[u8; 32]>, ours: &[u8; 32]) -> BatchDecision {
    if let Some(acc) = view.accepted {
        return if &acc == ours {
            BatchDecision::Accepted
        } else {
            BatchDecision::AcceptedOther(acc)
        };
    }
    let tally = view.tally(ours);
    if let Some(t) = tally {
        if view.quorum > 0 && t.votes >= view.quorum {
            return BatchDecision::CallAccept;
        }
    }
    if mine.as_ref() == Some(ours) {
        return BatchDecision::Wait;
    }
    match tally {
        Some(t) if t.submitted => BatchDecision::Vote,
        _ => BatchDecision::SubmitData,
    }
}

/// Counters of the round workers (rendered on `/metrics`).
#[derive(Default, Debug)]
pub struct RoundMetrics {
    /// Foreign batch hashes still on chain after a re-sync left our plan unchanged.
    pub divergence: AtomicU64,
    /// Recomputations adopted as a new plan generation (the union grew) and re-voted.
    pub readopted: AtomicU64,
    /// Transactions sent.
    pub transactions: AtomicU64,
    /// Failed peer pulls.
    pub peer_failures: AtomicU64,
    /// Rounds finalized while this relayer worked on them.
    pub rounds_done: AtomicU64,
}

impl RoundMetrics {
    /// Prometheus text of these counters.
    pub fn render(&self, s: &mut String) {
        let rows: [(&str, &str, &AtomicU64); 5] = [
            (
                "relayer_round_divergence_total",
                "Foreign batch hashes still on chain after a re-sync left our plan unchanged.",
                &self.divergence,
            ),
            (
                "relayer_round_recomputed_total",
                "Recomputations of a grown union adopted as a new plan generation and re-voted.",
                &self.readopted,
            ),
            (
                "relayer_round_transactions_total",
                "SubmitUsage / VoteBatch / AcceptBatch transactions sent.",
                &self.transactions,
            ),
            (
                "relayer_peer_pull_failures_total",
                "Peer pulls that failed (peer unreachable or bad answer).",
                &self.peer_failures,
            ),
            (
                "relayer_rounds_done_total",
                "Rounds seen finalized (or closed) on chain.",
                &self.rounds_done,
            ),
        ];
        for (name, help, v) in rows {
            crate::metrics::counter(s, name, help, v);
        }
    }
}

fn put_u64(h: &mut Sha256, v: u64) {
    h.update(v.to_be_bytes());
}

fn put_str(h: &mut Sha256, s: &str) {
    put_u64(h, u64::try_from(s.len()).unwrap_or(u64::MAX));
    h.update(s.as_bytes());
}

/// Digest of the pinned inputs (rules, policy, whitelist, registry view); the readings are
/// added by [`compute_plan`].
pub fn inputs_digest_base(inputs: &PinnedInputs, grace: u64) -> Sha256 {
    let mut h = Sha256::new();
    h.update(b"cube-round-inputs-v1");
    let r = &inputs.rules;
    for v in [
        r.round,
        r.start,
        r.end,
        r.genesis_time,
        r.round_duration,
        u64::from(r.policy_version),
        r.rated_power.cube_v1_w,
        r.rated_power.cube_v2_w,
        u64::from(r.max_entries_per_batch),
        grace,
    ] {
        put_u64(&mut h, v);
    }
    put_str(
        &mut h,
        &serde_json::to_string(&inputs.policy).unwrap_or_default(),
    );
    let mut wl: Vec<&String> = inputs.whitelist.iter().collect();
    wl.sort();
    put_u64(&mut h, u64::try_from(wl.len()).unwrap_or(u64::MAX));
    for b in wl {
        put_str(&mut h, b);
    }
    let devices: BTreeMap<&[u8; 32], &DeviceInfo> = inputs.devices.iter().collect();
    put_u64(&mut h, u64::try_from(devices.len()).unwrap_or(u64::MAX));
    for (k, d) in devices {
        h.update(k);
        put_str(&mut h, &d.owner);
        put_str(&mut h, d.model.as_str());
        put_str(&mut h, d.timezone.name());
    }
    h
}

/// Whether `r` is plausible under the round's rated power for the device's model.
pub fn plausible(r: &Reading, rated: &RatedPower, dev: &DeviceInfo) -> bool {
    crate::ingest::within_rated_power(r, rated.of(dev.model))
}

/// A computed plan with the digest of its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputedPlan {
    /// Batches.
    pub plan: RoundPlan,
    /// SHA-256 over the pinned inputs and every counted reading.
    pub inputs_digest: [u8; 32],
    /// Counters.
    pub stats: AggregateStats,
    /// Readings skipped as implausible under the round's rated power.
    pub implausible: u64,
}

/// Aggregates `inputs.rules.round` over the store (the union of local and pulled readings)
/// with the pinned inputs only. Blocking: call through `spawn_blocking`.
pub fn compute_plan(
    store: &dyn ReadingStore,
    inputs: &PinnedInputs,
    grace: u64,
) -> Result<ComputedPlan, WorkerError> {
    let rules = &inputs.rules;
    let clock = cube_types::clock::RoundClock {
        genesis: rules.genesis_time,
        duration: rules.round_duration,
    };
    let mut agg = Aggregator::new(
        rules.round,
        clock,
        &inputs.policy,
        &inputs.whitelist,
        &inputs.devices,
    )?;
    let (start, end) = agg.bounds();
    let mut h = inputs_digest_base(inputs, grace);
    let mut implausible = 0u64;
    store.scan_readings(start, end, &mut |r| {
        if let Some(dev) = inputs.devices.get(&r.device_pubkey) {
            if !plausible(r, &rules.rated_power, dev) {
                implausible += 1;
                return;
            }
        }
        h.update(r.device_pubkey);
        put_u64(&mut h, r.sequence);
        put_u64(&mut h, r.window_start);
        put_u64(&mut h, r.window_end);
        put_u64(&mut h, r.discharged_wh);
        put_u64(&mut h, r.charged_wh);
        put_str(&mut h, &r.battery_id);
        agg.add(r);
    })?;
    let (entries, stats) = agg.finish();
    let size = usize::try_from(rules.max_entries_per_batch).unwrap_or(usize::MAX);
    let plan = plan_batches(rules.round, rules.policy_version, entries, size)?;
    Ok(ComputedPlan {
        plan,
        inputs_digest: h.finalize().into(),
        stats,
        implausible,
    })
}

/// The first owner whose entry differs between two plans (diagnostics).
pub fn first_differing_owner(a: &RoundPlan, b: &RoundPlan) -> Option<String> {
    let ea: Vec<&UsageEntry> = a.batches.iter().flat_map(|x| x.entries.iter()).collect();
    let eb: Vec<&UsageEntry> = b.batches.iter().flat_map(|x| x.entries.iter()).collect();
    let n = ea.len().max(eb.len());
    for i in 0..n {
        match (ea.get(i), eb.get(i)) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => return Some(x.owner.clone().min(y.owner.clone())),
            (Some(x), None) => return Some(x.owner.clone()),
            (None, Some(y)) => return Some(y.owner.clone()),
            (None, None) => return None,
        }
    }
    None
}

/// Everything a round worker needs.
pub struct WorkerCtx<C: RoundChain> {
    /// Chain.
    pub chain: Arc<C>,
    /// Readings.
    pub store: Arc<dyn ReadingStore>,
    /// Persisted plans.
    pub plans: Arc<PlanStore>,
    /// Peers to pull readings from (may be empty).
    pub peers: Arc<Peers>,
    /// Imports pulled readings (verification, union rule, durable store).
    pub ingest: Arc<crate::ingest::Ingestor>,
    /// Local ingest grace (part of the inputs digest; the round clock's `grace`).
    pub grace: u64,
    /// Wait after a round's end before aggregating it: at least the time during which ingest
    /// still accepts readings of the round (`RoundClock::closes_at`).
    pub delay: u64,
    /// Pause between passes.
    pub poll: Duration,
    /// Longest wait, before the first vote on a round, for the peers' digests to equal ours.
    pub agreement_timeout: Duration,
    /// Metrics (round counters in `metrics.rounds`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// How a round worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundOutcome {
    /// Finalized / void / swept on chain.
    Closed,
    /// Attestation window over without finalization.
    Expired,
    /// Shutdown requested.
    Stopped,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WorkerError> + Send + 'static,
) -> Result<T, WorkerError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WorkerError::Join(e.to_string()))?
}

impl<C: RoundChain> WorkerCtx<C> {
    async fn set_phase(&self, plan: &RoundPlan, phase: RoundPhase) -> Result<(), WorkerError> {
        let store = self.store.clone();
        let p = RoundProgress {
            round: plan.round,
            policy_version: u64::from(plan.policy_version),
            batch_count: u32::try_from(plan.batches.len()).unwrap_or(u32::MAX),
            status: phase.as_str().to_string(),
        };
        blocking(move || Ok(store.put_round_progress(&p)?)).await
    }

    async fn mark_round(&self, round: u64, phase: RoundPhase) -> Result<(), WorkerError> {
        let store = self.store.clone();
        blocking(move || {
            let prev = store.round_progress(round)?;
            store.put_round_progress(&RoundProgress {
                round,
                policy_version: prev.as_ref().map(|p| p.policy_version).unwrap_or(0),
                batch_count: prev.as_ref().map(|p| p.batch_count).unwrap_or(0),
                status: phase.as_str().to_string(),
            })?;
            Ok(())
        })
        .await
    }

    /// Reads into the ingest's [`crate::ingest::PinnedRated`] the rated power the contract
    /// pinned for each of `rounds` not known for good yet (at most 256 rounds per call).
    pub async fn learn_rated_power(
        &self,
        rounds: std::ops::RangeInclusive<u64>,
    ) -> Result<(), WorkerError> {
        let now = now_unix();
        for r in rounds.take(256) {
            if self.ingest.pinned.is_final(r) {
                continue;
            }
            let rules = self.chain.round_rules(r).await?;
            self.ingest
                .pinned
                .insert(r, rules.rated_power, now >= rules.start);
        }
        Ok(())
    }

    /// Pulls the round's readings from every peer (failures logged and counted, never fatal).
    /// Readings are judged with the rated power pinned for the rounds they start in, so that
    /// power is read first; only devices of the round's registry (read once per round and
    /// remembered by [`Peers`]) are imported.
    pub async fn pull_peers(&self, round: u64) -> Result<PullReport, WorkerError> {
        if self.peers.is_empty() {
            return Ok(PullReport::default());
        }
        let rules = self.chain.round_rules(round).await?;
        let clock = cube_types::clock::RoundClock {
            genesis: rules.genesis_time,
            duration: rules.round_duration,
        };
        let first = clock
            .round_at(rules.start.saturating_sub(crate::store::MAX_WINDOW_SECS))
            .unwrap_or(0);
        self.learn_rated_power(first..=round).await?;
        let registry = match self.peers.registry(round) {
            Some(r) => r,
            None => {
                let inputs = self.chain.pinned_inputs(round).await?;
                let keys: Arc<HashSet<[u8; 32]>> = Arc::new(inputs.devices.into_keys().collect());
                self.peers.remember_registry(round, keys.clone());
                keys
            }
        };
        let report = self
            .peers
            .pull_round(
                round,
                (rules.start, rules.end),
                Some(registry.as_ref()),
                &self.ingest,
            )
            .await;
        self.metrics
            .rounds
            .peer_failures
            .fetch_add(report.failures, Ordering::Relaxed);
        Ok(report)
    }

    /// Waits until every reading queued for the store before now is committed (or failed), so
    /// no acknowledged ingest write of a closed round can commit after the scan.
    async fn barrier(&self) -> Result<(), WorkerError> {
        for _ in 0..600 {
            match self.store.barrier() {
                Ok(ack) => {
                    return match ack.await {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(e)) => Err(e.into()),
                        Err(_) => Err(WorkerError::Store(StoreError::Closed)),
                    }
                }
                Err(StoreError::Busy) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(WorkerError::Store(StoreError::Busy))
    }

    async fn compute(&self, round: u64) -> Result<ComputedPlan, WorkerError> {
        let inputs = self.chain.pinned_inputs(round).await?;
        self.barrier().await?;
        let store = self.store.clone();
        let grace = self.grace;
        blocking(move || compute_plan(store.as_ref(), &inputs, grace)).await
    }

    /// The persisted plan of `round`, or a new one: pulled until the peers agree (or the
    /// agreement timeout passed), computed and persisted.
    pub async fn ensure_plan(
        &self,
        round: u64,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<StoredPlan, WorkerError> {
        let plans = self.plans.clone();
        if let Some(p) = blocking(move || plans.load(round)).await? {
            tracing::info!(
                generation = p.generation,
                batches = p.plan.batches.len(),
                "persisted plan loaded"
            );
            return Ok(p);
        }
        self.await_agreement(round, stop).await?;
        let c = self.compute(round).await?;
        let stored = StoredPlan {
            round,
            generation: 0,
            inputs_digest: c.inputs_digest,
            plan: c.plan,
        };
        self.persist_plan(&stored).await?;
        tracing::info!(
            batches = stored.plan.batches.len(),
            readings = c.stats.readings,
            skipped_unknown_device = c.stats.skipped_unknown_device,
            implausible = c.implausible,
            digest = %hex::encode(stored.inputs_digest),
            "round aggregated with pinned inputs, plan persisted"
        );
        Ok(stored)
    }

    /// Saves `stored` (the plan store) and records its batches as planned (the submissions).
    async fn persist_plan(&self, stored: &StoredPlan) -> Result<(), WorkerError> {
        let plans = self.plans.clone();
        let s = stored.clone();
        blocking(move || plans.save(&s)).await?;
        self.record_planned(&stored.plan).await
    }

    async fn record_planned(&self, plan: &RoundPlan) -> Result<(), WorkerError> {
        for b in &plan.batches {
            tracing::info!(
                batch = b.index,
                entries = b.entries.len(),
                hash = %hex::encode(b.hash),
                "batch planned"
            );
        }
        let store = self.store.clone();
        let recs: Vec<SubmissionRecord> = plan
            .batches
            .iter()
            .map(|b| SubmissionRecord {
                round: plan.round,
                batch_index: b.index,
                batch_hash: b.hash,
                kind: SubmissionKind::Pending.as_str().into(),
                state: SubmissionState::Planned.as_str().into(),
                tx_hash: None,
            })
            .collect();
        blocking(move || {
            for r in &recs {
                store.put_submission(r)?;
            }
            Ok(())
        })
        .await?;
        self.set_phase(plan, RoundPhase::Aggregated).await
    }

    /// After the round closed: every local record whose transaction may or may not have
    /// landed (`intent`) is resolved from the chain's `Vote` (the last transaction of a round
    /// can finalize it, so no later pass looks at the batch again).
    async fn resolve_intents(&self, round: u64) -> Result<(), WorkerError> {
        let store = self.store.clone();
        let local = blocking(move || Ok(store.submissions(round)?)).await?;
        for rec in local {
            if SubmissionState::parse(&rec.state) == Some(SubmissionState::Confirmed) {
                continue;
            }
            let mine = self.chain.my_vote(round, rec.batch_index).await?;
            if mine == Some(rec.batch_hash) {
                let kind = match SubmissionKind::parse(&rec.kind) {
                    Some(k @ (SubmissionKind::Data | SubmissionKind::Vote)) => k,
                    _ => SubmissionKind::Vote,
                };
                self.put_record(SubmissionRecord {
                    kind: kind.as_str().into(),
                    state: SubmissionState::Confirmed.as_str().into(),
                    ..rec
                })
                .await?;
            }
        }
        Ok(())
    }

    async fn put_record(&self, rec: SubmissionRecord) -> Result<(), WorkerError> {
        let store = self.store.clone();
        blocking(move || Ok(store.put_submission(&rec)?)).await
    }

    /// One pass over the plan's batches: votes what chain state asks for, and returns what
    /// the chain holds besides our hashes.
    pub async fn submit_pass(&self, plan: &RoundPlan) -> Result<ChainSummary, WorkerError> {
        let batch_count = u32::try_from(plan.batches.len()).unwrap_or(u32::MAX);
        let mut summary = ChainSummary::default();
        let store = self.store.clone();
        let round = plan.round;
        let local = blocking(move || Ok(store.submissions(round)?)).await?;
        for b in &plan.batches {
            let span = tracing::info_span!("batch", round = plan.round, batch = b.index);
            let f = async {
                let view = self.chain.batch(plan.round, b.index).await?;
                match view.accepted {
                    Some(acc) => {
                        summary.accepted.insert(b.index, acc);
                        if acc != b.hash {
                            summary.foreign.push((b.index, acc));
                        }
                    }
                    None => summary
                        .foreign
                        .extend(view.foreign(&b.hash).into_iter().map(|h| (b.index, h))),
                }
                let mine = self.chain.my_vote(plan.round, b.index).await?;
                let decision = decide(&view, mine, &b.hash);
                if mine.as_ref() == Some(&b.hash) {
                    // Our vote is on chain (possibly from before a crash): resolve a pending
                    // intent from chain state.
                    let rec = local.iter().find(|r| r.batch_index == b.index);
                    let confirmed = rec.is_some_and(|r| {
                        r.batch_hash == b.hash
                            && SubmissionState::parse(&r.state) == Some(SubmissionState::Confirmed)
                    });
                    if !confirmed {
                        let kind = rec
                            .and_then(|r| SubmissionKind::parse(&r.kind))
                            .filter(|k| matches!(k, SubmissionKind::Data | SubmissionKind::Vote))
                            .unwrap_or(SubmissionKind::Vote);
                        self.put_record(SubmissionRecord {
                            round: plan.round,
                            batch_index: b.index,
                            batch_hash: b.hash,
                            kind: kind.as_str().into(),
                            state: SubmissionState::Confirmed.as_str().into(),
                            tx_hash: rec.and_then(|r| r.tx_hash.clone()),
                        })
                        .await?;
                    }
                }
                let batch = BatchId {
                    round: plan.round,
                    batch_index: b.index,
                    batch_count,
                    policy_version: plan.policy_version,
                };
                let (kind, msg) = match decision {
                    BatchDecision::Accepted | BatchDecision::Wait => return Ok(()),
                    BatchDecision::AcceptedOther(acc) => {
                        tracing::warn!(
                            ours = %hex::encode(b.hash),
                            accepted = %hex::encode(acc),
                            "batch accepted with another hash"
                        );
                        return Ok(());
                    }
                    BatchDecision::CallAccept => (SubmissionKind::Accept, batch.accept(&b.hash)),
                    BatchDecision::Vote => (SubmissionKind::Vote, batch.vote(&b.hash)),
                    BatchDecision::SubmitData => {
                        (SubmissionKind::Data, batch.submit_usage(b.entries.clone()))
                    }
                };

                let mut rec = SubmissionRecord {
                    round: plan.round,
                    batch_index: b.index,
                    batch_hash: b.hash,
                    kind: kind.as_str().into(),
                    state: SubmissionState::Intent.as_str().into(),
                    tx_hash: None,
                };
                self.put_record(rec.clone()).await?;
                match self.chain.send(msg).await {
                    Ok(tx) => {
                        self.metrics
                            .rounds
                            .transactions
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::info!(kind = kind.as_str(), tx = %tx, "batch transaction included");
                        rec.state = SubmissionState::Confirmed.as_str().into();
                        rec.tx_hash = Some(tx);
                        self.put_record(rec).await?;
                    }
                    // The intent stays; the next pass re-reads the chain and decides again.
                    Err(e) => {
                        tracing::warn!(kind = kind.as_str(), error = %e, "batch transaction failed, will re-read chain")
                    }
                }
                Ok::<(), WorkerError>(())
            };
            f.instrument(span).await?;
        }
        Ok(summary)
    }

    /// Re-sync: pulls the round from the peers, recomputes over the union and adopts the
    /// recomputation as a new plan generation (to be voted on the next pass) whenever it
    /// differs from the current plan — unless it contradicts a batch the chain already
    /// accepted while the current plan does not. Returns the plan to vote with.
    ///
    /// Without `recompute`, the round is recomputed only when the pull stored readings (the
    /// set of a closed round changes only through pulls).
    pub async fn resync(
        &self,
        current: StoredPlan,
        chain: &ChainSummary,
        recompute: bool,
    ) -> Result<StoredPlan, WorkerError> {
        let report = self.pull_peers(current.round).await?;
        let c = if recompute || report.imported > 0 {
            Some(self.compute(current.round).await?)
        } else {
            None
        };
        if let Some(c) = c.filter(|c| c.plan != current.plan) {
            let keeps = keeps_accepted(&c.plan, &chain.accepted);
            if keeps || !keeps_accepted(&current.plan, &chain.accepted) {
                let owner = first_differing_owner(&current.plan, &c.plan);
                let next = StoredPlan {
                    round: current.round,
                    generation: current.generation.saturating_add(1),
                    inputs_digest: c.inputs_digest,
                    plan: c.plan,
                };
                self.persist_plan(&next).await?;
                self.metrics
                    .rounds
                    .readopted
                    .fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    generation = next.generation,
                    readings = c.stats.readings,
                    first_differing_owner = %owner.unwrap_or_default(),
                    "the union grew: plan replaced by its recomputation, re-voting"
                );
                return Ok(next);
            }
            tracing::warn!(
                "recomputation contradicts a batch the chain accepted; keeping the current plan"
            );
        }
        for (i, h) in &chain.foreign {
            let ours = current.plan.batches.iter().find(|b| b.index == *i);
            self.metrics
                .rounds
                .divergence
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                batch = i,
                chain = %hex::encode(h),
                ours = %ours.map(|b| hex::encode(b.hash)).unwrap_or_default(),
                "chain holds a batch hash our union does not reproduce (peers may not have pulled our readings yet)"
            );
        }
        Ok(current)
    }

    /// Before the first vote on a round: pulls from the peers whose digest differs from ours
    /// until every peer's digest equals ours or `agreement_timeout` has passed (or `stop` is
    /// set).
    pub async fn await_agreement(
        &self,
        round: u64,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), WorkerError> {
        let started = std::time::Instant::now();
        let pause = self
            .poll
            .clamp(Duration::from_millis(200), Duration::from_secs(2));
        loop {
            let report = self.pull_peers(round).await?;
            if report.agreed() {
                tracing::info!(peers = report.peers, "every peer holds the same readings");
                return Ok(());
            }
            if started.elapsed() >= self.agreement_timeout {
                tracing::warn!(
                    peers = report.peers,
                    equal = report.peers_equal,
                    unreachable = report.failures,
                    "peers still hold other readings after the agreement timeout; voting our union"
                );
                return Ok(());
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(()),
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Works on `round` until it is closed on chain, its window expires, or `stop` is set.
    pub async fn run_round(
        &self,
        round: u64,
        mut stop: watch::Receiver<bool>,
    ) -> Result<RoundOutcome, WorkerError> {
        let mut plan: Option<StoredPlan> = None;
        // Foreign hashes seen at the last re-sync: a new one triggers a re-sync at once.
        let mut examined: HashSet<(u32, [u8; 32])> = HashSet::new();
        // Time of the last re-sync (None: none yet in this run, so the next one recomputes
        // even when its pull brings nothing: the plan may come from before a restart).
        let mut last_pull: Option<std::time::Instant> = None;
        loop {
            if *stop.borrow() {
                return Ok(RoundOutcome::Stopped);
            }
            let mut s = stop.clone();
            match self
                .pass(round, &mut plan, &mut examined, &mut last_pull, &mut s)
                .await
            {
                Ok(Some(outcome)) => return Ok(outcome),
                Ok(None) => {}
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => tracing::warn!(error = %e, "round pass failed, retrying"),
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(RoundOutcome::Stopped),
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    async fn pass(
        &self,
        round: u64,
        plan: &mut Option<StoredPlan>,
        examined: &mut HashSet<(u32, [u8; 32])>,
        last_pull: &mut Option<std::time::Instant>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Option<RoundOutcome>, WorkerError> {
        match self.chain.round_status(round).await? {
            ChainRoundStatus::Closed => {
                self.resolve_intents(round).await?;
                self.mark_round(round, RoundPhase::Done).await?;
                self.metrics
                    .rounds
                    .rounds_done
                    .fetch_add(1, Ordering::Relaxed);
                tracing::info!("round closed on chain");
                return Ok(Some(RoundOutcome::Closed));
            }
            ChainRoundStatus::Expired => {
                self.mark_round(round, RoundPhase::Expired).await?;
                tracing::warn!("attestation window over without finalization");
                return Ok(Some(RoundOutcome::Expired));
            }
            ChainRoundStatus::Open => return Ok(None),
            ChainRoundStatus::Attesting => {}
        }
        let current = match plan.take() {
            Some(p) => p,
            None => {
                let rules = self.chain.round_rules(round).await?;
                if now_unix() < rules.end.saturating_add(self.delay) {
                    return Ok(None);
                }
                self.ensure_plan(round, stop).await?
            }
        };
        self.set_phase(&current.plan, RoundPhase::Submitting)
            .await?;
        let summary = match self.submit_pass(&current.plan).await {
            Ok(s) => s,
            Err(e) => {
                *plan = Some(current);
                return Err(e);
            }
        };
        // Re-sync at once when the chain shows a hash not seen at the last re-sync, and every
        // few passes while any other hash is on chain (peers may have learned readings since).
        let fresh = summary.foreign.iter().any(|f| !examined.contains(f));
        let every = self.poll.saturating_mul(5).max(Duration::from_secs(1));
        let due = last_pull.is_none_or(|t| t.elapsed() >= every);
        if fresh || (due && !summary.foreign.is_empty()) {
            let first = last_pull.is_none();
            let next = self.resync(current, &summary, first).await?;
            *last_pull = Some(std::time::Instant::now());
            examined.clear();
            examined.extend(summary.foreign.iter().copied());
            *plan = Some(next);
        } else {
            *plan = Some(current);
        }
        Ok(None)
    }
}

/// Runs [`WorkerCtx::run_round`] inside a span carrying the round id.
pub async fn run_round_instrumented<C: RoundChain>(
    ctx: Arc<WorkerCtx<C>>,
    round: u64,
    stop: watch::Receiver<bool>,
) -> Result<RoundOutcome, WorkerError> {
    let span = tracing::info_span!("round", round);
    async move { ctx.run_round(round, stop).await }
        .instrument(span)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: u8) -> [u8; 32] {
        [b; 32]
    }

    fn view(accepted: Option<u8>, quorum: u32, t: &[(u8, u32, bool)]) -> BatchView {
        BatchView {
            accepted: accepted.map(h),
            quorum,
            tallies: t
                .iter()
                .map(|(x, votes, submitted)| TallyView {
                    hash: h(*x),
                    votes: *votes,
                    submitted: *submitted,
                })
                .collect(),
        }
    }

    #[test]
    fn votes_converge_decisions_come_from_chain_state() {
        let ours = h(1);
        // Nothing on chain: send the data.
        assert_eq!(
            decide(&view(None, 2, &[]), None, &ours),
            BatchDecision::SubmitData
        );
        // Someone submitted our hash's data: vote by hash.
        assert_eq!(
            decide(&view(None, 2, &[(1, 1, true)]), None, &ours),
            BatchDecision::Vote
        );
        // Our vote counts: wait.
        assert_eq!(
            decide(&view(None, 2, &[(1, 1, true)]), Some(ours), &ours),
            BatchDecision::Wait
        );
        // We voted another hash earlier (old plan): replace the vote.
        assert_eq!(
            decide(
                &view(None, 2, &[(1, 1, true), (2, 1, true)]),
                Some(h(2)),
                &ours
            ),
            BatchDecision::Vote
        );
        // Tally meets quorum (e.g. after a quorum decrease) but not accepted: AcceptBatch.
        assert_eq!(
            decide(&view(None, 2, &[(1, 2, true)]), Some(ours), &ours),
            BatchDecision::CallAccept
        );
        // Accepted.
        assert_eq!(
            decide(&view(Some(1), 2, &[(1, 2, true)]), Some(ours), &ours),
            BatchDecision::Accepted
        );
        assert_eq!(
            decide(&view(Some(2), 2, &[(2, 2, true)]), None, &ours),
            BatchDecision::AcceptedOther(h(2))
        );
        // Our hash voted but data never landed (tally without data): submit the data.
        assert_eq!(
            decide(&view(None, 3, &[(1, 1, false)]), None, &ours),
            BatchDecision::SubmitData
        );
    }

    #[test]
    fn every_other_voted_hash_is_foreign() {
        // Every hash with votes other than ours counts, not only the most voted one.
        let v = view(None, 2, &[(1, 1, true), (3, 1, true), (2, 2, true)]);
        assert_eq!(v.foreign(&h(1)), vec![h(2), h(3)]);
        let v = view(None, 2, &[(1, 1, true)]);
        assert_eq!(v.foreign(&h(1)), Vec::<[u8; 32]>::new());
        // A submitted hash whose votes moved away is not a competitor.
        let v = view(None, 2, &[(1, 2, true), (2, 0, true)]);
        assert_eq!(v.foreign(&h(1)), Vec::<[u8; 32]>::new());
    }

    #[test]
    fn a_plan_must_keep_the_accepted_batches() {
        let batch = |index: u32, hash: u8| crate::aggregate::PlannedBatch {
            index,
            hash: h(hash),
            entries: Vec::new(),
            encoded: Vec::new(),
        };
        let plan = RoundPlan {
            round: 3,
            policy_version: 1,
            batches: vec![batch(0, 1), batch(1, 2)],
        };
        assert!(keeps_accepted(&plan, &BTreeMap::new()));
        assert!(keeps_accepted(&plan, &BTreeMap::from([(1, h(2))])));
        assert!(!keeps_accepted(&plan, &BTreeMap::from([(1, h(9))])));
        assert!(!keeps_accepted(&plan, &BTreeMap::from([(2, h(2))])));
    }

    #[test]
    fn submission_states_round_trip_as_strings() {
        for k in [
            SubmissionKind::Data,
            SubmissionKind::Vote,
            SubmissionKind::Accept,
            SubmissionKind::Skip,
            SubmissionKind::Pending,
        ] {
            assert_eq!(SubmissionKind::parse(k.as_str()), Some(k));
        }
        for s in [
            SubmissionState::Planned,
            SubmissionState::Intent,
            SubmissionState::Confirmed,
        ] {
            assert_eq!(SubmissionState::parse(s.as_str()), Some(s));
        }
        for p in [
            RoundPhase::Aggregated,
            RoundPhase::Submitting,
            RoundPhase::Done,
            RoundPhase::Expired,
        ] {
            assert_eq!(RoundPhase::parse(p.as_str()), Some(p));
        }
        assert_eq!(SubmissionKind::parse("Data"), None);
        assert_eq!(RoundPhase::parse("finalized"), None);
        assert!(RoundPhase::Done.is_final() && !RoundPhase::Submitting.is_final());
    }
}
