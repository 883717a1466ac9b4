//! Rules fixed for each round: a pause freezes claim time, the attestation and claim windows and
//! the reward are pinned per round, windows are bounded so no deadline overflows, a round's
//! reward is reserved from its end, and the `Batch` query's evidence is paginated. Ends with a
//! property test over random sequences of pause, unpause, sweep, withdraw, claim and time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{from_json, Addr, Binary, HexBinary, Uint128};
use cube_scoring::batch_hash;
use cube_scoring::RatedPower;
use cube_types::mining_round::*;
use mining_round::state::{Config, PauseClock, RoundRules};
use mining_round::ContractError;
use proptest::prelude::*;

fn update(
    attestation_window: Option<u64>,
    claim_window: Option<u64>,
    round_reward: Option<u128>,
) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        round_reward: round_reward.map(Uint128::new),
        attestation_window,
        claim_window,
        quorum: None,
        rated_power: None,
        max_entries_per_batch: None,
        max_claim_rounds: None,
        challenge_window: None,
        dispute_bond_bps: None,
    }
}

fn withdraw(s: &mut Suite, amount: u128) -> Res {
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::WithdrawUnlocked {
            amount: Uint128::new(amount),
            recipient: None,
        },
    )
}

#[test]
fn a_pause_across_a_claim_deadline_freezes_claim_time_and_the_sweep_is_refused() {
    let (mut s, alice, bob) = finalized_round();
    let owner = s.owner.clone();
    let deadline = s.round(0).summary.claim_deadline.unwrap();
    // Alice claims; then a pause starts one hour before the deadline and lasts two days.
    s.claim(&alice, None).unwrap();
    s.advance_time(deadline - s.now() - 3_600);
    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
    let paused_at = s.now();
    assert_eq!(config(&s).paused_since, Some(paused_at));
    s.advance_time(2 * DAY);
    // Past the original deadline: nothing can be swept while paused, and no claim either.
    assert_eq!(err(s.sweep(None)), ContractError::Paused {});
    assert_eq!(err(s.claim(&bob, None)), ContractError::Paused {});
    // The locked reward is not withdrawable: the owner gets nothing beyond unlocked funds.
    let funds = s.funds();
    assert_eq!(funds.locked, Uint128::new(750_000));
    assert_eq!(
        err(withdraw(&mut s, funds.unlocked.u128() + 1)),
        ContractError::InsufficientUnlocked {
            requested: funds.unlocked + Uint128::one(),
            unlocked: funds.unlocked
        }
    );
    // While paused the deadline shown moves with the pause.
    assert_eq!(s.round(0).summary.claim_deadline, Some(deadline + 2 * DAY));
    s.exec(&owner, &ExecuteMsg::Unpause {}).unwrap();
    let c = config(&s);
    assert_eq!((c.paused_since, c.paused_seconds), (None, 2 * DAY));
    // The deadline moved by the pause's length: the hour that was left is left again.
    assert_eq!(s.round(0).summary.claim_deadline, Some(deadline + 2 * DAY));
    assert_eq!(err(s.sweep(None)), ContractError::NothingToSweep {});
    s.claim(&bob, None).unwrap();
    assert_eq!((s.balance(&alice), s.balance(&bob)), (250_000, 750_000));
    assert_eq!(s.funds().locked, Uint128::zero());
}

#[test]
fn after_a_pause_the_claim_window_ends_late_by_the_pause_and_then_sweeps() {
    let (mut s, alice, _bob) = finalized_round();
    let owner = s.owner.clone();
    let deadline = s.round(0).summary.claim_deadline.unwrap();
    s.advance_time(DAY);
    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
    // A second Pause keeps the first one's start.
    s.advance_time(600);
    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
    s.advance_time(3_000);
    s.exec(&owner, &ExecuteMsg::Unpause {}).unwrap();
    let moved = deadline + 3_600;
    assert_eq!(s.round(0).summary.claim_deadline, Some(moved));
    // One second before the moved deadline alice can still claim; at it, bob cannot.
    s.advance_time(moved - 1 - s.now());
    s.claim(&alice, None).unwrap();
    assert_eq!(err(s.sweep(None)), ContractError::NothingToSweep {});
    s.advance_time(1);
    let bob = s.addr("bob");
    assert_eq!(
        err(s.claim(&bob, Some(vec![0]))),
        ContractError::ClaimWindowOver {
            round: 0,
            deadline: moved
        }
    );
    s.sweep(None).unwrap();
    let r0 = s.round(0).summary;
    assert_eq!(
        (r0.status, r0.swept),
        (RoundStatus::Swept, Uint128::new(750_000))
    );
}

