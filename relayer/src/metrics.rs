//! Prometheus metrics (text exposition format 0.0.4), lock-free counters.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::ingest::RejectReason;

/// Upper bounds (seconds) of the ingest latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// All relayer metrics.
#[derive(Default)]
pub struct Metrics {
    accepted: AtomicU64,
    duplicate: AtomicU64,
    rejected: [AtomicU64; RejectReason::ALL.len()],
    http_status: [AtomicU64; 6],
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    // --- ingest/storage side: evidence, quotas, peer import ---
    evidence: AtomicU64,
    quota_refused: [AtomicU64; 2],
    peer_imported: AtomicU64,
    // --- end ingest/storage block ---
    /// Round-worker counters (divergence, recomputations, transactions, peer pulls).
    pub rounds: crate::round_worker::RoundMetrics,
}

/// Which quota refused a request ([`Metrics::quota_refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// Per-client request quota (whole request, 429).
    Client = 0,
    /// Per-device reading quota (items answered `device_quota`).
    Device = 1,
}

const QUOTA_LABELS: [&str; 2] = ["client", "device"];

/// HTTP outcomes counted by [`Metrics::http`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpOutcome {
    /// 200.
    Ok = 0,
    /// 400 malformed body.
    BadRequest = 1,
    /// 413 body or batch too large.
    TooLarge = 2,
    /// 429 back-pressure.
    Busy = 3,
    /// 503 store failure.
    Unavailable = 4,
    /// 415 wrong content type.
    UnsupportedMedia = 5,
}

const HTTP_LABELS: [&str; 6] = ["200", "400", "413", "429", "503", "415"];

impl Metrics {
    /// New zeroed metrics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts accepted readings.
    pub fn accepted(&self, n: u64) {
        self.accepted.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts idempotent duplicates.
    pub fn duplicate(&self, n: u64) {
        self.duplicate.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one rejection.
    pub fn rejected(&self, reason: RejectReason) {
        if let Some(c) = self.rejected.get(reason.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one HTTP response of the ingest endpoint.
    pub fn http(&self, outcome: HttpOutcome) {
        if let Some(c) = self.http_status.get(outcome as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records one ingest request latency.
    pub fn observe_latency(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *b {
                if let Some(c) = self.latency_buckets.get(i) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts readings stored as evidence of a conflict (answered as rejected).
    pub fn evidence(&self, n: u64) {
        self.evidence.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one quota refusal.
    pub fn quota_refused(&self, kind: QuotaKind) {
        if let Some(c) = self.quota_refused.get(kind as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts readings newly stored from peers.
    pub fn peer_imported(&self, n: u64) {
        self.peer_imported.fetch_add(n, Ordering::Relaxed);
    }

    /// Current value of the rejection counter of `reason`.
    pub fn rejected_count(&self, reason: RejectReason) -> u64 {
        self.rejected
            .get(reason.index())
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Current accepted count.
    pub fn accepted_count(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Renders the text exposition.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(4096);
        counter(
            &mut s,
            "relayer_readings_accepted_total",
            "Readings newly stored and acknowledged.",
            &self.accepted,
        );
        counter(
            &mut s,
            "relayer_readings_duplicate_total",
            "Identical resends (idempotent success).",
            &self.duplicate,
        );
        labelled_counters(
            &mut s,
            "relayer_readings_rejected_total",
            "Rejected readings by reason.",
            "reason",
            RejectReason::ALL.map(RejectReason::as_str),
            &self.rejected,
        );
        labelled_counters(
            &mut s,
            "relayer_ingest_requests_total",
            "Ingest HTTP responses by status.",
            "status",
            HTTP_LABELS,
            &self.http_status,
        );
        header(
            &mut s,
            "relayer_ingest_latency_seconds",
            "Ingest request latency (verify + commit).",
            "histogram",
        );
        samples(
            &mut s,
            "relayer_ingest_latency_seconds_bucket",
            "le",
            LATENCY_BUCKETS,
            &self.latency_buckets,
        );
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "relayer_ingest_latency_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             relayer_ingest_latency_seconds_sum {}\n\
             relayer_ingest_latency_seconds_count {count}",
            Duration::from_micros(self.latency_sum_micros.load(Ordering::Relaxed)).as_secs_f64()
        );
        // --- ingest/storage side: evidence, quotas, peer import ---
        counter(
            &mut s,
            "relayer_readings_evidence_total",
            "Conflicting readings kept as evidence.",
            &self.evidence,
        );
        labelled_counters(
            &mut s,
            "relayer_quota_refused_total",
            "Requests (client) or readings (device) refused by a quota.",
            "quota",
            QUOTA_LABELS,
            &self.quota_refused,
        );
        counter(
            &mut s,
            "relayer_peer_readings_imported_total",
            "Readings newly stored from peers.",
            &self.peer_imported,
        );
        // --- end ingest/storage block ---
        self.rounds.render(&mut s);
        s
    }
}

/// The `# HELP` and `# TYPE` lines of metric `name`.
fn header(s: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// An unlabelled counter with its header.
pub(crate) fn counter(s: &mut String, name: &str, help: &str, value: &AtomicU64) {
    header(s, name, help, "counter");
    let _ = writeln!(s, "{name} {}", value.load(Ordering::Relaxed));
}

/// One sample `name{key="label"} value` per label, the values from `counters` in label order.
fn samples<L: std::fmt::Display>(
    s: &mut String,
    name: &str,
    key: &str,
    labels: impl IntoIterator<Item = L>,
    counters: &[AtomicU64],
) {
    for (i, label) in labels.into_iter().enumerate() {
        let v = counters
            .get(i)
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(0);
        let _ = writeln!(s, "{name}{{{key}=\"{label}\"}} {v}");
    }
}

/// A counter labelled by `key`, with its header.
fn labelled_counters<L: std::fmt::Display>(
    s: &mut String,
    name: &str,
    help: &str,
    key: &str,
    labels: impl IntoIterator<Item = L>,
    counters: &[AtomicU64],
) {
    header(s, name, help, "counter");
    samples(s, name, key, labels, counters);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_contains_counters() {
        let m = Metrics::new();
        m.accepted(3);
        m.rejected(RejectReason::BadSignature);
        m.rejected(RejectReason::BadSignature);
        m.observe_latency(Duration::from_millis(3));
        let text = m.render();
        assert!(
            text.contains("relayer_readings_accepted_total 3\n"),
            "{text}"
        );
        assert!(text.contains("relayer_readings_rejected_total{reason=\"bad_signature\"} 2\n"));
        assert!(text.contains("relayer_readings_rejected_total{reason=\"overlap\"} 0\n"));
        assert!(text.contains("relayer_ingest_latency_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("relayer_ingest_latency_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("relayer_ingest_latency_seconds_count 1\n"));
    }
}
