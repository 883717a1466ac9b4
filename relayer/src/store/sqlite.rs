//! SQLite implementation of [`ReadingStore`]: WAL journal, `synchronous = FULL` by default,
//! and group commit.
//!
//! # Group commit
//!
//! Requests enter a bounded queue (`queue_capacity` requests; a full queue is reported as
//! [`StoreError::Busy`], which the HTTP layer turns into 429). One writer thread takes the
//! first waiting request, drains every other waiting request up to `max_group_readings`
//! readings, applies all of them in a single transaction, COMMITs, and only then sends each
//! request its outcomes. A reading is therefore acknowledged only once it is in the database
//! file (and, with `synchronous = FULL`, fsynced).
//!
//! # Acceptance rules (applied inside the transaction, so concurrent requests are serialised)
//!
//! Every reading handed to the store (already signature-verified) is stored unless an
//! identical one is; the answer does not depend on arrival order beyond "who came first":
//! * identical content already stored → [`InsertOutcome::Duplicate`] (or
//!   [`InsertOutcome::Evidence`] again when the stored one was evidence);
//! * in conflict with a stored reading of the device (see [`super::union`]) → stored with its
//!   conflict as status and answered [`InsertOutcome::Evidence`];
//! * otherwise → [`InsertOutcome::Accepted`].
//!
//! Fast path: a reading whose sequence is above every stored sequence of the device and whose
//! window starts at or after every stored window end cannot conflict (one cached tip per
//! device); anything else looks up the device's possibly conflicting readings.
//!
//! What counts for aggregation is not the arrival status but the union rule applied to the
//! round's whole set ([`ReadingStore::scan_readings`]).
//!
//! # Reads
//!
//! Reads go through one read connection (the writer has its own). The set of a round
//! `[from, to)` is every reading whose window intersects it: windows are at most
//! [`MAX_WINDOW_SECS`] long, so it is `window_start ∈ [from − MAX_WINDOW_SECS, to)` and
//! `window_end > from`. Whole-set reads ([`ReadingStore::round_readings`],
//! [`ReadingStore::round_digest`], [`ReadingStore::scan_readings`]) stream that range in
//! canonical order through the `readings_by_window_start` index.
//!
//! # Hour index and peer pages
//!
//! Peer pages ([`ReadingStore::round_readings_page`]) are served in `(device, sequence)` order
//! from a cursor, which no window-ordered index gives and which the primary key gives only by
//! walking every round's readings. Migration 5 adds the expression index `readings_by_hour` on
//! `(window_start / 3600, device, sequence, variant, window_start, window_end)`: readings
//! grouped by hour bucket (whole
//! hours since the epoch, independent of any round clock; the divisor never changes), each
//! bucket in key order. A page finds the non-empty buckets of the round's `window_start`
//! range (one index seek per non-empty bucket, so an empty round costs one seek), seeks in
//! each to its first reading after the cursor, and merges the buckets lazily in
//! `(device, sequence, variant)` order, refilling a bucket's small buffer from the same
//! statement when it runs dry. Work and memory per page are bounded by the round's buckets
//! (about 170 for a week, ~8,800 for a 366-day round) and the page size, not by the number of
//! readings stored in the round or in other rounds, with one exception: readings starting in
//! the hour before the round belong to it only when they straddle its start, so those that do
//! not and lie after the cursor are stepped over on each page (in the index, which carries
//! `window_start` and `window_end`: no table look-up). All the queries of
//! one page run in one read transaction (one snapshot). [`SqliteStore::page_query_plan`] and
//! [`SqliteStore::last_page_stats`] let tests and operators check that no query scans.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OptionalExtension, StatementStatus, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::union::{
    apply_rule, canonical_cmp, conflict_between, readings_digest, ConflictKind, DigestBuilder,
    EvidenceItem,
};
use super::{
    migrations, Ack, DeviceStats, InsertOutcome, ReadingStore, ReadingsPage, RoundProgress,
    RoundReadings, StoreError, StoreRejection, SubmissionRecord, MAX_WINDOW_SECS,
};
use crate::telemetry::{Reading, SignedReading};

/// Tuning of the SQLite store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// Database file.
    pub path: PathBuf,
    /// Requests that may wait for the writer before `Busy`.
    pub queue_capacity: usize,
    /// Maximum readings per transaction.
    pub max_group_readings: usize,
    /// `FULL` (fsync on every commit, default) or `NORMAL` (WAL: durable against process
    /// crashes, not against power loss).
    pub synchronous_full: bool,
}

impl SqliteConfig {
    /// Defaults for a database at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteConfig {
            path: path.into(),
            queue_capacity: 256,
            max_group_readings: 20_000,
            synchronous_full: true,
        }
    }
}

