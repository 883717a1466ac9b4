//! Ingest checks (`docs/spec.md` §3.2) and the batch pipeline shared by the HTTP endpoint,
//! peer import and the benchmark.
//!
//! Order of checks for each reading, cheapest first; the first failing check names the
//! reason: `malformed` → `unknown_device` → `bad_window` → `future_window` → `stale_window` →
//! `implausible_energy` → `out_of_range` → `bad_signature` (batch-verified; after
//! [`IngestPolicy::max_invalid_signatures`] invalid signatures in one request the remaining
//! items are not verified and answered `signature_budget`) → per-device quota (`device_quota`,
//! charged for validly signed readings new to the store only, so nobody else can spend a
//! device's quota, by forging or by replaying) →
//! store. Items of one request with the same decoded content are verified and stored once.
//!
//! The store keeps every validly signed reading. One that conflicts with a stored reading of
//! its device (`sequence_conflict`, `overlap`, `sequence_order`) is answered as rejected with
//! that reason and `"evidence": true`: it is kept as evidence, and the union rule
//! ([`crate::store::union`]) decides over the round's whole set what counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cube_scoring::RatedPower;
use serde::Serialize;

use crate::directory::DeviceDirectory;
use crate::metrics::Metrics;
use crate::store::{
    ConflictKind, InsertOutcome, ReadingStore, StoreError, StoreRejection, MAX_WINDOW_SECS,
};
use crate::telemetry::{Domain, ReadingJson, SignedReading};

pub use crate::telemetry::batch::{
    BatchRequest, BatchResponse, ItemResult, ItemStatus, RejectReason,
};

impl From<StoreRejection> for RejectReason {
    fn from(r: StoreRejection) -> Self {
        match r {
            StoreRejection::OutOfRange => RejectReason::OutOfRange,
            StoreRejection::RoundClosed => RejectReason::StaleWindow,
        }
    }
}

impl From<ConflictKind> for RejectReason {
    fn from(k: ConflictKind) -> Self {
        match k {
            ConflictKind::SequenceConflict => RejectReason::SequenceConflict,
            ConflictKind::Overlap => RejectReason::Overlap,
            ConflictKind::SequenceOrder => RejectReason::SequenceOrder,
        }
    }
}

/// Round timing, used to decide which windows are still open for data: the chain's round
/// clock (`cube_types::clock::RoundClock`, the one round arithmetic of contract, relayer and
/// tools; this type derefs to it for `round_at`, `bounds`, `genesis`, …) plus the relayer's
/// grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundClock {
    /// Round arithmetic (genesis, duration).
    pub clock: cube_types::clock::RoundClock,
    /// Time after a round's end during which its readings are still accepted.
    pub grace: u64,
}

impl RoundClock {
    /// Rounds of `duration` seconds (> 0) from `genesis`, readings accepted `grace` seconds
    /// after [`MAX_WINDOW_SECS`] past a round's end.
    pub const fn new(genesis: u64, duration: u64, grace: u64) -> Self {
        RoundClock {
            clock: cube_types::clock::RoundClock { genesis, duration },
            grace,
        }
    }

    /// When round `r` stops accepting readings: its end + [`MAX_WINDOW_SECS`] + grace. A
    /// window straddling the end of `r` ends at most one window length later and must still
    /// be deliverable within grace; the round worker aggregates `r` only from this time on.
    pub fn closes_at(&self, r: u64) -> Option<u64> {
        self.clock
            .end(r)?
            .checked_add(MAX_WINDOW_SECS)?
            .checked_add(self.grace)
    }

    /// Whether a window starting at `window_start` may still be accepted at `now`: every round
    /// it touches is open, i.e. the first one (the others close later).
    pub fn window_open(&self, window_start: u64, now: u64) -> bool {
        self.clock
            .round_at(window_start)
            .and_then(|r| self.closes_at(r))
            .is_some_and(|close| now < close)
    }
}

impl std::ops::Deref for RoundClock {
    type Target = cube_types::clock::RoundClock;

    fn deref(&self) -> &Self::Target {
        &self.clock
    }
}

/// A token bucket: `rate` tokens per second, at most `burst` stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    /// Refill per second.
    pub rate: f64,
    /// Capacity.
    pub burst: f64,
}

impl Eq for Quota {}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// One shard of [`Buckets`]: the buckets touched since the last rotation and the ones
/// touched in the period before.
#[derive(Debug)]
struct Generations<K> {
    current: HashMap<K, Bucket>,
    previous: HashMap<K, Bucket>,
    rotated: Option<Instant>,
}