#[test]
fn a_window_change_after_a_round_ended_has_no_effect_on_it() {
    // Two batches: round 0 is partly accepted when the owner shrinks its attestation window.
    let mut s = SuiteBuilder::default().max_entries(1).build();
    let owner = s.owner.clone();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.give_devices(&bob, &[DeviceModel::CubeV1]);
    let mut both = entries(vec![
        (alice.clone(), offpeak(100)),
        (bob.clone(), offpeak(300)),
    ]);
    let second = vec![both.pop().unwrap()];
    let first = both;
    s.set_after_round_end(0, 60);
    s.attest(0, 0, 2, &first);
    let before = s.query::<RoundParamsResponse>(&QueryMsg::RoundParams { round: 0 });
    s.exec(&owner, &update(Some(61), Some(DAY), Some(5)))
        .unwrap();
    // Round 0 keeps its rules: still attestable (not voidable) until its own deadline...
    let anyone = s.addr("anyone");
    assert_eq!(
        err(s.exec(&anyone, &ExecuteMsg::CloseVoidRound { round: 0 })),
        ContractError::RoundNotVoidable { round: 0 }
    );
    let after = s.query::<RoundParamsResponse>(&QueryMsg::RoundParams { round: 0 });
    assert_eq!(after, before);
    assert_eq!(
        (
            after.attestation_window,
            after.claim_window,
            after.round_reward
        ),
        (ATTESTATION_WINDOW, CLAIM_WINDOW, Uint128::new(ROUND_REWARD))
    );
    // ...and finalizes with its own reward and claim window.
    s.advance_time(120);
    s.attest(0, 1, 2, &second);
    let r0 = s.round(0).summary;
    assert_eq!(r0.status, RoundStatus::Finalized);
    assert_eq!(r0.reward, Uint128::new(ROUND_REWARD));
    assert_eq!(r0.claim_deadline, Some(s.now() + CLAIM_WINDOW));
    // The change was made during round 1: round 1 keeps the rules it started with, the
    // change applies from round 2 on.
    let r1 = s.query::<RoundParamsResponse>(&QueryMsg::RoundParams { round: 1 });
    assert_eq!(
        (r1.attestation_window, r1.claim_window, r1.round_reward),
        (ATTESTATION_WINDOW, CLAIM_WINDOW, Uint128::new(ROUND_REWARD))
    );
    let r2 = s.query::<RoundParamsResponse>(&QueryMsg::RoundParams { round: 2 });
    assert_eq!(
        (r2.attestation_window, r2.claim_window, r2.round_reward),
        (61, DAY, Uint128::new(5))
    );
    assert_eq!(r2.attestation_deadline, r2.end + 61);
}

#[test]
fn growing_the_attestation_window_does_not_revive_an_expired_round() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, ATTESTATION_WINDOW);
    let deadline = s.round(0).summary.attestation_deadline;
    s.exec(&owner, &update(Some(20 * ATTESTATION_WINDOW), None, None))
        .unwrap();
    let batch = entries(vec![(alice, offpeak(100))]);
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &batch)),
        ContractError::AttestationWindowOver { round: 0, deadline }
    );
    assert_eq!(s.round(0).summary.status, RoundStatus::AttestationExpired);
}

#[test]
fn an_overflowing_window_is_refused_at_validation() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    // Passed the old check (genesis + round + windows fits in u64), overflowed at the
    // finalization of later rounds.
    let c = config(&s);
    let huge = u64::MAX - c.genesis_time - c.round_duration - c.attestation_window;
    assert_eq!(
        err(s.exec(&owner, &update(None, Some(huge), None))),
        ContractError::ParameterOutOfRange {
            name: "claim_window".into(),
            value: huge,
            min: 1,
            max: 3_660 * DAY
        }
    );
    // An attestation window longer than 100 rounds.
    assert_eq!(
        err(s.exec(&owner, &update(Some(100 * DAY + 1), None, None))),
        ContractError::ParameterOutOfRange {
            name: "attestation_window".into(),
            value: 100 * DAY + 1,
            min: 1,
            max: 100 * DAY
        }
    );
    // The longest accepted windows: nothing overflows for the last round in range.
    s.exec(&owner, &update(Some(100 * DAY), Some(3_660 * DAY), None))
        .unwrap();
    assert_eq!(config(&s).claim_window, 3_660 * DAY);
    // A round past the contract's range is a typed error, not an overflow.
    let round = u64::MAX / DAY;
    let e = s
        .app
        .wrap()
        .query_wasm_smart::<RoundResponse>(s.contract.clone(), &QueryMsg::Round { round })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&ContractError::RoundOutOfRange { round }.to_string()),
        "{e}"
    );
}

