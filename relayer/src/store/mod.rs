//! Durable storage of readings and of submission progress.
//!
//! The ingest path talks to a [`ReadingStore`]: it hands over a batch of verified readings and
//! receives an acknowledgement only after the batch is committed. The default implementation,
//! [`sqlite::SqliteStore`], batches inserts from many concurrent requests into one transaction
//! (group commit) on a dedicated writer thread; a server database can implement the same trait.

pub mod migrations;
pub mod sqlite;
pub mod union;

use thiserror::Error;
use tokio::sync::oneshot;

use crate::telemetry::{Reading, SignedReading};

pub use sqlite::{SqliteConfig, SqliteStore};
pub use union::{readings_digest, ConflictKind, EvidenceItem};

/// Why the store refused one reading (nothing stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreRejection {
    /// A field does not fit the store's integer range (above `i64::MAX`).
    OutOfRange,
    /// The writer reached the reading at or after its deadline (the close of the first round
    /// it touches, see [`ReadingStore::submit_until`]).
    RoundClosed,
}

/// Result of storing one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsertOutcome {
    /// Newly stored and committed; no conflict with any stored reading of the device.
    Accepted,
    /// An identical reading was already stored and did not conflict when it arrived
    /// (idempotent success).
    Duplicate,
    /// Stored (or already stored) as evidence: it conflicts with another stored reading of the
    /// device. Answered to the device as a rejection; the union rule decides what counts.
    Evidence(ConflictKind),
    /// Refused; nothing stored.
    Rejected(StoreRejection),
}

/// Store failures (not per-reading rejections).
#[derive(Error, Debug)]
pub enum StoreError {
    /// The writer queue is full: back-pressure, retry later.
    #[error("writer queue full")]
    Busy,
    /// The writer has stopped (shutdown or fatal error).
    #[error("store closed")]
    Closed,
    /// SQLite error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The group transaction failed; nothing of the request was stored.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// The database was written by a newer relayer.
    #[error("database schema version {found} is newer than this relayer's {supported}")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Latest version known to this binary.
        supported: i64,
    },
    /// A stored value is outside the range this binary accepts (corrupt row).
    #[error("stored value out of range in column {column}")]
    CorruptValue {
        /// Column name.
        column: &'static str,
    },
    /// Writer thread could not be started.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Acknowledgement of a submitted batch: resolves after COMMIT with one outcome per reading.
pub type Ack = oneshot::Receiver<Result<Vec<InsertOutcome>, StoreError>>;

/// Progress of the submission of one round (crash-safe resume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundProgress {
    /// Round index.
    pub round: u64,
    /// Score policy version the round was aggregated with.
    pub policy_version: u64,
    /// Number of batches of the round.
    pub batch_count: u32,
    /// `aggregated`, `submitting`, `done`.
    pub status: String,
}

/// One batch's submission record. `state` moves `intent` → `broadcast` → `confirmed`; a record
/// in `intent` or `broadcast` after a crash is resolved by reading chain state before acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRecord {
    /// Round index.
    pub round: u64,
    /// Batch index within the round.
    pub batch_index: u32,
    /// SHA-256 of the canonical batch encoding.
    pub batch_hash: [u8; 32],
    /// `data` (full batch sent), `vote` (hash only) or `skip` (already accepted).
    pub kind: String,
    /// `intent`, `broadcast` or `confirmed`.
    pub state: String,
    /// Transaction hash once broadcast.
    pub tx_hash: Option<String>,
}

/// Per-device statistics for the read API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceStats {
    /// Stored readings.
    pub readings: u64,
    /// Highest stored sequence.
    pub last_sequence: u64,
    /// End of the latest window.
    pub last_window_end: u64,
    /// Σ discharged Wh over all stored readings.
    pub discharged_wh: u64,
}

/// Every stored reading of a round set (windows intersecting the round) and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundReadings {
    /// Canonical order ([`union::canonical_cmp`]).
    pub readings: Vec<SignedReading>,
    /// [`readings_digest`] of `readings`.
    pub digest: [u8; 32],
}

/// One page of a round set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingsPage {
    /// Canonical order.
    pub readings: Vec<SignedReading>,
    /// Cursor `(device, sequence)` of the next page; `None` when the set is exhausted.
    pub next: Option<([u8; 32], u64)>,
}

