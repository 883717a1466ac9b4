//! SQLite store: group commit under concurrency, ordering rules, lookup of stored readings,
//! peer pages through the hour index (exact sets, groups never split, index seeks only),
//! progress tables and crash-safety of acknowledged readings (a child process is killed with
//! SIGKILL mid-ingest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use relayer::store::{
    ConflictKind, InsertOutcome, ReadingStore, RoundProgress, SqliteConfig, SqliteStore,
    StoreRejection, SubmissionRecord,
};
use relayer::telemetry::SignedReading;

fn key(i: u64) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[31] = 0x5a;
    SigningKey::from_bytes(&seed)
}

fn mk(k: &SigningKey, seq: u64, start: u64, wh: u64) -> SignedReading {
    common::signed_by_key(k, seq, (start, start + 60), wh)
}

async fn submit(store: &SqliteStore, batch: Vec<SignedReading>) -> Vec<InsertOutcome> {
    store.submit(batch).unwrap().await.unwrap().unwrap()
}

/// A device key spread over the key space (no signing: the store keeps what it is given).
fn device(i: u64) -> [u8; 32] {
    let mut d = [0u8; 32];
    d[..8].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    d[8..16].copy_from_slice(&i.to_be_bytes());
    d
}

/// An unsigned reading of `device` (zero signature) for `[start, end)`.
use common::unsigned as raw;

