//! Merkle mode over cw-multi-test with the real cw20-base ECT: the challenge window (an
//! accepted root is pending, never claimable, never overwritten, final by `FinalizeRoot` or the
//! next merkle message), disputes (an oracle once per round without a bond, anyone else with an
//! ECT bond through the `Send` hook; the evidence kept; re-affirmed by the owner, the bond is
//! forfeited; replaced by a different final root, it is returned), `ClaimMany`, the funds a
//! pending or disputed root keeps reserved, and the pause. Every execution of these suites is
//! followed by the funds invariant (`Suite::assert_merkle_invariants`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Addr, Binary, HexBinary, Uint128};
use cube_types::mining_round::*;
use mining_round::ContractError;

/// The default dispute bond: 1 % of the round reward.
const BOND: u128 = ROUND_REWARD / 100;

/// A challenge window longer than a round: a root accepted at the end of round r is still
/// pending when round r + 1 ends, and final inside round r + 1's attestation window.
const LONG_WINDOW: u64 = DAY + ATTESTATION_WINDOW / 2;

fn pause(s: &mut Suite) {
    let owner = s.owner.clone();
    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
}

fn unpause(s: &mut Suite) {
    let owner = s.owner.clone();
    s.exec(&owner, &ExecuteMsg::Unpause {}).unwrap();
}

/// Anyone sends `FinalizeRoot`.
fn finalize_root(s: &mut Suite) -> Res {
    let anyone = s.addr("anyone");
    s.exec(&anyone, &ExecuteMsg::FinalizeRoot {})
}

/// The owner withdraws `amount` of the unlocked funds.
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

/// What a withdrawal of `requested` fails with when `reserved` of `unlocked` is reserved.
fn reserved_error(requested: u128, unlocked: u128, reserved: u128) -> ContractError {
    ContractError::RewardReserved {
        requested: Uint128::new(requested),
        unlocked: Uint128::new(unlocked),
        reserved: Uint128::new(reserved),
    }
}

fn dispute_msg(round: u64, attestation_hash: &HexBinary, reason: Option<String>) -> ExecuteMsg {
    ExecuteMsg::DisputeRoot {
        round,
        attestation_hash: attestation_hash.clone(),
        reason,
    }
}

/// The owner's `UpdateConfig` of the challenge window and the dispute bond.
fn update_dispute_config(
    s: &mut Suite,
    challenge_window: Option<u64>,
    dispute_bond_bps: Option<u32>,
) -> Res {
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateConfig {
            round_reward: None,
            attestation_window: None,
            claim_window: None,
            quorum: None,
            rated_power: None,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            challenge_window,
            dispute_bond_bps,
        },
    )
}

fn paid_entry(index: u32, owner: &Addr, amount: u128) -> ClaimPaid {
    ClaimPaid {
        index,
        owner: owner.to_string(),
        amount: Uint128::new(amount),
    }
}

fn skipped_entry(index: u32, owner: &Addr, reason: ClaimSkipReason) -> ClaimSkipped {
    ClaimSkipped {
        index,
        owner: owner.to_string(),
        reason,
    }
}

/// The `Disputes` key of a dispute.
fn key(d: &DisputeView) -> DisputeKey {
    DisputeKey {
        round: d.round,
        attestation_hash: d.attestation_hash.clone(),
    }
}

// ----- the challenge window -----

#[test]
fn a_pending_root_is_never_claimable_until_it_is_final() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob] = ["alice", "bob"].map(|n| s.addr(n));
    let anyone = s.addr("anyone");
    s.set_after_round_end(0, 0);
    let t = RoundTree::new(&s, 0, vec![idle(&alice, 400_000), idle(&bob, 600_000)]);
    s.publish_root(&t.att);
    let accepted_at = s.now();
    let finalizes_at = accepted_at + DEFAULT_CHALLENGE_WINDOW;
    let accepted = view(&s, &t.att, accepted_at, 1_000_000, ROUND_REWARD);
    assert_eq!(
        s.pending_root(),
        Some(PendingRootView {
            root: accepted.clone(),
            finalizes_at,
            finalizable: false,
            dispute_bond: Uint128::new(BOND),
        })
    );

    // Not claimable, one by one or many at once; nothing is locked, the increase is reserved.
    let pending = ContractError::RootPending {
        round: 0,
        finalizes_at,
    };
    assert_eq!(err(t.claim(&mut s, &alice)), pending);
    let res = s
        .claim_many(&anyone, vec![t.owner_claim(&alice), t.owner_claim(&bob)])
        .unwrap();
    assert_eq!(
        claim_many_result(&res),
        ClaimManyResult {
            latest: None,
            paid: vec![],
            skipped: vec![
                skipped_entry(0, &alice, ClaimSkipReason::NotFinal),
                skipped_entry(1, &bob, ClaimSkipReason::NotFinal),
            ],
        }
    );
    assert_eq!((s.balance(&alice), s.balance(&bob)), (0, 0));
    assert_eq!(s.merkle_root(None), None);
    assert_eq!(s.entitlements(), books(None, 0, 0));
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 1_000_000));

    // The window is open until its last second.
    s.set_time(finalizes_at - 1);
    assert_eq!(
        err(finalize_root(&mut s)),
        ContractError::ChallengeWindowOpen {
            round: 0,
            finalizes_at
        }
    );
    assert_eq!(err(t.claim(&mut s, &alice)), pending);
    assert!(!s.pending_root().unwrap().finalizable);
    // From its end on it is finalizable, and stays pending until a merkle message.
    s.set_time(finalizes_at);
    assert!(s.pending_root().unwrap().finalizable);
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 1_000_000));
    let res = s.finalize();
    assert_eq!(attr(&res, "finalized_round").as_deref(), Some("0"));
    assert_eq!(attr(&res, "locked").as_deref(), Some("1000000"));
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("0"));
    assert_eq!(attr(&res, "returned_bonds").as_deref(), Some("0"));
    assert_eq!(s.merkle_root(Some(0)), Some(accepted));
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, ROUND_REWARD, 0)
    );
    assert_eq!(s.entitlements(), books(Some(0), 1_000_000, 0));
    assert_eq!(err(finalize_root(&mut s)), ContractError::NoPendingRoot {});

    // Final: claimable, paid exactly.
    let res = t.claim(&mut s, &alice).unwrap();
    assert_eq!(attr(&res, "amount").as_deref(), Some("400000"));
    let res = s.claim_many(&anyone, vec![t.owner_claim(&bob)]).unwrap();
    assert_eq!(
        claim_many_result(&res),
        ClaimManyResult {
            latest: Some(0),
            paid: vec![paid_entry(0, &bob, 600_000)],
            skipped: vec![],
        }
    );
    assert_eq!((s.balance(&alice), s.balance(&bob)), (400_000, 600_000));
    assert_eq!(s.balance(&anyone), 0);
    assert_eq!(s.entitlements(), books(Some(0), 1_000_000, 1_000_000));
    assert_eq!(s.funds(), Suite::funds_of(9 * ROUND_REWARD, 0, 0));
}