/// Storage interface of the relayer.
pub trait ReadingStore: Send + Sync + 'static {
    /// Queues `batch` for the writer. Returns [`StoreError::Busy`] at once when the queue is
    /// full (never blocks); the returned [`Ack`] resolves after the batch is durably committed.
    fn submit(&self, batch: Vec<SignedReading>) -> Result<Ack, StoreError>;

    /// Like [`Self::submit`], but reading `i` is refused with [`StoreRejection::RoundClosed`]
    /// when the writer handles it at or after `close_at[i]` (unix seconds). Together with
    /// [`Self::barrier`] this makes a round's cutoff exact: nothing for the round commits
    /// after a barrier issued at or after its close.
    fn submit_until(
        &self,
        batch: Vec<SignedReading>,
        close_at: Vec<u64>,
    ) -> Result<Ack, StoreError>;

    /// Resolves once every request queued before it is committed (or failed). Call it at or
    /// after a round's close and before scanning the round.
    fn barrier(&self) -> Result<Ack, StoreError> {
        self.submit(Vec::new())
    }

    /// Calls `f` for every reading that COUNTS among the stored readings whose window
    /// intersects `[from, to)` (the union rule of [`union`] applied to that set), in canonical
    /// order. Windows are at most [`MAX_WINDOW_SECS`] long.
    fn scan_readings(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(&Reading),
    ) -> Result<(), StoreError>;

    /// Every stored reading (evidence included) whose window intersects `[from, to)`, in
    /// canonical order, with its digest.
    fn round_readings(&self, from: u64, to: u64) -> Result<RoundReadings, StoreError>;

    /// Count and digest of [`Self::round_readings`], streamed (no set in memory).
    fn round_digest(&self, from: u64, to: u64) -> Result<(u64, [u8; 32]), StoreError>;

    /// One page of [`Self::round_readings`]: readings after the `(device, sequence)` cursor,
    /// at least `limit` (≥ 1) unless the set ends; a `(device, sequence)` group is never split.
    fn round_readings_page(
        &self,
        from: u64,
        to: u64,
        after: Option<([u8; 32], u64)>,
        limit: usize,
    ) -> Result<ReadingsPage, StoreError>;

    /// Readings of the set `[from, to)` excluded by the union rule, with their conflict.
    fn evidence(&self, from: u64, to: u64) -> Result<Vec<EvidenceItem>, StoreError>;

    /// Deletes every reading whose window ends at or before `round_end_ts` (readings of rounds
    /// finalized on chain); returns the number deleted.
    fn prune_rounds_before(&self, round_end_ts: u64) -> Result<u64, StoreError>;

    /// For each of `readings`, whether a reading with identical content (every field of
    /// [`Reading`]; the signature is not compared) is already stored. Ingest charges a
    /// device's quota only for readings new to the store. Reads only (no writer round trip).
    fn stored_already(&self, readings: &[&SignedReading]) -> Result<Vec<bool>, StoreError>;

    /// Number of stored readings from a counter (no table scan; for health checks).
    fn reading_count(&self) -> u64;

    /// The first stored reading of `device` with `sequence`.
    fn get_reading(
        &self,
        device: &[u8; 32],
        sequence: u64,
    ) -> Result<Option<SignedReading>, StoreError>;

    /// Number of stored readings.
    fn count_readings(&self) -> Result<u64, StoreError>;

    /// Statistics of one device (None when it has no readings).
    fn device_stats(&self, device: &[u8; 32]) -> Result<Option<DeviceStats>, StoreError>;

    /// Records (insert or replace) the progress of a round.
    fn put_round_progress(&self, progress: &RoundProgress) -> Result<(), StoreError>;

    /// Progress of a round.
    fn round_progress(&self, round: u64) -> Result<Option<RoundProgress>, StoreError>;

    /// Records (insert or replace) a batch submission record.
    fn put_submission(&self, record: &SubmissionRecord) -> Result<(), StoreError>;

    /// Submission records of a round, by batch index.
    fn submissions(&self, round: u64) -> Result<Vec<SubmissionRecord>, StoreError>;
}

/// Longest accepted reading window, seconds (a reading covers at most one hour).
pub const MAX_WINDOW_SECS: u64 = 3_600;