struct WriteRequest {
    readings: Vec<SignedReading>,
    /// Per-reading deadlines (unix seconds), see `submit_until`.
    close_at: Option<Vec<u64>>,
    ack: oneshot::Sender<Result<Vec<InsertOutcome>, StoreError>>,
}

/// SQLite-backed store. Dropping it (all clones of its `Arc`) lets the writer finish the
/// queued work and stop; [`SqliteStore::close`] does the same and waits for it.
pub struct SqliteStore {
    tx: Mutex<Option<mpsc::Sender<WriteRequest>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    read: Mutex<Connection>,
    count: Arc<AtomicU64>,
    /// Query statistics of the latest [`ReadingStore::round_readings_page`] call.
    last_page: Mutex<PageQueryStats>,
}

/// What the SQLite queries of one [`ReadingStore::round_readings_page`] call did (diagnostic,
/// see [`SqliteStore::last_page_stats`]). Counters are SQLite's statement status counters,
/// summed over the page's statements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageQueryStats {
    /// Queries run (bucket look-ups, bucket head seeks and buffer refills).
    pub queries: u64,
    /// Hour buckets of the round holding at least one stored reading.
    pub buckets: u64,
    /// Rows stepped through by full table or index scans (`SQLITE_STMTSTATUS_FULLSCAN_STEP`);
    /// 0 when every query is an index search.
    pub fullscan_steps: u64,
    /// Virtual machine steps (`SQLITE_STMTSTATUS_VM_STEP`): grows with the rows examined, so it
    /// shows whether a page's cost depends on readings outside the page.
    pub vm_steps: u64,
}

fn open_conn(path: &Path, synchronous_full: bool) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "journal_mode WAL not available");
    }
    conn.pragma_update(
        None,
        "synchronous",
        if synchronous_full { "FULL" } else { "NORMAL" },
    )?;
    Ok(conn)
}

fn to_i64(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

fn col_u64(row: &rusqlite::Row<'_>, idx: usize, column: &'static str) -> rusqlite::Result<u64> {
    let v: i64 = row.get(idx)?;
    u64::try_from(v).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Integer,
            Box::new(StoreError::CorruptValue { column }),
        )
    })
}

/// SQLite integers are i64: the wall clock saturates there (year 292 billion).
fn now_unix() -> i64 {
    i64::try_from(host_util::now_unix()).unwrap_or(i64::MAX)
}

fn row_to_reading(row: &rusqlite::Row<'_>) -> rusqlite::Result<SignedReading> {
    let device: Vec<u8> = row.get(0)?;
    let sig: Vec<u8> = row.get(8)?;
    let bad = |i, c| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Blob,
            Box::new(StoreError::CorruptValue { column: c }),
        )
    };
    Ok(SignedReading {
        reading: Reading {
            device_pubkey: device.try_into().map_err(|_| bad(0, "device"))?,
            sequence: col_u64(row, 1, "sequence")?,
            window_start: col_u64(row, 2, "window_start")?,
            window_end: col_u64(row, 3, "window_end")?,
            discharged_wh: col_u64(row, 4, "discharged_wh")?,
            charged_wh: col_u64(row, 5, "charged_wh")?,
            battery_id: row.get(6)?,
            firmware: row.get(7)?,
        },
        signature: sig.try_into().map_err(|_| bad(8, "signature"))?,
    })
}

const SELECT_COLS: &str = "device, sequence, window_start, window_end, discharged_wh, \
                           charged_wh, battery_id, firmware, signature";

/// Canonical order of [`super::union::canonical_cmp`] in SQL (BLOB and BINARY-collated TEXT
/// compare bytewise; integers are non-negative).
const CANONICAL_ORDER: &str = "device, sequence, window_start, window_end, discharged_wh, \
                               charged_wh, battery_id, firmware";

/// Window filter of a round set `[?1 - MAX_WINDOW, ?2)` / `window_end > ?3`.
const SET_FILTER: &str = "window_start >= ?1 AND window_start < ?2 AND window_end > ?3";

/// SQL bounds of the set of windows intersecting `[from, to)`.
fn set_bounds(from: u64, to: u64) -> (i64, i64, i64) {
    (
        to_i64(from.saturating_sub(MAX_WINDOW_SECS)).unwrap_or(i64::MAX),
        to_i64(to).unwrap_or(i64::MAX),
        to_i64(from).unwrap_or(i64::MAX),
    )
}

/// Divisor of the hour buckets of the `readings_by_hour` index (migration 5). The SQL below
/// spells it as the literal `3600`, exactly as the index does (SQLite uses an expression index
/// only for the very same expression); it never changes.
const HOUR_BUCKET_SECS: i64 = 3_600;

/// Most readings fetched into one bucket's buffer by one refill during a page merge.
const MAX_BUCKET_REFILL: usize = 32;

