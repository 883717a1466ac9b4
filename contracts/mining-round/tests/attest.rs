#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{HexBinary, Uint128};
use cube_scoring::{batch_hash, BatteryClass, ScorePolicy, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use mining_round::ContractError;

fn wh(battery: BatteryClass, tou: TouClass, wh: u64) -> UsageBuckets {
    UsageBuckets::single(battery, tou, wh)
}

/// Alice holds V1 + V2, Bob holds V1.
fn setup() -> (Suite, cosmwasm_std::Addr, cosmwasm_std::Addr) {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    s.give_devices(&alice, &[DeviceModel::CubeV1, DeviceModel::CubeV2]);
    s.give_devices(&bob, &[DeviceModel::CubeV1]);
    (s, alice, bob)
}

#[test]
fn quorum_two_of_three_and_seed_scores() {
    let (mut s, alice, bob) = setup();
    let batch = entries(vec![
        (
            alice.clone(),
            wh(BatteryClass::Whitelisted, TouClass::Peak, 1_000),
        ),
        (
            bob.clone(),
            wh(BatteryClass::Standard, TouClass::Valley, 1_000),
        ),
    ]);
    let hash = batch_hash(0, 0, 1, 1, &batch).unwrap();

    // Round 0 still running.
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &batch)),
        ContractError::RoundNotEnded {
            round: 0,
            ends_at: s.genesis + DAY
        }
    );
    s.set_after_round_end(0, 10);

    // A non-oracle cannot vote or submit.
    let mallory = s.addr("mallory");
    assert_eq!(
        err(s.exec(
            &mallory,
            &ExecuteMsg::SubmitUsage {
                round: 0,
                batch_index: 0,
                batch_count: 1,
                policy_version: 1,
                entries: batch.clone()
            }
        )),
        ContractError::NotOracle {
            sender: mallory.to_string()
        }
    );

    // One vote does not accept.
    let res = s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "accepted" && a.value == "false")));
    let r = s.round(0);
    assert_eq!(r.summary.status, RoundStatus::Attesting);
    assert_eq!(r.summary.accepted_batches, 0);
    assert_eq!(r.batches_with_votes, 1);
    let b = s.batch(0, 0);
    assert_eq!(b.accepted_hash, None);
    assert_eq!(b.tallies.len(), 1);
    assert_eq!(b.tallies[0].votes, 1);
    assert_eq!(b.tallies[0].batch_hash, HexBinary::from(hash));
    assert_eq!(b.tallies[0].voters, vec![s.oracles[0].to_string()]);
    assert!(b.tallies[0].submitted);

    // Same oracle again: rejected, by data or by hash.
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &batch)),
        ContractError::AlreadyVoted {
            oracle: s.oracles[0].to_string(),
            round: 0,
            batch_index: 0
        }
    );
    assert_eq!(
        err(s.vote(0, 0, 0, 1, 1, hash)),
        ContractError::AlreadyVoted {
            oracle: s.oracles[0].to_string(),
            round: 0,
            batch_index: 0
        }
    );

    // A rogue oracle submits different data: its own hash, one vote, not counted for ours.
    let rogue = entries(vec![
        (
            alice.clone(),
            wh(BatteryClass::Whitelisted, TouClass::Peak, 40_000),
        ),
        (
            bob.clone(),
            wh(BatteryClass::Standard, TouClass::Valley, 1_000),
        ),
    ]);
    let rogue_hash = batch_hash(0, 0, 1, 1, &rogue).unwrap();
    s.submit(1, 0, 0, 1, 1, &rogue).unwrap();
    let r = s.round(0);
    assert_eq!(r.summary.accepted_batches, 0);
    let b = s.batch(0, 0);
    assert_eq!(b.accepted_hash, None);
    assert_eq!(b.tallies.len(), 2);
    assert!(b.tallies.iter().all(|t| t.votes == 1));
    assert!(b.tallies.iter().any(|t| t.batch_hash == rogue_hash));

    // Unknown hash.
    assert_eq!(
        err(s.vote(2, 0, 0, 1, 1, [9u8; 32])),
        ContractError::UnknownBatchHash {
            round: 0,
            batch_hash: HexBinary::from([9u8; 32])
        }
    );

    // The second identical vote accepts and, as the only batch, finalizes.
    let before = s.funds();
    s.vote(2, 0, 0, 1, 1, hash).unwrap();
    let r = s.round(0);
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.accepted_batches, 1);
    assert_eq!(r.summary.batch_count, Some(1));
    let b = s.batch(0, 0);
    assert_eq!(b.accepted_hash, Some(HexBinary::from(hash)));
    assert!(b
        .tallies
        .iter()
        .any(|t| t.batch_hash == hash && t.votes == 2));
    // The rogue hash stays visible as evidence.
    assert!(b
        .tallies
        .iter()
        .any(|t| t.batch_hash == rogue_hash && t.votes == 1));

    // The default policy's example, exactly: 2106 and 500 points.
    let a = s.score(0, &alice);
    assert_eq!(a.score, Uint128::new(2_106_000_000));
    assert_eq!(
        (
            a.whitelisted_bp,
            a.peak_bp,
            a.product_mix_bp,
            a.dual_product
        ),
        (12_000, 13_500, 13_000, true)
    );
    let b = s.score(0, &bob);
    assert_eq!(b.score, Uint128::new(500_000_000));
    assert_eq!(
        (b.standard_bp, b.valley_bp, b.product_mix_bp, b.dual_product),
        (10_000, 5_000, 10_000, false)
    );
    assert_eq!(r.summary.total_score, Uint128::new(2_606_000_000));
    assert_eq!(r.summary.reward, Uint128::new(ROUND_REWARD));
    let after = s.funds();
    assert_eq!(after.locked, before.locked + Uint128::new(ROUND_REWARD));
    assert_eq!(after.unlocked, before.unlocked - Uint128::new(ROUND_REWARD));

    // The rogue's late vote on an accepted batch is rejected.
    assert_eq!(
        err(s.vote(2, 0, 0, 1, 1, rogue_hash)),
        ContractError::BatchAlreadyAccepted {
            round: 0,
            batch_index: 0
        }
    );

    // Leaderboard, descending.
    let lb: LeaderboardResponse = s.query(&QueryMsg::Leaderboard {
        round: 0,
        start_after: None,
        limit: Some(1),
    });
    assert_eq!(lb.entries.len(), 1);
    assert_eq!(lb.entries[0].owner, alice.to_string());
    let lb: LeaderboardResponse = s.query(&QueryMsg::Leaderboard {
        round: 0,
        start_after: Some(alice.to_string()),
        limit: Some(10),
    });
    assert_eq!(lb.entries.len(), 1);
    assert_eq!(lb.entries[0].owner, bob.to_string());
    assert_eq!(lb.entries[0].score, Uint128::new(500_000_000));
}

