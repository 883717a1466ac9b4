//! Ingest over real HTTP with real ed25519 signatures and a real SQLite file: every rejection
//! reason, idempotent resend, conflict, body limits, malformed JSON and back-pressure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use common::{domain, reading, signed, window, Harness, MAX_ITEMS};
use ed25519_dalek::SigningKey;
use relayer::ingest::{now_unix, RejectReason};
use relayer::store::ReadingStore;
use relayer::telemetry::SignedReading;
use serde_json::{json, Value};

fn statuses(body: &Value) -> Vec<(String, Option<String>)> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap().to_string(),
                r["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn metric_line(text: &str, reason: RejectReason) -> u64 {
    let prefix = format!(
        "relayer_readings_rejected_total{{reason=\"{}\"}} ",
        reason.as_str()
    );
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap()
        .parse()
        .unwrap()
}

/// Posts one reading, asserts it is rejected with `reason`, that nothing was stored, and that
/// the metric for the reason went up by one.
async fn assert_rejected(h: &Harness, r: SignedReading, reason: RejectReason) {
    let before_count = h.store.count_readings().unwrap();
    let before_metric = metric_line(&h.metrics().await, reason);
    let (status, body) = h.post(std::slice::from_ref(&r)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        statuses(&body),
        vec![("rejected".to_string(), Some(reason.as_str().to_string()))],
        "{reason:?}"
    );
    assert_eq!(body["rejected"], 1);
    assert_eq!(body["accepted"], 0);
    assert_eq!(
        h.store.count_readings().unwrap(),
        before_count,
        "{reason:?}"
    );
    let stored = h
        .store
        .get_reading(&r.reading.device_pubkey, r.reading.sequence)
        .unwrap();
    assert_eq!(stored, None, "{reason:?}");
    assert_eq!(
        metric_line(&h.metrics().await, reason),
        before_metric + 1,
        "{reason:?}"
    );
}