/// The first hour bucket in `[?1, ?2]` holding any stored reading (one index seek).
const NEXT_BUCKET_SQL: &str = "SELECT window_start / 3600 FROM readings \
     INDEXED BY readings_by_hour \
     WHERE window_start / 3600 >= ?1 AND window_start / 3600 <= ?2 \
     ORDER BY window_start / 3600 LIMIT 1";

/// Up to `?8` readings of hour bucket `?1` after the key `(?2, ?3, ?4)` that belong to the
/// round set (`?5`, `?6`, `?7` as `?1`, `?2`, `?3` of [`SET_FILTER`]), in key order, with
/// their variant as column 9: one index seek, then consecutive index entries.
fn bucket_page_sql() -> String {
    format!(
        "SELECT {SELECT_COLS}, variant FROM readings INDEXED BY readings_by_hour \
         WHERE window_start / 3600 = ?1 AND (device, sequence, variant) > (?2, ?3, ?4) \
         AND window_start >= ?5 AND window_start < ?6 AND window_end > ?7 \
         ORDER BY device, sequence, variant LIMIT ?8"
    )
}

/// Position of a stored reading in the page order: `(device, sequence, variant)`.
type MergeKey = ([u8; 32], i64, i64);

/// One hour bucket in a page merge: its buffered readings (key order) and where to resume.
struct BucketCursor {
    bucket: i64,
    buf: VecDeque<(MergeKey, SignedReading)>,
    /// Key of the last reading fetched (the merge's start key before the first fetch).
    last: MergeKey,
    /// The last fetch returned fewer rows than asked for: the bucket is exhausted.
    done: bool,
}

impl BucketCursor {
    /// Appends up to `n` readings of the bucket after `self.last` to the buffer.
    fn fill(
        &mut self,
        stmt: &mut rusqlite::Statement<'_>,
        set: (i64, i64, i64),
        n: usize,
    ) -> Result<(), StoreError> {
        let (lo, hi, from_i) = set;
        let (dev, seq, variant) = self.last;
        let want = i64::try_from(n).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![
            self.bucket,
            &dev[..],
            seq,
            variant,
            lo,
            hi,
            from_i,
            want
        ])?;
        let mut got = 0usize;
        while let Some(row) = rows.next()? {
            let s = row_to_reading(row)?;
            let key: MergeKey = (
                s.reading.device_pubkey,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(9)?,
            );
            self.last = key;
            self.buf.push_back((key, s));
            got = got.saturating_add(1);
        }
        self.done = got < n;
        Ok(())
    }
}

/// The `EXPLAIN QUERY PLAN` detail lines of `sql` with `params`.
fn plan_lines<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// A statement's status counter (never negative in practice).
fn stmt_status(stmt: &rusqlite::Statement<'_>, status: StatementStatus) -> u64 {
    u64::try_from(stmt.get_status(status)).unwrap_or(0)
}