#[test]
fn policy_versions_and_stale_votes() {
    let (mut s, alice, _bob) = setup();
    // A new policy during round 0 applies from round 1.
    s.advance_time(GENESIS_DELAY);
    let policy = ScorePolicy {
        peak_bp: 20_000,
        ..ScorePolicy::default()
    };
    let owner = s.owner.clone();
    s.exec(&owner, &ExecuteMsg::UpdatePolicy { policy })
        .unwrap();
    let p: PolicyResponse = s.query(&QueryMsg::Policy { version: None });
    assert_eq!(
        (p.version, p.effective_from_round, p.policy.peak_bp),
        (2, 1, 20_000)
    );
    let p1: PolicyResponse = s.query(&QueryMsg::Policy { version: Some(1) });
    assert_eq!(
        (p1.version, p1.effective_from_round, p1.policy.peak_bp),
        (1, 0, 13_500)
    );

    let batch = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Whitelisted, TouClass::Peak, 1_000),
    )]);
    s.set_after_round_end(0, 0);
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 2, &batch)),
        ContractError::WrongPolicyVersion {
            round: 0,
            expected: 1,
            got: 2
        }
    );
    s.attest(0, 0, 1, &batch);
    s.set_after_round_end(1, 0);
    assert_eq!(
        err(s.submit(0, 1, 0, 1, 1, &batch)),
        ContractError::WrongPolicyVersion {
            round: 1,
            expected: 2,
            got: 1
        }
    );
    s.attest(1, 0, 1, &batch);
    // Round 0 with v1: 2106; round 1 with v2 (peak 2.0): 1000 × 1.2 × 2.0 × 1.3 = 3120.
    assert_eq!(s.score(0, &alice).score, Uint128::new(2_106_000_000));
    let s1 = s.score(1, &alice);
    assert_eq!(
        (s1.score, s1.policy_version, s1.peak_bp),
        (Uint128::new(3_120_000_000), 2, 20_000)
    );
}