/// Pages through the set `[from, to)` `limit` readings at a time, checking the page contract
/// on the way (at least `limit` per page unless it is the last, `next` is the last reading's
/// `(device, sequence)`, groups strictly increase across pages so none is split); returns the
/// concatenated pages and their number.
fn all_pages(store: &SqliteStore, from: u64, to: u64, limit: usize) -> (Vec<SignedReading>, usize) {
    let group = |s: &SignedReading| (s.reading.device_pubkey, s.reading.sequence);
    let mut out: Vec<SignedReading> = Vec::new();
    let mut after = None;
    let mut pages = 0usize;
    loop {
        let p = store.round_readings_page(from, to, after, limit).unwrap();
        pages += 1;
        assert!(pages <= 1_000_000, "paging does not end (limit {limit})");
        if let (Some(prev), Some(first)) = (out.last(), p.readings.first()) {
            assert!(
                group(prev) < group(first),
                "group split or out of order across pages (limit {limit})"
            );
        }
        let next = p.next;
        if let Some(c) = next {
            assert!(
                p.readings.len() >= limit,
                "short page before the end (limit {limit})"
            );
            assert_eq!(Some(c), p.readings.last().map(group), "limit {limit}");
        }
        out.extend(p.readings);
        match next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    (out, pages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    let k = key(1);
    let a = mk(&k, 10, 1_000, 5);
    assert_eq!(
        submit(&store, vec![a.clone()]).await,
        vec![InsertOutcome::Accepted]
    );
    // Every validly signed reading is stored; conflicting ones as evidence. A lower sequence
    // with an earlier window and a sequence arriving after its successor are fine.
    assert_eq!(
        submit(
            &store,
            vec![
                a.clone(),
                mk(&k, 10, 1_000, 6),
                mk(&k, 9, 900, 5),
                mk(&k, 12, 1_120, 5),
                mk(&k, 11, 1_060, 5),
                mk(&k, 13, 1_150, 5),
                mk(&k, 8, 1_300, 5),
            ]
        )
        .await,
        vec![
            InsertOutcome::Duplicate,
            InsertOutcome::Evidence(ConflictKind::SequenceConflict),
            InsertOutcome::Accepted,
            InsertOutcome::Accepted,
            InsertOutcome::Accepted,
            InsertOutcome::Evidence(ConflictKind::Overlap),
            InsertOutcome::Evidence(ConflictKind::SequenceOrder),
        ]
    );
    assert_eq!(store.count_readings().unwrap(), 7);
    assert_eq!(store.reading_count(), 7);
    // A resend of evidence is answered as evidence again and stores nothing.
    assert_eq!(
        submit(&store, vec![mk(&k, 10, 1_000, 6)]).await,
        vec![InsertOutcome::Evidence(ConflictKind::SequenceConflict)]
    );
    assert_eq!(store.count_readings().unwrap(), 7);
    assert_eq!(
        store.get_reading(&a.reading.device_pubkey, 10).unwrap(),
        Some(a.clone())
    );
    // Out-of-range values are refused by the store itself as well.
    assert_eq!(
        submit(&store, vec![mk(&k, u64::MAX, 5_000, 1)]).await,
        vec![InsertOutcome::Rejected(StoreRejection::OutOfRange)]
    );
    // scan_readings applies the union rule to the set of windows intersecting the range:
    // [1_030, 1_061) holds both sequence-10 readings (excluded) and 11.
    let mut seen = Vec::new();
    store
        .scan_readings(1_030, 1_061, &mut |r| seen.push(r.sequence))
        .unwrap();
    assert_eq!(seen, vec![11]);
    // [1_100, 1_400): 12 and 13 overlap, 8 is out of order against 11: nothing counts.
    let mut seen = Vec::new();
    store
        .scan_readings(1_100, 1_400, &mut |r| seen.push(r.sequence))
        .unwrap();
    assert_eq!(seen, Vec::<u64>::new());
    let ev: Vec<(u64, ConflictKind)> = store
        .evidence(1_100, 1_400)
        .unwrap()
        .into_iter()
        .map(|e| (e.reading.reading.sequence, e.kind))
        .collect();
    assert_eq!(
        ev,
        vec![
            (8, ConflictKind::SequenceOrder),
            (11, ConflictKind::SequenceOrder),
            (12, ConflictKind::Overlap),
            (13, ConflictKind::Overlap),
        ]
    );
    // The whole set, canonical order, and pages that never split a (device, sequence).
    let all = store.round_readings(0, 10_000).unwrap();
    let seqs: Vec<u64> = all.readings.iter().map(|s| s.reading.sequence).collect();
    assert_eq!(seqs, vec![8, 9, 10, 10, 11, 12, 13]);
    assert_eq!(all.digest, relayer::store::readings_digest(&all.readings));
    assert_eq!(store.round_digest(0, 10_000).unwrap(), (7, all.digest));
    let mut paged = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let p = store.round_readings_page(0, 10_000, after, 3).unwrap();
        pages += 1;
        paged.extend(p.readings);
        match p.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(paged, all.readings);
    // 8 9 10 10 | 11 12 13: the sequence-10 pair stays together.
    assert_eq!(pages, 2);
    // Pruning rounds that ended: windows ending at or before 1_060 go.
    assert_eq!(store.prune_rounds_before(1_060).unwrap(), 3);
    assert_eq!(store.reading_count(), 4);
    assert_eq!(store.count_readings().unwrap(), 4);
}

/// The cutoff race: a reading queued before its round's close but reached by the
/// writer after it is refused; after a barrier issued at/after the close nothing of the round
/// can commit any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_refuses_readings_reached_after_their_round_closed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    let k = key(7);
    let now = relayer::ingest::now_unix();
    let out = store
        .submit_until(
            vec![mk(&k, 1, 1_000, 1), mk(&k, 2, 2_000, 1)],
            vec![now - 1, now + 3_600],
        )
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out,
        vec![
            InsertOutcome::Rejected(StoreRejection::RoundClosed),
            InsertOutcome::Accepted
        ]
    );
    assert_eq!(
        store.get_reading(&k.verifying_key().to_bytes(), 1).unwrap(),
        None
    );
    assert_eq!(store.barrier().unwrap().await.unwrap().unwrap(), vec![]);
    assert_eq!(store.reading_count(), 1);
}