/// Token buckets keyed by `K`, evicted by time.
///
/// A bucket left alone for `burst / rate` seconds (the refill period) is full again, which is
/// exactly the state of a bucket that does not exist; so buckets live in two generations per
/// shard that rotate once per refill period: a bucket not touched during two rotations is
/// dropped with its whole generation. Every check is O(1) (no scan of the map at any size),
/// under the lock of one of [`BUCKET_SHARDS`] shards.
#[derive(Debug)]
pub struct Buckets<K> {
    quota: Quota,
    /// Refill period; `None` when the rate is zero (buckets never refill, never evicted).
    period: Option<std::time::Duration>,
    hasher: std::collections::hash_map::RandomState,
    shards: Vec<Mutex<Generations<K>>>,
}

/// Lock shards of [`Buckets`].
pub const BUCKET_SHARDS: usize = 16;

impl<K: std::hash::Hash + Eq + Copy> Buckets<K> {
    /// Empty buckets with `quota`.
    pub fn new(quota: Quota) -> Self {
        let period = (quota.rate > 0.0 && quota.rate.is_finite())
            .then(|| std::time::Duration::try_from_secs_f64(quota.burst.max(0.0) / quota.rate).ok())
            .flatten();
        Buckets {
            quota,
            period,
            hasher: std::collections::hash_map::RandomState::new(),
            shards: (0..BUCKET_SHARDS)
                .map(|_| {
                    Mutex::new(Generations {
                        current: HashMap::new(),
                        previous: HashMap::new(),
                        rotated: None,
                    })
                })
                .collect(),
        }
    }

    /// Buckets held in memory (both generations of every shard).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .map(|g| g.current.len().saturating_add(g.previous.len()))
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes up to `want` tokens for `key` at `now`; returns how many were granted.
    pub fn take(&self, key: K, want: u64, now: Instant) -> u64 {
        use std::hash::BuildHasher;
        let n = self.shards.len().max(1);
        let idx =
            usize::try_from(self.hasher.hash_one(key) % u64::try_from(n).unwrap_or(1)).unwrap_or(0);
        let Some(shard) = self.shards.get(idx) else {
            return 0;
        };
        let Ok(mut g) = shard.lock() else {
            return 0;
        };
        let g = &mut *g;
        if let Some(period) = self.period {
            match g.rotated {
                None => g.rotated = Some(now),
                Some(at) => {
                    let idle = now.saturating_duration_since(at);
                    if idle >= period {
                        // Buckets of `previous` were last touched before `at`, at least one
                        // refill period ago: full again, forgotten.
                        g.previous = std::mem::take(&mut g.current);
                        if idle >= period.saturating_mul(2) {
                            g.previous.clear();
                        }
                        g.rotated = Some(now);
                    }
                }
            }
        }
        let q = self.quota;
        let b = match g.current.get_mut(&key) {
            Some(b) => b,
            None => {
                let b = g.previous.remove(&key).unwrap_or(Bucket {
                    tokens: q.burst,
                    last: now,
                });
                g.current.entry(key).or_insert(b)
            }
        };
        let dt = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + dt * q.rate).min(q.burst);
        b.last = now;
        let have = saturating_u64(b.tokens.floor());
        let granted = have.min(want);
        b.tokens -= granted as f64;
        granted
    }
}

/// A float count (tokens, seconds) as an integer, saturating: NaN and negatives give 0, values
/// beyond `u64::MAX` give `u64::MAX`, fractions are dropped. Float-to-integer `as` is defined
/// to do exactly this in Rust; the function names the intent in one place.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // saturating by definition
fn saturating_u64(x: f64) -> u64 {
    x as u64
}

/// Ingest limits and rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestPolicy {
    /// Maximum readings in one request.
    pub max_batch_items: usize,
    /// Allowed clock skew of devices, seconds.
    pub clock_skew_secs: u64,
    /// Round timing.
    pub rounds: RoundClock,
    /// Rated power per model.
    pub rated_power: RatedPower,
    /// Readings per device (validly signed, after de-duplication); `None` = unlimited.
    pub device_quota: Option<Quota>,
    /// Readings per client address (whole request refused when over); `None` = unlimited.
    pub client_quota: Option<Quota>,
    /// Invalid signatures tolerated in one request before the rest is left unverified.
    pub max_invalid_signatures: usize,
}

impl IngestPolicy {
    /// Policy without quotas and with the default signature budget (tests, benchmarks).
    pub fn unlimited(
        max_batch_items: usize,
        clock_skew_secs: u64,
        rounds: RoundClock,
        rated_power: RatedPower,
    ) -> Self {
        IngestPolicy {
            max_batch_items,
            clock_skew_secs,
            rounds,
            rated_power,
            device_quota: None,
            client_quota: None,
            max_invalid_signatures: DEFAULT_MAX_INVALID_SIGNATURES,
        }
    }
}