/// One page of the round set `set` (see [`set_bounds`]) after `start`, merged from the hour
/// buckets (see [`ReadingStore::round_readings_page`] on [`SqliteStore`]).
fn merge_page(
    conn: &Connection,
    set: (i64, i64, i64),
    start: MergeKey,
    limit: usize,
    stats: &mut PageQueryStats,
) -> Result<ReadingsPage, StoreError> {
    let (lo, hi, _) = set;
    let mut find = conn.prepare_cached(NEXT_BUCKET_SQL)?;
    let mut fetch = conn.prepare_cached(&bucket_page_sql())?;
    for stmt in [&find, &fetch] {
        stmt.reset_status(StatementStatus::FullscanStep);
        stmt.reset_status(StatementStatus::VmStep);
    }
    // Non-empty buckets of the window_start range, each with its first reading after the
    // cursor; a bucket without one drops out after that single seek.
    let last_bucket = hi.saturating_sub(1) / HOUR_BUCKET_SECS;
    let mut b = lo / HOUR_BUCKET_SECS;
    let mut cursors: Vec<BucketCursor> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(MergeKey, usize)>> = BinaryHeap::new();
    while b <= last_bucket {
        stats.queries = stats.queries.saturating_add(1);
        let Some(found) = find
            .query_row(params![b, last_bucket], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            break;
        };
        stats.buckets = stats.buckets.saturating_add(1);
        stats.queries = stats.queries.saturating_add(1);
        let mut c = BucketCursor {
            bucket: found,
            buf: VecDeque::new(),
            last: start,
            done: false,
        };
        c.fill(&mut fetch, set, 1)?;
        let head = c.buf.front().map(|(k, _)| *k);
        if let Some(key) = head {
            heap.push(Reverse((key, cursors.len())));
            cursors.push(c);
        }
        // `found` is at least `b` and at most `last_bucket` (< i64::MAX).
        b = found.max(b).saturating_add(1);
    }
    // About one refill per bucket per page when the page is spread over the buckets.
    let refill = limit
        .checked_div(cursors.len())
        .unwrap_or(1)
        .clamp(1, MAX_BUCKET_REFILL);
    let mut readings: Vec<SignedReading> = Vec::new();
    let mut last_group: Option<([u8; 32], i64)> = None;
    let mut next = None;
    while let Some(&Reverse(((dev, seq, _), _))) = heap.peek() {
        if readings.len() >= limit && last_group != Some((dev, seq)) {
            // The page is full and the next reading starts a new (device, sequence) group.
            next = readings
                .last()
                .map(|s| (s.reading.device_pubkey, s.reading.sequence));
            break;
        }
        let Some(Reverse((_, idx))) = heap.pop() else {
            break;
        };
        let Some(c) = cursors.get_mut(idx) else {
            continue;
        };
        let Some((key, s)) = c.buf.pop_front() else {
            continue;
        };
        readings.push(s);
        last_group = Some((key.0, key.1));
        if c.buf.is_empty() && !c.done {
            stats.queries = stats.queries.saturating_add(1);
            c.fill(&mut fetch, set, refill)?;
        }
        if let Some((k, _)) = c.buf.front() {
            heap.push(Reverse((*k, idx)));
        }
    }
    stats.fullscan_steps = stmt_status(&find, StatementStatus::FullscanStep)
        .saturating_add(stmt_status(&fetch, StatementStatus::FullscanStep));
    stats.vm_steps = stmt_status(&find, StatementStatus::VmStep)
        .saturating_add(stmt_status(&fetch, StatementStatus::VmStep));
    // Whole (device, sequence) groups in key order: sorting puts each group's readings in
    // canonical (content) order.
    readings.sort_by(|a, b| canonical_cmp(&a.reading, &b.reading));
    Ok(ReadingsPage { readings, next })
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, and starts the writer thread.
    pub fn open(cfg: SqliteConfig) -> Result<Self, StoreError> {
        let mut wconn = open_conn(&cfg.path, cfg.synchronous_full)?;
        migrations::migrate(&mut wconn)?;
        let read = open_conn(&cfg.path, cfg.synchronous_full)?;
        // One count at start-up; afterwards the writer and pruning keep the counter.
        let n: i64 = read.query_row("SELECT COUNT(*) FROM readings", [], |r| r.get(0))?;
        let count = Arc::new(AtomicU64::new(u64::try_from(n).unwrap_or(0)));
        let (tx, rx) = mpsc::channel(cfg.queue_capacity.max(1));
        let max_group = cfg.max_group_readings.max(1);
        let wcount = count.clone();
        let writer = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || Writer::new(wconn, max_group, wcount).run(rx))?;
        Ok(SqliteStore {
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            read: Mutex::new(read),
            count,
            last_page: Mutex::new(PageQueryStats::default()),
        })
    }

    /// Stops accepting work, lets the writer commit what is queued, and waits for it.
    pub fn close(&self) {
        if let Ok(mut g) = self.tx.lock() {
            g.take();
        }
        let handle = self.writer.lock().ok().and_then(|mut g| g.take());
        if let Some(h) = handle {
            if h.join().is_err() {
                tracing::error!("sqlite writer thread panicked");
            }
        }
    }

    fn read_conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.read.lock().map_err(|_| StoreError::Closed)
    }

    /// `EXPLAIN QUERY PLAN` detail lines of the queries behind
    /// [`ReadingStore::round_readings_page`]: the bucket query (readings of one hour bucket
    /// after a cursor) first, then the look-up of the next non-empty bucket. Each should be a
    /// `SEARCH … USING INDEX readings_by_hour`, none a `SCAN` (diagnostic for tests and
    /// operators).
    pub fn page_query_plan(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.read_conn()?;
        let mut lines = plan_lines(
            &conn,
            &bucket_page_sql(),
            params![0i64, &[0u8; 32][..], -1i64, -1i64, 0i64, 1i64, 0i64, 1i64],
        )?;
        lines.extend(plan_lines(&conn, NEXT_BUCKET_SQL, params![0i64, 1i64])?);
        Ok(lines)
    }

    /// Query statistics of the latest [`ReadingStore::round_readings_page`] call on this store
    /// (all zero before the first); diagnostic.
    #[must_use]
    pub fn last_page_stats(&self) -> PageQueryStats {
        self.last_page.lock().map(|g| *g).unwrap_or_default()
    }

    /// Every stored reading of the set `[from, to)` in canonical order, fed to `f`.
    fn for_each_in_set(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(SignedReading),
    ) -> Result<(), StoreError> {
        let conn = self.read_conn()?;
        let (lo, hi, from_i) = set_bounds(from, to);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SELECT_COLS} FROM readings WHERE {SET_FILTER} ORDER BY {CANONICAL_ORDER}"
        ))?;
        let mut rows = stmt.query(params![lo, hi, from_i])?;
        while let Some(row) = rows.next()? {
            f(row_to_reading(row)?);
        }
        Ok(())
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