/// Pages list a (device, sequence) group in canonical (content) order, not arrival order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_canonical_whatever_the_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    let (k1, k2) = (key(21), key(22));
    let batch = vec![
        mk(&k1, 1, 100, 9),
        mk(&k1, 1, 100, 2),
        mk(&k2, 3, 300, 1),
        mk(&k2, 2, 200, 1),
    ];
    submit(&store, batch).await;
    let all = store.round_readings(0, 1_000).unwrap();
    let wh: Vec<u64> = all
        .readings
        .iter()
        .filter(|s| s.reading.device_pubkey == k1.verifying_key().to_bytes())
        .map(|s| s.reading.discharged_wh)
        .collect();
    assert_eq!(wh, vec![2, 9]);
    for limit in [1, 2, 3, 10] {
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let p = store.round_readings_page(0, 1_000, after, limit).unwrap();
            paged.extend(p.readings);
            match p.next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(paged, all.readings, "limit {limit}");
    }
}

/// Whether a reading is already stored is decided by content (every field), whatever its
/// signature; evidence counts as stored; the answers follow the input order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_already_compares_content_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    let k = key(31);
    let a = mk(&k, 1, 1_000, 5);
    let b = mk(&k, 2, 1_100, 5);
    assert_eq!(
        submit(&store, vec![a.clone(), b.clone()]).await,
        vec![InsertOutcome::Accepted; 2]
    );
    let other_content = mk(&k, 1, 1_000, 6);
    let unknown = mk(&k, 3, 1_200, 5);
    let other_device = mk(&key(32), 1, 1_000, 5);
    let mut resigned = a.clone();
    resigned.signature = [9; 64];
    let huge_sequence = mk(&k, u64::MAX, 5_000, 1);
    assert_eq!(
        store
            .stored_already(&[
                &unknown,
                &b,
                &other_content,
                &a,
                &other_device,
                &resigned,
                &huge_sequence,
            ])
            .unwrap(),
        vec![false, true, false, true, false, true, false]
    );
    // Stored as evidence: known from now on, next to the reading it conflicts with.
    assert_eq!(
        submit(&store, vec![other_content.clone()]).await,
        vec![InsertOutcome::Evidence(ConflictKind::SequenceConflict)]
    );
    assert_eq!(
        store
            .stored_already(&[&other_content, &unknown, &a])
            .unwrap(),
        vec![true, false, true]
    );
    assert_eq!(store.stored_already(&[]).unwrap(), Vec::<bool>::new());
}

/// The page queries are searches of the hour index: no scan, no sort.
#[test]
fn page_queries_search_the_hour_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    let plan = store.page_query_plan().unwrap();
    assert!(
        plan.iter().any(|l| l.contains("readings_by_hour")),
        "{plan:?}"
    );
    assert!(
        plan.iter()
            .all(|l| l.contains("SEARCH") && !l.contains("SCAN") && !l.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}

/// A page of an empty (or sparse) round costs index seeks, not a walk over the readings of
/// other rounds: measured by SQLite's statement counters, not by time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_of_an_empty_round_does_not_walk_other_rounds() {
    const WEEK: u64 = 7 * 86_400;
    let genesis = 1_767_225_600u64; // hour-aligned
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig {
        synchronous_full: false,
        ..SqliteConfig::new(dir.path().join("s.sqlite"))
    })
    .unwrap();
    // 20,000 readings in round 0, over its first 167 hours (the hour before round 1 stays
    // empty, so round 1's pages have no straddle candidates to step over).
    let batch: Vec<SignedReading> = (0..20_000u64)
        .map(|i| {
            let start = genesis + (i % 167) * 3_600 + (i % 60) * 60;
            raw(device(i), 1, (start, start + 600), 1 + i % 7)
        })
        .collect();
    let out = submit(&store, batch).await;
    assert!(out.iter().all(|o| *o == InsertOutcome::Accepted));
    assert_eq!(store.count_readings().unwrap(), 20_000);

    // Round 2 is empty: one bucket look-up finds nothing, whatever the cursor.
    let (from, to) = (genesis + 2 * WEEK, genesis + 3 * WEEK);
    for after in [None, Some((device(5), 1))] {
        let p = store.round_readings_page(from, to, after, 5_000).unwrap();
        assert!(p.readings.is_empty());
        assert_eq!(p.next, None);
        let st = store.last_page_stats();
        assert_eq!(
            (st.queries, st.buckets, st.fullscan_steps),
            (1, 0, 0),
            "{st:?}"
        );
        assert!(st.vm_steps < 200, "{st:?}");
    }

    // Round 1 holds three readings: its pages examine those, not round 0's 20,000.
    let sparse: Vec<SignedReading> = [3u64, 50, 100]
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let start = genesis + WEEK + h * 3_600 + 120;
            raw(
                device(u64::try_from(i).unwrap()),
                2,
                (start, start + 600),
                9,
            )
        })
        .collect();
    assert_eq!(
        submit(&store, sparse.clone()).await,
        vec![InsertOutcome::Accepted; 3]
    );
    let p = store
        .round_readings_page(genesis + WEEK, genesis + 2 * WEEK, None, 5_000)
        .unwrap();
    let mut want = sparse;
    want.sort_by(|a, b| relayer::store::union::canonical_cmp(&a.reading, &b.reading));
    assert_eq!(p.readings, want);
    assert_eq!(p.next, None);
    let st = store.last_page_stats();
    assert_eq!((st.buckets, st.fullscan_steps), (3, 0), "{st:?}");
    assert!(st.vm_steps < 2_000, "{st:?}");

    // Round 0 itself: server-sized pages give the whole set.
    let all = store.round_readings(genesis, genesis + WEEK).unwrap();
    assert_eq!(all.readings.len(), 20_000);
    let (paged, pages) = all_pages(&store, genesis, genesis + WEEK, 5_000);
    assert_eq!(pages, 4);
    assert!(paged == all.readings);
    assert_eq!(store.last_page_stats().fullscan_steps, 0);
}