#[test]
fn a_zero_challenge_window_finalizes_a_root_at_acceptance() {
    let mut s = SuiteBuilder::default().merkle().challenge_window(0).build();
    assert_eq!(config(&s).challenge_window, 0);
    let alice = s.addr("alice");
    s.set_after_round_end(0, 0);
    let t = RoundTree::new(&s, 0, vec![idle(&alice, 1_000)]);
    s.attest_root(0, &t.att).unwrap();
    let res = s.attest_root(1, &t.att).unwrap();
    assert_eq!(attr(&res, "accepted").as_deref(), Some("true"));
    assert_eq!(attr(&res, "finalized_round").as_deref(), Some("0"));
    assert_eq!(attr(&res, "pending"), None);
    assert_eq!(s.pending_root(), None);
    assert_eq!(
        s.merkle_root(Some(0)),
        Some(view(&s, &t.att, s.now(), 1_000, ROUND_REWARD))
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 1_000, 1_000, 0)
    );
    // Claimable at once; nothing to dispute or finalize.
    t.claim(&mut s, &alice).unwrap();
    assert_eq!(s.balance(&alice), 1_000);
    let hash = s.attestation_hash(&t.att);
    assert_eq!(
        err(s.dispute_root(2, 0, &hash)),
        ContractError::NoPendingRoot {}
    );
    assert_eq!(err(finalize_root(&mut s)), ContractError::NoPendingRoot {});
}

#[test]
fn the_challenge_window_and_the_bond_are_configurable() {
    let reward = 1_234_567;
    let mut s = SuiteBuilder::default()
        .merkle()
        .round_reward(reward)
        .challenge_window(600)
        .build();
    let holder = s.addr("holder");
    assert_eq!(
        (config(&s).challenge_window, config(&s).dispute_bond_bps),
        (600, DEFAULT_DISPUTE_BOND_BPS)
    );
    s.set_after_round_end(0, 0);
    let a = bare(0, 1_000_000, 2);
    s.publish_root(&a);
    let finalizes_at = s.now() + 600;
    let pending = s.pending_root().unwrap();
    // 1 % of 1,234,567 rounded up.
    assert_eq!(
        (pending.finalizes_at, pending.dispute_bond),
        (finalizes_at, Uint128::new(12_346))
    );

    // A change applies to disputes made and roots accepted afterwards: the pending root keeps
    // its window; a bond of 0 bps is still one base unit.
    let res = update_dispute_config(&mut s, Some(7_200), Some(0)).unwrap();
    assert_eq!(attr(&res, "challenge_window").as_deref(), Some("7200"));
    assert_eq!(attr(&res, "dispute_bond_bps").as_deref(), Some("0"));
    assert_eq!(
        (config(&s).challenge_window, config(&s).dispute_bond_bps),
        (7_200, 0)
    );
    let pending = s.pending_root().unwrap();
    assert_eq!(
        (pending.finalizes_at, pending.dispute_bond),
        (finalizes_at, Uint128::one())
    );
    s.finalize();
    assert_eq!(s.now(), finalizes_at);
    s.set_after_round_end(1, 0);
    let b = bare(1, 1_500_000, 2);
    s.publish_root(&b);
    assert_eq!(s.pending_root().unwrap().finalizes_at, s.now() + 7_200);
    let hb = s.attestation_hash(&b);
    s.dispute_with_bond(&holder, 1, &hb, 1).unwrap();
    assert_eq!(s.dispute(1, &hb).unwrap().bond, Uint128::one());
    assert_eq!(s.funds().bonded, Uint128::one());

    // Bounded: at most 30 days and 100 %.
    update_dispute_config(
        &mut s,
        Some(MAX_CHALLENGE_WINDOW),
        Some(MAX_DISPUTE_BOND_BPS),
    )
    .unwrap();
    assert_eq!(
        err(update_dispute_config(
            &mut s,
            Some(MAX_CHALLENGE_WINDOW + 1),
            None
        )),
        ContractError::ParameterOutOfRange {
            name: "challenge_window".to_string(),
            value: MAX_CHALLENGE_WINDOW + 1,
            min: 0,
            max: MAX_CHALLENGE_WINDOW,
        }
    );
    assert_eq!(
        err(update_dispute_config(
            &mut s,
            None,
            Some(MAX_DISPUTE_BOND_BPS + 1)
        )),
        ContractError::ParameterOutOfRange {
            name: "dispute_bond_bps".to_string(),
            value: u64::from(MAX_DISPUTE_BOND_BPS + 1),
            min: 0,
            max: u64::from(MAX_DISPUTE_BOND_BPS),
        }
    );
    assert_eq!(
        (config(&s).challenge_window, config(&s).dispute_bond_bps),
        (MAX_CHALLENGE_WINDOW, MAX_DISPUTE_BOND_BPS)
    );
}

#[test]
fn a_pending_root_is_never_overwritten() {
    let mut s = SuiteBuilder::default()
        .merkle()
        .challenge_window(LONG_WINDOW)
        .build();
    let [alice, bob] = ["alice", "bob"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let t0 = RoundTree::new(&s, 0, vec![idle(&alice, 300_000), idle(&bob, 300_000)]);
    s.publish_root(&t0.att);
    let h0 = s.attestation_hash(&t0.att);
    let finalizes_at = s.now() + LONG_WINDOW;
    // Not by another root of its round.
    assert_eq!(
        err(s.attest_root(2, &bare(0, 500_000, 2))),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );

    // Round 1 ends while round 0's root is pending: round 1's root reaches quorum and waits.
    s.set_after_round_end(1, 0);
    let t1 = RoundTree::new(&s, 1, vec![idle(&alice, 800_000), idle(&bob, 700_000)]);
    let h1 = s.attestation_hash(&t1.att);
    let res = s.attest_root(0, &t1.att).unwrap();
    assert_eq!(attr(&res, "accepted").as_deref(), Some("false"));
    assert_eq!(attr(&res, "deferred_by"), None);
    let res = s.attest_root(1, &t1.att).unwrap();
    assert_eq!(attr(&res, "votes").as_deref(), Some("2"));
    assert_eq!(attr(&res, "accepted").as_deref(), Some("false"));
    assert_eq!(attr(&res, "deferred_by").as_deref(), Some("0"));
    let tally = s.root_votes(1).tallies;
    assert_eq!(tally.len(), 1);
    assert_eq!(
        (tally[0].attestation_hash.clone(), tally[0].votes),
        (h1.clone(), 2)
    );
    let pending = s.pending_root().unwrap();
    assert_eq!(
        (pending.root.attestation_hash, pending.finalizes_at),
        (h0.clone(), finalizes_at)
    );
    assert_eq!(s.merkle_root(Some(1)), None);
    // Nor by AcceptRoot.
    assert_eq!(
        err(s.accept_root(1, &h1)),
        ContractError::RootPending {
            round: 0,
            finalizes_at
        }
    );
    // Reserved: the pending increase and round 1's reward.
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, 600_000 + ROUND_REWARD)
    );

    // Round 0's root is final at the end of its window (inside round 1's attestation window):
    // then AcceptRoot accepts the waiting root.
    s.finalize();
    assert_eq!(s.merkle_root(Some(0)).unwrap().attestation_hash, h0);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, ROUND_REWARD)
    );
    let res = s.accept_root(1, &h1).unwrap();
    assert_eq!(attr(&res, "action").as_deref(), Some("accept_root"));
    assert_eq!(attr(&res, "increase").as_deref(), Some("900000"));
    assert_eq!(
        s.pending_root(),
        Some(PendingRootView {
            root: view(&s, &t1.att, s.now(), 900_000, ROUND_REWARD),
            finalizes_at: s.now() + LONG_WINDOW,
            finalizable: false,
            dispute_bond: Uint128::new(BOND),
        })
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, 900_000)
    );
    // Round 0's root pays meanwhile.
    t0.claim(&mut s, &alice).unwrap();
    assert_eq!(s.balance(&alice), 300_000);
}

