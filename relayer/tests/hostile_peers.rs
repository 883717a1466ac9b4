//! Hostile peers and replaying clients, over real HTTP and real SQLite: pages beyond the byte
//! or item limit are refused while they stream in; pulled readings must touch the round and
//! come from devices of the round's registry, within each device's allowance; a peer that
//! never answers cannot hold up the pull of the others; a public reading replayed with
//! hex-case variants costs its device nothing, so its next genuine reading is accepted; the
//! invalid-signature budget is checked item by item.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use common::{signed, signed_by_key, window, Harness};
use cube_sim::SimDevice;
use relayer::ingest::{ImportScope, Quota};
use relayer::peers::{PeerLimits, Peers};
use relayer::store::ReadingStore;
use relayer::telemetry::{ReadingJson, SignedReading};
use serde_json::{json, Value};

/// A peer serving `page` (a function of the request's `after` cursor) for every round's
/// readings route and a digest nobody has.
async fn scripted_peer<F>(page: F) -> String
where
    F: Fn(Option<String>) -> Body + Clone + Send + Sync + 'static,
{
    use axum::extract::{Path, Query};
    let app = axum::Router::new()
        .route(
            "/v1/rounds/{round}/digest",
            axum::routing::get(|Path(round): Path<u64>| async move {
                axum::Json(json!({"round": round, "count": 1, "digest": "ff".repeat(32)}))
            }),
        )
        .route(
            "/v1/rounds/{round}/readings",
            axum::routing::get(
                move |Query(q): Query<std::collections::HashMap<String, String>>| {
                    let page = page.clone();
                    async move {
                        axum::response::Response::builder()
                            .header("content-type", "application/json")
                            .body(page(q.get("after").cloned()))
                            .unwrap()
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A one-page answer holding `readings`.
fn page_of(round: u64, readings: &[SignedReading]) -> Body {
    let items: Vec<ReadingJson> = readings.iter().map(ReadingJson::from).collect();
    Body::from(
        serde_json::to_vec(&json!({"round": round, "readings": items, "next": null})).unwrap(),
    )
}

/// Round 0 of the harness clock.
fn round0(h: &Harness) -> (u64, u64) {
    h.ingest.policy.rounds.bounds(0).unwrap()
}

/// `n` readings of `dev` with 60-second windows from `start`, sequences from 1.
fn minutes(dev: &SimDevice, start: u64, n: u64) -> Vec<SignedReading> {
    (1..=n)
        .map(|s| signed(dev, s, (start + s * 60, start + s * 60 + 60), 1))
        .collect()
}

/// A page body larger than the byte limit is cut while it streams in (the peer sends without
/// end and without a length): nothing of it is stored, the peer counts as failed, and the
/// pull ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_peer_page_is_refused_while_streaming() {
    let h = Harness::start(2).await;
    let dev = h.fleet.devices[0].clone();
    let item = serde_json::to_vec(&ReadingJson::from(&signed(&dev, 1, window(3), 5))).unwrap();
    let url = scripted_peer(move |_| {
        let head = futures_util::stream::once(async {
            Ok::<_, Infallible>(Bytes::from_static(br#"{"round":0,"readings":["#))
        });
        let mut one = item.clone();
        one.push(b',');
        let body = futures_util::stream::StreamExt::chain(
            head,
            futures_util::stream::repeat(Bytes::from(one)).map(Ok::<_, Infallible>),
        );
        Body::from_stream(body)
    })
    .await;
    let peers = Peers::new(
        vec![url],
        PeerLimits {
            max_page_bytes: 1024 * 1024,
            max_page_items: usize::MAX,
            ..PeerLimits::default()
        },
    );
    let started = Instant::now();
    let report = peers.pull_round(0, round0(&h), None, &h.ingest).await;
    assert_eq!((report.failures, report.imported), (1, 0), "{report:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(h.store.count_readings().unwrap(), 0);
    h.stop().await;
}

use futures_util::stream::StreamExt as _;

/// A page with more readings than the item limit is refused as a whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_with_too_many_items_is_refused() {
    let h = Harness::start(2).await;
    let dev = h.fleet.devices[0].clone();
    let (from, _) = round0(&h);
    let readings = minutes(&dev, from + 3600, 50);
    let url = scripted_peer(move |_| page_of(0, &readings)).await;
    let peers = Peers::new(
        vec![url],
        PeerLimits {
            max_page_items: 49,
            ..PeerLimits::default()
        },
    );
    let report = peers.pull_round(0, round0(&h), None, &h.ingest).await;
    assert_eq!((report.failures, report.imported), (1, 0), "{report:?}");
    assert_eq!(h.store.count_readings().unwrap(), 0);
    h.stop().await;
}

/// Pulled readings must touch the round pulled and come from a device of the round's
/// registry: a validly signed reading of another round, and one of a key that is not in the
/// registry, are refused and not passed on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_readings_must_touch_the_round_and_come_from_registered_devices() {
    let h = Harness::start(3).await;
    let (from, to) = round0(&h);
    let (a, b) = (h.fleet.devices[0].clone(), h.fleet.devices[1].clone());
    let inside = signed(&a, 1, (from + 600, from + 660), 1);
    // Registered, validly signed, but a week after the round.
    let outside = signed(&a, 2, (to + 7 * 86_400, to + 7 * 86_400 + 60), 1);
    // Validly signed by a key the round's registry does not hold.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let unknown = signed_by_key(&stranger, 1, (from + 600, from + 660), 1);
    // `b` is registered now but not in the round's registry.
    let later = signed(&b, 1, (from + 600, from + 660), 1);
    let served = vec![inside.clone(), outside, unknown, later];
    let url = scripted_peer(move |_| page_of(0, &served)).await;
    let registry: HashSet<[u8; 32]> = [a.pubkey()].into_iter().collect();
    let peers = Peers::new(vec![url], PeerLimits::default());
    let report = peers
        .pull_round(0, (from, to), Some(&registry), &h.ingest)
        .await;
    assert_eq!(
        (report.imported, report.rejected, report.failures),
        (1, 3, 0),
        "{report:?}"
    );
    assert_eq!(h.store.count_readings().unwrap(), 1);
    assert_eq!(
        h.store.get_reading(&a.pubkey(), 1).unwrap(),
        Some(inside.clone())
    );
    // Nothing but the round's reading is served on to the next relayer.
    let page = h.get_json("/v1/rounds/0/readings").await;
    assert_eq!(page["readings"].as_array().unwrap().len(), 1, "{page}");
    // The same through the import API, counted by cause.
    let scope = ImportScope::new((from, to), Some(&registry));
    let stranger2 = signed_by_key(&stranger, 2, (from + 900, from + 960), 1);
    let off = signed(&a, 3, (to + 3_600, to + 3_660), 1);
    // The boundaries: a window starting at the round's end touches only the next round, one
    // ending at its start only the previous one; one ending at its end is inside.
    let at_end = signed(&a, 4, (to, to + 60), 1);
    let before = signed(&a, 5, (from - 60, from), 1);
    let last_minute = signed(&a, 6, (to - 60, to), 1);
    // Far beyond the rated power over a minute.
    let implausible = signed(&a, 7, (to - 30, to - 20), 1_000_000);
    let rep = h
        .ingest
        .import_peer(
            vec![
                stranger2,
                off,
                inside.clone(),
                inside,
                at_end,
                before,
                last_minute.clone(),
                implausible,
            ],
            &scope,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            rep.received,
            rep.new,
            rep.duplicates,
            rep.unregistered,
            rep.off_round,
            rep.rejected
        ),
        (8, 1, 2, 1, 3, 5),
        "{rep:?}"
    );
    assert_eq!(
        h.store.get_reading(&a.pubkey(), 6).unwrap(),
        Some(last_minute)
    );
    assert!(h
        .metrics()
        .await
        .contains("relayer_peer_readings_imported_total 2\n"));
    h.stop().await;
}

/// A peer that accepts the connection and never answers holds up neither the pull of the
/// other peer nor the caller beyond the pull deadline; what the honest peer had is imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_peer_cannot_hold_up_the_pull() {
    let honest = Harness::start(3).await;
    let h = Harness::start(3).await;
    let dev = honest.fleet.devices[0].clone();
    let (from, to) = round0(&honest);
    let readings = minutes(&dev, from + 3600, 20);
    let (s, body) = honest.post(&readings).await;
    assert_eq!((s, body["accepted"].as_u64()), (200, Some(20)), "{body}");
    // Answers nothing for an hour.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let peers = Peers::new(
        vec![silent_url, honest.url.clone()],
        PeerLimits {
            request_timeout: Duration::from_secs(120),
            pull_deadline: Duration::from_secs(3),
            ..PeerLimits::default()
        },
    );
    let started = Instant::now();
    let report = peers.pull_round(0, (from, to), None, &h.ingest).await;
    let took = started.elapsed();
    assert_eq!(
        (
            report.peers,
            report.peers_ok,
            report.failures,
            report.imported
        ),
        (2, 1, 1, 20),
        "{report:?}"
    );
    // One deadline (3 s), not the request timeout (120 s): a wide margin for a slow machine.
    assert!(took < Duration::from_secs(60), "pull took {took:?}");
    assert_eq!(h.store.count_readings().unwrap(), 20);
    honest.stop().await;
    h.stop().await;
}

/// Device quotas apply to imports: a peer serving a flood of one device's readings gets only
/// the device's allowance for the round stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_allowance_caps_a_flooding_device() {
    let mut policy = common::policy();
    let quota = Quota {
        rate: 0.000_1,
        burst: 5.0,
    };
    policy.device_quota = Some(quota);
    let h = Harness::start_with_policy(2, policy).await;
    let dev = h.fleet.devices[0].clone();
    let (from, to) = round0(&h);
    // rate × (round + one maximal window) + burst, rounded up.
    let span = (to - from + 3_600) as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small and positive
    let allowance = (quota.rate * span + quota.burst).ceil() as u64;
    assert!(allowance < 150, "{allowance}");
    let flood = minutes(&dev, from + 3600, 300);
    let url = scripted_peer(move |_| page_of(0, &flood)).await;
    let peers = Peers::new(vec![url], PeerLimits::default());
    let report = peers.pull_round(0, (from, to), None, &h.ingest).await;
    assert_eq!(
        (report.imported, report.rejected),
        (allowance, 300 - allowance),
        "{report:?}"
    );
    assert_eq!(h.store.count_readings().unwrap(), allowance);
    h.stop().await;
}

/// Flips the case of the letters of `hex` chosen by the bits of `mask` (one bit per letter,
/// cycling).
fn case_variant(hex: &str, mask: u64) -> String {
    let mut k = 0u32;
    hex.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                let flip = (mask >> (k % 64)) & 1 == 1;
                k += 1;
                if flip {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            } else {
                c
            }
        })
        .collect()
}