#[test]
fn plausibility_sorting_and_limits() {
    let mut s = SuiteBuilder::default().max_entries(2).build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let carol = s.addr("carol");
    s.give_devices(&bob, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, 0);

    // Bob's cap: 1 × 2000 W × 86400 s / 3600 = 48_000 Wh.
    let over = entries(vec![(
        bob.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 48_001),
    )]);
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &over)),
        ContractError::PlausibilityCapExceeded {
            owner: bob.to_string(),
            wh: 48_001,
            cap: 48_000
        }
    );
    // Alice has no device: any energy is implausible.
    let none = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 1),
    )]);
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &none)),
        ContractError::PlausibilityCapExceeded {
            owner: alice.to_string(),
            wh: 1,
            cap: 0
        }
    );
    // Unsorted and duplicate owners.
    let mut unsorted = entries(vec![
        (alice.clone(), UsageBuckets::default()),
        (bob.clone(), UsageBuckets::default()),
    ]);
    unsorted.reverse();
    let second = unsorted[1].owner.clone();
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &unsorted)),
        ContractError::UnsortedEntries {
            index: 1,
            owner: second
        }
    );
    let dup = vec![unsorted[0].clone(), unsorted[0].clone()];
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &dup)),
        ContractError::UnsortedEntries {
            index: 1,
            owner: unsorted[0].owner.clone()
        }
    );
    // Too many entries.
    let three = entries(vec![
        (alice.clone(), UsageBuckets::default()),
        (bob.clone(), UsageBuckets::default()),
        (carol.clone(), UsageBuckets::default()),
    ]);
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &three)),
        ContractError::TooManyEntries { count: 3, max: 2 }
    );
    // Bad batch index.
    assert_eq!(
        err(s.submit(0, 0, 2, 2, 1, &[])),
        ContractError::InvalidBatchIndex {
            batch_index: 2,
            batch_count: 2,
            max: 1_000
        }
    );
    // Exactly at the cap is fine; nothing stored by the failures above.
    let at_cap = entries(vec![(
        bob.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 48_000),
    )]);
    s.submit(0, 0, 0, 1, 1, &at_cap).unwrap();
    assert_eq!(s.batch(0, 0).tallies.len(), 1);
}

#[test]
fn multi_batch_rounds_and_count_mismatch() {
    let (mut s, alice, bob) = setup();
    let carol = s.addr("carol");
    s.give_devices(&carol, &[DeviceModel::CubeV2]);
    s.set_after_round_end(0, 0);
    let mut all = entries(vec![
        (
            alice.clone(),
            wh(BatteryClass::Standard, TouClass::OffPeak, 100),
        ),
        (
            bob.clone(),
            wh(BatteryClass::Standard, TouClass::OffPeak, 200),
        ),
        (
            carol.clone(),
            wh(BatteryClass::Standard, TouClass::OffPeak, 300),
        ),
    ]);
    let b1 = all.split_off(2);
    let b0 = all;
    s.attest(0, 0, 2, &b0);
    let r = s.round(0);
    assert_eq!(
        (
            r.summary.status,
            r.summary.accepted_batches,
            r.summary.batch_count
        ),
        (RoundStatus::Attesting, 1, Some(2))
    );
    assert_eq!(s.funds().locked, Uint128::zero());
    assert_eq!(
        err(s.submit(0, 0, 1, 3, 1, &b1)),
        ContractError::BatchCountMismatch {
            round: 0,
            expected: 2,
            got: 3
        }
    );
    // An owner already scored in batch 0 cannot be scored again by batch 1.
    let again = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::OffPeak, 1),
    )]);
    s.submit(1, 0, 1, 2, 1, &again).unwrap();
    let h = batch_hash(0, 1, 2, 1, &again).unwrap();
    assert_eq!(
        err(s.vote(2, 0, 1, 2, 1, h)),
        ContractError::OwnerAlreadyScored {
            round: 0,
            owner: alice.to_string()
        }
    );
    // The honest second batch (oracles 0 and 2) finalizes the round.
    s.submit(0, 0, 1, 2, 1, &b1).unwrap();
    let h1 = batch_hash(0, 1, 2, 1, &b1).unwrap();
    s.vote(2, 0, 1, 2, 1, h1).unwrap();
    let r = s.round(0);
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.accepted_batches, 2);
    assert_eq!(r.summary.scored_owners, 3);
    // alice dual: 100 × 1.3 = 130; bob 200; carol 300 → 630 points.
    assert_eq!(r.summary.total_score, Uint128::new(630_000_000));
    assert_eq!(s.funds().locked, Uint128::new(ROUND_REWARD));
}

