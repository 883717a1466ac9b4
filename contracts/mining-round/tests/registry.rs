//! Registry as of a round: registrations, moves, deregistrations, time-zone changes, whitelist
//! and rated-power changes made while a round is attested never change what it scores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Addr, Binary, Uint128};
use cube_scoring::{batch_hash, BatteryClass, RatedPower, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use mining_round::ContractError;

fn wh(battery: BatteryClass, tou: TouClass, wh: u64) -> UsageBuckets {
    UsageBuckets::single(battery, tou, wh)
}

/// Alice holds V1 + V2, Bob holds V1, all registered before genesis (round 0 on).
fn setup() -> (Suite, Addr, Addr, Vec<Device>, Vec<Device>) {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let a = s.give_devices(&alice, &[DeviceModel::CubeV1, DeviceModel::CubeV2]);
    let b = s.give_devices(&bob, &[DeviceModel::CubeV1]);
    (s, alice, bob, a, b)
}

fn seed_batch(alice: &Addr, bob: &Addr) -> Vec<UsageEntry> {
    entries(vec![
        (
            alice.clone(),
            wh(BatteryClass::Whitelisted, TouClass::Peak, 1_000),
        ),
        (
            bob.clone(),
            wh(BatteryClass::Standard, TouClass::Valley, 1_000),
        ),
    ])
}

fn owner_as_of(s: &Suite, round: u64, owner: &Addr) -> OwnerView {
    s.query(&QueryMsg::OwnerAsOf {
        round,
        owner: owner.to_string(),
    })
}

fn deregister(s: &mut Suite, owner: &Addr, d: &Device) {
    s.exec(
        owner,
        &ExecuteMsg::DeregisterDevice {
            pubkey: Binary::from(d.pubkey().to_vec()),
        },
    )
    .unwrap();
}

/// The example scores of round 0: alice 2106 points (M3 1.3), bob 500.
fn assert_seed_scores(s: &Suite, alice: &Addr, bob: &Addr) {
    let r = s.round(0);
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    let a = s.score(0, alice);
    assert_eq!(
        (a.score, a.dual_product),
        (Uint128::new(2_106_000_000), true)
    );
    let b = s.score(0, bob);
    assert_eq!(
        (b.score, b.dual_product),
        (Uint128::new(500_000_000), false)
    );
}

#[test]
fn owner_deregisters_after_first_submission_and_round_still_finalizes() {
    let (mut s, alice, bob, a, b) = setup();
    s.set_after_round_end(0, 0);
    let batch = seed_batch(&alice, &bob);
    let hash = batch_hash(0, 0, 1, 1, &batch).unwrap();
    s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    // Both owners drop devices during round 1, after the first submission.
    deregister(&mut s, &alice, &a[1]);
    deregister(&mut s, &bob, &b[0]);
    // The second vote is accepted: round 0 is scored with round 0's registry.
    s.vote(1, 0, 0, 1, 1, hash).unwrap();
    assert_seed_scores(&s, &alice, &bob);
    // Round 0 and 1 keep the view; the deregistrations apply from round 2.
    for round in [0, 1] {
        let v = owner_as_of(&s, round, &alice);
        assert_eq!((v.cube_v1, v.cube_v2, v.dual_product), (1, 1, true));
        assert_eq!(owner_as_of(&s, round, &bob).cube_v1, 1);
    }
    let v = owner_as_of(&s, 2, &alice);
    assert_eq!((v.cube_v1, v.cube_v2, v.dual_product), (1, 0, false));
    let v = owner_as_of(&s, 2, &bob);
    assert_eq!((v.cube_v1, v.plausibility_cap_wh), (0, 0));
    // The latest registry already shows the change.
    assert_eq!(s.owner_devices(&bob).cube_v1, 0);
    let all: DevicesAsOfResponse = s.query(&QueryMsg::DevicesAsOf {
        round: 0,
        start_after: None,
        limit: None,
    });
    assert_eq!(all.devices.len(), 3);
    let later: DevicesAsOfResponse = s.query(&QueryMsg::DevicesAsOf {
        round: 2,
        start_after: None,
        limit: None,
    });
    assert_eq!(later.devices.len(), 1);
    assert_eq!(later.devices[0].owner, alice.to_string());
    assert_eq!(later.devices[0].model, DeviceModel::CubeV1);
}

#[test]
fn owner_moves_a_device_after_first_submission_and_round_still_finalizes() {
    let (mut s, alice, bob, a, _b) = setup();
    let carol = s.addr("carol");
    s.set_after_round_end(0, 0);
    let batch = seed_batch(&alice, &bob);
    let hash = batch_hash(0, 0, 1, 1, &batch).unwrap();
    s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    // Alice sells her CubeV2 to Carol during round 1.
    let res = s.register(&carol, &a[1]).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|at| at.key == "effective_from_round" && at.value == "2")));
    s.vote(1, 0, 0, 1, 1, hash).unwrap();
    // Round 0 readings of the device belong to Alice (M3 kept), Carol earns from round 2.
    assert_seed_scores(&s, &alice, &bob);
    assert!(owner_as_of(&s, 1, &alice).dual_product);
    assert_eq!(owner_as_of(&s, 1, &carol).cube_v2, 0);
    assert!(!owner_as_of(&s, 2, &alice).dual_product);
    assert_eq!(owner_as_of(&s, 2, &carol).cube_v2, 1);
    // Carol reporting energy for round 0 or 1 is implausible (no device in those rounds).
    s.set_after_round_end(1, 0);
    let carol_batch = entries(vec![(
        carol.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 1),
    )]);
    assert_eq!(
        err(s.submit(0, 1, 0, 1, 1, &carol_batch)),
        ContractError::PlausibilityCapExceeded {
            owner: carol.to_string(),
            wh: 1,
            cap: 0
        }
    );
    let dev: DeviceResponse = s.query(&QueryMsg::Device {
        pubkey: Binary::from(a[1].pubkey().to_vec()),
    });
    assert_eq!(
        (dev.owner, dev.effective_from_round),
        (carol.to_string(), 2)
    );
}