/// Default of [`IngestPolicy::max_invalid_signatures`].
pub const DEFAULT_MAX_INVALID_SIGNATURES: usize = 16;

/// Readings verified per ed25519 batch (a failing batch is re-verified one by one).
const VERIFY_CHUNK: usize = 512;

/// Whole-request failures.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchError {
    /// More than `max_batch_items` readings.
    TooManyItems {
        /// Items sent.
        count: usize,
        /// Allowed.
        max: usize,
    },
    /// Writer queue full (429).
    Busy,
    /// The client's quota is spent (429 `client_quota`); retry after the given seconds.
    ClientQuota {
        /// Seconds until the request would fit.
        retry_after_secs: u64,
    },
    /// Store failed (503).
    Unavailable(String),
}

/// The rated power the contract pinned for each round, as far as this relayer has read it
/// (`RoundParams`). Plausibility is judged with the power of the round a reading's window
/// starts in, so relayers with different local configs accept the same readings; a round not
/// read yet falls back to the local config's `[devices]` power.
#[derive(Debug, Default)]
pub struct PinnedRated {
    rounds: std::sync::RwLock<std::collections::BTreeMap<u64, (RatedPower, bool)>>,
}

/// Rounds kept by [`PinnedRated`] (the oldest are dropped beyond this).
const PINNED_RATED_CAP: usize = 4_096;

impl PinnedRated {
    /// The pinned power of `round`, if known.
    pub fn get(&self, round: u64) -> Option<RatedPower> {
        let map = self.rounds.read().unwrap_or_else(|e| e.into_inner());
        map.get(&round).map(|(r, _)| *r)
    }

    /// Whether `round`'s power is known and can no longer change (the round had started
    /// when it was read: a config change applies from the next round on).
    pub fn is_final(&self, round: u64) -> bool {
        let map = self.rounds.read().unwrap_or_else(|e| e.into_inner());
        map.get(&round).is_some_and(|(_, f)| *f)
    }

    /// Records `round`'s power; `is_final` when the round had started at the time of reading.
    pub fn insert(&self, round: u64, rated: RatedPower, is_final: bool) {
        let mut map = self.rounds.write().unwrap_or_else(|e| e.into_inner());
        map.insert(round, (rated, is_final));
        while map.len() > PINNED_RATED_CAP {
            if map.pop_first().is_none() {
                break;
            }
        }
    }
}

/// Whether a reading's discharged and charged energy each fit `watts` over its window: the
/// plausibility rule of ingest, peer import and aggregation alike.
pub fn within_rated_power(r: &crate::telemetry::Reading, watts: u64) -> bool {
    // Wh <= W · s / 3600  ⇔  Wh · 3600 <= W · s (exact in u128).
    let len = r.window_end.saturating_sub(r.window_start);
    let max = u128::from(watts) * u128::from(len);
    u128::from(r.discharged_wh) * 3600 <= max && u128::from(r.charged_wh) * 3600 <= max
}

/// Everything the ingest pipeline needs.
pub struct Ingestor {
    /// Signature domain.
    pub domain: Domain,
    /// Limits.
    pub policy: IngestPolicy,
    /// Registered devices.
    pub directory: Arc<DeviceDirectory>,
    /// Durable storage.
    pub store: Arc<dyn ReadingStore>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Per-device buckets (from `policy.device_quota`).
    pub device_buckets: Option<Buckets<[u8; 32]>>,
    /// Per-client buckets (from `policy.client_quota`).
    pub client_buckets: Option<Buckets<IpAddr>>,
    /// Rated power pinned per round (read from chain; plausibility).
    pub pinned: PinnedRated,
}

/// Current unix time, seconds (the one wall clock of `host-util`).
pub use host_util::now_unix;

/// Result of [`Ingestor::import_peer`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Readings handed in.
    pub received: usize,
    /// Newly stored, not in conflict.
    pub new: usize,
    /// Already stored.
    pub duplicates: usize,
    /// Stored (now or before) as evidence of a conflict.
    pub evidence: usize,
    /// Refused (bad window, implausible, bad signature, out of range, and the three below).
    pub rejected: usize,
    /// Refused because the window does not touch the round pulled.
    pub off_round: usize,
    /// Refused because the device is not in the round's registry.
    pub unregistered: usize,
    /// Refused because the device's import allowance for the round is used up.
    pub over_quota: usize,
}

/// Readings per store submission of a peer import.
const IMPORT_CHUNK: usize = 5_000;

