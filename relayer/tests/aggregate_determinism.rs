//! Two relayers with separate databases receive the same simulated readings over HTTP in a
//! different order and chunking; their round batches must be byte-identical and equal to an
//! independent in-memory aggregation of the raw readings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use std::collections::HashSet;

use common::{domain, Harness};
use cube_scoring::{RatedPower, ScorePolicy};
use cube_sim::{next_reading, SplitMix, WHITELISTED_BATTERIES};
use relayer::aggregate::{aggregate_round, Aggregator, RoundInput};
use relayer::store::ReadingStore;
use relayer::telemetry::{ReadingJson, SignedReading};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relayers_produce_byte_identical_batches() {
    let a = Harness::start(60).await;
    let b = Harness::start(60).await;
    let clock = a.ingest.policy.rounds.clock;
    let (round_start, _) = clock.bounds(0).unwrap();
    let now = relayer::ingest::now_unix();
    let last_hour = now - now % 3600;

    // 60 devices × every hour from round start to the last full hour, minus a few gaps.
    let mut fleet = a.fleet.clone();
    let mut rng = SplitMix(11);
    let rated = RatedPower::default();
    let mut all: Vec<SignedReading> = Vec::new();
    for dev in fleet.devices.iter_mut() {
        let mut t = round_start;
        while t + 3600 <= last_hour {
            if rng.below(10) != 0 {
                all.push(next_reading(dev, &domain(), &rated, t, t + 3600, &mut rng));
            }
            t += 3600;
        }
    }
    assert!(all.len() > 2_000, "{}", all.len());

    // Relayer A: device order, batches of 400. Relayer B: interleaved per device order kept
    // (sequences must increase), batches of 137, devices in reverse.
    for chunk in all.chunks(400) {
        let (s, body) = a.post(chunk).await;
        assert_eq!(s, 200);
        assert_eq!(body["rejected"], 0, "{body}");
    }
    let mut by_dev: Vec<Vec<SignedReading>> = Vec::new();
    for r in &all {
        match by_dev.last_mut() {
            Some(v) if v[0].reading.device_pubkey == r.reading.device_pubkey => v.push(r.clone()),
            _ => by_dev.push(vec![r.clone()]),
        }
    }
    let mut interleaved = Vec::new();
    let mut idx = 0;
    loop {
        let mut any = false;
        for v in by_dev.iter().rev() {
            if let Some(r) = v.get(idx) {
                interleaved.push(r.clone());
                any = true;
            }
        }
        if !any {
            break;
        }
        idx += 1;
    }
    for chunk in interleaved.chunks(137) {
        let (s, body) = b.post(chunk).await;
        assert_eq!(s, 200);
        assert_eq!(body["rejected"], 0, "{body}");
    }

    let policy = ScorePolicy::default();
    let whitelist: HashSet<String> = WHITELISTED_BATTERIES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let devices = a.ingest.directory.snapshot();
    let input = RoundInput {
        round: 0,
        clock,
        policy: &policy,
        policy_version: 1,
        whitelist: &whitelist,
        devices: &devices,
        max_entries_per_batch: 7,
    };
    let (plan_a, stats_a) = aggregate_round(a.store.as_ref(), &input).unwrap();
    let devices_b = b.ingest.directory.snapshot();
    let input_b = RoundInput {
        devices: &devices_b,
        ..input
    };
    let (plan_b, stats_b) = aggregate_round(b.store.as_ref(), &input_b).unwrap();
    assert_eq!(stats_a.readings, all.len() as u64);
    assert_eq!(stats_a, stats_b);
    assert!(plan_a.batches.len() >= 3, "{}", plan_a.batches.len());
    for (x, y) in plan_a.batches.iter().zip(&plan_b.batches) {
        assert_eq!(x.encoded, y.encoded, "batch {}", x.index);
        assert_eq!(x.hash, y.hash);
    }
    assert_eq!(plan_a, plan_b);

    // Independent computation from the raw readings, no database involved.
    let mut agg = Aggregator::new(0, clock, &policy, &whitelist, &devices).unwrap();
    for r in &all {
        agg.add(&r.reading);
    }
    let (entries, _) = agg.finish();
    let flat = plan_entries(&plan_a);
    assert_eq!(flat, entries);
    let total: u128 = entries.iter().map(|e| e.buckets.total_wh()).sum();
    let raw: u128 = all
        .iter()
        .map(|r| u128::from(r.reading.discharged_wh))
        .sum();
    assert_eq!(
        total, raw,
        "every Wh of the round is attributed exactly once"
    );
    // Both battery classes and all three time-of-use classes occur.
    for bi in 0..2 {
        for ci in 0..3 {
            assert!(
                entries.iter().any(|e| e.buckets.wh[bi][ci] > 0),
                "cell {bi},{ci}"
            );
        }
    }
    a.stop().await;
    b.stop().await;
}