#[test]
fn owner_adds_a_cube_v2_after_the_round_and_gains_no_m3() {
    let (mut s, alice, bob, _a, _b) = setup();
    s.set_after_round_end(0, 0);
    let batch = seed_batch(&alice, &bob);
    let hash = batch_hash(0, 0, 1, 1, &batch).unwrap();
    s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    // Bob registers a CubeV2 after round 0 ended, before quorum.
    s.give_devices(&bob, &[DeviceModel::CubeV2]);
    s.vote(1, 0, 0, 1, 1, hash).unwrap();
    assert_seed_scores(&s, &alice, &bob);
    assert!(!owner_as_of(&s, 1, &bob).dual_product);
    assert!(owner_as_of(&s, 2, &bob).dual_product);
}

#[test]
fn re_registration_to_the_same_owner_with_a_new_nonce_and_replayed_signature_fails() {
    let (mut s, alice, _bob, a, _b) = setup();
    assert_eq!(s.nonce(&a[0]), 1);
    let old = s.registration(&alice, &a[0]);
    // Round 1: Alice corrects the time zone with a fresh device signature (nonce 1).
    s.set_after_round_end(0, 0);
    let mut msg = s.registration(&alice, &a[0]);
    if let ExecuteMsg::RegisterDevice { timezone, .. } = &mut msg {
        *timezone = "Asia/Tokyo".into();
    }
    let res = s.exec(&alice, &msg).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|at| at.key == "nonce" && at.value == "2")));
    let nonce: RegistrationNonceResponse = s.query(&QueryMsg::RegistrationNonce {
        pubkey: Binary::from(a[0].pubkey().to_vec()),
    });
    assert_eq!(nonce.nonce, 2);
    let dev: DeviceResponse = s.query(&QueryMsg::Device {
        pubkey: Binary::from(a[0].pubkey().to_vec()),
    });
    assert_eq!(
        (dev.timezone.as_str(), dev.effective_from_round, dev.nonce),
        ("Asia/Tokyo", 2, 2)
    );
    // Counts unchanged; round 1 still sees Berlin, round 2 Tokyo.
    assert_eq!(owner_as_of(&s, 2, &alice).cube_v1, 1);
    let tz = |s: &Suite, round: u64| -> String {
        let page: DevicesAsOfResponse = s.query(&QueryMsg::DevicesAsOf {
            round,
            start_after: None,
            limit: None,
        });
        page.devices
            .into_iter()
            .find(|d| d.pubkey.as_slice() == a[0].pubkey())
            .unwrap()
            .timezone
    };
    assert_eq!(tz(&s, 1), "Europe/Berlin");
    assert_eq!(tz(&s, 2), "Asia/Tokyo");
    // The registrations signed over the challenges of nonce 0 and nonce 1 can never be replayed.
    assert_eq!(
        err(s.exec(&alice, &old)),
        ContractError::InvalidPossessionSignature {}
    );
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidPossessionSignature {}
    );
    // Deregister and register again works with the next nonce.
    deregister(&mut s, &alice, &a[0]);
    assert_eq!(s.nonce(&a[0]), 2);
    s.register(&alice, &a[0]).unwrap();
    assert_eq!(s.nonce(&a[0]), 3);
}