impl Ingestor {
    /// An ingestor with the buckets `policy` asks for.
    pub fn new(
        domain: Domain,
        policy: IngestPolicy,
        directory: Arc<DeviceDirectory>,
        store: Arc<dyn ReadingStore>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Ingestor {
            device_buckets: policy.device_quota.map(Buckets::new),
            client_buckets: policy.client_quota.map(Buckets::new),
            pinned: PinnedRated::default(),
            domain,
            policy,
            directory,
            store,
            metrics,
        }
    }

    /// Checks that do not depend on the time of arrival: registered device, window shape,
    /// plausibility, integer range.
    ///
    /// With `require_registered == false` (peer import) a device missing from the current
    /// directory is admitted and held to the larger rated power: it may be registered in the
    /// view of the round the reading belongs to (moved or deregistered since), and the round's
    /// aggregation filters by that pinned view anyway — refusing it here would make the union
    /// depend on when each relayer refreshed its directory.
    ///
    /// Plausibility uses [`Self::rated_power_for`], the power pinned for the round the window
    /// starts in: the same verdict on every relayer, whatever its local config.
    pub fn structural_check(
        &self,
        s: &SignedReading,
        require_registered: bool,
    ) -> Result<(), RejectReason> {
        let r = &s.reading;
        let rated = self.rated_power_for(r.window_start);
        let watts = match self.directory.get(&r.device_pubkey) {
            Some(device) => rated.of(device.model),
            None if require_registered => return Err(RejectReason::UnknownDevice),
            None => rated.cube_v1_w.max(rated.cube_v2_w),
        };
        let Some(len) = r.window_end.checked_sub(r.window_start) else {
            return Err(RejectReason::BadWindow);
        };
        if len == 0 || len > MAX_WINDOW_SECS {
            return Err(RejectReason::BadWindow);
        }
        if !within_rated_power(r, watts) {
            return Err(RejectReason::ImplausibleEnergy);
        }
        let limit = u64::try_from(i64::MAX).unwrap_or(u64::MAX);
        if r.sequence > limit || r.window_end > limit {
            return Err(RejectReason::OutOfRange);
        }
        Ok(())
    }

    /// The rated power that judges a reading whose window starts at `window_start`: the one
    /// the contract pinned for that round when known ([`PinnedRated`]), else the local config's.
    pub fn rated_power_for(&self, window_start: u64) -> RatedPower {
        self.policy
            .rounds
            .round_at(window_start)
            .and_then(|r| self.pinned.get(r))
            .unwrap_or(self.policy.rated_power)
    }

    /// Stateless checks of one decoded reading at time `now` (everything but signature and
    /// store rules).
    pub fn precheck(&self, s: &SignedReading, now: u64) -> Result<(), RejectReason> {
        let r = &s.reading;
        if !self.directory.contains(&r.device_pubkey) {
            return Err(RejectReason::UnknownDevice);
        }
        if r.window_end <= r.window_start || r.window_end - r.window_start > MAX_WINDOW_SECS {
            return Err(RejectReason::BadWindow);
        }
        if r.window_end > now.saturating_add(self.policy.clock_skew_secs) {
            return Err(RejectReason::FutureWindow);
        }
        if !self.policy.rounds.window_open(r.window_start, now) {
            return Err(RejectReason::StaleWindow);
        }
        self.structural_check(s, true)
    }

    /// Verifies `candidates`; after `budget` invalid signatures the rest is answered
    /// [`RejectReason::SignatureBudget`] without verification. One verdict per candidate.
    ///
    /// Chunks of up to [`VERIFY_CHUNK`] are batch-verified; a chunk that fails is re-verified
    /// one signature at a time, and the budget is checked before every single verification,
    /// so one request costs at most `budget` failed single verifications.
    fn verify_bounded(
        domain: &Domain,
        candidates: &[SignedReading],
        budget: usize,
    ) -> Vec<Result<(), RejectReason>> {
        let mut out = Vec::with_capacity(candidates.len());
        let mut invalid = 0usize;
        for chunk in candidates.chunks(VERIFY_CHUNK) {
            if invalid >= budget {
                out.extend(chunk.iter().map(|_| Err(RejectReason::SignatureBudget)));
                continue;
            }
            let refs: Vec<&SignedReading> = chunk.iter().collect();
            if domain.verify_batch(&refs) {
                out.extend(chunk.iter().map(|_| Ok(())));
                continue;
            }
            for s in chunk {
                if invalid >= budget {
                    out.push(Err(RejectReason::SignatureBudget));
                } else if domain.verify(s).is_ok() {
                    out.push(Ok(()));
                } else {
                    invalid += 1;
                    out.push(Err(RejectReason::BadSignature));
                }
            }
        }
        out
    }