#[test]
fn claims_keep_working_on_the_last_final_root_while_a_later_root_is_pending() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.addr(n));
    let anyone = s.addr("anyone");
    s.set_after_round_end(0, 0);
    let t0 = RoundTree::new(
        &s,
        0,
        vec![idle(&alice, 250_000), idle(&bob, 750_000), idle(&carol, 0)],
    );
    s.publish_final_root(&t0.att);
    s.set_after_round_end(1, 0);
    let t1 = RoundTree::new(
        &s,
        1,
        vec![
            idle(&alice, 500_000),
            idle(&bob, 1_000_000),
            idle(&carol, 500_000),
        ],
    );
    s.publish_root(&t1.att);
    let finalizes_at = s.now() + DEFAULT_CHALLENGE_WINDOW;

    // Round 0's root is still the one claims use; round 1's is pending.
    t0.claim(&mut s, &alice).unwrap();
    assert_eq!(s.balance(&alice), 250_000);
    assert_eq!(
        err(t1.claim(&mut s, &bob)),
        ContractError::RootPending {
            round: 1,
            finalizes_at
        }
    );
    let res = s
        .claim_many(
            &anyone,
            vec![
                t1.owner_claim(&carol),
                t0.owner_claim(&bob),
                t0.owner_claim(&carol),
            ],
        )
        .unwrap();
    assert_eq!(
        claim_many_result(&res),
        ClaimManyResult {
            latest: Some(0),
            paid: vec![paid_entry(1, &bob, 750_000)],
            skipped: vec![
                skipped_entry(0, &carol, ClaimSkipReason::NotFinal),
                skipped_entry(2, &carol, ClaimSkipReason::Zero),
            ],
        }
    );
    assert_eq!((s.balance(&bob), s.balance(&carol)), (750_000, 0));
    assert_eq!(s.entitlements(), books(Some(0), 1_000_000, 1_000_000));
    assert_eq!(s.funds(), Suite::funds_of(9 * ROUND_REWARD, 0, 1_000_000));

    // At the end of the window the next claim finalizes round 1's root first and is paid
    // from it.
    s.set_time(finalizes_at);
    let res = t1.claim(&mut s, &bob).unwrap();
    assert_eq!(attr(&res, "finalized_round").as_deref(), Some("1"));
    assert_eq!(attr(&res, "locked").as_deref(), Some("1000000"));
    assert_eq!(attr(&res, "amount").as_deref(), Some("250000"));
    assert_eq!(s.pending_root(), None);
    assert_eq!(
        s.merkle_root(None).unwrap().attestation_hash,
        s.attestation_hash(&t1.att)
    );
    assert_eq!(
        err(t0.claim(&mut s, &carol)),
        ContractError::StaleProof {
            round: 0,
            latest: 1
        }
    );
    let res = s
        .claim_many(
            &anyone,
            vec![t1.owner_claim(&alice), t1.owner_claim(&carol)],
        )
        .unwrap();
    assert_eq!(
        claim_many_result(&res).paid,
        vec![
            paid_entry(0, &alice, 250_000),
            paid_entry(1, &carol, 500_000)
        ]
    );
    assert_eq!(
        [&alice, &bob, &carol].map(|o| s.balance(o)),
        [500_000, 1_000_000, 500_000]
    );
    assert_eq!(s.entitlements(), books(Some(1), 2_000_000, 2_000_000));
    assert_eq!(s.funds(), Suite::funds_of(8 * ROUND_REWARD, 0, 0));
}

// ----- disputes -----

#[test]
fn a_disputed_root_never_becomes_claimable() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob] = ["alice", "bob"].map(|n| s.addr(n));
    let [o0, o1, o2] = [0, 1, 2].map(|i| s.oracles[i].clone());
    let anyone = s.addr("anyone");
    s.set_after_round_end(0, 0);
    let t0 = RoundTree::new(&s, 0, vec![idle(&alice, 400_000), idle(&bob, 600_000)]);
    s.publish_final_root(&t0.att);
    s.set_after_round_end(1, 0);
    let t1 = RoundTree::new(&s, 1, vec![idle(&alice, 900_000), idle(&bob, 1_100_000)]);
    s.publish_root(&t1.att);
    let h1 = s.attestation_hash(&t1.att);
    let evidence = s.pending_root().unwrap().root;

    // Oracle 2 disputes it, without a bond.
    s.advance_time(60);
    let reason = "the leaves file does not match the relayers' readings".to_string();
    let res = s
        .exec(&o2, &dispute_msg(1, &h1, Some(reason.clone())))
        .unwrap();
    assert_eq!(attr(&res, "action").as_deref(), Some("dispute_root"));
    assert_eq!(attr(&res, "by_oracle").as_deref(), Some("true"));
    assert_eq!(attr(&res, "bond").as_deref(), Some("0"));
    let disputed_at = s.now();
    // Gone: nothing had been locked, nothing is bonded; round 1's reward stays reserved.
    assert_eq!(s.pending_root(), None);
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, ROUND_REWARD, ROUND_REWARD)
    );
    assert_eq!(s.entitlements(), books(Some(0), 1_000_000, 0));

    // The evidence: the root as it was pending and the oracles that voted it.
    let mut voters = vec![o0.to_string(), o1.to_string()];
    voters.sort();
    let expected = DisputeView {
        round: 1,
        attestation_hash: h1.clone(),
        disputer: o2.to_string(),
        by_oracle: true,
        bond: Uint128::zero(),
        reason: Some(reason),
        disputed_at,
        outcome: DisputeOutcome::Open,
        resolved_at: None,
        evidence,
        voters,
    };
    assert_eq!(s.dispute(1, &h1), Some(expected.clone()));
    assert_eq!(s.dispute(0, &h1), None);
    assert_eq!(s.disputes(), vec![expected.clone()]);

    // It can never be voted again (not even by the oracles that voted it) nor accepted.
    let disputed = ContractError::RootDisputed {
        round: 1,
        attestation_hash: h1.clone(),
    };
    assert_eq!(err(s.attest_root(2, &t1.att)), disputed);
    assert_eq!(err(s.attest_root(0, &t1.att)), disputed);
    assert_eq!(err(s.accept_root(1, &h1)), disputed);

    // The window it had passes: nothing to finalize, still not claimable.
    s.set_time(expected.evidence.accepted_at + DEFAULT_CHALLENGE_WINDOW);
    assert_eq!(err(finalize_root(&mut s)), ContractError::NoPendingRoot {});
    assert_eq!(
        err(t1.claim(&mut s, &alice)),
        ContractError::RootNotFinalized {
            round: 1,
            latest: Some(0)
        }
    );
    let res = s
        .claim_many(&anyone, vec![t1.owner_claim(&bob), t0.owner_claim(&alice)])
        .unwrap();
    assert_eq!(
        claim_many_result(&res),
        ClaimManyResult {
            latest: Some(0),
            paid: vec![paid_entry(1, &alice, 400_000)],
            skipped: vec![skipped_entry(0, &bob, ClaimSkipReason::NotFinal)],
        }
    );
    assert_eq!(s.merkle_root(Some(1)), None);
    assert_eq!(s.merkle_root(None).unwrap().round, 0);
    assert_eq!(s.dispute(1, &h1), Some(expected));
    // Round 0's root keeps paying.
    t0.claim(&mut s, &bob).unwrap();
    assert_eq!((s.balance(&alice), s.balance(&bob)), (400_000, 600_000));
}

