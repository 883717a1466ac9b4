//! Durable storage of readings and of submission progress.
//!
//! The ingest path talks to a [`ReadingStore`]: it hands over a batch of verified readings and
//! receives an acknowledgement only after the batch is committed. The default implementation,
//! [`sqlite::SqliteStore`], batches inserts from many concurrent requests into one transaction
//! (group commit) on a dedicated writer thread; a server database can implement the same trait.

pub mod migrations;
pub mod sqlite;

use thiserror::Error;
use tokio::sync::oneshot;

use crate::telemetry::{Reading, SignedReading};

pub use sqlite::{SqliteConfig, SqliteStore};

/// Why the store refused one reading (the per-device ordering rules of §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreRejection {
    /// The sequence is not above the device's last stored sequence and no reading with this
    /// sequence is stored.
    SequenceReplay,
    /// A different reading with this sequence is already stored.
    SequenceConflict,
    /// The window starts before the end of the device's previous window.
    Overlap,
    /// A field does not fit the store's integer range (above `i64::MAX`).
    OutOfRange,
}

/// Result of storing one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsertOutcome {
    /// Newly stored and committed.
    Accepted,
    /// An identical reading was already stored (idempotent success).
    Duplicate,
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

/// Storage interface of the relayer.
pub trait ReadingStore: Send + Sync + 'static {
    /// Queues `batch` for the writer. Returns [`StoreError::Busy`] at once when the queue is
    /// full (never blocks); the returned [`Ack`] resolves after the batch is durably committed.
    fn submit(&self, batch: Vec<SignedReading>) -> Result<Ack, StoreError>;

    /// Calls `f` for every stored reading whose window intersects `[from, to)`, ordered by
    /// device then sequence. Windows are at most [`MAX_WINDOW_SECS`] long.
    fn scan_readings(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(&Reading),
    ) -> Result<(), StoreError>;

    /// The stored reading of `device` with `sequence`.
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

/// Longest accepted reading window, seconds (§3: at most one hour).
pub const MAX_WINDOW_SECS: u64 = 3_600;
