//! Votes that converge: replaceable votes, tallies over current oracles only, `AcceptBatch`
//! after a quorum decrease, and the `Batch` / `Batches` / `Vote` queries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Addr, HexBinary};
use cube_scoring::{batch_hash, BatteryClass, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use mining_round::ContractError;

fn offpeak(wh: u64) -> UsageBuckets {
    UsageBuckets::single(BatteryClass::Standard, TouClass::OffPeak, wh)
}

/// Alice and Bob hold a CubeV1 each; round 0 has ended.
fn setup(oracles: u32, quorum: u32) -> (Suite, Addr, Addr) {
    let mut s = SuiteBuilder::default().oracles(oracles, quorum).build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.give_devices(&bob, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, 0);
    (s, alice, bob)
}

fn vote_of(s: &Suite, oracle: &Addr) -> VoteResponse {
    s.query(&QueryMsg::Vote {
        round: 0,
        batch_index: 0,
        oracle: oracle.to_string(),
    })
}

fn accept(s: &mut Suite, hash: [u8; 32]) -> Res {
    let anyone = s.addr("anyone");
    s.exec(
        &anyone,
        &ExecuteMsg::AcceptBatch {
            round: 0,
            batch_index: 0,
            batch_hash: HexBinary::from(hash),
        },
    )
}

#[test]
fn oracle_revotes_after_a_corrected_batch() {
    let (mut s, alice, bob) = setup(3, 2);
    let wrong = entries(vec![
        (alice.clone(), offpeak(100)),
        (bob.clone(), offpeak(999)),
    ]);
    let right = entries(vec![
        (alice.clone(), offpeak(100)),
        (bob.clone(), offpeak(300)),
    ]);
    let wrong_hash = batch_hash(0, 0, 1, 1, &wrong).unwrap();
    let right_hash = batch_hash(0, 0, 1, 1, &right).unwrap();
    // Oracle 0 submits wrong data, oracle 1 the corrected data: one vote each.
    s.submit(0, 0, 0, 1, 1, &wrong).unwrap();
    s.submit(1, 0, 0, 1, 1, &right).unwrap();
    assert_eq!(s.round(0).summary.status, RoundStatus::Attesting);
    // Voting the same hash again is still refused.
    assert_eq!(
        err(s.vote(0, 0, 0, 1, 1, wrong_hash)),
        ContractError::AlreadyVoted {
            oracle: s.oracles[0].to_string(),
            round: 0,
            batch_index: 0
        }
    );
    // Oracle 0 corrects itself: its vote moves, the tally reaches 2, the round finalizes.
    let res = s.vote(0, 0, 0, 1, 1, right_hash).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "replaced_hash" && a.value == HexBinary::from(wrong_hash).to_hex())));
    let r = s.round(0);
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.batches_with_votes, 1);
    assert_eq!(s.score(0, &bob).buckets, offpeak(300));
    // The tallies hold the voted hash only; both submitted hashes stay as evidence.
    let b = s.batch(0, 0);
    assert_eq!(b.accepted_hash, Some(HexBinary::from(right_hash)));
    assert_eq!(b.tallies.len(), 1);
    let r = b.tallies[0].clone();
    assert_eq!(r.batch_hash, HexBinary::from(right_hash));
    assert!(r.submitted);
    let mut submitted = vec![HexBinary::from(wrong_hash), HexBinary::from(right_hash)];
    submitted.sort_by(|a, b| a.as_slice().cmp(b.as_slice()));
    let evidence = s.batch_evidence(0, 0, None, None);
    assert_eq!((evidence.hashes, evidence.next), (submitted, None));
    assert_eq!(r.votes, 2);
    let mut expected = vec![s.oracles[0].to_string(), s.oracles[1].to_string()];
    expected.sort();
    assert_eq!(r.voters, expected);
    assert_eq!(
        vote_of(&s, &s.oracles[0].clone()).batch_hash,
        Some(HexBinary::from(right_hash))
    );
    // After acceptance nobody can move a vote.
    assert_eq!(
        err(s.vote(2, 0, 0, 1, 1, wrong_hash)),
        ContractError::BatchAlreadyAccepted {
            round: 0,
            batch_index: 0
        }
    );
}