    /// Stores `readings`; with `close_at`, each one is refused (`stale_window`) if the writer
    /// reaches it after its round closed.
    async fn store_all(
        &self,
        readings: Vec<SignedReading>,
        close_at: Option<Vec<u64>>,
    ) -> Result<Vec<InsertOutcome>, BatchError> {
        let submitted = match close_at {
            Some(c) => self.store.submit_until(readings, c),
            None => self.store.submit(readings),
        };
        let ack = submitted.map_err(|e| match e {
            StoreError::Busy => BatchError::Busy,
            other => BatchError::Unavailable(other.to_string()),
        })?;
        ack.await
            .map_err(|_| BatchError::Unavailable("writer dropped the request".into()))?
            .map_err(|e| BatchError::Unavailable(e.to_string()))
    }

    /// Each of `items` with [`ReadingStore::stored_already`] of its reading (`reading` picks
    /// it out), looked up on a blocking thread; the items travel there and back, uncopied.
    async fn stored_already<T: Send + 'static>(
        &self,
        items: Vec<T>,
        reading: fn(&T) -> &SignedReading,
    ) -> Result<Vec<(T, bool)>, BatchError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&SignedReading> = items.iter().map(reading).collect();
            let known = store.stored_already(&refs)?;
            drop(refs);
            Ok::<_, StoreError>(items.into_iter().zip(known).collect())
        })
        .await
        .map_err(|e| BatchError::Unavailable(e.to_string()))?
        .map_err(|e| BatchError::Unavailable(e.to_string()))
    }

    /// Runs a whole batch from a client without a known address (benchmarks, tests).
    pub async fn process(&self, items: Vec<ReadingJson>) -> Result<BatchResponse, BatchError> {
        self.process_from(None, items).await
    }

    /// Runs a whole batch: quota, decode, check, verify signatures, store, and wait for COMMIT.
    pub async fn process_from(
        &self,
        client: Option<IpAddr>,
        items: Vec<ReadingJson>,
    ) -> Result<BatchResponse, BatchError> {
        if items.len() > self.policy.max_batch_items {
            return Err(BatchError::TooManyItems {
                count: items.len(),
                max: self.policy.max_batch_items,
            });
        }
        let now_i = Instant::now();
        if let (Some(b), Some(ip), Some(q)) =
            (&self.client_buckets, client, self.policy.client_quota)
        {
            let want = u64::try_from(items.len()).unwrap_or(u64::MAX);
            let granted = b.take(ip, want, now_i);
            if granted < want {
                // Give the partial grant back is not needed: the request is refused whole and
                // the tokens stay spent, which is what throttles a flooding client.
                let missing = (want - granted) as f64;
                let secs = if q.rate > 0.0 {
                    (missing / q.rate).ceil()
                } else {
                    60.0
                };
                self.metrics
                    .quota_refused(crate::metrics::QuotaKind::Client);
                return Err(BatchError::ClientQuota {
                    retry_after_secs: saturating_u64(secs).clamp(1, 3_600),
                });
            }
        }
        let now = now_unix();
        let mut results: Vec<Option<RejectReason>> = vec![None; items.len()];
        // Items with the same content are handled once, whatever their JSON spelling (hex
        // case, field order): `first[i]` is the index whose outcome i copies. Content is the
        // decoded reading; a second copy with another signature is the same reading.
        let mut first: Vec<usize> = (0..items.len()).collect();
        let mut seen: HashMap<crate::telemetry::Reading, usize> =
            HashMap::with_capacity(items.len());
        let mut candidates: Vec<SignedReading> = Vec::with_capacity(items.len());
        let mut cand_idx: Vec<usize> = Vec::with_capacity(items.len());
        for (i, j) in items.iter().enumerate() {
            let s = match SignedReading::try_from(j) {
                Ok(s) => s,
                Err(_) => {
                    results[i] = Some(RejectReason::Malformed);
                    continue;
                }
            };
            if let Some(&f) = seen.get(&s.reading) {
                first[i] = f;
                continue;
            }
            seen.insert(s.reading.clone(), i);
            match self.precheck(&s, now) {
                Ok(()) => {
                    cand_idx.push(i);
                    candidates.push(s);
                }
                Err(reason) => results[i] = Some(reason),
            }
        }
        drop(seen);
        // Signatures: bounded batch verification on a blocking thread (CPU bound).
        let domain = self.domain.clone();
        let budget = self.policy.max_invalid_signatures;
        let (candidates, verdicts) = tokio::task::spawn_blocking(move || {
            let v = Self::verify_bounded(&domain, &candidates, budget);
            (candidates, v)
        })
        .await
        .map_err(|e| BatchError::Unavailable(e.to_string()))?;
        let mut to_store = Vec::with_capacity(candidates.len());
        let mut store_idx = Vec::with_capacity(candidates.len());
        let mut verified: Vec<(usize, SignedReading)> = Vec::with_capacity(candidates.len());
        for ((i, s), v) in cand_idx.into_iter().zip(candidates).zip(verdicts) {
            match v {
                Ok(()) => verified.push((i, s)),
                Err(r) => results[i] = Some(r),
            }
        }
        // Device quota: charged for validly signed readings new to the store only (a replay
        // of a stored reading costs its device nothing; the store answers it as a duplicate);
        // the earliest items of a device in the request are the ones granted.
        if let Some(b) = &self.device_buckets {
            let checked = self.stored_already(verified, |(_, s)| s).await?;
            let mut per_device: HashMap<[u8; 32], u64> = HashMap::new();
            for ((_, s), known) in &checked {
                if !known {
                    *per_device.entry(s.reading.device_pubkey).or_insert(0) += 1;
                }
            }
            let mut granted: HashMap<[u8; 32], u64> = per_device
                .iter()
                .map(|(d, n)| (*d, b.take(*d, *n, now_i)))
                .collect();
            for ((i, s), known) in checked {
                if known {
                    store_idx.push(i);
                    to_store.push(s);
                    continue;
                }
                let g = granted.entry(s.reading.device_pubkey).or_insert(0);
                if *g == 0 {
                    self.metrics
                        .quota_refused(crate::metrics::QuotaKind::Device);
                    results[i] = Some(RejectReason::DeviceQuota);
                } else {
                    *g -= 1;
                    store_idx.push(i);
                    to_store.push(s);
                }
            }
        } else {
            for (i, s) in verified {
                store_idx.push(i);
                to_store.push(s);
            }
        }
        let mut statuses: Vec<ItemStatus> = vec![ItemStatus::Rejected; items.len()];
        let mut evidence: Vec<bool> = vec![false; items.len()];
        if !to_store.is_empty() {
            let rounds = self.policy.rounds;
            let close_at: Vec<u64> = to_store
                .iter()
                .map(|s| {
                    rounds
                        .round_at(s.reading.window_start)
                        .and_then(|r| rounds.closes_at(r))
                        .unwrap_or(0)
                })
                .collect();
            let outcomes = self.store_all(to_store, Some(close_at)).await?;
            for (i, o) in store_idx.into_iter().zip(outcomes) {
                match o {
                    InsertOutcome::Accepted => statuses[i] = ItemStatus::Accepted,
                    InsertOutcome::Duplicate => statuses[i] = ItemStatus::Duplicate,
                    InsertOutcome::Evidence(k) => {
                        results[i] = Some(k.into());
                        evidence[i] = true;
                    }
                    InsertOutcome::Rejected(r) => results[i] = Some(r.into()),
                }
            }
        }
        let mut resp = BatchResponse {
            accepted: 0,
            duplicates: 0,
            rejected: 0,
            evidence: 0,
            results: Vec::with_capacity(items.len()),
        };
        for (index, &f) in first.iter().enumerate() {
            // A repeated item: the first copy's outcome, and "accepted" becomes "duplicate".
            let (status, reason, ev) = (statuses[f], results[f], evidence[f]);
            let status = if f != index && status == ItemStatus::Accepted {
                ItemStatus::Duplicate
            } else {
                status
            };
            match reason {
                Some(r) => {
                    resp.rejected += 1;
                    if ev {
                        resp.evidence += 1;
                    }
                    self.metrics.rejected(r);
                    resp.results.push(ItemResult {
                        index,
                        status: ItemStatus::Rejected,
                        reason: Some(r),
                        evidence: ev,
                    });
                }
                None => {
                    match status {
                        ItemStatus::Accepted => resp.accepted += 1,
                        ItemStatus::Duplicate => resp.duplicates += 1,
                        ItemStatus::Rejected => resp.rejected += 1,
                    }
                    resp.results.push(ItemResult {
                        index,
                        status,
                        reason: None,
                        evidence: false,
                    });
                }
            }
        }
        self.metrics
            .accepted(u64::try_from(resp.accepted).unwrap_or(u64::MAX));
        self.metrics
            .duplicate(u64::try_from(resp.duplicates).unwrap_or(u64::MAX));
        self.metrics
            .evidence(u64::try_from(resp.evidence).unwrap_or(u64::MAX));
        Ok(resp)
    }

    /// Imports readings pulled from a peer relayer for the round `scope` names, through the
    /// same verification and durable store path as ingest, minus the time-based checks (a peer
    /// accepted them while their rounds were open) and the check against the *current*
    /// directory (see [`Self::structural_check`]). A reading is refused when its window does not
    /// touch the round, when its device is not in the round's registry (when the scope has
    /// one), when it fails the structural checks or its signature, or when its device has
    /// used up its import allowance for the round ([`ImportScope::allowance`]; only readings
    /// new to the store count). Durable when it returns. Waits (up to ~30 s per chunk) while
    /// the writer queue is full.
    pub async fn import_peer(
        &self,
        readings: Vec<SignedReading>,
        scope: &ImportScope<'_>,
    ) -> Result<ImportReport, BatchError> {
        let mut report = ImportReport {
            received: readings.len(),
            ..ImportReport::default()
        };
        let (from, to) = scope.bounds;
        let mut unique: Vec<SignedReading> = Vec::with_capacity(readings.len());
        {
            let mut seen = std::collections::HashSet::with_capacity(readings.len());
            for s in readings {
                if !seen.insert(s.reading.clone()) {
                    report.duplicates += 1;
                    continue;
                }
                let r = &s.reading;
                if !(r.window_start < to && r.window_end > from) {
                    report.rejected += 1;
                    report.off_round += 1;
                    continue;
                }
                if scope
                    .registered
                    .is_some_and(|reg| !reg.contains(&r.device_pubkey))
                {
                    report.rejected += 1;
                    report.unregistered += 1;
                    continue;
                }
                match self.structural_check(&s, false) {
                    Ok(()) => unique.push(s),
                    Err(_) => report.rejected += 1,
                }
            }
        }
        for chunk in unique.chunks(IMPORT_CHUNK) {
            let domain = self.domain.clone();
            let chunk = chunk.to_vec();
            let (chunk, verdicts) = tokio::task::spawn_blocking(move || {
                let refs: Vec<&SignedReading> = chunk.iter().collect();
                let v = domain.verify_many(&refs);
                (chunk, v)
            })
            .await
            .map_err(|e| BatchError::Unavailable(e.to_string()))?;
            let mut verified = Vec::with_capacity(chunk.len());
            for (s, v) in chunk.into_iter().zip(verdicts) {
                if v.is_ok() {
                    verified.push(s);
                } else {
                    report.rejected += 1;
                }
            }
            // The round's allowance per device, charged for readings new to the store.
            let good: Vec<SignedReading> = match scope.allowance(&self.policy) {
                None => verified,
                Some(cap) => {
                    let checked = self.stored_already(verified, |s| s).await?;
                    let mut charged = scope
                        .charged
                        .lock()
                        .map_err(|_| BatchError::Unavailable("import quota lock".into()))?;
                    let mut good = Vec::with_capacity(checked.len());
                    for (s, known) in checked {
                        if !known {
                            let used = charged.entry(s.reading.device_pubkey).or_insert(0);
                            if *used >= cap {
                                report.rejected += 1;
                                report.over_quota += 1;
                                self.metrics
                                    .quota_refused(crate::metrics::QuotaKind::Device);
                                continue;
                            }
                            *used = used.saturating_add(1);
                        }
                        good.push(s);
                    }
                    good
                }
            };
            if good.is_empty() {
                continue;
            }
            let mut tries = 0u32;
            let outcomes = loop {
                match self.store_all(good.clone(), None).await {
                    Err(BatchError::Busy) if tries < 3_000 => {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                    other => break other?,
                }
            };
            for o in outcomes {
                match o {
                    InsertOutcome::Accepted => report.new += 1,
                    InsertOutcome::Duplicate => report.duplicates += 1,
                    InsertOutcome::Evidence(_) => report.evidence += 1,
                    InsertOutcome::Rejected(_) => report.rejected += 1,
                }
            }
        }
        self.metrics
            .peer_imported(u64::try_from(report.new + report.evidence).unwrap_or(u64::MAX));
        Ok(report)
    }
}