/// Pages of a round spanning several hour buckets, with several readings per
/// (device, sequence) in different buckets (conflicting readings kept as evidence), give
/// exactly the round set for every page size, never splitting a (device, sequence).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_merge_hour_buckets_without_splitting_groups() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    // Not hour-aligned: the round's hours straddle the index's buckets.
    let from = 1_800_000_123u64;
    let to = from + 6 * 3_600;
    let mut batch = Vec::new();
    for d in 0..8u64 {
        let k = key(40 + d);
        for seq in 1..=12u64 {
            let start = from - 3_000 + (seq - 1) * 1_900 + d * 13;
            batch.push(common::signed_by_key(&k, seq, (start, start + 600), seq));
            if seq % 3 == 0 {
                // Same sequence, other content, an hour later: another bucket.
                let s2 = start + 3_600;
                batch.push(common::signed_by_key(&k, seq, (s2, s2 + 600), 100 + seq));
            }
            if seq % 4 == 0 {
                // A third variant, earlier (possibly before the round).
                let s3 = start - 2_000;
                batch.push(common::signed_by_key(&k, seq, (s3, s3 + 600), 200 + seq));
            }
        }
        // Outside the round.
        batch.push(common::signed_by_key(&k, 100, (to + 100, to + 700), 1));
    }
    let n = batch.len();
    let out = submit(&store, batch).await;
    assert!(out
        .iter()
        .all(|o| matches!(o, InsertOutcome::Accepted | InsertOutcome::Evidence(_))));
    assert_eq!(store.count_readings().unwrap(), u64::try_from(n).unwrap());

    let all = store.round_readings(from, to).unwrap().readings;
    let mut groups: HashMap<([u8; 32], u64), usize> = HashMap::new();
    for s in &all {
        *groups
            .entry((s.reading.device_pubkey, s.reading.sequence))
            .or_default() += 1;
    }
    assert!(
        groups.values().filter(|&&c| c >= 2).count() >= 8,
        "the set holds multi-reading groups"
    );
    assert!(all.iter().all(|s| s.reading.sequence != 100));
    for limit in [1, 2, 3, 7, 1_000] {
        let (paged, pages) = all_pages(&store, from, to, limit);
        assert!(paged == all, "limit {limit}");
        if limit == 1 {
            assert_eq!(pages, groups.len());
        }
        if limit == 1_000 {
            assert_eq!(pages, 1);
        }
    }
    // The page merged several buckets, without scanning.
    let st = store.last_page_stats();
    assert!(st.buckets >= 6, "{st:?}");
    assert_eq!(st.fullscan_steps, 0, "{st:?}");
}