#[test]
fn disputes_are_listed_by_round_and_hash_page_by_page() {
    let mut s = SuiteBuilder::default().merkle().build();
    let o2 = s.oracles[2].clone();
    let holder = s.addr("holder");
    s.set_after_round_end(0, 0);
    // Round 0: oracle 2 disputes one root, a holder the next one.
    let a = bare(0, 600_000, 2);
    let b = bare(0, 500_000, 2);
    let (ha, hb) = (s.attestation_hash(&a), s.attestation_hash(&b));
    s.publish_root(&a);
    s.dispute_root(2, 0, &ha).unwrap();
    s.publish_root(&b);
    s.dispute_with_bond(&holder, 0, &hb, BOND).unwrap();
    // Round 1: oracle 2 disputes again (once per round).
    s.set_after_round_end(1, 0);
    let c = bare(1, 700_000, 2);
    let hc = s.attestation_hash(&c);
    s.publish_root(&c);
    s.dispute_root(2, 1, &hc).unwrap();

    let all = s.disputes();
    let mut round0 = [ha.clone(), hb.clone()];
    round0.sort_by(|x, y| x.as_slice().cmp(y.as_slice()));
    assert_eq!(
        all.iter()
            .map(|d| (d.round, d.attestation_hash.clone()))
            .collect::<Vec<_>>(),
        vec![
            (0, round0[0].clone()),
            (0, round0[1].clone()),
            (1, hc.clone())
        ]
    );
    let by = |h: &HexBinary| all.iter().find(|d| d.attestation_hash == *h).unwrap();
    assert_eq!(
        (by(&ha).disputer.as_str(), by(&ha).by_oracle, by(&ha).bond),
        (o2.as_str(), true, Uint128::zero())
    );
    assert_eq!(
        (by(&hb).disputer.as_str(), by(&hb).by_oracle, by(&hb).bond),
        (holder.as_str(), false, Uint128::new(BOND))
    );
    assert_eq!((by(&hc).disputer.as_str(), by(&hc).round), (o2.as_str(), 1));
    assert!(all.iter().all(|d| d.outcome == DisputeOutcome::Open));

    // Pages of one: each `next` is the key of the page's dispute; the last page is empty.
    let p1 = s.disputes_page(None, Some(1));
    assert_eq!(
        p1,
        DisputesResponse {
            disputes: all[..1].to_vec(),
            next: Some(key(&all[0]))
        }
    );
    let p2 = s.disputes_page(p1.next, Some(1));
    assert_eq!(
        p2,
        DisputesResponse {
            disputes: all[1..2].to_vec(),
            next: Some(key(&all[1]))
        }
    );
    let p3 = s.disputes_page(p2.next, Some(1));
    assert_eq!(
        p3,
        DisputesResponse {
            disputes: all[2..].to_vec(),
            next: Some(key(&all[2]))
        }
    );
    assert_eq!(
        s.disputes_page(p3.next, Some(1)),
        DisputesResponse {
            disputes: vec![],
            next: None
        }
    );
    // Two at a time; the default page holds them all.
    let page = s.disputes_page(None, Some(2));
    assert_eq!(
        (page.disputes, page.next),
        (all[..2].to_vec(), Some(key(&all[1])))
    );
    assert_eq!(
        s.disputes_page(None, None),
        DisputesResponse {
            disputes: all.clone(),
            next: None
        }
    );

    // Both rounds wait for a root: their rewards stay reserved; the holder's bond is held.
    assert_eq!(
        s.funds(),
        Suite::funds_bonded(10 * ROUND_REWARD, 0, 2 * ROUND_REWARD, BOND)
    );
    assert_eq!(s.balance(&s.contract), 10 * ROUND_REWARD + BOND);
}

#[test]
fn an_oracle_disputes_once_per_round_and_anyone_else_posts_the_exact_bond() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [o0, o2] = [0, 2].map(|i| s.oracles[i].clone());
    let [holder, mallory] = ["holder", "mallory"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let a = bare(0, 600_000, 2);
    let b = bare(0, 500_000, 2);
    let (ha, hb) = (s.attestation_hash(&a), s.attestation_hash(&b));

    // Nothing pending.
    assert_eq!(
        err(s.dispute_root(0, 0, &ha)),
        ContractError::NoPendingRoot {}
    );
    assert_eq!(
        err(s.dispute_with_bond(&holder, 0, &ha, BOND)),
        ContractError::NoPendingRoot {}
    );
    s.publish_root(&a);
    assert_eq!(s.pending_root().unwrap().dispute_bond, Uint128::new(BOND));

    // Another root or another round than the pending one.
    assert_eq!(
        err(s.dispute_root(0, 0, &hb)),
        ContractError::NotPendingRoot {
            round: 0,
            attestation_hash: hb.clone()
        }
    );
    assert_eq!(
        err(s.dispute_with_bond(&holder, 1, &ha, BOND)),
        ContractError::NotPendingRoot {
            round: 1,
            attestation_hash: ha.clone()
        }
    );
    // A non-oracle needs the bond, 1 % of the round's reward, sent through the hook…
    assert_eq!(
        err(s.exec(&mallory, &dispute_msg(0, &ha, None))),
        ContractError::DisputeBondRequired {
            bond: Uint128::new(BOND)
        }
    );
    // …exactly.
    for sent in [BOND - 1, BOND + 1] {
        assert_eq!(
            err(s.dispute_with_bond(&holder, 0, &ha, sent)),
            ContractError::WrongDisputeBond {
                sent: Uint128::new(sent),
                required: Uint128::new(BOND)
            }
        );
    }
    // A reason of at most 280 bytes.
    let long = "x".repeat(MAX_DISPUTE_REASON + 1);
    let too_long = ContractError::DisputeReasonTooLong {
        len: MAX_DISPUTE_REASON + 1,
        max: MAX_DISPUTE_REASON,
    };
    assert_eq!(
        err(s.exec(&o0, &dispute_msg(0, &ha, Some(long.clone())))),
        too_long
    );
    assert_eq!(
        err(s.dispute_with_bond_reason(&holder, 0, &ha, BOND, Some(long))),
        too_long
    );
    // Nothing happened.
    assert_eq!(s.pending_root().unwrap().root.attestation_hash, ha);
    assert!(s.disputes().is_empty());
    assert_eq!(s.funds().bonded, Uint128::zero());
    assert_eq!(s.balance(&holder), BOND + 1);

    // Oracle 2 disputes, with the longest reason.
    let longest = "y".repeat(MAX_DISPUTE_REASON);
    s.exec(&o2, &dispute_msg(0, &ha, Some(longest.clone())))
        .unwrap();
    assert_eq!(s.dispute(0, &ha).unwrap().reason, Some(longest));
    // The oracles publish another root of round 0: oracle 2 has used its dispute of the round.
    s.publish_root(&b);
    let finalizes_at = s.pending_root().unwrap().finalizes_at;
    assert_eq!(
        err(s.dispute_root(2, 0, &hb)),
        ContractError::OracleDisputeUsed {
            oracle: o2.to_string(),
            round: 0
        }
    );

    // Once the window is over, nobody disputes any more.
    s.set_time(finalizes_at);
    let over = ContractError::ChallengeWindowOver {
        round: 0,
        finalizes_at,
    };
    assert_eq!(err(s.dispute_root(0, 0, &hb)), over);
    assert_eq!(err(s.dispute_with_bond(&holder, 0, &hb, BOND)), over);
    // Its finalization settles the dispute of round 0's other root (no bond to return).
    let res = s.finalize();
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("1"));
    assert_eq!(attr(&res, "returned_bonds").as_deref(), Some("0"));
    let settled = s.dispute(0, &ha).unwrap();
    assert_eq!(
        (settled.outcome, settled.resolved_at),
        (DisputeOutcome::Replaced, Some(finalizes_at))
    );
    assert_eq!(
        err(s.dispute_root(0, 0, &hb)),
        ContractError::NoPendingRoot {}
    );

    // Round 1: oracle 2 has a dispute again.
    s.set_after_round_end(1, 0);
    let c = bare(1, 1_000_000, 2);
    let hc = s.attestation_hash(&c);
    s.publish_root(&c);
    s.dispute_root(2, 1, &hc).unwrap();
    let d = s.dispute(1, &hc).unwrap();
    assert_eq!(
        (d.disputer, d.by_oracle, d.outcome),
        (o2.to_string(), true, DisputeOutcome::Open)
    );
    assert_eq!(s.balance(&holder), BOND + 1);
}