/// Highest stored sequence and highest stored window end of a device (over every stored
/// reading, evidence included).
type Tip = (u64, u64);

struct Writer {
    conn: Connection,
    max_group: usize,
    /// Committed tips; filled lazily from the database. Pruning may leave a tip above the
    /// remaining rows, which only sends more readings to the exact (slow) path.
    tips: HashMap<[u8; 32], Tip>,
    count: Arc<AtomicU64>,
}

/// A stored reading related to an incoming one, with its local variant and arrival status.
struct Related {
    reading: Reading,
    variant: i64,
    status: i64,
}

impl Writer {
    fn new(conn: Connection, max_group: usize, count: Arc<AtomicU64>) -> Self {
        Writer {
            conn,
            max_group,
            tips: HashMap::new(),
            count,
        }
    }

    fn run(mut self, mut rx: mpsc::Receiver<WriteRequest>) {
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            let mut n = group[0].readings.len();
            while n < self.max_group {
                match rx.try_recv() {
                    Ok(req) => {
                        n = n.saturating_add(req.readings.len());
                        group.push(req);
                    }
                    Err(_) => break,
                }
            }
            let started = std::time::Instant::now();
            match self.apply(&group) {
                Ok(outcomes) => {
                    tracing::debug!(
                        requests = group.len(),
                        readings = n,
                        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                        "group committed"
                    );
                    for (req, out) in group.into_iter().zip(outcomes) {
                        // The requester may have gone away (client disconnect): the readings
                        // are committed regardless, a resend is an idempotent success.
                        let _ = req.ack.send(Ok(out));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, requests = group.len(), "group commit failed");
                    let msg = e.to_string();
                    for req in group {
                        let _ = req.ack.send(Err(StoreError::CommitFailed(msg.clone())));
                    }
                }
            }
        }
        tracing::info!("sqlite writer stopped");
    }

    fn load_tip(conn: &Connection, device: &[u8; 32]) -> Result<Option<Tip>, StoreError> {
        let (seq, end): (Option<i64>, Option<i64>) = conn
            .prepare_cached(
                "SELECT MAX(sequence), MAX(window_end) FROM readings WHERE device = ?1",
            )?
            .query_row(params![&device[..]], |r| Ok((r.get(0)?, r.get(1)?)))?;
        match (seq, end) {
            (Some(s), Some(e)) => Ok(Some((
                u64::try_from(s).map_err(|_| StoreError::CorruptValue { column: "sequence" })?,
                u64::try_from(e).map_err(|_| StoreError::CorruptValue {
                    column: "window_end",
                })?,
            ))),
            _ => Ok(None),
        }
    }

    /// Applies the whole group in one transaction; returns outcomes per request.
    fn apply(&mut self, group: &[WriteRequest]) -> Result<Vec<Vec<InsertOutcome>>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut pending: HashMap<[u8; 32], Tip> = HashMap::new();
        let received_at = now_unix();
        let mut inserted = 0u64;
        let mut all = Vec::with_capacity(group.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO readings (device, sequence, variant, window_start, window_end, \
                 discharged_wh, charged_wh, battery_id, firmware, signature, received_at, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            // Same sequence, overlapping window, or sequence order against window order.
            let mut related = tx.prepare_cached(&format!(
                "SELECT {SELECT_COLS}, variant, status FROM readings WHERE device = ?1 AND \
                 (sequence = ?2 OR (window_start < ?4 AND window_end > ?3) \
                  OR (sequence < ?2 AND window_start > ?3) \
                  OR (sequence > ?2 AND window_start < ?3))"
            ))?;
            for req in group {
                let mut outs = Vec::with_capacity(req.readings.len());
                for (i, s) in req.readings.iter().enumerate() {
                    let r = &s.reading;
                    let closed = req
                        .close_at
                        .as_ref()
                        .and_then(|c| c.get(i))
                        .is_some_and(|&c| u64::try_from(received_at).unwrap_or(0) >= c);
                    if closed {
                        outs.push(InsertOutcome::Rejected(StoreRejection::RoundClosed));
                        continue;
                    }
                    let (Some(seq), Some(ws), Some(we), Some(dis), Some(chg)) = (
                        to_i64(r.sequence),
                        to_i64(r.window_start),
                        to_i64(r.window_end),
                        to_i64(r.discharged_wh),
                        to_i64(r.charged_wh),
                    ) else {
                        outs.push(InsertOutcome::Rejected(StoreRejection::OutOfRange));
                        continue;
                    };
                    let tip = match pending.get(&r.device_pubkey) {
                        Some(t) => Some(*t),
                        None => match self.tips.get(&r.device_pubkey) {
                            Some(t) => Some(*t),
                            None => {
                                let t = Self::load_tip(&tx, &r.device_pubkey)?;
                                if let Some(t) = t {
                                    self.tips.insert(r.device_pubkey, t);
                                }
                                t
                            }
                        },
                    };
                    let fast = match tip {
                        None => true,
                        Some((max_seq, max_end)) => {
                            r.sequence > max_seq && r.window_start >= max_end
                        }
                    };
                    let (variant, outcome) = if fast {
                        (0, InsertOutcome::Accepted)
                    } else {
                        let rows = related
                            .query_map(params![&r.device_pubkey[..], seq, ws, we], |row| {
                                Ok(Related {
                                    reading: row_to_reading(row)?.reading,
                                    variant: row.get(9)?,
                                    status: row.get(10)?,
                                })
                            })?
                            .collect::<Result<Vec<_>, _>>()?;
                        if let Some(same) = rows.iter().find(|x| x.reading == *r) {
                            let out = match ConflictKind::from_code(same.status) {
                                Some(k) => InsertOutcome::Evidence(k),
                                None => InsertOutcome::Duplicate,
                            };
                            outs.push(out);
                            continue;
                        }
                        let kind = rows
                            .iter()
                            .filter_map(|x| conflict_between(r, &x.reading))
                            .max();
                        let variant = rows
                            .iter()
                            .filter(|x| x.reading.sequence == r.sequence)
                            .map(|x| x.variant.saturating_add(1))
                            .max()
                            .unwrap_or(0);
                        (
                            variant,
                            kind.map_or(InsertOutcome::Accepted, InsertOutcome::Evidence),
                        )
                    };
                    let status = match outcome {
                        InsertOutcome::Evidence(k) => k.code(),
                        _ => 0,
                    };
                    insert.execute(params![
                        &r.device_pubkey[..],
                        seq,
                        variant,
                        ws,
                        we,
                        dis,
                        chg,
                        r.battery_id,
                        r.firmware,
                        &s.signature[..],
                        received_at,
                        status
                    ])?;
                    inserted += 1;
                    let new_tip = match tip {
                        Some((ms, me)) => (ms.max(r.sequence), me.max(r.window_end)),
                        None => (r.sequence, r.window_end),
                    };
                    pending.insert(r.device_pubkey, new_tip);
                    outs.push(outcome);
                }
                all.push(outs);
            }
        }
        tx.commit()?;
        self.tips.extend(pending);
        self.count.fetch_add(inserted, Ordering::Relaxed);
        Ok(all)
    }
}