#[test]
fn an_oracle_removed_after_voting_no_longer_counts() {
    let (mut s, alice, bob) = setup(3, 2);
    let batch = entries(vec![
        (alice.clone(), offpeak(100)),
        (bob.clone(), offpeak(100)),
    ]);
    let hash = batch_hash(0, 0, 1, 1, &batch).unwrap();
    s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    let owner = s.owner.clone();
    let removed = s.oracles[0].clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateOracles {
            add: vec![],
            remove: vec![removed.to_string()],
        },
    )
    .unwrap();
    // Oracle 1's vote makes 2 votes on record but only 1 of a current oracle: not accepted.
    s.vote(1, 0, 0, 1, 1, hash).unwrap();
    assert_eq!(s.round(0).summary.status, RoundStatus::Attesting);
    let b = s.batch(0, 0);
    assert_eq!(b.tallies.len(), 1);
    assert_eq!(b.tallies[0].votes, 1);
    assert_eq!(b.tallies[0].voters, vec![s.oracles[1].to_string()]);
    assert_eq!(b.tallies[0].stale_voters, vec![removed.to_string()]);
    let v = vote_of(&s, &removed);
    assert_eq!(
        (v.batch_hash, v.counts),
        (Some(HexBinary::from(hash)), false)
    );
    assert_eq!(
        err(accept(&mut s, hash)),
        ContractError::QuorumNotReached {
            round: 0,
            batch_index: 0,
            votes: 1,
            quorum: 2
        }
    );
    // The removed oracle cannot vote any more; oracle 2 completes the quorum.
    assert_eq!(
        err(s.vote(0, 0, 0, 1, 1, hash)),
        ContractError::NotOracle {
            sender: removed.to_string()
        }
    );
    s.vote(2, 0, 0, 1, 1, hash).unwrap();
    assert_eq!(s.round(0).summary.status, RoundStatus::Finalized);
}

#[test]
fn a_quorum_decrease_finalizes_a_stuck_tally_via_accept_batch() {
    let (mut s, alice, bob) = setup(3, 3);
    let batch = entries(vec![
        (alice.clone(), offpeak(100)),
        (bob.clone(), offpeak(100)),
    ]);
    let hash = batch_hash(0, 0, 1, 1, &batch).unwrap();
    s.submit(0, 0, 0, 1, 1, &batch).unwrap();
    s.vote(1, 0, 0, 1, 1, hash).unwrap();
    assert_eq!(
        err(accept(&mut s, hash)),
        ContractError::QuorumNotReached {
            round: 0,
            batch_index: 0,
            votes: 2,
            quorum: 3
        }
    );
    // Unknown or malformed hashes.
    assert_eq!(
        err(accept(&mut s, [7u8; 32])),
        ContractError::UnknownBatchHash {
            round: 0,
            batch_hash: HexBinary::from([7u8; 32])
        }
    );
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateConfig {
            round_reward: None,
            attestation_window: None,
            claim_window: None,
            quorum: Some(2),
            rated_power: None,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            challenge_window: None,
            dispute_bond_bps: None,
        },
    )
    .unwrap();
    let before = s.funds();
    let res = accept(&mut s, hash).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "finalized" && a.value == "true")));
    let r = s.round(0);
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.quorum, 2);
    assert_eq!(
        s.funds().locked,
        before.locked + cosmwasm_std::Uint128::new(ROUND_REWARD)
    );
    assert_eq!(
        err(accept(&mut s, hash)),
        ContractError::BatchAlreadyAccepted {
            round: 0,
            batch_index: 0
        }
    );
    // After the attestation window nothing can be accepted any more.
    s.set_after_round_end(1, ATTESTATION_WINDOW);
    let batch1 = entries(vec![(alice.clone(), offpeak(1))]);
    let h1 = batch_hash(1, 0, 1, 1, &batch1).unwrap();
    let anyone = s.addr("anyone");
    assert_eq!(
        err(s.exec(
            &anyone,
            &ExecuteMsg::AcceptBatch {
                round: 1,
                batch_index: 0,
                batch_hash: HexBinary::from(h1),
            }
        )),
        ContractError::UnknownBatchHash {
            round: 1,
            batch_hash: HexBinary::from(h1)
        }
    );
}

#[test]
fn batches_paginate_with_next() {
    let (mut s, alice, bob) = setup(3, 2);
    let carol = s.addr("carol");
    s.give_devices(&carol, &[DeviceModel::CubeV1]);
    s.set_after_round_end(2, 0);
    // Carol registered during round 1 counts from round 2. Round 2 in three batches, one owner each; only oracle 0 submits.
    let mut owners = [alice, bob, carol];
    owners.sort();
    for (i, o) in owners.iter().enumerate() {
        let batch = entries(vec![(o.clone(), offpeak(10))]);
        s.submit(0, 2, u32::try_from(i).unwrap(), 3, 1, &batch)
            .unwrap();
    }
    assert_eq!(s.round(2).batches_with_votes, 3);
    let first: BatchesResponse = s.query(&QueryMsg::Batches {
        round: 2,
        start_after: None,
        limit: Some(2),
    });
    assert_eq!(
        first
            .batches
            .iter()
            .map(|b| b.batch_index)
            .collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(first.next, Some(1));
    let rest: BatchesResponse = s.query(&QueryMsg::Batches {
        round: 2,
        start_after: first.next,
        limit: Some(2),
    });
    assert_eq!(
        rest.batches
            .iter()
            .map(|b| b.batch_index)
            .collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(rest.next, None);
    assert!(rest.batches[0].tallies[0].votes == 1 && rest.batches[0].quorum == 2);
}