#[test]
fn attestation_window_and_void_rounds() {
    let (mut s, alice, _bob) = setup();
    let batch = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 10),
    )]);
    s.set_after_round_end(0, 0);
    s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    let anyone = s.addr("anyone");
    assert_eq!(
        err(s.exec(&anyone, &ExecuteMsg::CloseVoidRound { round: 0 })),
        ContractError::RoundNotVoidable { round: 0 }
    );
    s.set_after_round_end(0, ATTESTATION_WINDOW);
    assert_eq!(s.round(0).summary.status, RoundStatus::AttestationExpired);
    let h = batch_hash(0, 0, 1, 1, &batch).unwrap();
    assert_eq!(
        err(s.vote(1, 0, 0, 1, 1, h)),
        ContractError::AttestationWindowOver {
            round: 0,
            deadline: s.genesis + DAY + ATTESTATION_WINDOW
        }
    );
    let before = s.funds();
    s.exec(&anyone, &ExecuteMsg::CloseVoidRound { round: 0 })
        .unwrap();
    let r = s.round(0);
    assert_eq!(
        (r.summary.status, r.summary.reward),
        (RoundStatus::Void, Uint128::zero())
    );
    assert_eq!(s.funds(), before);
    assert_eq!(
        err(s.exec(&anyone, &ExecuteMsg::CloseVoidRound { round: 0 })),
        ContractError::RoundNotVoidable { round: 0 }
    );
    // Queries list it.
    let rounds: RoundsResponse = s.query(&QueryMsg::Rounds {
        start_after: None,
        limit: None,
    });
    assert_eq!(rounds.rounds.len(), 1);
    assert_eq!(rounds.rounds[0].status, RoundStatus::Void);
    let cur: CurrentRoundResponse = s.query(&QueryMsg::CurrentRound {});
    assert_eq!(cur.round, Some(1));
    assert_eq!(cur.start, Some(s.genesis + DAY));
}

#[test]
fn reward_capped_by_unlocked_funds_and_empty_rounds() {
    let mut s = SuiteBuilder::default().funding(300_000).build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, 0);
    // An empty round finalizes with zero score and locks nothing.
    s.attest(0, 0, 1, &[]);
    let r = s.round(0);
    assert_eq!(
        (r.summary.status, r.summary.reward),
        (RoundStatus::Finalized, Uint128::zero())
    );
    s.set_after_round_end(1, 0);
    let batch = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 10),
    )]);
    s.attest(1, 0, 1, &batch);
    let r = s.round(1);
    assert_eq!(r.summary.reward, Uint128::new(300_000));
    assert_eq!(s.funds(), Suite::funds_of(0, 300_000, 0));
}

#[test]
fn malformed_votes_and_closed_rounds() {
    let (mut s, alice, _bob) = setup();
    s.set_after_round_end(0, 0);
    // Hash of the wrong length.
    let o = s.oracles[0].clone();
    assert_eq!(
        err(s.exec(
            &o,
            &ExecuteMsg::VoteBatch {
                round: 0,
                batch_index: 0,
                batch_count: 1,
                policy_version: 1,
                batch_hash: HexBinary::from(vec![1u8; 31]),
            }
        )),
        ContractError::InvalidHashLength { len: 31 }
    );
    // A non-normalized owner address.
    let upper = vec![UsageEntry {
        owner: alice.to_string().to_uppercase(),
        buckets: UsageBuckets::default(),
    }];
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &upper)),
        ContractError::InvalidOwner {
            owner: alice.to_string().to_uppercase()
        }
    );
    // A void round stays closed even if the owner later extends the attestation window: the
    // window is pinned for the round, so its deadline does not move either.
    s.set_after_round_end(0, ATTESTATION_WINDOW);
    let deadline = s.round(0).summary.attestation_deadline;
    let anyone = s.addr("anyone");
    s.exec(&anyone, &ExecuteMsg::CloseVoidRound { round: 0 })
        .unwrap();
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateConfig {
            round_reward: None,
            attestation_window: Some(10 * ATTESTATION_WINDOW),
            claim_window: None,
            quorum: None,
            rated_power: None,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            challenge_window: None,
            dispute_bond_bps: None,
        },
    )
    .unwrap();
    assert_eq!(
        err(s.submit(0, 0, 0, 1, 1, &[])),
        ContractError::AttestationWindowOver { round: 0, deadline }
    );
    assert_eq!(s.round(0).summary.attestation_deadline, deadline);
    assert_eq!(s.round(0).summary.status, RoundStatus::Void);
}