impl SqliteStore {
    fn enqueue(
        &self,
        batch: Vec<SignedReading>,
        close_at: Option<Vec<u64>>,
    ) -> Result<Ack, StoreError> {
        let (ack, rx) = oneshot::channel();
        let guard = self.tx.lock().map_err(|_| StoreError::Closed)?;
        let sender = guard.as_ref().ok_or(StoreError::Closed)?;
        sender
            .try_send(WriteRequest {
                readings: batch,
                close_at,
                ack,
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Busy,
                mpsc::error::TrySendError::Closed(_) => StoreError::Closed,
            })?;
        Ok(rx)
    }
}

impl ReadingStore for SqliteStore {
    fn submit(&self, batch: Vec<SignedReading>) -> Result<Ack, StoreError> {
        self.enqueue(batch, None)
    }

    fn submit_until(
        &self,
        batch: Vec<SignedReading>,
        close_at: Vec<u64>,
    ) -> Result<Ack, StoreError> {
        self.enqueue(batch, Some(close_at))
    }

    fn scan_readings(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(&Reading),
    ) -> Result<(), StoreError> {
        // Streams one device group at a time through the union rule.
        let mut group: Vec<SignedReading> = Vec::new();
        let flush = |group: &mut Vec<SignedReading>, f: &mut dyn FnMut(&Reading)| {
            apply_rule(group, &mut |s| f(&s.reading), &mut |_, _| {});
            group.clear();
        };
        self.for_each_in_set(from, to, &mut |s| {
            if group
                .first()
                .is_some_and(|g| g.reading.device_pubkey != s.reading.device_pubkey)
            {
                flush(&mut group, f);
            }
            group.push(s);
        })?;
        flush(&mut group, f);
        Ok(())
    }

    fn round_readings(&self, from: u64, to: u64) -> Result<RoundReadings, StoreError> {
        let mut readings = Vec::new();
        self.for_each_in_set(from, to, &mut |s| readings.push(s))?;
        let digest = readings_digest(&readings);
        Ok(RoundReadings { readings, digest })
    }