/// What a peer import is for: one round, its registry, and the devices' allowance.
#[derive(Debug)]
pub struct ImportScope<'a> {
    /// The round's window bounds `[from, to)`: every imported reading must touch them.
    pub bounds: (u64, u64),
    /// The round's registry (device keys registered as of the round), when known; `None`
    /// admits every device (the round's aggregation filters by its pinned registry anyway).
    pub registered: Option<&'a std::collections::HashSet<[u8; 32]>>,
    /// Readings new to the store imported per device so far in this scope (shared by the
    /// concurrent pulls of one round).
    pub charged: Mutex<HashMap<[u8; 32], u64>>,
}

impl<'a> ImportScope<'a> {
    /// A scope for the round `[from, to)`.
    pub fn new(
        bounds: (u64, u64),
        registered: Option<&'a std::collections::HashSet<[u8; 32]>>,
    ) -> Self {
        ImportScope {
            bounds,
            registered,
            charged: Mutex::new(HashMap::new()),
        }
    }

    /// Readings new to the store one device may import in this scope under `policy`'s device
    /// quota: what the quota lets a device deliver over the time its readings can touch the
    /// round (the round plus one maximal window before it), plus one burst. `None` when the
    /// policy has no device quota.
    pub fn allowance(&self, policy: &IngestPolicy) -> Option<u64> {
        let q = policy.device_quota?;
        let (from, to) = self.bounds;
        let span = to.saturating_sub(from).saturating_add(MAX_WINDOW_SECS);
        #[allow(clippy::cast_precision_loss)] // seconds far below 2^52
        let allowed = q.rate * span as f64 + q.burst;
        Some(saturating_u64(allowed.ceil()).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_clock() {
        let c = RoundClock::new(1_000, 100, 30);
        assert_eq!(c.round_at(999), None);
        assert_eq!(c.round_at(1_000), Some(0));
        assert_eq!(c.round_at(1_199), Some(1));
        assert_eq!(c.bounds(2), Some((1_200, 1_300)));
        // Round 1 ends at 1_200 and closes a window length plus grace later.
        assert_eq!(c.closes_at(1), Some(1_200 + 3_600 + 30));
        assert!(c.window_open(1_150, 4_829));
        assert!(!c.window_open(1_150, 4_830));
        assert!(!c.window_open(999, 1_000));
    }

    #[test]
    fn token_bucket_refills_and_caps() {
        let b = Buckets::new(Quota {
            rate: 10.0,
            burst: 5.0,
        });
        let t0 = Instant::now();
        assert_eq!(b.take(1u8, 3, t0), 3);
        assert_eq!(b.take(1u8, 3, t0), 2);
        assert_eq!(b.take(1u8, 1, t0), 0);
        assert_eq!(b.take(2u8, 5, t0), 5, "keys are independent");
        let t1 = t0 + std::time::Duration::from_millis(200);
        assert_eq!(b.take(1u8, 10, t1), 2);
        let t2 = t1 + std::time::Duration::from_secs(60);
        assert_eq!(b.take(1u8, 10, t2), 5, "capped at burst");
    }

    /// Buckets are evicted by time, not by scanning: after two refill periods without a
    /// touch a key's bucket is gone (it would be full again), and a key touched in between
    /// keeps its partial state.
    #[test]
    fn token_buckets_are_evicted_by_time() {
        let b = Buckets::new(Quota {
            rate: 1.0,
            burst: 10.0,
        });
        let t0 = Instant::now();
        for k in 0..10_000u32 {
            assert_eq!(b.take(k, 4, t0), 4);
        }
        assert_eq!(b.len(), 10_000);
        // One period later: every shard rotates on its next touch, nothing is lost yet.
        let t1 = t0 + std::time::Duration::from_secs(10);
        assert_eq!(b.take(7u32, 10, t1), 10, "refilled over the period");
        assert_eq!(b.take(7u32, 1, t1), 0, "and spent");
        // Two periods after t1 the untouched buckets are dropped with their generation.
        let t2 = t1 + std::time::Duration::from_secs(20);
        // 1,024 keys touch every shard (all but certainly: 16 · (15/16)^1024 < 10^-27).
        for k in 10_000..11_024u32 {
            b.take(k, 1, t2);
        }
        assert_eq!(b.len(), 1_024, "only the keys touched now are kept");
        // A key seen within the last period keeps its state across one rotation.
        let t3 = t2 + std::time::Duration::from_secs(1);
        assert_eq!(
            b.take(10_000u32, 10, t3),
            9 + 1,
            "9 left plus one second of refill"
        );
        let t4 = t3 + std::time::Duration::from_secs(10);
        let _ = b.take(1u32, 1, t4);
        assert_eq!(b.take(10_000u32, 10, t4), 10);
        let zero = Buckets::new(Quota {
            rate: 0.0,
            burst: 2.0,
        });
        assert_eq!(zero.take(1u8, 5, t0), 2);
        assert_eq!(zero.take(1u8, 5, t4), 0, "a zero rate never refills");
    }

    #[test]
    fn reason_names_match_serde_and_index() {
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(
                serde_json::to_string(r).unwrap_or_default(),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}