/// Posts one reading in conflict with a stored one: answered rejected with `reason` and
/// `"evidence": true`, and stored (the count goes up by one, once: a resend stores nothing).
async fn assert_evidence(h: &Harness, r: SignedReading, reason: RejectReason) {
    let before_count = h.store.count_readings().unwrap();
    let before_metric = metric_line(&h.metrics().await, reason);
    for _ in 0..2 {
        let (status, body) = h.post(std::slice::from_ref(&r)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            statuses(&body),
            vec![("rejected".to_string(), Some(reason.as_str().to_string()))],
            "{reason:?}"
        );
        assert_eq!(body["results"][0]["evidence"], true, "{body}");
        assert_eq!(
            (body["rejected"].as_u64(), body["evidence"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(h.store.count_readings().unwrap(), before_count + 1);
        assert_eq!(h.store.reading_count(), before_count + 1);
    }
    assert_eq!(
        metric_line(&h.metrics().await, reason),
        before_metric + 2,
        "{reason:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepts_stores_and_resend_is_idempotent() {
    let h = Harness::start(4).await;
    let d0 = h.fleet.devices[0].clone();
    let d1 = h.fleet.devices[1].clone();
    let batch = vec![
        signed(&d0, 1, window(5), 300),
        signed(&d0, 2, window(4), 400),
        signed(&d1, 1, window(5), 100),
    ];
    let (status, body) = h.post(&batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 3);
    assert_eq!(statuses(&body), vec![("accepted".to_string(), None); 3]);
    for r in &batch {
        assert_eq!(
            h.store
                .get_reading(&r.reading.device_pubkey, r.reading.sequence)
                .unwrap()
                .as_ref(),
            Some(r)
        );
    }
    assert_eq!(h.store.count_readings().unwrap(), 3);

    // Identical resend: success, nothing new stored.
    let (status, body) = h.post(&batch).await;
    assert_eq!(status, 200);
    assert_eq!(body["accepted"], 0);
    assert_eq!(body["duplicates"], 3);
    assert_eq!(statuses(&body), vec![("duplicate".to_string(), None); 3]);
    assert_eq!(h.store.count_readings().unwrap(), 3);
    assert_eq!(h.ingest.metrics.accepted_count(), 3);

    // Device stats through the read API.
    let stats: Value = h
        .get_json(&format!("/v1/devices/{}", hex::encode(d0.pubkey())))
        .await;
    assert_eq!(stats["stats"]["readings"], 2);
    assert_eq!(stats["stats"]["last_sequence"], 2);
    assert_eq!(stats["stats"]["discharged_wh"], 700);
    assert_eq!(stats["owner"], json!(d0.owner));
    let health: Value = h.get_json("/health").await;
    assert_eq!(
        health,
        json!({"status": "ok", "chain": "offline", "devices": 4, "readings": 3})
    );

    // Round read API: local progress (none yet) and round bounds; chain-backed routes say
    // the chain is unavailable in offline mode.
    let (status, v) = h.get("/v1/rounds/0").await;
    assert_eq!(status, 200);
    let clock = h.ingest.policy.rounds;
    assert_eq!(v["start"], clock.genesis);
    assert_eq!(v["end"], clock.genesis + clock.duration);
    assert_eq!(v["progress"], Value::Null);
    assert_eq!(v["on_chain"], Value::Null);
    let (status, v) = h.get("/v1/rounds/0/leaderboard").await;
    assert_eq!(status, 503);
    assert_eq!(v["error"], "chain_unavailable");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_reason_nothing_stored() {
    let h = Harness::start(4).await;
    let d = h.fleet.devices[0].clone();
    let rated_v = h.ingest.policy.rated_power.of(d.model);

    // malformed: signature of the wrong length (valid JSON).
    {
        let before = metric_line(&h.metrics().await, RejectReason::Malformed);
        let mut j = relayer::telemetry::ReadingJson::from(&signed(&d, 1, window(3), 1));
        j.signature.truncate(10);
        let (status, body) = h
            .post_raw(serde_json::to_vec(&json!({ "readings": [j] })).unwrap())
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            statuses(&body),
            vec![("rejected".into(), Some("malformed".into()))]
        );
        assert_eq!(h.store.count_readings().unwrap(), 0);
        assert_eq!(
            metric_line(&h.metrics().await, RejectReason::Malformed),
            before + 1
        );
    }

    // bad_signature: one flipped bit.
    let mut bad = signed(&d, 1, window(3), 10);
    bad.signature[10] ^= 0x01;
    assert_rejected(&h, bad, RejectReason::BadSignature).await;
    // bad_signature: signed for another chain.
    let other = relayer::telemetry::Domain::new("other-chain", common::CONTRACT)
        .sign(&d.key, reading(&d, 1, window(3), 10));
    assert_rejected(&h, other, RejectReason::BadSignature).await;

    // unknown_device: a real key that is not registered.
    let stranger = SigningKey::from_bytes(&[99; 32]);
    let mut r = reading(&d, 1, window(3), 10);
    r.device_pubkey = stranger.verifying_key().to_bytes();
    assert_rejected(&h, domain().sign(&stranger, r), RejectReason::UnknownDevice).await;

    let (s, _) = window(3);
    let now = now_unix();
    for (r, reason) in [
        // bad_window: end <= start, and longer than an hour.
        (signed(&d, 1, (s, s), 0), RejectReason::BadWindow),
        (signed(&d, 1, (s, s + 3601), 0), RejectReason::BadWindow),
        // future_window: ends two hours from now.
        (
            signed(&d, 1, (now + 3600, now + 7200), 1),
            RejectReason::FutureWindow,
        ),
        // stale_window: three days ago, before the open round (see common::policy).
        (signed(&d, 1, window(72), 1), RejectReason::StaleWindow),
        // implausible_energy: one Wh more than rated power allows in one hour.
        (
            signed(&d, 1, window(3), rated_v + 1),
            RejectReason::ImplausibleEnergy,
        ),
        // out_of_range: a sequence that SQLite's signed integers cannot hold.
        (signed(&d, u64::MAX, window(3), 1), RejectReason::OutOfRange),
    ] {
        assert_rejected(&h, r, reason).await;
    }

    // Establish the device's tip: sequence 5, window(3); exactly at rated power is fine.
    let tip = signed(&d, 5, window(3), rated_v);
    let (status, body) = h.post(std::slice::from_ref(&tip)).await;
    assert_eq!(status, 200);
    assert_eq!(statuses(&body), vec![("accepted".into(), None)]);

    // sequence_conflict: sequence 5 again with different content — kept as evidence.
    assert_evidence(
        &h,
        signed(&d, 5, window(3), rated_v - 1),
        RejectReason::SequenceConflict,
    )
    .await;
    assert_eq!(
        h.store.get_reading(&d.pubkey(), 5).unwrap(),
        Some(tip.clone())
    );
    // overlap: next sequence, window starting half an hour into the previous one.
    let (ts, _) = window(3);
    assert_evidence(
        &h,
        signed(&d, 6, (ts + 1800, ts + 3600), 1),
        RejectReason::Overlap,
    )
    .await;
    // sequence_order: an unused lower sequence with a later window.
    assert_evidence(&h, signed(&d, 4, window(1), 1), RejectReason::SequenceOrder).await;
    assert_eq!(h.store.count_readings().unwrap(), 4);
    // The union rule excludes every reading of `d` involved in a conflict: all four.
    let clock = h.ingest.policy.rounds;
    let (from, to) = clock.bounds(0).unwrap();
    let mut counted = Vec::new();
    h.store
        .scan_readings(from, to, &mut |r| counted.push(r.sequence))
        .unwrap();
    assert_eq!(counted, Vec::<u64>::new());
    // Evidence over HTTP: all four with their strongest conflict, canonical order.
    let ev: Value = h.get_json("/v1/evidence?round=0").await;
    let kinds: Vec<(u64, String)> = ev["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["reading"]["sequence"].as_u64().unwrap(),
                e["conflict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (4, "sequence_order".to_string()),
            (5, "sequence_conflict".to_string()),
            (5, "sequence_conflict".to_string()),
            (6, "overlap".to_string()),
        ]
    );
    assert_eq!(ev["count"], 4);

    // Another device: arrival order does not matter and adjacent windows are fine.
    let e = h.fleet.devices[1].clone();
    for (seq, w) in [(2, 2), (1, 3)] {
        let ok = signed(&e, seq, window(w), 1);
        let (_, body) = h.post(std::slice::from_ref(&ok)).await;
        assert_eq!(statuses(&body), vec![("accepted".into(), None)]);
    }
    assert_eq!(h.store.count_readings().unwrap(), 6);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_batch_reports_per_item_in_order() {
    let h = Harness::start(2).await;
    let d = h.fleet.devices[0].clone();
    let mut bad = signed(&d, 2, window(4), 5);
    bad.signature[0] ^= 0x80;
    let batch = vec![
        signed(&d, 1, window(5), 5),
        bad,
        signed(&d, 3, window(3), 5),
        // Same batch: overlaps item 2 (processed in order inside one transaction).
        signed(&d, 4, window(3), 5),
        // Identical to item 0 within the same request.
        signed(&d, 1, window(5), 5),
    ];
    let (status, body) = h.post(&batch).await;
    assert_eq!(status, 200);
    assert_eq!(
        statuses(&body),
        vec![
            ("accepted".into(), None),
            ("rejected".into(), Some("bad_signature".into())),
            ("accepted".into(), None),
            ("rejected".into(), Some("overlap".into())),
            ("duplicate".into(), None),
        ]
    );
    assert_eq!(body["results"][3]["evidence"], true);
    assert_eq!(body["results"][1].get("evidence"), None);
    assert_eq!(
        (
            body["accepted"].as_u64(),
            body["duplicates"].as_u64(),
            body["rejected"].as_u64(),
            body["evidence"].as_u64()
        ),
        (Some(2), Some(1), Some(2), Some(1))
    );
    assert_eq!(h.store.count_readings().unwrap(), 3);
    assert_eq!(h.store.get_reading(&d.pubkey(), 2).unwrap(), None);
    assert_eq!(
        h.store.get_reading(&d.pubkey(), 4).unwrap(),
        Some(batch[3].clone())
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_oversized_bodies() {
    let h = Harness::start(2).await;
    let d = h.fleet.devices[0].clone();

    let (status, body) = h.post_raw(b"{\"readings\": [".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_json");
    let (status, body) = h.post_raw(b"{\"readingz\": []}".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_json");
    let (status, body) = h
        .post_raw(b"{\"readings\": [{\"sequence\": \"one\"}]}".to_vec())
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_json");

    // Body above the limit: 413 before parsing.
    let mut big = b"{\"readings\": [], \"pad\": \"".to_vec();
    big.resize(common::MAX_BODY + 10, b'x');
    let (status, _) = h.post_raw(big).await;
    assert_eq!(status, 413);

    // Too many items (each small enough to fit in the body limit).
    let mut dev = d.clone();
    dev.next_sequence = 1;
    let base = window(3).0;
    let many: Vec<SignedReading> = (0..(MAX_ITEMS as u64 + 1))
        .map(|i| signed(&dev, i + 1, (base + i, base + i + 1), 0))
        .collect();
    let body = json!({"readings": many.iter().map(relayer::telemetry::ReadingJson::from).collect::<Vec<_>>()});
    let bytes = serde_json::to_vec(&body).unwrap();
    assert!(bytes.len() < common::MAX_BODY, "{}", bytes.len());
    let (status, body) = h.post_raw(bytes).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "too_many_readings");
    assert_eq!(h.store.count_readings().unwrap(), 0);
    let m = h.metrics().await;
    assert!(
        m.contains("relayer_ingest_requests_total{status=\"400\"} 3\n"),
        "{m}"
    );
    assert!(
        m.contains("relayer_ingest_requests_total{status=\"413\"} 2\n"),
        "{m}"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_returns_429_and_stores_nothing_of_refused_requests() {
    let h = Harness::start_with(8, |c| c.queue_capacity = 1).await;
    // Block the writer: another connection holds the write lock.
    let blocker = rusqlite::Connection::open(h._dir.path().join("relayer.sqlite")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();

    let mut tasks = Vec::new();
    for (i, dev) in h.fleet.devices.clone().into_iter().enumerate() {
        let r = signed(&dev, 1, window(2), 10);
        let client = h.client.clone();
        let url = format!("{}/v1/readings", h.url);
        tasks.push(tokio::spawn(async move {
            // Stagger so the writer has picked up the first request.
            tokio::time::sleep(std::time::Duration::from_millis(50 * i as u64)).await;
            let resp = client
                .post(url)
                .json(&json!({"readings": [relayer::telemetry::ReadingJson::from(&r)]}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let retry = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (r, status, retry)
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    blocker.execute_batch("COMMIT").unwrap();
    let mut busy = 0;
    for t in tasks {
        let (r, status, retry) = t.await.unwrap();
        let stored = h
            .store
            .get_reading(&r.reading.device_pubkey, r.reading.sequence)
            .unwrap();
        match status {
            200 => assert_eq!(stored, Some(r)),
            429 => {
                busy += 1;
                assert_eq!(retry.as_deref(), Some("1"));
                assert_eq!(stored, None);
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(busy >= 1, "no request was refused with 429");
    assert!(h.metrics().await.contains(&format!(
        "relayer_ingest_requests_total{{status=\"429\"}} {busy}\n"
    )));
    h.stop().await;
}
