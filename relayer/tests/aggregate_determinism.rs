//! Two relayers with separate databases receive the same simulated readings over HTTP in a
//! different order and chunking; their round batches must be byte-identical and equal to an
//! independent in-memory aggregation of the raw readings.

mod common;

use std::collections::HashSet;

use common::{domain, Harness};
use cube_scoring::{RatedPower, ScorePolicy};
use relayer::aggregate::{aggregate_round, Aggregator, RoundInput};
use relayer::sim::{next_reading, SplitMix, WHITELISTED_BATTERIES};
use relayer::telemetry::SignedReading;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relayers_produce_byte_identical_batches() {
    let a = Harness::start(60).await;
    let b = Harness::start(60).await;
    let clock = a.ingest.policy.rounds;
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
    let flat: Vec<_> = plan_a
        .batches
        .iter()
        .flat_map(|b| b.entries.clone())
        .collect();
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