#[test]
fn a_reaffirmed_root_is_final_at_once_and_forfeits_the_bond() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, holder, mallory] = ["alice", "bob", "holder", "mallory"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let t = RoundTree::new(&s, 0, vec![idle(&alice, 300_000), idle(&bob, 500_000)]);
    s.publish_root(&t.att);
    let h = s.attestation_hash(&t.att);
    s.give_ect(&holder, 5 * BOND);
    let res = s.dispute_with_bond(&holder, 0, &h, BOND).unwrap();
    assert_eq!(attr(&res, "by_oracle").as_deref(), Some("false"));
    assert_eq!(attr(&res, "bond"), Some(BOND.to_string()));
    assert_eq!(s.balance(&holder), 4 * BOND);
    assert_eq!(s.pending_root(), None);
    // The bond is held apart; round 0's reward is reserved again.
    assert_eq!(
        s.funds(),
        Suite::funds_bonded(10 * ROUND_REWARD, 0, ROUND_REWARD, BOND)
    );
    assert_eq!(s.balance(&s.contract), 10 * ROUND_REWARD + BOND);
    let d = s.dispute(0, &h).unwrap();
    assert_eq!(
        (d.disputer.as_str(), d.by_oracle, d.bond, d.outcome),
        (
            holder.as_str(),
            false,
            Uint128::new(BOND),
            DisputeOutcome::Open
        )
    );

    // Only the owner re-affirms, a dispute that exists.
    assert_eq!(
        err(s.exec(
            &mallory,
            &ExecuteMsg::ReaffirmRoot {
                round: 0,
                attestation_hash: h.clone()
            }
        )),
        not_owner(&mallory)
    );
    let unknown = s.attestation_hash(&bare(0, 1, 1));
    assert_eq!(
        err(s.reaffirm(0, &unknown)),
        ContractError::UnknownDispute {
            round: 0,
            attestation_hash: unknown.clone()
        }
    );
    assert_eq!(
        err(s.reaffirm(1, &h)),
        ContractError::UnknownDispute {
            round: 1,
            attestation_hash: h.clone()
        }
    );

    // Re-affirmed: final at once, its increase locked; the bond goes to the unlocked funds.
    s.advance_time(600);
    let res = s.reaffirm(0, &h).unwrap();
    assert_eq!(attr(&res, "action").as_deref(), Some("reaffirm_root"));
    assert_eq!(attr(&res, "forfeited_bond"), Some(BOND.to_string()));
    assert_eq!(attr(&res, "finalized_round").as_deref(), Some("0"));
    let reaffirmed_at = s.now();
    assert_eq!(s.pending_root(), None);
    assert_eq!(
        s.merkle_root(Some(0)),
        Some(view(&s, &t.att, reaffirmed_at, 800_000, ROUND_REWARD))
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 800_000 + BOND, 800_000, 0)
    );
    assert_eq!(s.entitlements(), books(Some(0), 800_000, 0));
    assert_eq!(s.balance(&holder), 4 * BOND);
    let d = s.dispute(0, &h).unwrap();
    assert_eq!(
        (d.outcome, d.resolved_at, d.bond),
        (
            DisputeOutcome::Reaffirmed,
            Some(reaffirmed_at),
            Uint128::new(BOND)
        )
    );
    assert_eq!(
        err(s.reaffirm(0, &h)),
        ContractError::DisputeResolved {
            round: 0,
            attestation_hash: h.clone()
        }
    );

    // It pays; the next final root leaves the forfeited bond where it is.
    t.claim(&mut s, &alice).unwrap();
    assert_eq!(s.balance(&alice), 300_000);
    s.set_after_round_end(1, 0);
    s.publish_final_root(&bare(1, 800_000, 2));
    assert_eq!(s.balance(&holder), 4 * BOND);
    assert_eq!(
        s.dispute(0, &h).unwrap().outcome,
        DisputeOutcome::Reaffirmed
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 800_000 + BOND, 500_000, 0)
    );
}

#[test]
fn a_different_final_root_returns_the_bond() {
    let mut s = SuiteBuilder::default().merkle().build();
    let holder = s.addr("holder");
    s.set_after_round_end(0, 0);
    let a = bare(0, 900_000, 2);
    let ha = s.attestation_hash(&a);
    s.publish_root(&a);
    s.give_ect(&holder, 3 * BOND);
    s.advance_time(60);
    s.dispute_with_bond(&holder, 0, &ha, BOND).unwrap();
    let disputed_at = s.now();
    assert_eq!(s.balance(&holder), 2 * BOND);
    assert_eq!(
        s.funds(),
        Suite::funds_bonded(10 * ROUND_REWARD, 0, ROUND_REWARD, BOND)
    );

    // The oracles attest a different root of round 0 inside its attestation window.
    s.advance_time(60);
    let b = bare(0, 700_000, 2);
    let hb = s.attestation_hash(&b);
    s.publish_root(&b);
    let finalizes_at = s.pending_root().unwrap().finalizes_at;
    assert_eq!(
        s.funds(),
        Suite::funds_bonded(10 * ROUND_REWARD, 0, 700_000, BOND)
    );
    // The disputed root cannot be re-affirmed over a pending one.
    assert_eq!(
        err(s.reaffirm(0, &ha)),
        ContractError::RootPending {
            round: 0,
            finalizes_at
        }
    );

    // Its finalization replaces the disputed root: the bond comes back, exactly.
    let res = s.finalize();
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("1"));
    assert_eq!(attr(&res, "returned_bonds"), Some(BOND.to_string()));
    assert_eq!(s.merkle_root(Some(0)).unwrap().attestation_hash, hb);
    assert_eq!(s.balance(&holder), 3 * BOND);
    let d = s.dispute(0, &ha).unwrap();
    assert_eq!(
        (
            d.disputer.as_str(),
            d.by_oracle,
            d.bond,
            d.disputed_at,
            d.outcome,
            d.resolved_at
        ),
        (
            holder.as_str(),
            false,
            Uint128::new(BOND),
            disputed_at,
            DisputeOutcome::Replaced,
            Some(finalizes_at)
        )
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 700_000, 700_000, 0)
    );
    assert_eq!(s.balance(&s.contract), 10 * ROUND_REWARD);
    assert_eq!(
        err(s.reaffirm(0, &ha)),
        ContractError::DisputeResolved {
            round: 0,
            attestation_hash: ha.clone()
        }
    );
}

