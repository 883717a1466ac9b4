//! Ingest checks (§3) and the batch pipeline shared by the HTTP endpoint and the benchmark.
//!
//! Order of checks for each reading, cheapest first; the first failing check names the
//! reason: `malformed` → `unknown_device` → `bad_window` → `future_window` → `stale_window` →
//! `implausible_energy` → `out_of_range` → `bad_signature` (batch-verified) → store rules
//! (`sequence_replay`, `sequence_conflict`, `overlap`). Only readings passing every check reach
//! the store; a rejected reading is never stored.

use std::sync::Arc;

use cube_scoring::RatedPower;
use serde::{Deserialize, Serialize};

use crate::directory::DeviceDirectory;
use crate::metrics::Metrics;
use crate::store::{InsertOutcome, ReadingStore, StoreError, StoreRejection, MAX_WINDOW_SECS};
use crate::telemetry::{Domain, ReadingJson, SignedReading};

/// Why a reading was rejected. JSON: snake_case strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Hex fields of the wrong length, over-long text fields.
    Malformed,
    /// The signature does not verify for the device key and this deployment's domain.
    BadSignature,
    /// The device key is not registered on chain.
    UnknownDevice,
    /// `window_end <= window_start` or the window is longer than one hour.
    BadWindow,
    /// The window ends after now + allowed clock skew.
    FutureWindow,
    /// The window starts before the earliest round still open for data.
    StaleWindow,
    /// The sequence is not above the device's last one (and no such reading is stored).
    SequenceReplay,
    /// A different reading with this sequence is stored.
    SequenceConflict,
    /// The window starts before the previous window of the device ends.
    Overlap,
    /// More Wh than the model's rated power allows in the window.
    ImplausibleEnergy,
    /// An integer above `i64::MAX` (not storable).
    OutOfRange,
}

impl RejectReason {
    /// Every reason, in metric order.
    pub const ALL: [RejectReason; 11] = [
        RejectReason::Malformed,
        RejectReason::BadSignature,
        RejectReason::UnknownDevice,
        RejectReason::BadWindow,
        RejectReason::FutureWindow,
        RejectReason::StaleWindow,
        RejectReason::SequenceReplay,
        RejectReason::SequenceConflict,
        RejectReason::Overlap,
        RejectReason::ImplausibleEnergy,
        RejectReason::OutOfRange,
    ];

    /// Position in [`Self::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// snake_case name (JSON and metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Malformed => "malformed",
            RejectReason::BadSignature => "bad_signature",
            RejectReason::UnknownDevice => "unknown_device",
            RejectReason::BadWindow => "bad_window",
            RejectReason::FutureWindow => "future_window",
            RejectReason::StaleWindow => "stale_window",
            RejectReason::SequenceReplay => "sequence_replay",
            RejectReason::SequenceConflict => "sequence_conflict",
            RejectReason::Overlap => "overlap",
            RejectReason::ImplausibleEnergy => "implausible_energy",
            RejectReason::OutOfRange => "out_of_range",
        }
    }
}

impl From<StoreRejection> for RejectReason {
    fn from(r: StoreRejection) -> Self {
        match r {
            StoreRejection::SequenceReplay => RejectReason::SequenceReplay,
            StoreRejection::SequenceConflict => RejectReason::SequenceConflict,
            StoreRejection::Overlap => RejectReason::Overlap,
            StoreRejection::OutOfRange => RejectReason::OutOfRange,
        }
    }
}

/// Status of one item of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored now.
    Accepted,
    /// Already stored identically (success).
    Duplicate,
    /// Not stored; see `reason`.
    Rejected,
}

/// Result of one item, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// Index in the request's `readings`.
    pub index: usize,
    /// Outcome.
    pub status: ItemStatus,
    /// Present when rejected.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<RejectReason>,
}

/// `POST /v1/readings` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Signed readings.
    pub readings: Vec<ReadingJson>,
}

/// `POST /v1/readings` response (HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// Newly stored.
    pub accepted: usize,
    /// Idempotent resends.
    pub duplicates: usize,
    /// Rejected.
    pub rejected: usize,
    /// One per request item, in order.
    pub results: Vec<ItemResult>,
}

/// Round timing, used to decide which windows are still open for data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundClock {
    /// Start of round 0, unix seconds.
    pub genesis: u64,
    /// Round length, seconds (> 0).
    pub duration: u64,
    /// Time after a round's end during which its readings are still accepted.
    pub grace: u64,
}

impl RoundClock {
    /// Round containing `t` (None before genesis).
    pub fn round_at(&self, t: u64) -> Option<u64> {
        t.checked_sub(self.genesis)?.checked_div(self.duration)
    }

    /// `[start, end)` of round `r`.
    pub fn bounds(&self, r: u64) -> Option<(u64, u64)> {
        let start = self.genesis.checked_add(r.checked_mul(self.duration)?)?;
        Some((start, start.checked_add(self.duration)?))
    }

    /// Earliest time a window may start at `now`: the start of the earliest round whose end
    /// plus grace has not passed (genesis if none has).
    pub fn earliest_open_start(&self, now: u64) -> u64 {
        now.checked_sub(self.grace)
            .and_then(|t| self.round_at(t))
            .and_then(|r| self.bounds(r))
            .map(|(s, _)| s)
            .unwrap_or(self.genesis)
    }
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
}

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
    /// Store failed (503).
    Unavailable(String),
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
}