    fn round_digest(&self, from: u64, to: u64) -> Result<(u64, [u8; 32]), StoreError> {
        let mut d = DigestBuilder::default();
        self.for_each_in_set(from, to, &mut |s| d.push(&s.reading))?;
        Ok(d.finish())
    }

    /// Pages through the `readings_by_hour` index (see the module documentation): the hour
    /// buckets `b` with `window_start / 3600 = b` covering the set's `window_start` range
    /// `[from − MAX_WINDOW_SECS, to)` are merged lazily in `(device, sequence, variant)` order
    /// from the cursor, in one read transaction.
    ///
    /// Cost per page: two index seeks per bucket holding any stored reading (find the bucket,
    /// then its first reading after the cursor) plus one to find that there is no further
    /// one, then between `limit / 32` and `limit` seeks to refill the buckets' buffers. A page
    /// of an empty round costs one seek; a week spans about 170 buckets, a 366-day round
    /// ~8,800 (so up to ~17,600 seeks per page, each a few microseconds). Readings starting in
    /// the hour before `from` are in the window_start range but belong to the set only when
    /// they straddle `from`: those that do not are stepped over in the index (which carries
    /// both window ends), so each page also pays for the index entries of that hour after the
    /// cursor. Memory is bounded by
    /// buckets × 32 buffered readings plus the page, not by the round's size.
    fn round_readings_page(
        &self,
        from: u64,
        to: u64,
        after: Option<([u8; 32], u64)>,
        limit: usize,
    ) -> Result<ReadingsPage, StoreError> {
        let limit = limit.max(1);
        let set = set_bounds(from, to);
        // Every variant of the cursor's (device, sequence) is skipped; no stored key is at or
        // below ([0; 32], -1, -1) (sequences and variants are non-negative).
        let start: MergeKey = match after {
            Some((d, s)) => (d, to_i64(s).unwrap_or(i64::MAX), i64::MAX),
            None => ([0u8; 32], -1, -1),
        };
        let mut stats = PageQueryStats::default();
        let page = if set.0 < set.1 {
            let conn = self.read_conn()?;
            // One snapshot for every query of the page.
            let tx = conn.unchecked_transaction()?;
            let page = merge_page(&tx, set, start, limit, &mut stats)?;
            tx.commit()?;
            page
        } else {
            ReadingsPage {
                readings: Vec::new(),
                next: None,
            }
        };
        if let Ok(mut g) = self.last_page.lock() {
            *g = stats;
        }
        Ok(page)
    }

    fn evidence(&self, from: u64, to: u64) -> Result<Vec<EvidenceItem>, StoreError> {
        // One device group at a time, like scan_readings.
        let mut out = Vec::new();
        let mut group: Vec<SignedReading> = Vec::new();
        let flush = |group: &mut Vec<SignedReading>, out: &mut Vec<EvidenceItem>| {
            apply_rule(group, &mut |_| {}, &mut |s, kind| {
                out.push(EvidenceItem {
                    reading: s.clone(),
                    kind,
                })
            });
            group.clear();
        };
        self.for_each_in_set(from, to, &mut |s| {
            if group
                .first()
                .is_some_and(|g| g.reading.device_pubkey != s.reading.device_pubkey)
            {
                flush(&mut group, &mut out);
            }
            group.push(s);
        })?;
        flush(&mut group, &mut out);
        Ok(out)
    }