#[test]
fn a_round_skipped_by_a_disputed_root_is_paid_by_the_next_final_root() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, holder] = ["alice", "bob", "holder"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let t0 = RoundTree::new(&s, 0, vec![idle(&alice, 300_000), idle(&bob, 700_000)]);
    s.publish_final_root(&t0.att);
    t0.claim(&mut s, &alice).unwrap();

    // Round 1's root is disputed with a bond.
    s.set_after_round_end(1, 0);
    let t1 = RoundTree::new(&s, 1, vec![idle(&alice, 800_000), idle(&bob, 1_200_000)]);
    let h1 = s.attestation_hash(&t1.att);
    s.publish_root(&t1.att);
    s.give_ect(&holder, BOND);
    s.dispute_with_bond(&holder, 1, &h1, BOND).unwrap();
    assert_eq!(s.balance(&holder), 0);

    // Round 1's attestation window ends without another root: its reward stays reserved.
    s.set_after_round_end(1, ATTESTATION_WINDOW);
    assert_eq!(
        err(s.attest_root(0, &bare(1, 1_500_000, 2))),
        ContractError::AttestationWindowOver {
            round: 1,
            deadline: s.genesis + 2 * DAY + ATTESTATION_WINDOW
        }
    );
    assert_eq!(
        s.funds(),
        Suite::funds_bonded(9 * ROUND_REWARD, 700_000, ROUND_REWARD, BOND)
    );
    // Round 0's root keeps paying.
    t0.claim(&mut s, &bob).unwrap();
    assert_eq!(s.balance(&bob), 700_000);

    // Round 2's cumulative root carries rounds 1 and 2.
    s.set_after_round_end(2, 0);
    assert_eq!(
        s.funds(),
        Suite::funds_bonded(9 * ROUND_REWARD, 0, 2 * ROUND_REWARD, BOND)
    );
    let t2 = RoundTree::new(&s, 2, vec![idle(&alice, 1_300_000), idle(&bob, 1_700_000)]);
    s.publish_root(&t2.att);
    let accepted_at = s.now();
    let res = s.finalize();
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("1"));
    assert_eq!(attr(&res, "returned_bonds"), Some(BOND.to_string()));
    assert_eq!(
        s.merkle_root(None),
        Some(view(
            &s,
            &t2.att,
            accepted_at,
            2 * ROUND_REWARD,
            2 * ROUND_REWARD
        ))
    );
    assert_eq!(s.merkle_root(Some(1)), None);
    // The dispute is settled, the bond returned.
    assert_eq!(s.balance(&holder), BOND);
    assert_eq!(s.dispute(1, &h1).unwrap().outcome, DisputeOutcome::Replaced);

    // The owners are paid their whole cumulative entitlement.
    let res = t2.claim(&mut s, &alice).unwrap();
    assert_eq!(attr(&res, "amount").as_deref(), Some("1000000"));
    let res = t2.claim(&mut s, &bob).unwrap();
    assert_eq!(attr(&res, "amount").as_deref(), Some("1000000"));
    assert_eq!((s.balance(&alice), s.balance(&bob)), (1_300_000, 1_700_000));
    assert_eq!(s.entitlements(), books(Some(2), 3_000_000, 3_000_000));
    assert_eq!(s.funds(), Suite::funds_of(7 * ROUND_REWARD, 0, 0));
}

// ----- ClaimMany -----

#[test]
fn claim_many_pays_the_others_and_reports_what_it_skipped() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, carol, dave, erin] =
        ["alice", "bob", "carol", "dave", "erin"].map(|n| s.addr(n));
    let relayer = s.addr("relayer");
    let contract = s.contract.clone();
    s.set_after_round_end(0, 0);
    let t0 = RoundTree::new(
        &s,
        0,
        vec![
            idle(&alice, 100_000),
            idle(&bob, 200_000),
            idle(&carol, 300_000),
            idle(&dave, 0),
            idle(&erin, 400_000),
        ],
    );
    s.publish_final_root(&t0.att);
    t0.claim(&mut s, &alice).unwrap();
    s.set_after_round_end(1, 0);
    let t1 = RoundTree::new(
        &s,
        1,
        vec![
            idle(&alice, 150_000),
            idle(&bob, 250_000),
            idle(&carol, 350_000),
            idle(&dave, 0),
            idle(&erin, 400_000),
        ],
    );
    s.publish_final_root(&t1.att);
    t1.claim(&mut s, &erin).unwrap();

    let res = s
        .claim_many(
            &relayer,
            vec![
                t0.owner_claim(&alice), // stale
                t1.owner_claim(&bob),
                t1.owner_claim(&erin), // already claimed
                t1.owner_claim(&dave), // zero
                t1.owner_claim(&carol),
                t1.owner_claim(&bob), // the same owner again
                t1.owner_claim(&alice),
            ],
        )
        .unwrap();
    assert_eq!(
        claim_many_result(&res),
        ClaimManyResult {
            latest: Some(1),
            paid: vec![
                paid_entry(1, &bob, 250_000),
                paid_entry(4, &carol, 350_000),
                paid_entry(6, &alice, 50_000),
            ],
            skipped: vec![
                skipped_entry(0, &alice, ClaimSkipReason::Stale),
                skipped_entry(2, &erin, ClaimSkipReason::Claimed),
                skipped_entry(3, &dave, ClaimSkipReason::Zero),
                skipped_entry(5, &bob, ClaimSkipReason::Claimed),
            ],
        }
    );
    assert_eq!(attrs(&res, &contract, "action"), vec!["claim_many"]);
    assert_eq!(attrs(&res, &contract, "latest"), vec!["1"]);
    assert_eq!(attrs(&res, &contract, "paid"), vec!["3"]);
    assert_eq!(attrs(&res, &contract, "skipped"), vec!["4"]);
    assert_eq!(attrs(&res, &contract, "total"), vec!["650000"]);
    assert_eq!(
        attrs(&res, &contract, "skip"),
        vec![
            format!("0:{alice}:stale"),
            format!("2:{erin}:claimed"),
            format!("3:{dave}:zero"),
            format!("5:{bob}:claimed"),
        ]
    );
    assert_eq!(
        [&alice, &bob, &carol, &dave, &erin].map(|o| s.balance(o)),
        [150_000, 250_000, 350_000, 0, 400_000]
    );
    assert_eq!(
        [&alice, &bob, &carol, &dave, &erin].map(|o| s.claimed(o)),
        [150_000, 250_000, 350_000, 0, 400_000]
    );
    assert_eq!(s.balance(&relayer), 0);
    assert_eq!(s.entitlements(), books(Some(1), 1_150_000, 1_150_000));
    assert_eq!(s.funds().locked, Uint128::zero());

    // Again: everything is skipped, nothing paid.
    let res = s
        .claim_many(
            &relayer,
            vec![t1.owner_claim(&carol), t1.owner_claim(&dave)],
        )
        .unwrap();
    assert_eq!(
        claim_many_result(&res),
        ClaimManyResult {
            latest: Some(1),
            paid: vec![],
            skipped: vec![
                skipped_entry(0, &carol, ClaimSkipReason::Claimed),
                skipped_entry(1, &dave, ClaimSkipReason::Zero),
            ],
        }
    );
    assert_eq!(attrs(&res, &contract, "total"), vec!["0"]);
    assert_eq!(s.balance(&carol), 350_000);
}