#[test]
fn batch_count_bounds() {
    let (mut s, alice, _bob) = setup();
    s.set_after_round_end(0, 0);
    let batch = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 1),
    )]);
    for (batch_index, batch_count) in [(0, 0), (0, 1_001), (1, 1)] {
        assert_eq!(
            err(s.submit(0, 0, batch_index, batch_count, 1, &batch)),
            ContractError::InvalidBatchIndex {
                batch_index,
                batch_count,
                max: 1_000
            }
        );
    }
    // The largest round: 1,000 batches, the last index is 999.
    s.submit(0, 0, 999, 1_000, 1, &batch).unwrap();
    let b = s.batch(0, 999);
    assert_eq!(b.tallies.len(), 1);
    assert_eq!(b.tallies[0].votes, 1);
}

#[test]
fn a_vote_must_name_the_header_of_the_stored_batch() {
    let (mut s, alice, _bob) = setup();
    s.set_after_round_end(0, 0);
    let batch = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 1),
    )]);
    s.submit(0, 0, 0, 2, 1, &batch).unwrap();
    let hash = batch_hash(0, 0, 2, 1, &batch).unwrap();
    // Same hash, same batch count and policy version, another batch index: unknown.
    assert_eq!(
        err(s.vote(1, 0, 1, 2, 1, hash)),
        ContractError::UnknownBatchHash {
            round: 0,
            batch_hash: HexBinary::from(hash)
        }
    );
    // Same index and policy version, another batch count: unknown.
    assert_eq!(
        err(s.vote(1, 0, 0, 3, 1, hash)),
        ContractError::UnknownBatchHash {
            round: 0,
            batch_hash: HexBinary::from(hash)
        }
    );
    assert_eq!(s.batch(0, 1).tallies.len(), 0);
    s.vote(1, 0, 0, 2, 1, hash).unwrap();
    assert_eq!(s.batch(0, 0).accepted_hash, Some(HexBinary::from(hash)));
}

#[test]
fn zero_scores_are_not_indexed_and_finalization_is_reported_once() {
    let (mut s, alice, bob) = setup();
    s.set_after_round_end(0, 0);
    let first = entries(vec![(alice.clone(), UsageBuckets::default())]);
    let second = entries(vec![(
        bob.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 10),
    )]);
    s.attest(0, 0, 2, &first);
    let finalized = |res: &cw_multi_test::AppResponse| {
        res.events
            .iter()
            .flat_map(|e| e.attributes.iter())
            .any(|a| a.key == "finalized")
    };
    // The second and last batch finalizes the round.
    let hash = batch_hash(0, 1, 2, 1, &second).unwrap();
    s.submit(0, 0, 1, 2, 1, &second).unwrap();
    let res = s.vote(1, 0, 1, 2, 1, hash).unwrap();
    assert!(finalized(&res));
    assert_eq!(s.round(0).summary.status, RoundStatus::Finalized);
    // Alice scored 0: not on the leaderboard, nothing to claim.
    assert_eq!(s.score(0, &alice).score, Uint128::zero());
    let lb: LeaderboardResponse = s.query(&QueryMsg::Leaderboard {
        round: 0,
        start_after: None,
        limit: None,
    });
    assert_eq!(lb.entries.len(), 1);
    assert_eq!(lb.entries[0].owner, bob.to_string());
    assert!(s.claimable(&alice).rounds.is_empty());
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
}

#[test]
fn only_the_last_batch_reports_finalization() {
    let (mut s, alice, bob) = setup();
    s.set_after_round_end(0, 0);
    let first = entries(vec![(
        alice.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 10),
    )]);
    let h0 = batch_hash(0, 0, 2, 1, &first).unwrap();
    s.submit(0, 0, 0, 2, 1, &first).unwrap();
    let res = s.vote(1, 0, 0, 2, 1, h0).unwrap();
    let attr = |res: &cw_multi_test::AppResponse, k: &str| {
        res.events
            .iter()
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
    };
    assert_eq!(attr(&res, "accepted"), Some("true".to_string()));
    assert_eq!(attr(&res, "finalized"), None);
    let second = entries(vec![(
        bob.clone(),
        wh(BatteryClass::Standard, TouClass::Peak, 10),
    )]);
    let h1 = batch_hash(0, 1, 2, 1, &second).unwrap();
    s.submit(0, 0, 1, 2, 1, &second).unwrap();
    let res = s.vote(1, 0, 1, 2, 1, h1).unwrap();
    assert_eq!(attr(&res, "finalized"), Some("true".to_string()));
    assert_eq!(attr(&res, "reward"), Some(ROUND_REWARD.to_string()));
}