    fn prune_rounds_before(&self, round_end_ts: u64) -> Result<u64, StoreError> {
        let ts = to_i64(round_end_ts).unwrap_or(i64::MAX);
        let conn = self.read_conn()?;
        // Through the window_start index: a window ending by `ts` starts before it, and one
        // starting a full window length before it has ended.
        let n = conn.execute(
            "DELETE FROM readings WHERE window_start < ?1 AND \
             (window_start <= ?2 OR window_end <= ?1)",
            params![ts, ts.saturating_sub(to_i64(MAX_WINDOW_SECS).unwrap_or(0))],
        )?;
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        // Saturating: never wraps below zero.
        let _ = self
            .count
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                Some(c.saturating_sub(n))
            });
        Ok(n)
    }

    /// One primary-key look-up per reading on the read connection; every stored variant of
    /// the reading's `(device, sequence)` is compared by content.
    fn stored_already(&self, readings: &[&SignedReading]) -> Result<Vec<bool>, StoreError> {
        if readings.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.read_conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SELECT_COLS} FROM readings WHERE device = ?1 AND sequence = ?2"
        ))?;
        let mut out = Vec::with_capacity(readings.len());
        for s in readings {
            // A sequence above i64::MAX cannot be stored.
            let Some(seq) = to_i64(s.reading.sequence) else {
                out.push(false);
                continue;
            };
            let mut rows = stmt.query(params![&s.reading.device_pubkey[..], seq])?;
            let mut found = false;
            while let Some(row) = rows.next()? {
                if row_to_reading(row)?.reading == s.reading {
                    found = true;
                    break;
                }
            }
            out.push(found);
        }
        Ok(out)
    }

    fn reading_count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn get_reading(
        &self,
        device: &[u8; 32],
        sequence: u64,
    ) -> Result<Option<SignedReading>, StoreError> {
        let Some(seq) = to_i64(sequence) else {
            return Ok(None);
        };
        let conn = self.read_conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SELECT_COLS} FROM readings WHERE device = ?1 AND sequence = ?2 \
             ORDER BY variant LIMIT 1"
        ))?;
        Ok(stmt
            .query_row(params![&device[..], seq], row_to_reading)
            .optional()?)
    }

    fn count_readings(&self) -> Result<u64, StoreError> {
        let conn = self.read_conn()?;
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM readings", [], |r| r.get(0))?;
        u64::try_from(n).map_err(|_| StoreError::CorruptValue { column: "count" })
    }

    fn device_stats(&self, device: &[u8; 32]) -> Result<Option<DeviceStats>, StoreError> {
        let conn = self.read_conn()?;
        let (n, seq, end, sum) = conn.query_row(
            "SELECT COUNT(*), MAX(sequence), MAX(window_end), COALESCE(SUM(discharged_wh), 0) \
             FROM readings WHERE device = ?1",
            params![&device[..]],
            |r| {
                let n: i64 = r.get(0)?;
                let seq: Option<i64> = r.get(1)?;
                let end: Option<i64> = r.get(2)?;
                let sum: i64 = r.get(3)?;
                Ok((n, seq, end, sum))
            },
        )?;
        if n == 0 {
            return Ok(None);
        }
        let conv = |v: Option<i64>, column| {
            u64::try_from(v.unwrap_or(0)).map_err(|_| StoreError::CorruptValue { column })
        };
        Ok(Some(DeviceStats {
            readings: conv(Some(n), "count")?,
            last_sequence: conv(seq, "sequence")?,
            last_window_end: conv(end, "window_end")?,
            discharged_wh: conv(Some(sum), "discharged_wh")?,
        }))
    }

    fn put_round_progress(&self, p: &RoundProgress) -> Result<(), StoreError> {
        let conn = self.read_conn()?;
        let round = to_i64(p.round).ok_or(StoreError::CorruptValue { column: "round" })?;
        let pv = to_i64(p.policy_version).ok_or(StoreError::CorruptValue {
            column: "policy_version",
        })?;
        conn.execute(
            "INSERT OR REPLACE INTO round_progress (round, policy_version, batch_count, status, \
             updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![round, pv, p.batch_count, p.status, now_unix()],
        )?;
        Ok(())
    }

    fn round_progress(&self, round: u64) -> Result<Option<RoundProgress>, StoreError> {
        let Some(r) = to_i64(round) else {
            return Ok(None);
        };
        let conn = self.read_conn()?;
        Ok(conn
            .query_row(
                "SELECT round, policy_version, batch_count, status FROM round_progress \
                 WHERE round = ?1",
                params![r],
                |row| {
                    Ok(RoundProgress {
                        round: col_u64(row, 0, "round")?,
                        policy_version: col_u64(row, 1, "policy_version")?,
                        batch_count: row.get(2)?,
                        status: row.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn put_submission(&self, s: &SubmissionRecord) -> Result<(), StoreError> {
        let conn = self.read_conn()?;
        let round = to_i64(s.round).ok_or(StoreError::CorruptValue { column: "round" })?;
        conn.execute(
            "INSERT OR REPLACE INTO submissions (round, batch_index, batch_hash, kind, state, \
             tx_hash, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                round,
                s.batch_index,
                &s.batch_hash[..],
                s.kind,
                s.state,
                s.tx_hash,
                now_unix()
            ],
        )?;
        Ok(())
    }

    fn submissions(&self, round: u64) -> Result<Vec<SubmissionRecord>, StoreError> {
        let Some(r) = to_i64(round) else {
            return Ok(Vec::new());
        };
        let conn = self.read_conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT round, batch_index, batch_hash, kind, state, tx_hash FROM submissions \
             WHERE round = ?1 ORDER BY batch_index",
        )?;
        let rows = stmt.query_map(params![r], |row| {
            let hash: Vec<u8> = row.get(2)?;
            Ok(SubmissionRecord {
                round: col_u64(row, 0, "round")?,
                batch_index: row.get(1)?,
                batch_hash: hash.try_into().map_err(|_| {
                    rusqlite::Error::FromSqlConversionFailure(
                        2,
                        rusqlite::types::Type::Blob,
                        Box::new(StoreError::CorruptValue {
                            column: "batch_hash",
                        }),
                    )
                })?,
                kind: row.get(3)?,
                state: row.get(4)?,
                tx_hash: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}