fn round_input<'a>(
    clock: cube_types::clock::RoundClock,
    policy: &'a ScorePolicy,
    whitelist: &'a HashSet<String>,
    devices: &'a std::collections::HashMap<[u8; 32], relayer::directory::DeviceInfo>,
) -> RoundInput<'a> {
    RoundInput {
        round: 0,
        clock,
        policy,
        policy_version: 1,
        whitelist,
        devices,
        max_entries_per_batch: 5,
    }
}

fn whitelist() -> HashSet<String> {
    WHITELISTED_BATTERIES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Re-signs `r` with different energy: same device, same sequence, other content.
fn equivocate(dev: &cube_sim::SimDevice, r: &SignedReading, wh: u64) -> SignedReading {
    let mut x = r.reading.clone();
    x.discharged_wh = wh;
    domain().sign(&dev.key, x)
}

/// Every entry of a plan, batches concatenated.
fn plan_entries(plan: &relayer::aggregate::RoundPlan) -> Vec<cube_scoring::UsageEntry> {
    plan.batches
        .iter()
        .flat_map(|b| b.entries.clone())
        .collect()
}

/// Two relayers over the same fleet, their round clock and the start of the current hour.
async fn two_relayers(devices: usize) -> (Harness, Harness, cube_types::clock::RoundClock, u64) {
    let a = Harness::start(devices).await;
    let b = Harness::start(devices).await;
    let clock = a.ingest.policy.rounds.clock;
    let now = relayer::ingest::now_unix();
    (a, b, clock, now - now % 3600)
}

/// Delivery order: relayer A receives every reading in device/sequence order,
/// relayer B the same readings shuffled, re-chunked and partly duplicated — including later
/// sequences before earlier ones, and both sides of an equivocation and of an overlap in
/// the opposite order. Both hold the same set (digest), aggregate to byte-identical batches,
/// and count exactly the readings that are in no conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_order_does_not_change_the_accepted_set() {
    let (a, b, clock, last_hour) = two_relayers(24).await;
    let mut fleet = a.fleet.clone();
    let mut rng = SplitMix(5);
    let rated = RatedPower::default();
    let mut all: Vec<SignedReading> = Vec::new();
    for dev in fleet.devices.iter_mut() {
        let mut t = last_hour - 30 * 3600;
        while t + 3600 <= last_hour {
            all.push(next_reading(dev, &domain(), &rated, t, t + 3600, &mut rng));
            t += 3600;
        }
    }
    // Device 1 equivocates on its 10th reading; device 2 sends an overlapping extra reading
    // with a fresh sequence.
    let d1 = fleet.devices[1].clone();
    let d2 = fleet.devices[2].clone();
    let eq_orig = all
        .iter()
        .find(|r| r.reading.device_pubkey == d1.pubkey() && r.reading.sequence == 10)
        .unwrap()
        .clone();
    let eq_twin = equivocate(&d1, &eq_orig, eq_orig.reading.discharged_wh + 1);
    let ov_orig = all
        .iter()
        .find(|r| r.reading.device_pubkey == d2.pubkey() && r.reading.sequence == 20)
        .unwrap()
        .clone();
    let mut ov = ov_orig.reading.clone();
    ov.sequence = 1_000;
    ov.window_start += 1_800;
    ov.window_end += 1_800;
    ov.discharged_wh = 1;
    let ov_twin = domain().sign(&d2.key, ov);
    all.push(eq_twin.clone());
    all.push(ov_twin.clone());

    // A: generation order (the twins last). B: shuffled, twins first, random chunks with
    // duplicates.
    let mut evidence_a = 0;
    for chunk in all.chunks(50) {
        let (s, body) = a.post(chunk).await;
        assert_eq!(s, 200);
        evidence_a += body["evidence"].as_u64().unwrap();
        assert_eq!(body["rejected"], body["evidence"], "{body}");
    }
    let mut shuffled = all.clone();
    let mut rng = SplitMix(99);
    for i in (1..shuffled.len()).rev() {
        let j = rng.index_below(i + 1);
        shuffled.swap(i, j);
    }
    let (twins, rest): (Vec<_>, Vec<_>) = shuffled
        .into_iter()
        .partition(|r| *r == eq_twin || *r == ov_twin);
    let shuffled: Vec<SignedReading> = twins.into_iter().chain(rest).collect();
    let mut evidence_b = 0;
    let mut i = 0;
    while i < shuffled.len() {
        let n = 1 + rng.index_below(60);
        let mut chunk: Vec<SignedReading> = shuffled[i..(i + n).min(shuffled.len())].to_vec();
        if rng.below(3) == 0 {
            chunk.push(chunk[0].clone());
        }
        let (s, body) = b.post(&chunk).await;
        assert_eq!(s, 200);
        evidence_b += body["evidence"].as_u64().unwrap();
        assert_eq!(body["rejected"], body["evidence"], "{body}");
        i += n;
    }
    // Which readings are answered as evidence depends on the order (A: just the two twins; B
    // got the twins first, so the originals and, for device 2, every later reading whose
    // sequence is below the twin's were answered as evidence) — but both store everything.
    assert_eq!(evidence_a, 2);
    assert!(evidence_b >= 2, "{evidence_b}");
    let (from, to) = clock.bounds(0).unwrap();
    let set_a = a.store.round_readings(from, to).unwrap();
    let set_b = b.store.round_readings(from, to).unwrap();
    assert_eq!(set_a.readings.len(), all.len());
    assert_eq!(set_a.digest, set_b.digest);
    assert_eq!(set_a.readings, set_b.readings);

    let policy = ScorePolicy::default();
    let wl = whitelist();
    let devices = a.ingest.directory.snapshot();
    let input = round_input(clock, &policy, &wl, &devices);
    let (plan_a, stats_a) = aggregate_round(a.store.as_ref(), &input).unwrap();
    let (plan_b, stats_b) = aggregate_round(b.store.as_ref(), &input).unwrap();
    assert_eq!(stats_a, stats_b);
    assert!(plan_a.batches.len() >= 3);
    for (x, y) in plan_a.batches.iter().zip(&plan_b.batches) {
        assert_eq!(x.encoded, y.encoded, "batch {}", x.index);
    }
    assert_eq!(plan_a, plan_b);
    // Reference, brute force over all pairs: a reading counts iff it conflicts with no other.
    let counts = |x: &SignedReading| {
        all.iter()
            .all(|y| relayer::store::union::conflict_between(&x.reading, &y.reading).is_none())
    };
    let mut agg = Aggregator::new(0, clock, &policy, &wl, &devices).unwrap();
    let mut excluded = Vec::new();
    for r in &all {
        if counts(r) {
            agg.add(&r.reading);
        } else {
            excluded.push((r.reading.device_pubkey, r.reading.sequence));
        }
    }
    // Device 1: both sequence-10 readings. Device 2: sequences 20 (overlap) and 21–30 (below
    // the twin's 1000 with later windows) and the twin itself.
    let mut expected: Vec<([u8; 32], u64)> = vec![(d1.pubkey(), 10), (d1.pubkey(), 10)];
    expected.extend((20..=30).map(|s| (d2.pubkey(), s)));
    expected.push((d2.pubkey(), 1_000));
    excluded.sort();
    expected.sort();
    assert_eq!(excluded, expected);
    let (entries, ref_stats) = agg.finish();
    assert_eq!(stats_a.readings, ref_stats.readings);
    let flat = plan_entries(&plan_a);
    assert_eq!(flat, entries);
    a.stop().await;
    b.stop().await;
}