#[test]
fn malformed_claim_many_input_fails_the_whole_message() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.addr(n));
    let relayer = s.addr("relayer");
    s.set_after_round_end(0, 0);
    let t = RoundTree::new(
        &s,
        0,
        vec![
            idle(&alice, 200_000),
            idle(&bob, 300_000),
            idle(&carol, 500_000),
        ],
    );
    s.publish_final_root(&t.att);
    let good = vec![t.owner_claim(&alice), t.owner_claim(&bob)];
    let with = |last: OwnerClaim| {
        let mut claims = good.clone();
        claims.push(last);
        claims
    };

    // An owner that is not an address.
    let mut bad_owner = t.owner_claim(&carol);
    bad_owner.owner = "not-an-address".to_string();
    assert_eq!(
        err(s.claim_many(&relayer, with(bad_owner))),
        ContractError::InvalidOwner {
            owner: "not-an-address".to_string()
        }
    );
    // A proof that does not verify: one bit flipped, or another owner's leaf.
    let mut bad_proof = t.owner_claim(&carol);
    let mut bytes = bad_proof.proof.to_vec();
    bytes[0] ^= 1;
    bad_proof.proof = Binary::from(bytes);
    assert_eq!(
        err(s.claim_many(&relayer, with(bad_proof))),
        ContractError::InvalidProof { round: 0 }
    );
    let mut stolen = t.owner_claim(&carol);
    stolen.owner = alice.to_string();
    assert_eq!(
        err(s.claim_many(&relayer, with(stolen))),
        ContractError::InvalidProof { round: 0 }
    );
    // A score other than the policy's.
    let mut bad_score = t.owner_claim(&carol);
    bad_score.score = Uint128::one();
    assert_eq!(
        err(s.claim_many(&relayer, with(bad_score))),
        ContractError::LeafScoreMismatch {
            score: Uint128::one(),
            expected: Uint128::zero()
        }
    );
    // No claims, or more than 100.
    assert_eq!(
        err(s.claim_many(&relayer, vec![])),
        ContractError::EmptyClaims {}
    );
    let max = usize::try_from(MAX_CLAIM_MANY).unwrap();
    assert_eq!(
        err(s.claim_many(&relayer, vec![t.owner_claim(&carol); max + 1])),
        ContractError::TooManyClaims {
            count: max + 1,
            max: MAX_CLAIM_MANY
        }
    );
    // Nothing was paid.
    assert_eq!([&alice, &bob, &carol].map(|o| s.balance(o)), [0, 0, 0]);
    assert_eq!(s.entitlements(), books(Some(0), 1_000_000, 0));

    // 100 entries are fine: the first pays, the others are the same owner again.
    let res = s
        .claim_many(&relayer, vec![t.owner_claim(&carol); max])
        .unwrap();
    let result = claim_many_result(&res);
    assert_eq!(result.paid, vec![paid_entry(0, &carol, 500_000)]);
    assert_eq!(result.skipped.len(), max - 1);
    assert!(result
        .skipped
        .iter()
        .all(|k| k.owner == carol.as_str() && k.reason == ClaimSkipReason::Claimed));
    assert_eq!(s.balance(&carol), 500_000);
}

#[test]
fn claim_many_pays_through_each_owners_payout_profile() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, dave, erin] = ["alice", "bob", "dave", "erin"].map(|n| s.addr(n));
    let relayer = s.addr("relayer");
    let contract = s.contract.clone();
    s.set_after_round_end(0, 0);
    let t = RoundTree::new(&s, 0, vec![idle(&alice, 600_000), idle(&bob, 400_000)]);
    s.publish_final_root(&t.att);
    s.exec(
        &alice,
        &ExecuteMsg::SetPayoutProfile {
            splits: vec![
                PayoutSplit {
                    address: dave.to_string(),
                    bps: 2_500,
                },
                PayoutSplit {
                    address: erin.to_string(),
                    bps: 7_500,
                },
            ],
        },
    )
    .unwrap();
    let res = s
        .claim_many(&relayer, vec![t.owner_claim(&alice), t.owner_claim(&bob)])
        .unwrap();
    assert_eq!(
        claim_many_result(&res).paid,
        vec![paid_entry(0, &alice, 600_000), paid_entry(1, &bob, 400_000)]
    );
    assert_eq!(
        attrs(&res, &contract, "payout"),
        vec![
            format!("{dave}:150000,{erin}:450000"),
            format!("{bob}:400000")
        ]
    );
    assert_eq!(
        [&alice, &dave, &erin, &bob].map(|o| s.balance(o)),
        [0, 150_000, 450_000, 400_000]
    );
    assert_eq!(s.claimed(&alice), 600_000);
    assert_eq!(s.entitlements(), books(Some(0), 1_000_000, 1_000_000));
}

// ----- reserved funds and the pause -----

#[test]
fn withdrawals_cannot_take_a_pending_increase_nor_a_disputed_rounds_reward() {
    let mut s = SuiteBuilder::default().merkle().build();
    s.set_after_round_end(0, 0);
    let a = bare(0, 600_000, 2);
    let ha = s.attestation_hash(&a);
    s.publish_root(&a);
    // The pending increase is reserved.
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 600_000));
    assert_eq!(
        err(withdraw(&mut s, 10 * ROUND_REWARD - 600_000 + 1)),
        reserved_error(10 * ROUND_REWARD - 600_000 + 1, 10 * ROUND_REWARD, 600_000)
    );
    withdraw(&mut s, ROUND_REWARD).unwrap();
    assert_eq!(s.funds(), Suite::funds_of(9 * ROUND_REWARD, 0, 600_000));

    // Disputed: round 0's reward is reserved, also after its attestation window.
    s.dispute_root(2, 0, &ha).unwrap();
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, 0, ROUND_REWARD)
    );
    s.set_after_round_end(0, ATTESTATION_WINDOW);
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, 0, ROUND_REWARD)
    );
    assert_eq!(
        err(withdraw(&mut s, 8 * ROUND_REWARD + 1)),
        reserved_error(8 * ROUND_REWARD + 1, 9 * ROUND_REWARD, ROUND_REWARD)
    );
    // Round 1 ended too: both rounds wait for the next root.
    s.set_after_round_end(1, 0);
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, 0, 2 * ROUND_REWARD)
    );
    assert_eq!(
        err(withdraw(&mut s, 7 * ROUND_REWARD + 1)),
        reserved_error(7 * ROUND_REWARD + 1, 9 * ROUND_REWARD, 2 * ROUND_REWARD)
    );
    withdraw(&mut s, 7 * ROUND_REWARD).unwrap();
    assert_eq!(
        s.funds(),
        Suite::funds_of(2 * ROUND_REWARD, 0, 2 * ROUND_REWARD)
    );

    // Round 1's root carries both rounds: once final, nothing is reserved.
    let root = s.publish_final_root(&bare(1, 2 * ROUND_REWARD, 2));
    assert_eq!(
        (root.locked, root.rewards_since_last),
        (
            Uint128::new(2 * ROUND_REWARD),
            Uint128::new(2 * ROUND_REWARD)
        )
    );
    assert_eq!(s.funds(), Suite::funds_of(0, 2 * ROUND_REWARD, 0));
    assert_eq!(s.balance(&s.contract), 2 * ROUND_REWARD);
}