/// Current unix time, seconds.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Ingestor {
    /// Stateless checks of one decoded reading at time `now` (everything but signature and
    /// store rules).
    pub fn precheck(&self, s: &SignedReading, now: u64) -> Result<(), RejectReason> {
        let r = &s.reading;
        let Some(device) = self.directory.get(&r.device_pubkey) else {
            return Err(RejectReason::UnknownDevice);
        };
        let Some(len) = r.window_end.checked_sub(r.window_start) else {
            return Err(RejectReason::BadWindow);
        };
        if len == 0 || len > MAX_WINDOW_SECS {
            return Err(RejectReason::BadWindow);
        }
        if r.window_end > now.saturating_add(self.policy.clock_skew_secs) {
            return Err(RejectReason::FutureWindow);
        }
        if r.window_start < self.policy.rounds.earliest_open_start(now) {
            return Err(RejectReason::StaleWindow);
        }
        // Wh <= W · s / 3600  ⇔  Wh · 3600 <= W · s (exact in u128).
        let max = u128::from(self.policy.rated_power.of(device.model)) * u128::from(len);
        if u128::from(r.discharged_wh) * 3600 > max || u128::from(r.charged_wh) * 3600 > max {
            return Err(RejectReason::ImplausibleEnergy);
        }
        let limit = u64::try_from(i64::MAX).unwrap_or(u64::MAX);
        if r.sequence > limit {
            return Err(RejectReason::OutOfRange);
        }
        Ok(())
    }

    /// Runs a whole batch: decode, check, verify signatures, store, and wait for COMMIT.
    pub async fn process(&self, items: Vec<ReadingJson>) -> Result<BatchResponse, BatchError> {
        if items.len() > self.policy.max_batch_items {
            return Err(BatchError::TooManyItems {
                count: items.len(),
                max: self.policy.max_batch_items,
            });
        }
        let now = now_unix();
        let mut results: Vec<Option<RejectReason>> = vec![None; items.len()];
        let mut candidates: Vec<(usize, SignedReading)> = Vec::with_capacity(items.len());
        for (i, j) in items.iter().enumerate() {
            let checked = SignedReading::try_from(j)
                .map_err(|_| RejectReason::Malformed)
                .and_then(|s| self.precheck(&s, now).map(|()| s));
            match checked {
                Ok(s) => candidates.push((i, s)),
                Err(reason) => results[i] = Some(reason),
            }
        }
        // Signatures: batch verification on a blocking thread (CPU bound).
        let domain = self.domain.clone();
        let (candidates, verdicts) = tokio::task::spawn_blocking(move || {
            let refs: Vec<&SignedReading> = candidates.iter().map(|(_, s)| s).collect();
            let v = domain.verify_many(&refs);
            (candidates, v)
        })
        .await
        .map_err(|e| BatchError::Unavailable(e.to_string()))?;
        let mut to_store = Vec::with_capacity(candidates.len());
        let mut store_idx = Vec::with_capacity(candidates.len());
        for ((i, s), v) in candidates.into_iter().zip(verdicts) {
            match v {
                Ok(()) => {
                    store_idx.push(i);
                    to_store.push(s);
                }
                Err(_) => results[i] = Some(RejectReason::BadSignature),
            }
        }
        let mut statuses: Vec<ItemStatus> = vec![ItemStatus::Rejected; items.len()];
        if !to_store.is_empty() {
            let ack = self.store.submit(to_store).map_err(|e| match e {
                StoreError::Busy => BatchError::Busy,
                other => BatchError::Unavailable(other.to_string()),
            })?;
            let outcomes = ack
                .await
                .map_err(|_| BatchError::Unavailable("writer dropped the request".into()))?
                .map_err(|e| BatchError::Unavailable(e.to_string()))?;
            for (i, o) in store_idx.into_iter().zip(outcomes) {
                match o {
                    InsertOutcome::Accepted => statuses[i] = ItemStatus::Accepted,
                    InsertOutcome::Duplicate => statuses[i] = ItemStatus::Duplicate,
                    InsertOutcome::Rejected(r) => results[i] = Some(r.into()),
                }
            }
        }
        let mut resp = BatchResponse {
            accepted: 0,
            duplicates: 0,
            rejected: 0,
            results: Vec::with_capacity(items.len()),
        };
        for (index, (status, reason)) in statuses.into_iter().zip(results).enumerate() {
            match (status, reason) {
                (_, Some(r)) => {
                    resp.rejected += 1;
                    self.metrics.rejected(r);
                    resp.results.push(ItemResult {
                        index,
                        status: ItemStatus::Rejected,
                        reason: Some(r),
                    });
                }
                (st, None) => {
                    match st {
                        ItemStatus::Accepted => resp.accepted += 1,
                        ItemStatus::Duplicate => resp.duplicates += 1,
                        ItemStatus::Rejected => resp.rejected += 1,
                    }
                    resp.results.push(ItemResult {
                        index,
                        status: st,
                        reason: None,
                    });
                }
            }
        }
        self.metrics
            .accepted(u64::try_from(resp.accepted).unwrap_or(u64::MAX));
        self.metrics
            .duplicate(u64::try_from(resp.duplicates).unwrap_or(u64::MAX));
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_clock() {
        let c = RoundClock {
            genesis: 1_000,
            duration: 100,
            grace: 30,
        };
        assert_eq!(c.round_at(999), None);
        assert_eq!(c.round_at(1_000), Some(0));
        assert_eq!(c.round_at(1_199), Some(1));
        assert_eq!(c.bounds(2), Some((1_200, 1_300)));
        // At 1_229 round 1 (ends 1_200) is still in grace: its start is the bound.
        assert_eq!(c.earliest_open_start(1_229), 1_100);
        assert_eq!(c.earliest_open_start(1_230), 1_200);
        assert_eq!(c.earliest_open_start(500), 1_000);
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