async fn pull_all(from: &Harness, round: u64, limit: usize) -> Vec<SignedReading> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/rounds/{round}/readings?limit={limit}");
        if let Some(c) = &after {
            path.push_str(&format!("&after={c}"));
        }
        let page = from.get_json(&path).await;
        for j in page["readings"].as_array().unwrap() {
            let rj: ReadingJson = serde_json::from_value(j.clone()).unwrap();
            out.push(SignedReading::try_from(&rj).unwrap());
        }
        match page["next"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    out
}

async fn digest(h: &Harness, round: u64) -> serde_json::Value {
    h.get_json(&format!("/v1/rounds/{round}/digest")).await
}

/// Equivocation: a device signs two different readings with one sequence and
/// sends one to each relayer; both accept theirs and their batches differ. After the peer
/// exchange (served pages → `import_peer`) both hold the union, the digests match, the
/// device's conflicting readings count nowhere, both are listed as evidence, and every other
/// owner's entry is unchanged — the batches are byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equivocating_device_is_excluded_on_every_relayer_and_kept_as_evidence() {
    let (a, b, clock, last_hour) = two_relayers(12).await;
    let mut fleet = a.fleet.clone();
    let mut rng = SplitMix(8);
    let rated = RatedPower::default();
    let mut common_readings = Vec::new();
    // Device 3 sends only the equivocating pair.
    for dev in fleet
        .devices
        .iter_mut()
        .filter(|d| d.pubkey() != a.fleet.devices[3].pubkey())
    {
        for h in 0..6 {
            let t = last_hour - (6 - h) * 3600;
            common_readings.push(next_reading(dev, &domain(), &rated, t, t + 3600, &mut rng));
        }
    }
    let e = fleet.devices[3].clone();
    let mut x = e.clone();
    let to_a = next_reading(
        &mut x,
        &domain(),
        &rated,
        last_hour - 10 * 3600,
        last_hour - 9 * 3600,
        &mut rng,
    );
    let mut to_b = to_a.clone();
    to_b.reading.discharged_wh = to_a.reading.discharged_wh / 2 + 1;
    let to_b = domain().sign(&e.key, to_b.reading);
    assert_eq!(to_a.reading.sequence, to_b.reading.sequence);
    for (h, extra) in [(&a, &to_a), (&b, &to_b)] {
        let mut batch = common_readings.clone();
        batch.push(extra.clone());
        for chunk in batch.chunks(40) {
            let (s, body) = h.post(chunk).await;
            assert_eq!(s, 200);
            assert_eq!(body["rejected"], 0, "each relayer accepts its copy: {body}");
        }
    }
    let policy = ScorePolicy::default();
    let wl = whitelist();
    let devices = a.ingest.directory.snapshot();
    let input = round_input(clock, &policy, &wl, &devices);
    let (before_a, _) = aggregate_round(a.store.as_ref(), &input).unwrap();
    let (before_b, _) = aggregate_round(b.store.as_ref(), &input).unwrap();
    assert_ne!(
        before_a, before_b,
        "without the exchange the relayers diverge"
    );
    assert_ne!(digest(&a, 0).await["digest"], digest(&b, 0).await["digest"]);

    // Peer exchange over HTTP, small pages.
    let scope = relayer::ingest::ImportScope::new(clock.bounds(0).unwrap(), None);
    let from_b = pull_all(&b, 0, 7).await;
    let from_a = pull_all(&a, 0, 7).await;
    assert_eq!(from_a.len(), common_readings.len() + 1);
    let rep_a = a.ingest.import_peer(from_b, &scope).await.unwrap();
    let rep_b = b.ingest.import_peer(from_a, &scope).await.unwrap();
    assert_eq!((rep_a.new, rep_a.evidence, rep_a.rejected), (0, 1, 0));
    assert_eq!(rep_a.duplicates, common_readings.len());
    assert_eq!((rep_b.new, rep_b.evidence, rep_b.rejected), (0, 1, 0));
    // Importing again is a no-op.
    let again = a
        .ingest
        .import_peer(pull_all(&b, 0, 1000).await, &scope)
        .await
        .unwrap();
    assert_eq!((again.new, again.evidence), (0, 1));
    assert_eq!(a.store.reading_count(), common_readings.len() as u64 + 2);

    let (da, db) = (digest(&a, 0).await, digest(&b, 0).await);
    assert_eq!(da, db);
    assert_eq!(da["count"], common_readings.len() + 2);
    let (plan_a, _) = aggregate_round(a.store.as_ref(), &input).unwrap();
    let (plan_b, _) = aggregate_round(b.store.as_ref(), &input).unwrap();
    for (x, y) in plan_a.batches.iter().zip(&plan_b.batches) {
        assert_eq!(x.encoded, y.encoded, "batch {}", x.index);
    }
    assert_eq!(plan_a, plan_b);
    // Reference without either copy: the equivocation only removes the device's own reading.
    let mut agg = Aggregator::new(0, clock, &policy, &wl, &devices).unwrap();
    for r in &common_readings {
        agg.add(&r.reading);
    }
    let flat = plan_entries(&plan_a);
    assert_eq!(flat, agg.finish().0);
    // Evidence on both relayers: the two copies, sequence_conflict.
    for h in [&a, &b] {
        let ev: serde_json::Value = h.get_json("/v1/evidence?round=0").await;
        let items = ev["evidence"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{ev}");
        for it in items {
            assert_eq!(it["conflict"], "sequence_conflict");
            assert_eq!(it["reading"]["device_pubkey"], hex::encode(e.pubkey()));
        }
    }
    // A garbage reading from a peer is verified before anything is stored.
    let mut forged = to_a.clone();
    forged.reading.sequence += 1_000;
    let rep = a.ingest.import_peer(vec![forged], &scope).await.unwrap();
    assert_eq!((rep.new, rep.rejected), (0, 1));
    // A validly signed reading of a device missing from A's current directory (e.g.
    // deregistered since its round) is imported: the round's pinned registry decides.
    let gone = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let r = relayer::telemetry::Reading {
        device_pubkey: gone.verifying_key().to_bytes(),
        sequence: 1,
        window_start: last_hour - 3600,
        window_end: last_hour,
        discharged_wh: 10,
        charged_wh: 0,
        battery_id: "B".into(),
        firmware: "f".into(),
    };
    let rep = a
        .ingest
        .import_peer(vec![domain().sign(&gone, r)], &scope)
        .await
        .unwrap();
    assert_eq!((rep.new, rep.rejected), (1, 0));
    a.stop().await;
    b.stop().await;
}
