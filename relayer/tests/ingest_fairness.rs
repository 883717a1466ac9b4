//! Ingest fairness over real HTTP: windows straddling a round boundary are accepted
//! while every round they touch is open; quotas per device and per client, the bounded cost
//! of invalid signatures, de-duplication inside a request, and a health endpoint that reads
//! counters only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use common::{signed, Harness};
use cube_scoring::RatedPower;
use cube_sim::SimDevice;
use relayer::ingest::{now_unix, IngestPolicy, Quota, RejectReason, RoundClock};
use relayer::store::ReadingStore;
use relayer::telemetry::SignedReading;
use serde_json::Value;

fn reasons(body: &Value) -> Vec<Option<String>> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().map(str::to_string))
        .collect()
}

/// Straddling windows: with hourly rounds whose boundaries fall at `now - 1 h`, `now - 2 h`, …, a
/// 60-minute window across the boundary one hour ago is accepted (its first round closes at
/// `now + grace`), counted in both rounds; one across the boundary two hours ago is stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn straddling_window_is_accepted_while_its_rounds_are_open() {
    let now = now_unix();
    let clock = RoundClock::new(now - 10 * 3600, 3600, 600);
    let h = Harness::start_with_policy(
        2,
        IngestPolicy::unlimited(100, 60, clock, RatedPower::default()),
    )
    .await;
    let d = h.fleet.devices[0].clone();
    let b1 = now - 3600;
    let b2 = now - 7200;
    assert_eq!(clock.bounds(8).unwrap().1, b1);
    // Its start lies in a round that ended more than `grace` ago, yet that round stays open
    // for data until its end + 1 h + grace, so the window is accepted, not stale_window.
    let ok = signed(&d, 2, (b1 - 1800, b1 + 1800), 60);
    let old = signed(&d, 1, (b2 - 1800, b2 + 1800), 60);
    let (s, body) = h.post(&[ok.clone(), old]).await;
    assert_eq!(s, 200);
    assert_eq!(
        reasons(&body),
        vec![None, Some(RejectReason::StaleWindow.as_str().to_string())]
    );
    assert_eq!(body["accepted"], 1);
    // Both rounds it touches see it (aggregation cuts it at the boundary).
    for r in [8, 9] {
        let (from, to) = clock.bounds(r).unwrap();
        let mut n = 0;
        h.store.scan_readings(from, to, &mut |_| n += 1).unwrap();
        assert_eq!(n, 1, "round {r}");
    }
    assert_eq!(clock.closes_at(8), Some(b1 + 3600 + 600));
    h.stop().await;
}

fn hourly(dev: &SimDevice, first_seq: u64, n: u64) -> Vec<SignedReading> {
    let now = now_unix();
    let base = now - now % 3600 - 40 * 3600;
    (first_seq..first_seq + n)
        .map(|s| signed(dev, s, (base + s * 60, base + s * 60 + 60), 1))
        .collect()
}

/// Fair ingest: a device resending one reading 500 times in a request costs one verification
/// and one store lookup; a device over its quota is refused per item (`device_quota`) without
/// affecting another device in the same request; garbage signatures under a public device key
/// neither spend that device's quota nor cost more than the request's signature budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flooding_device_and_garbage_signatures_do_not_starve_others() {
    let mut policy = common::policy();
    policy.device_quota = Some(Quota {
        rate: 0.001,
        burst: 10.0,
    });
    policy.max_invalid_signatures = 4;
    policy.max_batch_items = 700;
    let h = Harness::start_with_policy(4, policy).await;
    let (a, b, c) = (
        h.fleet.devices[0].clone(),
        h.fleet.devices[1].clone(),
        h.fleet.devices[2].clone(),
    );
    // 500 identical items: one stored, 499 duplicates, one quota token spent.
    let one = hourly(&a, 1, 1);
    let dupes: Vec<SignedReading> = std::iter::repeat_n(one[0].clone(), 500).collect();
    let (s, body) = h.post(&dupes).await;
    assert_eq!(s, 200);
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(499))
    );
    // 20 distinct readings of `a` (9 tokens left) next to 3 of `b`.
    let mut batch = hourly(&a, 2, 20);
    batch.extend(hourly(&b, 1, 3));
    let (_, body) = h.post(&batch).await;
    let r = reasons(&body);
    assert!(r[..9].iter().all(Option::is_none), "{body}");
    assert!(
        r[9..20]
            .iter()
            .all(|x| x.as_deref() == Some("device_quota")),
        "{body}"
    );
    assert!(r[20..].iter().all(Option::is_none), "{body}");
    assert_eq!(h.store.reading_count(), 1 + 9 + 3);
    // 600 forged readings under `c`'s public key, then one valid reading of `b`: after 4
    // invalid signatures (the budget, checked before every single verification) the rest is
    // not verified.
    let mut garbage = hourly(&c, 1, 600);
    for g in &mut garbage {
        g.signature[5] ^= 0x40;
    }
    garbage.push(hourly(&b, 4, 1)[0].clone());
    let (_, body) = h.post(&garbage).await;
    let r = reasons(&body);
    assert!(r[..4].iter().all(|x| x.as_deref() == Some("bad_signature")));
    assert!(
        r[4..]
            .iter()
            .all(|x| x.as_deref() == Some("signature_budget")),
        "{:?}",
        &r[..8]
    );
    // `c`'s quota is intact: its 10 real readings are accepted.
    let (_, body) = h.post(&hourly(&c, 1, 10)).await;
    assert_eq!(body["accepted"], 10, "{body}");
    let m = h.metrics().await;
    assert!(
        m.contains("relayer_quota_refused_total{quota=\"device\"} 11\n"),
        "{m}"
    );
    assert!(m.contains("relayer_readings_rejected_total{reason=\"signature_budget\"} 597\n"));
    // Health reads counters: devices and readings without scanning.
    let health: Value = h.get_json("/health").await;
    assert_eq!(health["readings"], 23);
    assert_eq!(h.store.count_readings().unwrap(), 23);
    h.stop().await;
}

/// Fair ingest: one client over its quota gets 429 `client_quota` with `Retry-After`; nothing of
/// the refused request is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_over_quota_gets_typed_429() {
    let mut policy = common::policy();
    policy.client_quota = Some(Quota {
        rate: 0.01,
        burst: 5.0,
    });
    let h = Harness::start_with_policy(2, policy).await;
    let d = h.fleet.devices[0].clone();
    let (s, _) = h.post(&hourly(&d, 1, 5)).await;
    assert_eq!(s, 200);
    let resp = h
        .client
        .post(format!("{}/v1/readings", h.url))
        .json(&serde_json::json!({
            "readings": [relayer::telemetry::ReadingJson::from(&hourly(&d, 6, 1)[0])]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "{retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "client_quota");
    assert_eq!(h.store.reading_count(), 5);
    assert!(h
        .metrics()
        .await
        .contains("relayer_quota_refused_total{quota=\"client\"} 1\n"));
    h.stop().await;
}