/// Anyone can replay a device's public reading: 2,000 copies with hex-case variants of its
/// key and signature (different JSON, the same reading) are all answered as duplicates and
/// charged to nobody, so the device's next genuine reading is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_reading_with_hex_case_variants_does_not_silence_its_device() {
    let mut policy = common::policy();
    policy.device_quota = Some(Quota {
        rate: 0.001,
        burst: 3.0,
    });
    let h = Harness::start_with_policy(2, policy).await;
    let dev = h.fleet.devices[0].clone();
    let (start, _) = window(5);
    let genuine = signed(&dev, 1, (start, start + 60), 2);
    let (s, body) = h.post(std::slice::from_ref(&genuine)).await;
    assert_eq!((s, body["accepted"].as_u64()), (200, Some(1)), "{body}");
    let base = ReadingJson::from(&genuine);
    let mut sent = 0u64;
    for request in 0..4u64 {
        let items: Vec<Value> = (0..500u64)
            .map(|i| {
                let mask = (request * 500 + i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut j = serde_json::to_value(&base).unwrap();
                j["device_pubkey"] = json!(case_variant(&base.device_pubkey, mask));
                j["signature"] = json!(case_variant(&base.signature, mask.rotate_left(17)));
                j
            })
            .collect();
        let (s, body) = h
            .post_raw(serde_json::to_vec(&json!({ "readings": items })).unwrap())
            .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            (
                body["accepted"].as_u64(),
                body["duplicates"].as_u64(),
                body["rejected"].as_u64()
            ),
            (Some(0), Some(500), Some(0)),
            "{body}"
        );
        sent += 500;
    }
    assert_eq!(sent, 2_000);
    // The device's quota is untouched: its next genuine readings (up to the burst left, 2)
    // are accepted.
    let next = vec![
        signed(&dev, 2, (start + 60, start + 120), 2),
        signed(&dev, 3, (start + 120, start + 180), 2),
    ];
    let (s, body) = h.post(&next).await;
    assert_eq!((s, body["accepted"].as_u64()), (200, Some(2)), "{body}");
    assert_eq!(h.store.count_readings().unwrap(), 3);
    assert!(h
        .metrics()
        .await
        .contains("relayer_quota_refused_total{quota=\"device\"} 0\n"));
    h.stop().await;
}

/// The invalid-signature budget is checked before every single verification, not per chunk
/// of 512: a request of 20 forged readings with a budget of 4 costs 4 failed verifications,
/// and the rest (the valid reading after them included) is answered `signature_budget`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_signature_budget_is_checked_per_item() {
    let mut policy = common::policy();
    policy.max_invalid_signatures = 4;
    let h = Harness::start_with_policy(2, policy).await;
    let (dev, other) = (h.fleet.devices[0].clone(), h.fleet.devices[1].clone());
    let (start, _) = window(6);
    let mut batch = minutes(&dev, start, 20);
    for r in &mut batch {
        r.signature[9] ^= 0x10;
    }
    batch.push(signed(&other, 1, (start, start + 60), 1));
    let (s, body) = h.post(&batch).await;
    assert_eq!(s, 200, "{body}");
    let reasons: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or("none"))
        .collect();
    let mut expected = vec!["bad_signature"; 4];
    expected.extend(std::iter::repeat_n("signature_budget", 17));
    assert_eq!(reasons, expected);
    assert_eq!(h.store.count_readings().unwrap(), 0);
    h.stop().await;
}