#[test]
fn validation_bounds_are_inclusive() {
    let mut s = SuiteBuilder::default().build();
    let owner = s.owner.clone();
    // 3 oracles + 17 = 20, the most; one more is refused.
    let add: Vec<String> = (0..17)
        .map(|i| s.addr(&format!("extra{i}")).to_string())
        .collect();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateOracles {
            add,
            remove: vec![],
        },
    )
    .unwrap();
    let one = vec![s.addr("one-too-many").to_string()];
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateOracles {
                add: one,
                remove: vec![]
            }
        )),
        ContractError::TooManyOracles { count: 21, max: 20 }
    );
    // 1 manufacturer key + 9 = 10, the most; one more is refused.
    let keys: Vec<Binary> = (1..=10u8).map(|i| Binary::from(vec![i; 32])).collect();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateManufacturerKeys {
            add: keys[..9].to_vec(),
            remove: vec![],
        },
    )
    .unwrap();
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::UpdateManufacturerKeys {
                add: keys[9..].to_vec(),
                remove: vec![],
            }
        )),
        ContractError::ManufacturerKeyCount { count: 11, max: 10 }
    );
}

#[test]
fn a_withdrawal_between_a_rounds_end_and_its_finalization_leaves_its_reward() {
    let mut s = SuiteBuilder::default()
        .funding(ROUND_REWARD + 500_000)
        .build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    // During round 0 nothing is reserved yet.
    s.set_after_round_end(0, 0);
    s.advance_time(0);
    let funds = s.funds();
    assert_eq!(funds, Suite::funds_of(1_500_000, 0, ROUND_REWARD));
    // The owner tries to empty the unlocked funds before the oracles finalize round 0.
    assert_eq!(
        err(withdraw(&mut s, 1_500_000)),
        ContractError::RewardReserved {
            requested: Uint128::new(1_500_000),
            unlocked: Uint128::new(1_500_000),
            reserved: Uint128::new(ROUND_REWARD)
        }
    );
    withdraw(&mut s, 500_000).unwrap();
    assert_eq!(s.funds(), Suite::funds_of(ROUND_REWARD, 0, ROUND_REWARD));
    // The round still pays its whole reward.
    s.attest(0, 0, 1, &entries(vec![(alice.clone(), offpeak(100))]));
    let r0 = s.round(0).summary;
    assert_eq!(r0.reward, Uint128::new(ROUND_REWARD));
    assert_eq!(s.funds(), Suite::funds_of(0, ROUND_REWARD, 0));
    s.claim(&alice, None).unwrap();
    assert_eq!(s.balance(&alice), ROUND_REWARD);
}

#[test]
fn a_reservation_ends_with_the_attestation_window_of_a_round_nobody_attested() {
    let mut s = SuiteBuilder::default().funding(3 * ROUND_REWARD).build();
    s.set_after_round_end(0, ATTESTATION_WINDOW - 1);
    assert_eq!(s.funds().reserved, Uint128::new(ROUND_REWARD));
    s.advance_time(1);
    assert_eq!(s.funds(), Suite::funds_of(3 * ROUND_REWARD, 0, 0));
    withdraw(&mut s, 3 * ROUND_REWARD).unwrap();
    assert_eq!(s.funds(), Suite::funds_of(0, 0, 0));
}

