//! The round worker against a real SQLite store: aggregation reads only the inputs
//! pinned for the round (registry as of the round, the round's rated power, batch size, policy
//! and clock), and the result is the same whatever the arrival order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use std::collections::{HashMap, HashSet};

use cube_scoring::{DeviceModel, RatedPower, ScorePolicy};
use ed25519_dalek::SigningKey;
use relayer::directory::DeviceInfo;
use relayer::round_worker::{compute_plan, first_differing_owner, PinnedInputs, RoundRules};
use relayer::store::{InsertOutcome, ReadingStore, SqliteConfig, SqliteStore};
use relayer::telemetry::SignedReading;

const GENESIS: u64 = 1_800_000_000;
const ROUND: u64 = 600;

fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i; 32])
}

fn reading(k: &SigningKey, start: u64, len: u64, wh: u64) -> SignedReading {
    common::signed_by_key(k, start, (start, start + len), wh)
}

fn inputs(
    round: u64,
    owners: &[(&SigningKey, &str)],
    rated: RatedPower,
    batch: u32,
) -> PinnedInputs {
    let devices: HashMap<[u8; 32], DeviceInfo> = owners
        .iter()
        .map(|(k, o)| {
            (
                k.verifying_key().to_bytes(),
                DeviceInfo {
                    owner: o.to_string(),
                    model: DeviceModel::CubeV1,
                    timezone: chrono_tz::UTC,
                },
            )
        })
        .collect();
    PinnedInputs {
        rules: RoundRules {
            round,
            start: GENESIS + round * ROUND,
            end: GENESIS + (round + 1) * ROUND,
            attestation_deadline: GENESIS + (round + 2) * ROUND,
            genesis_time: GENESIS,
            round_duration: ROUND,
            policy_version: 1,
            rated_power: rated,
            max_entries_per_batch: batch,
            round_reward: cosmwasm_std::Uint128::new(1_000),
            attestation_window: ROUND,
            claim_window: ROUND,
        },
        policy: ScorePolicy::default(),
        whitelist: HashSet::new(),
        devices,
    }
}

async fn store_with(path: &std::path::Path, readings: Vec<SignedReading>) -> SqliteStore {
    let store = SqliteStore::open(SqliteConfig::new(path)).unwrap();
    for r in readings {
        let out = store.submit(vec![r]).unwrap().await.unwrap().unwrap();
        assert_eq!(out, vec![InsertOutcome::Accepted]);
    }
    store
}

/// Pinned inputs: the owner of a sold device, the rated power and the batch size all come from
/// the round's pinned view; a reading counts for the round by its window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_inputs_decide_owner_power_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (key(1), key(2));
    // Round 0: [G, G+600). Device a: 3 windows of 60 s with 10 Wh; the last one straddles the
    // round end (30 s in round 0, 30 s in round 1) with 8 Wh. Device b: one 60 s window with
    // 30 Wh.
    let store = store_with(
        &dir.path().join("s.sqlite"),
        vec![
            reading(&a, GENESIS + 60, 60, 10),
            reading(&a, GENESIS + 120, 60, 10),
            reading(&a, GENESIS + 570, 60, 8),
            reading(&b, GENESIS + 300, 60, 30),
        ],
    )
    .await;
    // As of round 0 device a belongs to alice; it was sold to bob during round 0, so as of
    // round 1 it is bob's.
    let r0 = inputs(
        0,
        &[(&a, "wasm1alice"), (&b, "wasm1carol")],
        RatedPower::default(),
        1,
    );
    let r1 = inputs(
        1,
        &[(&a, "wasm1bob"), (&b, "wasm1carol")],
        RatedPower::default(),
        1,
    );
    let p0 = compute_plan(&store, &r0, 0).unwrap();
    let p1 = compute_plan(&store, &r1, 0).unwrap();
    let owners = |p: &relayer::round_worker::ComputedPlan| -> Vec<(String, u128)> {
        p.plan
            .batches
            .iter()
            .flat_map(|b| b.entries.iter())
            .map(|e| (e.owner.clone(), e.buckets.total_wh()))
            .collect()
    };
    // 10 + 10 + 4 (the straddling 8 Wh split 4/4) for alice in round 0.
    assert_eq!(
        owners(&p0),
        vec![
            ("wasm1alice".to_string(), 24),
            ("wasm1carol".to_string(), 30)
        ]
    );
    assert_eq!(
        p0.plan.batches.len(),
        2,
        "batch size 1 as pinned for round 0"
    );
    assert_eq!(owners(&p1), vec![("wasm1bob".to_string(), 4)]);
    // The round's rated power, not a local setting: at 500 W a 60 s window allows 8 Wh, so
    // the 10 Wh and 30 Wh readings are implausible for that round.
    let low = inputs(
        0,
        &[(&a, "wasm1alice"), (&b, "wasm1carol")],
        RatedPower {
            cube_v1_w: 500,
            cube_v2_w: 500,
        },
        10,
    );
    let pl = compute_plan(&store, &low, 0).unwrap();
    assert_eq!(pl.implausible, 3);
    assert_eq!(owners(&pl), vec![("wasm1alice".to_string(), 4)]);
    assert_eq!(pl.plan.batches.len(), 1);
    // Different pinned inputs give a different inputs digest; the same give the same.
    assert_ne!(p0.inputs_digest, pl.inputs_digest);
    assert_eq!(compute_plan(&store, &r0, 0).unwrap(), p0);
    assert_eq!(
        first_differing_owner(&p0.plan, &pl.plan).as_deref(),
        Some("wasm1alice")
    );
}

/// Delivery order (round side): two relayers holding the same union, received in different orders
/// and batches, compute byte-identical plans and the same inputs digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_union_same_plan_whatever_the_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<SigningKey> = (1..=6).map(key).collect();
    let mut all = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        for w in 0..5u64 {
            all.push(reading(k, GENESIS + 100 * w + 10, 60, 3 + w + i as u64));
        }
    }
    // Relayer A gets them device by device; relayer B device-interleaved in one request each.
    let a = store_with(&dir.path().join("a.sqlite"), all.clone()).await;
    let b = SqliteStore::open(SqliteConfig::new(dir.path().join("b.sqlite"))).unwrap();
    for w in 0..5usize {
        let batch: Vec<SignedReading> = (0..keys.len())
            .rev()
            .map(|i| all[i * 5 + w].clone())
            .collect();
        let out = b.submit(batch).unwrap().await.unwrap().unwrap();
        assert!(out.iter().all(|o| *o == InsertOutcome::Accepted));
    }
    let owners: Vec<(&SigningKey, &str)> = keys
        .iter()
        .zip(["o1", "o2", "o3", "o4", "o5", "o6"])
        .collect();
    let pin = inputs(0, &owners, RatedPower::default(), 4);
    let pa = compute_plan(&a, &pin, 0).unwrap();
    let pb = compute_plan(&b, &pin, 0).unwrap();
    assert_eq!(pa, pb);
    assert_eq!(pa.plan.batches.len(), 2);
    assert_eq!(pa.stats.readings, 30);
}
