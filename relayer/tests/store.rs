//! SQLite store: group commit under concurrency, ordering rules, progress tables and
//! crash-safety of acknowledged readings (a child process is killed with SIGKILL mid-ingest).
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