/// A 366-day round spans ~8,800 hour buckets: pages still give exactly the set, each page
/// looking at every non-empty bucket once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_a_year_long_round() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig {
        synchronous_full: false,
        ..SqliteConfig::new(dir.path().join("s.sqlite"))
    })
    .unwrap();
    let from = 1_767_225_600u64;
    let to = from + 366 * 86_400;
    // 2,000 devices, one reading each, every ~4.4 hours over the year (2,000 buckets).
    let batch: Vec<SignedReading> = (0..2_000u64)
        .map(|i| {
            let start = from + i * 15_811;
            raw(device(9_000 + i), 1, (start, start + 900), i)
        })
        .collect();
    submit(&store, batch).await;
    let all = store.round_readings(from, to).unwrap().readings;
    assert_eq!(all.len(), 2_000);
    let (paged, pages) = all_pages(&store, from, to, 500);
    assert!(paged == all);
    assert_eq!(pages, 4);
    assert_eq!(store.last_page_stats().fullscan_steps, 0);
    let first = store.round_readings_page(from, to, None, 500).unwrap();
    let st = store.last_page_stats();
    assert_eq!(first.readings.len(), 500);
    assert_eq!(st.buckets, 2_000, "{st:?}");
    // An empty year: one look-up.
    let p = store
        .round_readings_page(to + 7_200, to + 7_200 + 366 * 86_400, None, 500)
        .unwrap();
    assert!(p.readings.is_empty() && p.next.is_none());
    assert_eq!(store.last_page_stats().queries, 1);
}

/// A window starting before the round but ending inside it belongs to the round; one ending
/// at the round's start does not, nor one starting at its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn straddling_windows_belong_to_the_round() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap();
    let from = 1_900_000_500u64;
    let to = from + 2 * 3_600;
    let windows: [(u64, u64, bool); 8] = [
        (from - 600, from + 600, true),      // straddles the start
        (from - 3_599, from + 1, true),      // a full-length window, one second inside
        (from, from + 60, true),             // starts at the start
        (to - 1, to + 600, true),            // starts in the last second
        (from - 660, from, false),           // ends at the start
        (from - 3_600, from, false),         // a full-length window ending at the start
        (to, to + 60, false),                // starts at the end
        (from - 7_200, from - 3_600, false), // long before
    ];
    let batch: Vec<SignedReading> = windows
        .iter()
        .enumerate()
        .map(|(i, &(s, e, _))| raw(device(500 + u64::try_from(i).unwrap()), 1, (s, e), 1))
        .collect();
    submit(&store, batch.clone()).await;
    let mut want: Vec<SignedReading> = batch
        .iter()
        .zip(windows)
        .filter(|(_, w)| w.2)
        .map(|(s, _)| s.clone())
        .collect();
    want.sort_by(|a, b| relayer::store::union::canonical_cmp(&a.reading, &b.reading));
    assert_eq!(store.round_readings(from, to).unwrap().readings, want);
    for limit in [1, 2, 1_000] {
        assert_eq!(all_pages(&store, from, to, limit).0, want, "limit {limit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(SqliteStore::open(SqliteConfig::new(dir.path().join("s.sqlite"))).unwrap());
    // 40 devices × 25 requests of 4 readings, all in flight at once per device.
    let mut tasks = Vec::new();
    for d in 0..40u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let k = key(100 + d);
            let mut acks = Vec::new();
            for r in 0..25u64 {
                let batch: Vec<_> = (0..4u64)
                    .map(|i| {
                        let seq = r * 4 + i + 1;
                        mk(&k, seq, seq * 60, seq)
                    })
                    .collect();
                acks.push(store.submit(batch).unwrap());
            }
            let mut outcomes = Vec::new();
            for a in acks {
                outcomes.extend(a.await.unwrap().unwrap());
            }
            outcomes
        }));
    }
    for t in tasks {
        let o = t.await.unwrap();
        assert_eq!(o, vec![InsertOutcome::Accepted; 100]);
    }
    assert_eq!(store.count_readings().unwrap(), 4_000);
    let stats = store
        .device_stats(&key(100).verifying_key().to_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(stats.readings, 100);
    assert_eq!(stats.last_sequence, 100);
    assert_eq!(stats.discharged_wh, (1..=100).sum::<u64>());
}