#[test]
fn rated_power_batch_size_and_whitelist_are_pinned_per_round() {
    let (mut s, alice, bob, _a, _b) = setup();
    s.set_after_round_end(0, 0);
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateConfig {
            round_reward: None,
            attestation_window: None,
            claim_window: None,
            quorum: None,
            rated_power: Some(RatedPower {
                cube_v1_w: 1,
                cube_v2_w: 1,
            }),
            max_entries_per_batch: Some(1),
            max_claim_rounds: None,
            challenge_window: None,
            dispute_bond_bps: None,
        },
    )
    .unwrap();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateBatteryWhitelist {
            add: vec!["BAT-2".into()],
            remove: vec!["BAT-1".into()],
        },
    )
    .unwrap();
    let p0: RoundParamsResponse = s.query(&QueryMsg::RoundParams { round: 0 });
    let p2: RoundParamsResponse = s.query(&QueryMsg::RoundParams { round: 2 });
    assert_eq!(p0.rated_power, RatedPower::default());
    assert_eq!(p0.max_entries_per_batch, DEFAULT_MAX_ENTRIES_PER_BATCH);
    assert_eq!((p2.rated_power.cube_v1_w, p2.max_entries_per_batch), (1, 1));
    assert_eq!(
        (p0.start, p0.end, p0.policy_version),
        (s.genesis, s.genesis + DAY, 1)
    );
    // Round 0 keeps the old cap and the old batch size: two entries of 1,000 Wh are accepted.
    s.attest(0, 0, 1, &seed_batch(&alice, &bob));
    assert_seed_scores(&s, &alice, &bob);
    // The cap of round 2 uses the new rated power: 1 W × 86,400 s = 24 Wh for one CubeV1.
    assert_eq!(owner_as_of(&s, 2, &bob).plausibility_cap_wh, 24);
    assert_eq!(owner_as_of(&s, 1, &bob).plausibility_cap_wh, 48_000);
    let wl = |s: &Suite, as_of_round: Option<u64>| -> Vec<String> {
        let r: BatteryWhitelistResponse = s.query(&QueryMsg::BatteryWhitelist {
            as_of_round,
            start_after: None,
            limit: None,
        });
        r.batteries
    };
    assert_eq!(wl(&s, Some(1)), vec!["BAT-1".to_string()]);
    assert_eq!(wl(&s, Some(2)), vec!["BAT-2".to_string()]);
    assert_eq!(wl(&s, None), vec!["BAT-2".to_string()]);
}