#[test]
fn disputes_land_while_paused_and_nothing_finalizes() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, holder] = ["alice", "holder"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let [a, b, c] = [600_000, 500_000, 400_000].map(|total| bare(0, total, 2));
    let [ha, hb, hc] = [&a, &b, &c].map(|x| s.attestation_hash(x));

    // An oracle's dispute while paused.
    s.publish_root(&a);
    pause(&mut s);
    s.dispute_root(2, 0, &ha).unwrap();
    assert_eq!(s.pending_root(), None);
    assert_eq!(s.dispute(0, &ha).unwrap().outcome, DisputeOutcome::Open);
    // Re-affirming, attesting and finalizing are paused.
    assert_eq!(err(s.reaffirm(0, &ha)), ContractError::Paused {});
    assert_eq!(err(s.attest_root(0, &b)), ContractError::Paused {});
    assert_eq!(err(finalize_root(&mut s)), ContractError::Paused {});
    unpause(&mut s);

    // A bonded dispute through the hook while paused.
    s.publish_root(&b);
    pause(&mut s);
    s.dispute_with_bond(&holder, 0, &hb, BOND).unwrap();
    assert_eq!(s.dispute(0, &hb).unwrap().bond, Uint128::new(BOND));
    assert_eq!(s.funds().bonded, Uint128::new(BOND));
    unpause(&mut s);

    // A paused contract finalizes nothing: past its window the root stays pending.
    s.publish_root(&c);
    let finalizes_at = s.pending_root().unwrap().finalizes_at;
    pause(&mut s);
    s.set_time(finalizes_at);
    assert_eq!(err(finalize_root(&mut s)), ContractError::Paused {});
    assert_eq!(
        err(s.claim_many(&holder, vec![OwnerClaim::new(0, 0, &idle(&alice, 1), &[])])),
        ContractError::Paused {}
    );
    let pending = s.pending_root().unwrap();
    assert_eq!(
        (pending.root.attestation_hash, pending.finalizable),
        (hc.clone(), true)
    );
    assert_eq!(s.merkle_root(None), None);
    assert_eq!(s.balance(&holder), 0);

    // Unpaused, it is finalized: both disputes of round 0 settled, the bond returned.
    unpause(&mut s);
    let res = s.finalize();
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("2"));
    assert_eq!(attr(&res, "returned_bonds"), Some(BOND.to_string()));
    assert_eq!(s.merkle_root(Some(0)).unwrap().attestation_hash, hc);
    assert_eq!(s.balance(&holder), BOND);
    assert!(s
        .disputes()
        .iter()
        .all(|d| d.outcome == DisputeOutcome::Replaced));
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 400_000, 400_000, 0)
    );
}

/// One finalization settles at most 20 open disputes; the rest stay open (and cannot be
/// re-affirmed behind the finalized root) until the next finalization returns their bonds.
#[test]
fn open_disputes_beyond_one_finalizations_share_are_settled_by_the_next() {
    const DISPUTED: u128 = 21;
    let mut s = SuiteBuilder::default().merkle().build();
    let holder = s.addr("holder");
    s.give_ect(&holder, DISPUTED * BOND);
    s.set_after_round_end(0, 0);
    for i in 0..DISPUTED {
        let att = bare(0, 500_000 + i, 2);
        let hash = s.attestation_hash(&att);
        s.publish_root(&att);
        s.dispute_with_bond(&holder, 0, &hash, BOND).unwrap();
    }
    assert_eq!(s.balance(&holder), 0);
    assert_eq!(s.funds().bonded.u128(), DISPUTED * BOND);

    // A different root of round 0 settles 20 of them.
    s.publish_root(&bare(0, 700_000, 2));
    let res = s.finalize();
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("20"));
    assert_eq!(attr(&res, "returned_bonds"), Some((20 * BOND).to_string()));
    assert_eq!(s.balance(&holder), 20 * BOND);
    let open: Vec<DisputeView> = s
        .disputes()
        .into_iter()
        .filter(|d| d.outcome == DisputeOutcome::Open)
        .collect();
    assert_eq!(open.len(), 1);
    let left = open[0].attestation_hash.clone();
    // The one left is the last in (round, hash) order.
    assert!(s
        .disputes()
        .iter()
        .all(|d| d.attestation_hash.as_slice() <= left.as_slice()));
    assert_eq!(s.funds().bonded.u128(), BOND);
    // Behind the finalized root of its round, it cannot be re-affirmed.
    assert_eq!(
        err(s.reaffirm(0, &left)),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );

    // The next finalization settles it.
    s.set_after_round_end(1, 0);
    s.publish_root(&bare(1, 800_000, 2));
    let res = s.finalize();
    assert_eq!(attr(&res, "settled_disputes").as_deref(), Some("1"));
    assert_eq!(attr(&res, "returned_bonds"), Some(BOND.to_string()));
    assert_eq!(s.balance(&holder), DISPUTED * BOND);
    assert_eq!(s.funds().bonded.u128(), 0);
    assert_eq!(
        s.dispute(0, &left).unwrap().outcome,
        DisputeOutcome::Replaced
    );
    assert_eq!(
        err(s.reaffirm(0, &left)),
        ContractError::DisputeResolved {
            round: 0,
            attestation_hash: left
        }
    );
}

/// A disputed round stays reserved however long ago it ended: the rounds after the last root up
/// to it are summed over the rules history, beyond the rounds whose windows are read one by one.
#[test]
fn a_disputed_round_older_than_the_attestation_windows_stays_reserved() {
    let mut s = SuiteBuilder::default().merkle().build();
    s.set_after_round_end(3, 0);
    let a = bare(3, 600_000, 2);
    let ha = s.attestation_hash(&a);
    s.publish_root(&a);
    s.dispute_root(0, 3, &ha).unwrap();
    // Rounds 0..=3 wait for a root (round 3 disputed, nothing finalized before it).
    assert_eq!(s.funds().reserved.u128(), 4 * ROUND_REWARD);

    // Far later: rounds 0..=3 are older than any attestation window the contract reads one by
    // one; they are still reserved, and so is the round that just ended (inside its window).
    let current = mining_round::state::MAX_ATTESTATION_ROUNDS + 5;
    s.set_after_round_end(current, 0);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, 5 * ROUND_REWARD)
    );
    assert_eq!(
        err(withdraw(&mut s, 5 * ROUND_REWARD + 1)),
        reserved_error(5 * ROUND_REWARD + 1, 10 * ROUND_REWARD, 5 * ROUND_REWARD)
    );
    withdraw(&mut s, 5 * ROUND_REWARD).unwrap();

    // Its window over, only the disputed rounds stay reserved.
    s.set_after_round_end(current, ATTESTATION_WINDOW);
    assert_eq!(s.funds().reserved.u128(), 4 * ROUND_REWARD);
}