#[test]
fn the_batch_query_lists_votes_and_the_evidence_is_paginated() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, 0);
    // Oracle 0 submits twelve conflicting versions of batch 0, one after the other.
    let mut hashes = vec![];
    for wh in 1..=12u64 {
        let batch = entries(vec![(alice.clone(), offpeak(wh))]);
        s.submit(0, 0, 0, 1, 1, &batch).unwrap();
        hashes.push(HexBinary::from(batch_hash(0, 0, 1, 1, &batch).unwrap()));
    }
    hashes.sort_by(|a, b| a.as_slice().cmp(b.as_slice()));
    // The tallies hold only the hash oracle 0 votes for now.
    let b = s.batch(0, 0);
    assert_eq!(b.tallies.len(), 1);
    assert_eq!(b.tallies[0].votes, 1);
    // Every submitted hash, page by page.
    let first = s.batch_evidence(0, 0, None, Some(5));
    assert_eq!(first.hashes, hashes[..5].to_vec());
    assert_eq!(first.next, Some(hashes[4].clone()));
    let second = s.batch_evidence(0, 0, first.next, Some(5));
    assert_eq!(second.hashes, hashes[5..10].to_vec());
    let last = s.batch_evidence(0, 0, second.next, Some(5));
    assert_eq!((last.hashes, last.next), (hashes[10..].to_vec(), None));
}

#[test]
fn a_round_is_upcoming_until_its_first_second() {
    let mut s = SuiteBuilder::default().build();
    let start = s.round(0).summary.start;
    s.advance_time(start - 1 - s.now());
    assert_eq!(s.round(0).summary.status, RoundStatus::Upcoming);
    s.advance_time(1);
    assert_eq!(s.round(0).summary.status, RoundStatus::InProgress);
}

// Rule entries and the claim clock, unit by unit.

fn stored_config() -> Config {
    Config {
        reward_token: Addr::unchecked("ect"),
        round_reward: Uint128::new(7),
        genesis_time: 0,
        round_duration: 60,
        attestation_window: 30,
        claim_window: 90,
        quorum: 1,
        rated_power: RatedPower::default(),
        max_entries_per_batch: 5,
        max_claim_rounds: 1,
        manufacturer_keys: vec![],
        attestation_mode: Default::default(),
        challenge_window: DEFAULT_CHALLENGE_WINDOW,
        dispute_bond_bps: DEFAULT_DISPUTE_BOND_BPS,
    }
}

#[test]
fn rules_stored_before_the_windows_were_pinned_take_them_from_the_config() {
    let legacy: RoundRules =
        from_json(br#"{"rated_power":{"cube_v1_w":1,"cube_v2_w":2},"max_entries_per_batch":3}"#)
            .unwrap();
    assert_eq!(
        (
            legacy.round_reward,
            legacy.attestation_window,
            legacy.claim_window
        ),
        (None, None, None)
    );
    let r = legacy.clone().resolve(&stored_config());
    assert_eq!(
        (
            r.reward(),
            r.attestation(),
            r.claim(),
            r.max_entries_per_batch
        ),
        (Uint128::new(7), 30, 90, 3)
    );
    // Pinned values win over the configuration.
    let pinned = RoundRules {
        round_reward: Some(Uint128::new(1)),
        attestation_window: Some(2),
        claim_window: Some(3),
        ..legacy
    }
    .resolve(&stored_config());
    assert_eq!(
        (pinned.reward(), pinned.attestation(), pinned.claim()),
        (Uint128::new(1), 2, 3)
    );
}

#[test]
fn the_claim_clock_stands_still_while_paused() {
    let mut c = PauseClock::default();
    assert_eq!(c.claim_clock(100), 100);
    c.since = Some(100);
    assert_eq!((c.paused_until(130), c.claim_clock(130)), (30, 100));
    c = PauseClock {
        since: None,
        total: 30,
    };
    assert_eq!(c.claim_clock(200), 170);
}

// ---------------------------------------------------------------------------------------------
// Property: no sequence of pause, unpause, sweep, withdraw, claim and time steps makes a
// finalized round's locked reward withdrawable, or pays anyone more than their share.

#[derive(Clone, Debug)]
enum Step {
    Pause,
    Unpause,
    Sweep,
    Withdraw(u128),
    Claim(usize),
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Pause),
        Just(Step::Unpause),
        Just(Step::Sweep),
        (1u128..=3_000_000).prop_map(Step::Withdraw),
        (0usize..3).prop_map(Step::Claim),
        prop_oneof![
            (1u64..=3_600),
            (1u64..=2 * DAY),
            Just(CLAIM_WINDOW - 1),
            Just(CLAIM_WINDOW)
        ]
        .prop_map(Step::Advance),
    ]
}