#[tokio::test]
async fn progress_tables_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    {
        let store = SqliteStore::open(SqliteConfig::new(&path)).unwrap();
        assert_eq!(store.round_progress(3).unwrap(), None);
        let p = RoundProgress {
            round: 3,
            policy_version: 2,
            batch_count: 4,
            status: "submitting".into(),
        };
        store.put_round_progress(&p).unwrap();
        let rec = SubmissionRecord {
            round: 3,
            batch_index: 1,
            batch_hash: [7; 32],
            kind: "vote".into(),
            state: "intent".into(),
            tx_hash: None,
        };
        store.put_submission(&rec).unwrap();
        let mut rec2 = rec.clone();
        rec2.state = "broadcast".into();
        rec2.tx_hash = Some("ABCD".into());
        store.put_submission(&rec2).unwrap();
        assert_eq!(store.submissions(3).unwrap(), vec![rec2]);
    }
    // Reopen: survives.
    let store = SqliteStore::open(SqliteConfig::new(&path)).unwrap();
    assert_eq!(
        store.round_progress(3).unwrap().unwrap().status,
        "submitting"
    );
    assert_eq!(
        store.submissions(3).unwrap()[0].tx_hash.as_deref(),
        Some("ABCD")
    );
}

/// Child half of the crash test: ingests forever, printing each acknowledged batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "spawned by crash_safety_acknowledged_readings_survive_sigkill"]
async fn crash_child() {
    let Ok(path) = std::env::var("RELAYER_CRASH_DB") else {
        return;
    };
    let store = Arc::new(SqliteStore::open(SqliteConfig::new(path)).unwrap());
    let mut tasks = Vec::new();
    for d in 0..4u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let k = key(d);
            let mut seq = 1u64;
            loop {
                let batch: Vec<_> = (0..50u64)
                    .map(|i| mk(&k, seq + i, (seq + i) * 60, 1))
                    .collect();
                let out = store.submit(batch).unwrap().await.unwrap().unwrap();
                assert!(out.iter().all(|o| *o == InsertOutcome::Accepted));
                seq += 50;
                // Only printed after COMMIT: these readings are acknowledged.
                println!("ACK {d} {}", seq - 1);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

#[test]
fn crash_safety_acknowledged_readings_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RELAYER_CRASH_DB", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked: HashMap<u64, u64> = HashMap::new();
    let mut lines = BufReader::new(stdout).lines();
    let mut total = 0u64;
    while total < 20_000 {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.strip_prefix("ACK ") {
            let mut it = rest.split(' ');
            let d: u64 = it.next().unwrap().parse().unwrap();
            let s: u64 = it.next().unwrap().parse().unwrap();
            acked.insert(d, s);
            total = acked.values().sum();
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = SqliteStore::open(SqliteConfig::new(&path)).unwrap();
    let stored = store.count_readings().unwrap();
    assert!(stored >= total, "stored {stored} < acknowledged {total}");
    for (d, last) in &acked {
        let k = key(*d);
        let pk = k.verifying_key().to_bytes();
        let stats = store.device_stats(&pk).unwrap().unwrap();
        assert!(stats.last_sequence >= *last);
        assert_eq!(stats.readings, stats.last_sequence, "gap in device {d}");
        for seq in [1, *last / 2, *last] {
            let r = store.get_reading(&pk, seq).unwrap().unwrap();
            assert_eq!(r, mk(&k, seq, seq * 60, 1));
            assert!(common::domain().verify(&r).is_ok());
        }
    }
    eprintln!("crash test: acknowledged {total}, stored after SIGKILL {stored}");
}