/// Σ over finalized, unswept rounds of what their owners have not been paid yet, and the
/// most any owner may receive from each round (floor of the pro-rata share).
fn unpaid_entitlement(s: &Suite, owners: &[Addr], rounds: u64) -> u128 {
    let mut owed = 0u128;
    for r in 0..rounds {
        let summary = s.round(r).summary;
        if summary.status != RoundStatus::Finalized {
            continue;
        }
        for o in owners {
            let score = s.score(r, o);
            if !score.claimed {
                owed += score.reward.unwrap_or_default().u128();
            }
        }
    }
    owed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn locked_funds_always_cover_unpaid_shares_and_nobody_is_paid_beyond_their_share(
        steps in prop::collection::vec(step(), 1..30)
    ) {
        // Three rounds finalized with scores 1 : 2 : 3 (each its own reward).
        let mut s = SuiteBuilder::default().build();
        let owner = s.owner.clone();
        let owners: Vec<Addr> = ["alice", "bob", "carol"].iter().map(|n| s.addr(n)).collect();
        for o in &owners {
            s.give_devices(o, &[DeviceModel::CubeV1]);
        }
        let weights = [100u64, 200, 300];
        for r in 0..3u64 {
            s.set_after_round_end(r, 0);
            s.attest(
                r,
                0,
                1,
                &entries(owners.iter().zip(weights).map(|(o, w)| (o.clone(), offpeak(w))).collect()),
            );
        }
        // Each round pays floor(R · w / Σw) to each owner.
        let shares: Vec<u128> = weights.iter().map(|w| 3 * (ROUND_REWARD * u128::from(*w) / 600)).collect();
        // The model: unpaused seconds since each round's finalization (rounds 0, 1, 2 were
        // finalized two days, one day and no time ago).
        let mut active = [2 * DAY, DAY, 0];
        let mut paused = false;
        for st in steps {
            match st {
                Step::Pause => {
                    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
                    paused = true;
                }
                Step::Unpause => {
                    s.exec(&owner, &ExecuteMsg::Unpause {}).unwrap();
                    paused = false;
                }
                Step::Sweep => {
                    let r = s.sweep(None);
                    if paused {
                        prop_assert_eq!(err(r), ContractError::Paused {});
                    }
                }
                Step::Withdraw(a) => { let _ = withdraw(&mut s, a); }
                Step::Claim(i) => {
                    let o = owners[i].clone();
                    let open: Vec<u64> = (0..3u64)
                        .filter(|r| active[usize::try_from(*r).unwrap()] < CLAIM_WINDOW && !s.score(*r, &o).claimed)
                        .collect();
                    let r = s.claim(&o, None);
                    if paused {
                        prop_assert_eq!(err(r), ContractError::Paused {});
                    } else {
                        // Every round still inside its unpaused claim window pays.
                        for round in open {
                            prop_assert!(s.score(round, &o).claimed, "round {} not paid", round);
                        }
                    }
                }
                Step::Advance(t) => {
                    s.advance_time(t);
                    if !paused {
                        for a in active.iter_mut() {
                            *a += t;
                        }
                    }
                }
            }
            // A round is swept only after a whole claim window of unpaused time.
            for r in 0..3u64 {
                if s.round(r).summary.status == RoundStatus::Swept {
                    prop_assert!(active[usize::try_from(r).unwrap()] >= CLAIM_WINDOW, "round {} swept early", r);
                }
            }
            let funds = s.funds();
            let owed = unpaid_entitlement(&s, &owners, 3);
            prop_assert!(
                funds.locked.u128() >= owed,
                "locked {} < unpaid entitlement {}", funds.locked, owed
            );
            // The books match the token balance.
            prop_assert_eq!(
                s.balance(&s.contract.clone()),
                funds.locked.u128() + funds.unlocked.u128()
            );
            for (o, share) in owners.iter().zip(&shares) {
                prop_assert!(s.balance(o) <= *share, "{} paid {} > share {}", o, s.balance(o), share);
            }
        }
        // Claims made while not paused and inside the (moved) window paid exactly the shares.
        let _ = s.exec(&owner, &ExecuteMsg::Unpause {});
        for o in &owners {
            let _ = s.claim(o, None);
        }
        for (o, share) in owners.iter().zip(&shares) {
            let swept: u128 = (0..3).map(|r| {
                let sc = s.score(r, o);
                if sc.claimed { 0 } else { sc.reward.unwrap_or_default().u128() }
            }).sum();
            prop_assert_eq!(s.balance(o) + swept, *share);
        }
    }
}
