//! Merkle attestation mode over cw-multi-test with the real cw20-base ECT: the mode guard, root
//! votes and acceptance, the entitlement budget, cumulative claims with proofs, forged trees,
//! the contract's proof check on the library's golden vectors, oracle endpoints and the
//! reserved funds. Roots are claimed once final (after their challenge window); the window
//! itself, disputes and `ClaimMany` are in `disputes.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Addr, HexBinary, Uint128};
use cube_merkle::{
    depth_for, leaf_node, leaves_digest, next_leaves, Leaf, LeafContext, MerkleError, Node, Proof,
    RootAttestation, Tree, SIBLING_LEN,
};
use cube_scoring::UsageBuckets;
use cube_types::mining_round::*;
use mining_round::merkle::claim::verify_leaf;
use mining_round::merkle::state::{Attestation, RootRecord};
use mining_round::ContractError;
use proptest::prelude::*;

// ----- golden vectors -----
// From packages/merkle/tests/merkle.rs (`ctx`, `golden_leaves`, `GOLDEN_ROOT_HASH`,
// `GOLDEN_PROOF_1`): the same context, leaves, root and proof of leaf 1. If the library's golden
// vectors change, copy them here again.
const GOLDEN_CHAIN_ID: &str = "rewards-local-1";
const GOLDEN_CONTRACT: &str = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";
const GOLDEN_ROUND: u64 = 7;
const GOLDEN_ROOT: &str = "4dcc70b44a610abcaa24778c7c87e000844a6dc1ad8619160c4bdaec8fd20bdc";
const GOLDEN_ROOT_SUM: u128 = 3_500_000;
const GOLDEN_PROOF: &str = concat!(
    "54401aacb3c85bd3415bc283f35be3f39f294db2502ea261f64823451ec7734e",
    "000000000000000000000000000f4240",
    "92d01c0a5bcb044d734e21de1601b4bd7508054af5c75a9436ae3911a75f812a",
    "00000000000000000000000000000000",
);
/// The leaf `GOLDEN_PROOF` proves.
const GOLDEN_PROOF_INDEX: u64 = 1;

/// The library's golden leaves, in tree order.
fn golden_leaves() -> Vec<Leaf> {
    vec![
        Leaf {
            owner: "wasm10a6yhzl3nlw2cevqjhvmzle9vfqcr5lfx7emsy".into(),
            buckets: UsageBuckets {
                wh: [[120, 0, 35], [0, 7, 0]],
            },
            score: 12_345_678,
            cumulative: 1_000_000,
        },
        Leaf {
            owner: "wasm1jcq5hcwx3cm6el0kvxhmz3zk0y5ya8ps5jtzu0".into(),
            buckets: UsageBuckets {
                wh: [[0, 0, 0], [400, 0, 15]],
            },
            score: 98_765_432,
            cumulative: 2_500_000,
        },
        Leaf {
            owner: "wasm1vqhc7lz4q0hce8k3u9q2aecyf7f0e52ap2xwln".into(),
            buckets: UsageBuckets {
                wh: [[0, 3, 0], [0, 0, 0]],
            },
            score: 4_200_000,
            cumulative: 0,
        },
    ]
}

fn root_vote(oracle: &Addr, hash: &HexBinary, current_oracle: bool) -> RootVote {
    RootVote {
        oracle: oracle.to_string(),
        attestation_hash: hash.clone(),
        current_oracle,
    }
}

/// Votes of current oracles for `hash` in the `RootVotes` answer (0 when not listed).
fn votes_for(v: &RootVotesResponse, hash: &HexBinary) -> u32 {
    v.tallies
        .iter()
        .find(|t| t.attestation_hash == *hash)
        .map_or(0, |t| t.votes)
}

/// Every final root, all pages.
fn all_roots(s: &Suite) -> Vec<RootView> {
    let mut out = vec![];
    let mut start_after = None;
    loop {
        let page: MerkleRootsResponse = s.query(&QueryMsg::MerkleRoots {
            start_after,
            limit: Some(1),
        });
        out.extend(page.roots);
        match page.next {
            Some(n) => start_after = Some(n),
            None => return out,
        }
    }
}

fn pause(s: &mut Suite) {
    let owner = s.owner.clone();
    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
}

fn unpause(s: &mut Suite) {
    let owner = s.owner.clone();
    s.exec(&owner, &ExecuteMsg::Unpause {}).unwrap();
}

/// The owner's `UpdateConfig` of the round reward and the quorum (`None`: unchanged).
fn update_config(s: &mut Suite, round_reward: Option<u128>, quorum: Option<u32>) {
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateConfig {
            round_reward: round_reward.map(Uint128::new),
            attestation_window: None,
            claim_window: None,
            quorum,
            rated_power: None,
            max_entries_per_batch: None,
            max_claim_rounds: None,
            challenge_window: None,
            dispute_bond_bps: None,
        },
    )
    .unwrap();
}

fn set_quorum(s: &mut Suite, quorum: u32) {
    update_config(s, None, Some(quorum));
}

fn remove_oracle(s: &mut Suite, oracle: &Addr) {
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateOracles {
            add: vec![],
            remove: vec![oracle.to_string()],
        },
    )
    .unwrap();
}

// ----- the mode -----

#[test]
fn the_mode_is_chosen_at_instantiation_and_guards_the_other_modes_messages() {
    // The default is direct, explicit or not.
    let mut d = SuiteBuilder::default().build();
    assert_eq!(config(&d).attestation_mode, AttestationMode::Direct);
    let explicit = SuiteBuilder::default()
        .attestation_mode(Some(AttestationMode::Direct))
        .build();
    assert_eq!(config(&explicit).attestation_mode, AttestationMode::Direct);
    let mut m = SuiteBuilder::default().merkle().build();
    assert_eq!(config(&m).attestation_mode, AttestationMode::Merkle);
    // The challenge window and the dispute bond default to six hours and 1 %.
    assert_eq!(
        (config(&m).challenge_window, config(&m).dispute_bond_bps),
        (DEFAULT_CHALLENGE_WINDOW, DEFAULT_DISPUTE_BOND_BPS)
    );
    assert_eq!(
        (DEFAULT_CHALLENGE_WINDOW, DEFAULT_DISPUTE_BOND_BPS),
        (21_600, 100)
    );
    assert_eq!(
        cosmwasm_std::to_json_string(&AttestationMode::Merkle).unwrap(),
        "\"merkle\""
    );
    assert_eq!(
        cosmwasm_std::to_json_string(&AttestationMode::Direct).unwrap(),
        "\"direct\""
    );
    assert_eq!(
        d.entitlements(),
        EntitlementsResponse {
            mode: AttestationMode::Direct,
            last_round: None,
            total_entitlement: Uint128::zero(),
            total_paid: Uint128::zero(),
            outstanding: Uint128::zero(),
        }
    );
    assert_eq!(m.entitlements(), books(None, 0, 0));

    // Direct mode refuses the merkle messages.
    let alice = d.addr("alice");
    d.give_devices(&alice, &[DeviceModel::CubeV1]);
    d.set_after_round_end(0, 0);
    let wrong = ContractError::WrongAttestationMode {
        mode: AttestationMode::Direct,
        required: AttestationMode::Merkle,
    };
    let att = bare(0, 1, 1);
    assert_eq!(err(d.attest_root(0, &att)), wrong);
    let hash = d.attestation_hash(&att);
    assert_eq!(err(d.accept_root(0, &hash)), wrong);
    assert_eq!(
        err(d.claim_cumulative_bytes(&alice, 0, 0, &idle(&alice, 1), &[])),
        wrong
    );
    let anyone = d.addr("anyone");
    assert_eq!(
        err(d.claim_many(&anyone, vec![OwnerClaim::new(0, 0, &idle(&alice, 1), &[])])),
        wrong
    );
    assert_eq!(err(d.exec(&anyone, &ExecuteMsg::FinalizeRoot {})), wrong);
    assert_eq!(err(d.dispute_root(0, 0, &hash)), wrong);
    assert_eq!(err(d.reaffirm(0, &hash)), wrong);
    // …and keeps working as before.
    d.attest(0, 0, 1, &entries(vec![(alice.clone(), offpeak(100))]));
    assert_eq!(d.round(0).summary.status, RoundStatus::Finalized);
    assert_eq!(d.funds().locked, Uint128::new(ROUND_REWARD));
    d.assert_merkle_invariants();
    d.claim(&alice, None).unwrap();
    assert_eq!(d.balance(&alice), ROUND_REWARD);
    assert_eq!(d.entitlements().total_paid, Uint128::zero());

    // Merkle mode refuses the direct messages.
    let bob = m.addr("bob");
    m.set_after_round_end(0, 0);
    let wrong = ContractError::WrongAttestationMode {
        mode: AttestationMode::Merkle,
        required: AttestationMode::Direct,
    };
    let batch = entries(vec![(bob.clone(), UsageBuckets::default())]);
    let batch_hash = cube_scoring::batch_hash(0, 0, 1, 1, &batch).unwrap();
    assert_eq!(err(m.submit(0, 0, 0, 1, 1, &batch)), wrong);
    assert_eq!(err(m.vote(0, 0, 0, 1, 1, batch_hash)), wrong);
    let anyone = m.addr("anyone");
    assert_eq!(
        err(m.exec(&anyone, &accept_batch_msg(0, 0, &batch_hash))),
        wrong
    );
    assert_eq!(
        err(m.exec(&anyone, &ExecuteMsg::CloseVoidRound { round: 0 })),
        wrong
    );
    assert_eq!(err(m.claim(&bob, None)), wrong);
    assert_eq!(err(m.claim(&bob, Some(vec![0]))), wrong);
    assert!(m.batch(0, 0).tallies.is_empty());
    assert_eq!(
        m.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, ROUND_REWARD)
    );
    m.assert_merkle_invariants();
}

// ----- root attestation -----

#[test]
fn a_root_is_accepted_at_quorum_and_locks_exactly_the_entitlement_increase() {
    // A challenge window inside the round's attestation window: the final root is still
    // inside it.
    let window = ATTESTATION_WINDOW / 2;
    let mut s = SuiteBuilder::default()
        .merkle()
        .challenge_window(window)
        .build();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.addr(n));
    let [o0, o1, o2] = [0, 1, 2].map(|i| s.oracles[i].clone());
    let t = RoundTree::new(
        &s,
        0,
        vec![
            idle(&alice, 100_000),
            idle(&bob, 200_000),
            idle(&carol, 300_000),
        ],
    );
    assert_eq!((t.att.leaf_count, t.att.depth), (3, 2));
    // Round 0 still running.
    assert_eq!(
        err(s.attest_root(0, &t.att)),
        ContractError::RoundNotEnded {
            round: 0,
            ends_at: s.genesis + DAY
        }
    );
    s.set_after_round_end(0, 10);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, ROUND_REWARD)
    );
    let hash = s.attestation_hash(&t.att);

    // A lone vote is not accepted.
    let res = s.attest_root(0, &t.att).unwrap();
    assert_eq!(attr(&res, "action").as_deref(), Some("attest_root"));
    assert_eq!(attr(&res, "accepted").as_deref(), Some("false"));
    assert_eq!(attr(&res, "votes").as_deref(), Some("1"));
    assert_eq!(attr(&res, "quorum").as_deref(), Some("2"));
    assert_eq!(attr(&res, "attestation_hash"), Some(hash.to_hex()));
    assert_eq!(attr(&res, "replaced_hash"), None);
    assert_eq!(s.merkle_root(Some(0)), None);
    assert_eq!(s.merkle_root(None), None);
    assert_eq!(
        s.root_votes(0),
        RootVotesResponse {
            round: 0,
            quorum: 2,
            votes: vec![root_vote(&o0, &hash, true)],
            tallies: vec![RootTally {
                attestation_hash: hash.clone(),
                votes: 1,
                attestation: RootAttestationView::from(&t.att),
            }],
        }
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, ROUND_REWARD)
    );
    assert_eq!(s.entitlements(), books(None, 0, 0));

    // The same vote again; a vote by a non-oracle.
    assert_eq!(
        err(s.attest_root(0, &t.att)),
        ContractError::AlreadyVotedRoot {
            oracle: o0.to_string(),
            round: 0
        }
    );
    let mallory = s.addr("mallory");
    assert_eq!(
        err(s.exec(&mallory, &ExecuteMsg::attest_root(&t.att))),
        ContractError::NotOracle {
            sender: mallory.to_string()
        }
    );
    assert_eq!(s.root_votes(0).votes.len(), 1);

    // The second vote accepts: the root is pending for its challenge window and locks nothing
    // yet; its increase is reserved from withdrawals.
    let res = s.attest_root(1, &t.att).unwrap();
    assert_eq!(attr(&res, "accepted").as_deref(), Some("true"));
    assert_eq!(attr(&res, "votes").as_deref(), Some("2"));
    assert_eq!(
        attr(&res, "root"),
        Some(HexBinary::from(t.att.root).to_hex())
    );
    assert_eq!(attr(&res, "total_entitlement").as_deref(), Some("600000"));
    assert_eq!(attr(&res, "increase").as_deref(), Some("600000"));
    let accepted = view(&s, &t.att, s.now(), 600_000, ROUND_REWARD);
    assert_eq!(accepted.attestation_hash, hash);
    let finalizes_at = s.now() + window;
    assert_eq!(attr(&res, "pending").as_deref(), Some("true"));
    assert_eq!(attr(&res, "finalizes_at"), Some(finalizes_at.to_string()));
    assert_eq!(
        s.pending_root(),
        Some(PendingRootView {
            root: accepted.clone(),
            finalizes_at,
            finalizable: false,
            dispute_bond: Uint128::new(ROUND_REWARD / 100),
        })
    );
    assert_eq!(s.merkle_root(Some(0)), None);
    assert_eq!(s.merkle_root(None), None);
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 600_000));
    assert_eq!(s.entitlements(), books(None, 0, 0));
    let mut votes = vec![root_vote(&o0, &hash, true), root_vote(&o1, &hash, true)];
    votes.sort_by(|a, b| a.oracle.cmp(&b.oracle));
    let v = s.root_votes(0);
    assert_eq!(v.votes, votes);
    assert_eq!(votes_for(&v, &hash), 2);
    // A pending root is never replaced: no more votes for its round, not even the same
    // attestation.
    assert_eq!(
        err(s.attest_root(2, &t.att)),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );
    assert_eq!(
        err(s.attest_root(2, &bare(0, 700_000, 3))),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );

    // Anyone finalizes it once the window is over: exactly the increase moves from unlocked to
    // locked; the token balance did not move.
    s.set_time(finalizes_at - 1);
    assert_eq!(
        err(s.exec(&mallory, &ExecuteMsg::FinalizeRoot {})),
        ContractError::ChallengeWindowOpen {
            round: 0,
            finalizes_at
        }
    );
    let res = s.finalize();
    assert_eq!(attr(&res, "action").as_deref(), Some("finalize_root"));
    assert_eq!(attr(&res, "finalized_round").as_deref(), Some("0"));
    assert_eq!(attr(&res, "locked").as_deref(), Some("600000"));
    assert_eq!(s.now(), finalizes_at);
    assert_eq!(s.pending_root(), None);
    assert_eq!(s.merkle_root(Some(0)), Some(accepted.clone()));
    assert_eq!(s.merkle_root(None), Some(accepted.clone()));
    assert_eq!(s.merkle_root(Some(1)), None);
    let roots: MerkleRootsResponse = s.query(&QueryMsg::MerkleRoots {
        start_after: None,
        limit: None,
    });
    assert_eq!(
        roots,
        MerkleRootsResponse {
            roots: vec![accepted],
            next: None
        }
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, 0)
    );
    assert_eq!(s.balance(&s.contract), 10 * ROUND_REWARD);
    assert_eq!(s.entitlements(), books(Some(0), 600_000, 0));
    assert_eq!(s.root_votes(0).votes, votes);
    s.assert_merkle_invariants();

    // Round 0 has its final root (its attestation window still open): no more votes for it,
    // not even the same attestation, and no acceptance.
    assert_eq!(
        err(s.attest_root(2, &t.att)),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );
    assert_eq!(
        err(s.attest_root(2, &bare(0, 700_000, 3))),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );
    assert_eq!(
        err(s.accept_root(0, &hash)),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );
    assert!(s
        .root_votes(0)
        .votes
        .iter()
        .all(|v| v.oracle != o2.as_str()));
}

#[test]
fn a_changed_vote_moves_the_tally() {
    let mut s = SuiteBuilder::default().merkle().build();
    let o0 = s.oracles[0].clone();
    s.set_after_round_end(0, 0);
    let a = bare(0, 500_000, 3);
    let b = bare(0, 400_000, 3);
    let (ha, hb) = (s.attestation_hash(&a), s.attestation_hash(&b));
    assert_ne!(ha, hb);

    s.attest_root(0, &a).unwrap();
    let res = s.attest_root(0, &b).unwrap();
    assert_eq!(attr(&res, "replaced_hash"), Some(ha.to_hex()));
    assert_eq!(attr(&res, "accepted").as_deref(), Some("false"));
    let v = s.root_votes(0);
    assert_eq!(v.votes, vec![root_vote(&o0, &hb, true)]);
    assert_eq!((votes_for(&v, &ha), votes_for(&v, &hb)), (0, 1));

    // Oracle 1 votes a: one vote (oracle 0 moved away), not accepted.
    let res = s.attest_root(1, &a).unwrap();
    assert_eq!(attr(&res, "accepted").as_deref(), Some("false"));
    assert_eq!(attr(&res, "votes").as_deref(), Some("1"));
    let v = s.root_votes(0);
    assert_eq!((votes_for(&v, &ha), votes_for(&v, &hb)), (1, 1));
    assert_eq!(s.pending_root(), None);
    assert_eq!(s.merkle_root(Some(0)), None);

    // Oracle 0 moves back to a: two votes, accepted (pending until its window is over).
    let res = s.attest_root(0, &a).unwrap();
    assert_eq!(attr(&res, "replaced_hash"), Some(hb.to_hex()));
    assert_eq!(attr(&res, "accepted").as_deref(), Some("true"));
    assert_eq!(attr(&res, "votes").as_deref(), Some("2"));
    let root = s.pending_root().unwrap().root;
    assert_eq!(
        (root.attestation_hash, root.total_entitlement, root.locked),
        (ha.clone(), Uint128::new(500_000), Uint128::new(500_000))
    );
    let v = s.root_votes(0);
    assert_eq!((votes_for(&v, &ha), votes_for(&v, &hb)), (2, 0));
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 500_000));
    s.finalize();
    assert_eq!(s.merkle_root(Some(0)).unwrap().attestation_hash, ha);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 500_000, 500_000, 0)
    );
    s.assert_merkle_invariants();
}

#[test]
fn malformed_attestations_are_refused() {
    let mut s = SuiteBuilder::default().merkle().build();
    let o0 = s.oracles[0].clone();
    s.set_after_round_end(0, 0);
    let good = bare(0, 1_000, 3);

    // Hashes of the wrong length.
    for (field, len) in [
        ("root", 31usize),
        ("leaves_digest", 33),
        ("input_digest", 0),
    ] {
        let mut msg = ExecuteMsg::attest_root(&good);
        if let ExecuteMsg::AttestRoot {
            root,
            leaves_digest,
            input_digest,
            ..
        } = &mut msg
        {
            let bad = HexBinary::from(vec![1u8; len]);
            match field {
                "root" => *root = bad,
                "leaves_digest" => *leaves_digest = bad,
                _ => *input_digest = bad,
            }
        }
        assert_eq!(
            err(s.exec(&o0, &msg)),
            ContractError::InvalidHashLength { len },
            "{field}"
        );
    }

    // A depth other than the minimal one for the leaf count, or no leaves.
    for (leaf_count, depth) in [
        (3u64, 3u8),
        (3, 1),
        (1, 1),
        (2, 0),
        (0, 0),
        (1_000_000, 19),
        (1_000_000, 21),
    ] {
        let mut att = good.clone();
        att.leaf_count = leaf_count;
        att.depth = depth;
        assert_eq!(
            err(s.attest_root(0, &att)),
            ContractError::InvalidTreeShape { leaf_count, depth }
        );
    }

    // The policy version of another round.
    let mut att = good.clone();
    att.policy_version = 2;
    assert_eq!(
        err(s.attest_root(0, &att)),
        ContractError::WrongPolicyVersion {
            round: 0,
            expected: 1,
            got: 2
        }
    );

    // At the deadline the window is over; round 1 has not ended yet.
    s.set_after_round_end(0, ATTESTATION_WINDOW);
    assert_eq!(
        err(s.attest_root(0, &good)),
        ContractError::AttestationWindowOver {
            round: 0,
            deadline: s.genesis + DAY + ATTESTATION_WINDOW
        }
    );
    assert_eq!(
        err(s.attest_root(0, &bare(1, 1_000, 3))),
        ContractError::RoundNotEnded {
            round: 1,
            ends_at: s.genesis + 2 * DAY
        }
    );
    // Nothing was stored.
    assert!(s.root_votes(0).votes.is_empty());
    assert!(s.root_votes(0).tallies.is_empty());
    assert_eq!(s.entitlements(), books(None, 0, 0));
    s.assert_merkle_invariants();
}

#[test]
fn the_entitlement_never_decreases_and_grows_at_most_by_the_rewards_since_the_last_root() {
    let mut s = SuiteBuilder::default().merkle().build();
    s.set_after_round_end(0, 0);
    // More than the round's reward: the first vote is taken, the accepting one fails.
    let over = bare(0, ROUND_REWARD + 1, 3);
    s.attest_root(0, &over).unwrap();
    assert_eq!(
        err(s.attest_root(1, &over)),
        ContractError::EntitlementExceedsBudget {
            increase: Uint128::new(ROUND_REWARD + 1),
            rewards: Uint128::new(ROUND_REWARD),
            unlocked: Uint128::new(10 * ROUND_REWARD),
        }
    );
    assert_eq!(s.merkle_root(Some(0)), None);
    assert_eq!(votes_for(&s.root_votes(0), &s.attestation_hash(&over)), 1);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, ROUND_REWARD)
    );

    // Exactly the reward (oracle 0 changes its vote).
    let full = bare(0, ROUND_REWARD, 3);
    s.publish_final_root(&full);
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, ROUND_REWARD, 0)
    );
    s.assert_merkle_invariants();

    // Round 1: a smaller total is refused at the vote.
    s.set_after_round_end(1, 0);
    assert_eq!(
        err(s.attest_root(0, &bare(1, ROUND_REWARD - 1, 3))),
        ContractError::EntitlementDecreased {
            total: Uint128::new(ROUND_REWARD - 1),
            last: Uint128::new(ROUND_REWARD),
        }
    );
    assert!(s.root_votes(1).votes.is_empty());
    // The same total (nobody earned anything) locks nothing.
    let same = bare(1, ROUND_REWARD, 4);
    s.publish_final_root(&same);
    let root = s.merkle_root(None).unwrap();
    assert_eq!(
        (root.round, root.locked, root.rewards_since_last),
        (1, Uint128::zero(), Uint128::new(ROUND_REWARD))
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(9 * ROUND_REWARD, ROUND_REWARD, 0)
    );
    assert_eq!(s.entitlements(), books(Some(1), ROUND_REWARD, 0));
    s.assert_merkle_invariants();
}

#[test]
fn the_entitlement_increase_is_capped_by_the_unlocked_funds() {
    let mut s = SuiteBuilder::default().merkle().funding(400_000).build();
    s.set_after_round_end(0, 0);
    assert_eq!(s.funds(), Suite::funds_of(400_000, 0, ROUND_REWARD));
    let over = bare(0, 400_001, 2);
    s.attest_root(0, &over).unwrap();
    assert_eq!(
        err(s.attest_root(1, &over)),
        ContractError::EntitlementExceedsBudget {
            increase: Uint128::new(400_001),
            rewards: Uint128::new(ROUND_REWARD),
            unlocked: Uint128::new(400_000),
        }
    );
    assert_eq!(s.merkle_root(None), None);
    // Pending, the whole unlocked balance is reserved for it; final, it is locked.
    s.publish_root(&bare(0, 400_000, 2));
    assert_eq!(s.funds(), Suite::funds_of(400_000, 0, 400_000));
    s.finalize();
    assert_eq!(s.funds(), Suite::funds_of(0, 400_000, 0));
    assert_eq!(
        s.merkle_root(None).unwrap().rewards_since_last,
        Uint128::new(ROUND_REWARD)
    );
    s.assert_merkle_invariants();

    // New funds let the next root lock its round's reward.
    s.fund(ROUND_REWARD).unwrap();
    s.set_after_round_end(1, 0);
    s.publish_final_root(&bare(1, 400_000 + ROUND_REWARD, 2));
    assert_eq!(s.funds(), Suite::funds_of(0, 400_000 + ROUND_REWARD, 0));
    assert_eq!(s.balance(&s.contract), 400_000 + ROUND_REWARD);
    s.assert_merkle_invariants();
}

#[test]
fn a_skipped_rounds_reward_is_carried_by_the_next_root() {
    let mut s = SuiteBuilder::default().merkle().build();
    s.set_after_round_end(0, 0);
    let r0 = bare(0, 600_000, 3);
    s.publish_final_root(&r0);

    // No root for round 1; its window ends while round 2 ends.
    s.set_after_round_end(2, 0);
    assert_eq!(
        err(s.attest_root(0, &bare(1, 600_000, 3))),
        ContractError::AttestationWindowOver {
            round: 1,
            deadline: s.genesis + 2 * DAY + ATTESTATION_WINDOW
        }
    );
    // Only round 2 is still reserved (round 1's window is over).
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, ROUND_REWARD)
    );
    // Round 2's root may add the rewards of rounds 1 and 2, not more: round 0's unused 400,000
    // are not carried.
    let over = bare(2, 600_000 + 2 * ROUND_REWARD + 1, 3);
    s.attest_root(0, &over).unwrap();
    assert_eq!(
        err(s.attest_root(1, &over)),
        ContractError::EntitlementExceedsBudget {
            increase: Uint128::new(2 * ROUND_REWARD + 1),
            rewards: Uint128::new(2 * ROUND_REWARD),
            unlocked: Uint128::new(10 * ROUND_REWARD - 600_000),
        }
    );
    let r2 = bare(2, 600_000 + 2 * ROUND_REWARD, 3);
    s.publish_root(&r2);
    let accepted_at = s.now();
    s.finalize();
    assert_eq!(
        s.merkle_root(None),
        Some(view(
            &s,
            &r2,
            accepted_at,
            2 * ROUND_REWARD,
            2 * ROUND_REWARD
        ))
    );
    assert_eq!(s.merkle_root(Some(1)), None);
    assert_eq!(
        all_roots(&s).iter().map(|r| r.round).collect::<Vec<_>>(),
        vec![0, 2]
    );
    assert_eq!(
        s.funds(),
        Suite::funds_of(
            10 * ROUND_REWARD - 600_000 - 2 * ROUND_REWARD,
            600_000 + 2 * ROUND_REWARD,
            0
        )
    );
    assert_eq!(
        s.entitlements(),
        books(Some(2), 600_000 + 2 * ROUND_REWARD, 0)
    );
    s.assert_merkle_invariants();
}

#[test]
fn the_first_root_may_carry_every_round_since_genesis() {
    let mut s = SuiteBuilder::default().merkle().build();
    s.set_after_round_end(2, 0);
    let over = bare(2, 3 * ROUND_REWARD + 1, 1);
    s.attest_root(0, &over).unwrap();
    assert_eq!(
        err(s.attest_root(1, &over)),
        ContractError::EntitlementExceedsBudget {
            increase: Uint128::new(3 * ROUND_REWARD + 1),
            rewards: Uint128::new(3 * ROUND_REWARD),
            unlocked: Uint128::new(10 * ROUND_REWARD),
        }
    );
    let full = bare(2, 3 * ROUND_REWARD, 1);
    s.publish_final_root(&full);
    let root = s.merkle_root(None).unwrap();
    assert_eq!(
        (root.round, root.locked, root.rewards_since_last),
        (
            2,
            Uint128::new(3 * ROUND_REWARD),
            Uint128::new(3 * ROUND_REWARD)
        )
    );
    s.assert_merkle_invariants();
}

#[test]
fn accept_root_counts_current_oracles_against_the_current_quorum() {
    // The root is final inside its round's attestation window.
    let mut s = SuiteBuilder::default()
        .merkle()
        .challenge_window(ATTESTATION_WINDOW / 2)
        .build();
    let o2 = s.oracles[2].clone();
    s.set_after_round_end(0, 0);
    let att = bare(0, 500_000, 2);
    let hash = s.attestation_hash(&att);
    let unknown = HexBinary::from([9u8; 32]);
    assert_eq!(
        err(s.accept_root(0, &unknown)),
        ContractError::UnknownAttestation {
            round: 0,
            attestation_hash: unknown.clone()
        }
    );
    s.attest_root(2, &att).unwrap();
    // Proposed for round 0 only.
    assert_eq!(
        err(s.accept_root(1, &hash)),
        ContractError::UnknownAttestation {
            round: 1,
            attestation_hash: hash.clone()
        }
    );
    assert_eq!(
        err(s.accept_root(0, &hash)),
        ContractError::RootQuorumNotReached {
            round: 0,
            votes: 1,
            quorum: 2
        }
    );

    // Oracle 2 is removed: its vote stays as evidence and no longer counts.
    remove_oracle(&mut s, &o2);
    let v = s.root_votes(0);
    assert_eq!(v.votes, vec![root_vote(&o2, &hash, false)]);
    assert_eq!(votes_for(&v, &hash), 0);
    assert_eq!(
        err(s.accept_root(0, &hash)),
        ContractError::RootQuorumNotReached {
            round: 0,
            votes: 0,
            quorum: 2
        }
    );
    s.attest_root(0, &att).unwrap();
    assert_eq!(
        err(s.accept_root(0, &hash)),
        ContractError::RootQuorumNotReached {
            round: 0,
            votes: 1,
            quorum: 2
        }
    );
    assert_eq!(s.merkle_root(Some(0)), None);

    // The quorum is lowered to 1: anyone accepts the standing vote.
    set_quorum(&mut s, 1);
    let res = s.accept_root(0, &hash).unwrap();
    assert_eq!(attr(&res, "action").as_deref(), Some("accept_root"));
    assert_eq!(attr(&res, "votes").as_deref(), Some("1"));
    assert_eq!(attr(&res, "quorum").as_deref(), Some("1"));
    assert_eq!(attr(&res, "increase").as_deref(), Some("500000"));
    let accepted = view(&s, &att, s.now(), 500_000, ROUND_REWARD);
    assert_eq!(s.pending_root().unwrap().root, accepted);
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 500_000));
    s.finalize();
    assert_eq!(s.merkle_root(Some(0)), Some(accepted));
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 500_000, 500_000, 0)
    );
    assert_eq!(
        err(s.accept_root(0, &hash)),
        ContractError::RootNotAfterLast { round: 0, last: 0 }
    );
    s.assert_merkle_invariants();
}

#[test]
fn attestation_does_not_depend_on_the_number_of_leaves() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.addr(n));
    assert_eq!(depth_for(1_000_000).unwrap(), 20);
    s.set_after_round_end(0, 0);
    let three = RoundTree::new(&s, 0, vec![idle(&alice, 1), idle(&bob, 2), idle(&carol, 3)]);
    s.publish_final_root(&three.att);
    // A million leaves: the contract never sees them, only the attestation.
    s.set_after_round_end(1, 0);
    let million = bare(1, 500_000, 1_000_000);
    assert_eq!(million.depth, 20);
    s.publish_final_root(&million);
    let root = s.merkle_root(None).unwrap();
    assert_eq!(
        (root.round, root.leaf_count, root.depth, root.locked),
        (1, 1_000_000, 20, Uint128::new(500_000 - 6))
    );
    // The largest tree: 2^32 leaves, depth 32.
    s.set_after_round_end(2, 0);
    let largest = bare(2, 600_000, 1 << 32);
    assert_eq!(largest.depth, 32);
    s.publish_final_root(&largest);
    assert_eq!(s.merkle_root(None).unwrap().leaf_count, 1 << 32);
    s.assert_merkle_invariants();
}

// ----- claims -----

/// Alice holds a CubeV1 and a CubeV2 (dual product), bob and carol a CubeV1 each, dave nothing.
fn claim_suite() -> (Suite, [Addr; 4]) {
    let mut s = SuiteBuilder::default().merkle().build();
    let owners = ["alice", "bob", "carol", "dave"].map(|n| s.addr(n));
    s.give_devices(&owners[0], &[DeviceModel::CubeV1, DeviceModel::CubeV2]);
    s.give_devices(&owners[1], &[DeviceModel::CubeV1]);
    s.give_devices(&owners[2], &[DeviceModel::CubeV1]);
    (s, owners)
}

#[test]
fn owners_claim_exactly_their_cumulative_entitlement() {
    let (mut s, [alice, bob, carol, dave]) = claim_suite();
    let contract = s.contract.clone();
    // Round 0: alice 100 Wh × 1.3 (dual) = 130 points, bob 300, carol 50, dave nothing.
    let u0 = vec![
        usage(&alice, offpeak(100), true),
        usage(&bob, offpeak(300), false),
        usage(&carol, offpeak(50), false),
        usage(&dave, UsageBuckets::default(), false),
    ];
    let t0 = RoundTree::new(&s, 0, next_leaves(&[], &u0, ROUND_REWARD).unwrap());
    assert_eq!(
        [&alice, &bob, &carol, &dave].map(|o| t0.leaf(o).cumulative),
        [270_833, 625_000, 104_166, 0]
    );
    assert_eq!(t0.att.total_score, 480_000_000);

    // Before any root.
    s.set_after_round_end(0, 0);
    assert_eq!(err(t0.claim(&mut s, &alice)), ContractError::NoRoot {});
    // Pending: not claimable until its challenge window is over.
    s.publish_root(&t0.att);
    let finalizes_at = s.now() + DEFAULT_CHALLENGE_WINDOW;
    assert_eq!(
        err(t0.claim(&mut s, &alice)),
        ContractError::RootPending {
            round: 0,
            finalizes_at
        }
    );
    assert_eq!(s.entitlements(), books(None, 0, 0));
    s.finalize();
    assert_eq!(s.entitlements(), books(Some(0), 999_999, 0));
    s.assert_merkle_invariants();

    // Alice is paid her cumulative, exactly.
    let before = s.balance(&contract);
    let res = t0.claim(&mut s, &alice).unwrap();
    assert_eq!(attr(&res, "action").as_deref(), Some("claim_cumulative"));
    assert_eq!(attr(&res, "cumulative").as_deref(), Some("270833"));
    assert_eq!(attr(&res, "amount").as_deref(), Some("270833"));
    assert_eq!(attr(&res, "claimed_before").as_deref(), Some("0"));
    assert_eq!(s.balance(&alice), 270_833);
    assert_eq!(before - s.balance(&contract), 270_833);
    let c: ClaimedCumulativeResponse = s.query(&QueryMsg::ClaimedCumulative {
        owner: alice.to_string(),
    });
    assert_eq!(
        c,
        ClaimedCumulativeResponse {
            owner: alice.to_string(),
            claimed: Uint128::new(270_833)
        }
    );
    assert_eq!(s.claimed(&bob), 0);
    assert_eq!(s.entitlements(), books(Some(0), 999_999, 270_833));
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 999_999, 999_999 - 270_833, 0)
    );
    s.assert_merkle_invariants();

    // Never twice; dave's leaf is in the tree with nothing to pay.
    assert_eq!(
        err(t0.claim(&mut s, &alice)),
        ContractError::CumulativeAlreadyClaimed {
            cumulative: Uint128::new(270_833),
            claimed: Uint128::new(270_833)
        }
    );
    assert_eq!(err(t0.claim(&mut s, &dave)), ContractError::ZeroClaim {});
    assert_eq!(s.balance(&alice), 270_833);
    // Bob claims round 0 too; carol waits.
    t0.claim(&mut s, &bob).unwrap();
    assert_eq!(s.balance(&bob), 625_000);
    s.assert_merkle_invariants();

    // Round 1: alice 200 Wh (260 points), carol 50; bob and dave are carried.
    let u1 = vec![
        usage(&alice, offpeak(200), true),
        usage(&carol, offpeak(50), false),
    ];
    let t1 = RoundTree::new(&s, 1, next_leaves(&t0.leaves, &u1, ROUND_REWARD).unwrap());
    assert_eq!(
        [&alice, &bob, &carol, &dave].map(|o| t1.leaf(o).cumulative),
        [270_833 + 838_709, 625_000, 104_166 + 161_290, 0]
    );
    assert_eq!(t1.leaf(&bob).score, 0);
    s.set_after_round_end(1, 0);
    s.publish_final_root(&t1.att);
    let root = s.merkle_root(None).unwrap();
    assert_eq!(
        (root.round, root.locked, root.rewards_since_last),
        (1, Uint128::new(999_999), Uint128::new(ROUND_REWARD))
    );
    s.assert_merkle_invariants();

    // Round 0's proofs are stale now.
    assert_eq!(
        err(t0.claim(&mut s, &carol)),
        ContractError::StaleProof {
            round: 0,
            latest: 1
        }
    );
    // Each owner gets exactly the difference to what it was paid.
    let res = t1.claim(&mut s, &alice).unwrap();
    assert_eq!(attr(&res, "amount").as_deref(), Some("838709"));
    assert_eq!(attr(&res, "claimed_before").as_deref(), Some("270833"));
    assert_eq!(s.balance(&alice), 1_109_542);
    assert_eq!(
        err(t1.claim(&mut s, &bob)),
        ContractError::CumulativeAlreadyClaimed {
            cumulative: Uint128::new(625_000),
            claimed: Uint128::new(625_000)
        }
    );
    t1.claim(&mut s, &carol).unwrap();
    assert_eq!(s.balance(&carol), 265_456);
    assert_eq!(err(t1.claim(&mut s, &dave)), ContractError::ZeroClaim {});
    for o in [&alice, &bob, &carol, &dave] {
        let cumulative = t1.leaf(o).cumulative;
        assert_eq!(s.balance(o), cumulative, "{o}");
        assert_eq!(s.claimed(o), cumulative, "{o}");
    }
    // Everything attested is paid: nothing locked, the rest unlocked.
    assert_eq!(s.entitlements(), books(Some(1), 1_999_998, 1_999_998));
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 1_999_998, 0, 0)
    );
    s.assert_merkle_invariants();
}

#[test]
fn a_claim_needs_the_senders_own_leaf_scored_by_the_policy() {
    let (mut s, [alice, bob, carol, dave]) = claim_suite();
    // The oracles scored alice without her dual-product bonus: 100 points instead of 130.
    let u0 = vec![
        usage(&alice, offpeak(100), false),
        usage(&bob, offpeak(300), false),
        usage(&carol, offpeak(250), false),
    ];
    let t = RoundTree::new(&s, 0, next_leaves(&[], &u0, ROUND_REWARD).unwrap());
    assert_eq!(
        [&alice, &bob, &carol].map(|o| t.leaf(o).cumulative),
        [153_846, 461_538, 384_615]
    );
    s.set_after_round_end(0, 0);
    s.publish_final_root(&t.att);
    assert_eq!(
        err(t.claim(&mut s, &alice)),
        ContractError::LeafScoreMismatch {
            score: Uint128::new(100_000_000),
            expected: Uint128::new(130_000_000)
        }
    );
    // A score other than the policy's, even with the right proof.
    let mut forged = t.leaf(&bob).clone();
    forged.score += 1;
    assert_eq!(
        err(s.claim_cumulative(&bob, 0, t.index(&bob), &forged, &t.proof(&bob))),
        ContractError::LeafScoreMismatch {
            score: Uint128::new(300_000_001),
            expected: Uint128::new(300_000_000)
        }
    );
    // Bob, then dave (no device) present carol's leaf and proof: the score check passes (no
    // dual product either), the leaf is rebuilt with the sender as its owner and the proof fails.
    for thief in [&bob, &dave] {
        assert_eq!(
            err(s.claim_cumulative(thief, 0, t.index(&carol), t.leaf(&carol), &t.proof(&carol))),
            ContractError::InvalidProof { round: 0 },
            "{thief}"
        );
    }
    assert_eq!(s.entitlements().total_paid, Uint128::zero());
    s.assert_merkle_invariants();

    // Paused: no claims, no votes, no acceptance.
    pause(&mut s);
    assert_eq!(err(t.claim(&mut s, &bob)), ContractError::Paused {});
    s.set_after_round_end(1, 0);
    let next = bare(1, t.att.total_entitlement, 3);
    assert_eq!(err(s.attest_root(0, &next)), ContractError::Paused {});
    let hash = s.attestation_hash(&next);
    assert_eq!(err(s.accept_root(1, &hash)), ContractError::Paused {});
    unpause(&mut s);
    t.claim(&mut s, &bob).unwrap();
    t.claim(&mut s, &carol).unwrap();
    assert_eq!(
        (s.balance(&alice), s.balance(&bob), s.balance(&carol)),
        (0, 461_538, 384_615)
    );
    s.assert_merkle_invariants();
}

#[test]
fn a_cumulative_claim_is_split_by_the_payout_profile() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let t0 = RoundTree::new(&s, 0, vec![idle(&alice, 999_999), idle(&dave, 1)]);
    s.publish_final_root(&t0.att);
    s.exec(
        &alice,
        &ExecuteMsg::SetPayoutProfile {
            splits: vec![
                PayoutSplit {
                    address: bob.to_string(),
                    bps: 3_333,
                },
                PayoutSplit {
                    address: carol.to_string(),
                    bps: 6_667,
                },
            ],
        },
    )
    .unwrap();
    let contract = s.contract.clone();
    let before = s.balance(&contract);
    let res = t0.claim(&mut s, &alice).unwrap();
    // floor(999,999 · 3333 / 10^4) = 333,299 and floor(999,999 · 6667 / 10^4) = 666,699; the
    // remainder 1 to alice. Exactly the claim leaves the contract.
    assert_eq!(
        (s.balance(&alice), s.balance(&bob), s.balance(&carol)),
        (1, 333_299, 666_699)
    );
    assert_eq!(before - s.balance(&contract), 999_999);
    assert_eq!(
        attr(&res, "payout"),
        Some(format!("{alice}:1,{bob}:333299,{carol}:666699"))
    );
    assert_eq!(s.claimed(&alice), 999_999);
    s.assert_merkle_invariants();

    // Next root: alice earned 1,000 more; with the profile cleared she is paid in full.
    s.exec(&alice, &ExecuteMsg::ClearPayoutProfile {}).unwrap();
    s.set_after_round_end(1, 0);
    let t1 = RoundTree::new(&s, 1, vec![idle(&alice, 1_000_999), idle(&dave, 1)]);
    s.publish_final_root(&t1.att);
    t1.claim(&mut s, &alice).unwrap();
    assert_eq!(
        (s.balance(&alice), s.balance(&bob), s.balance(&carol)),
        (1_001, 333_299, 666_699)
    );
    assert_eq!(s.claimed(&alice), 1_000_999);
    t1.claim(&mut s, &dave).unwrap();
    assert_eq!(s.balance(&dave), 1);
    assert_eq!(s.entitlements(), books(Some(1), 1_001_000, 1_001_000));
    s.assert_merkle_invariants();
}

// ----- forged trees and proofs -----

#[test]
fn a_forged_sibling_sum_pays_at_most_the_attested_total() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob] = ["alice", "bob"].map(|n| s.addr(n));
    s.set_after_round_end(0, 0);
    let ctx = s.leaf_context(0);
    let mut leaves = vec![idle(&alice, 100), idle(&bob, 100)];
    leaves.sort_by(|a, b| a.owner.as_bytes().cmp(b.owner.as_bytes()));
    let (first, second) = (leaves[0].clone(), leaves[1].clone());
    let (owner0, owner1) = (
        Addr::unchecked(first.owner.clone()),
        Addr::unchecked(second.owner.clone()),
    );
    let n0 = leaf_node(&ctx, &first).unwrap();
    let n1 = leaf_node(&ctx, &second).unwrap();
    assert_eq!((n0.sum, n1.sum), (100, 100));

    // A dishonest tree: the second leaf's sum is shown as 0, so the root claims a total of 100
    // for two leaves of 100 each.
    let hidden = Node {
        hash: n1.hash,
        sum: 0,
    };
    let forged_root = Node::parent(&n0, &hidden).unwrap();
    assert_eq!(forged_root.sum, 100);
    let att = RootAttestation {
        round: 0,
        root: forged_root.hash,
        total_entitlement: 100,
        total_score: 0,
        leaf_count: 2,
        depth: 1,
        policy_version: 1,
        leaves_digest: leaves_digest(&ctx, &leaves).unwrap(),
        input_digest: INPUT_DIGEST,
    };
    s.publish_final_root(&att);
    assert_eq!(s.funds().locked, Uint128::new(100));

    // The first owner's honest proof (its sibling's real sum) does not match the root.
    let honest = Proof {
        index: 0,
        siblings: vec![n1],
    };
    assert_eq!(
        err(s.claim_cumulative(&owner0, 0, 0, &first, &honest)),
        ContractError::InvalidProof { round: 0 }
    );
    // The forged one pays it: the whole attested total.
    let forged = Proof {
        index: 0,
        siblings: vec![hidden],
    };
    s.claim_cumulative(&owner0, 0, 0, &first, &forged).unwrap();
    assert_eq!(s.balance(&owner0), 100);
    s.assert_merkle_invariants();

    // The second owner can never be paid: every sibling sum, at either index, and any amount.
    for sum in [0u128, 1, 99, 100, 200] {
        let sibling = Node { hash: n0.hash, sum };
        for index in [0u64, 1] {
            let proof = Proof {
                index,
                siblings: vec![sibling],
            };
            for cumulative in [0u128, 1, 100] {
                let mut leaf = second.clone();
                leaf.cumulative = cumulative;
                assert_eq!(
                    err(s.claim_cumulative(&owner1, 0, index, &leaf, &proof)),
                    ContractError::InvalidProof { round: 0 },
                    "sibling sum {sum}, index {index}, cumulative {cumulative}"
                );
            }
        }
    }
    // A sibling sum that overflows.
    let overflow = Proof {
        index: 1,
        siblings: vec![Node {
            hash: n0.hash,
            sum: u128::MAX,
        }],
    };
    assert_eq!(
        err(s.claim_cumulative(&owner1, 0, 1, &second, &overflow)),
        ContractError::Merkle(MerkleError::SumOverflow)
    );
    // The first owner cannot be paid twice either.
    assert_eq!(
        err(s.claim_cumulative(&owner0, 0, 0, &first, &forged)),
        ContractError::CumulativeAlreadyClaimed {
            cumulative: Uint128::new(100),
            claimed: Uint128::new(100)
        }
    );
    assert_eq!(s.balance(&owner1), 0);
    assert_eq!(s.entitlements(), books(Some(0), 100, 100));
    assert_eq!(s.funds().locked, Uint128::zero());
    s.assert_merkle_invariants();
}

#[test]
fn an_internal_node_cannot_be_claimed_as_a_leaf() {
    let mut s = SuiteBuilder::default().merkle().build();
    let owners = ["o0", "o1", "o2", "o3"].map(|n| s.addr(n));
    let mut leaves: Vec<Leaf> = owners.iter().map(|o| idle(o, 0)).collect();
    leaves.sort_by(|a, b| a.owner.as_bytes().cmp(b.owner.as_bytes()));
    for (leaf, cumulative) in leaves.iter_mut().zip([10u128, 20, 30, 40]) {
        leaf.cumulative = cumulative;
    }
    let t = RoundTree::new(&s, 0, leaves);
    assert_eq!((t.att.leaf_count, t.att.depth), (4, 2));
    s.set_after_round_end(0, 0);
    s.publish_final_root(&t.att);

    let nodes: Vec<Node> = t
        .leaves
        .iter()
        .map(|l| leaf_node(&t.ctx, l).unwrap())
        .collect();
    let left = Node::parent(&nodes[0], &nodes[1]).unwrap();
    let right = Node::parent(&nodes[2], &nodes[3]).unwrap();
    assert_eq!(Node::parent(&left, &right).unwrap().hash, t.att.root);

    // The owner of leaf 0 presents the left node's sum (30) as its cumulative with the path
    // above the left node: one level short.
    let owner0 = Addr::unchecked(t.leaves[0].owner.clone());
    let as_leaf = idle(&owner0, left.sum);
    let short = Proof {
        index: 0,
        siblings: vec![right],
    };
    assert_eq!(
        err(s.claim_cumulative(&owner0, 0, 0, &as_leaf, &short)),
        ContractError::Merkle(MerkleError::ProofLength {
            expected: 2 * SIBLING_LEN,
            got: SIBLING_LEN
        })
    );
    // At full length the contract hashes a leaf (its own prefix), never a node: no proof fits.
    for pad in [Node::empty(), nodes[1], left, right] {
        let full = Proof {
            index: 0,
            siblings: vec![pad, right],
        };
        assert_eq!(
            err(s.claim_cumulative(&owner0, 0, 0, &as_leaf, &full)),
            ContractError::InvalidProof { round: 0 }
        );
    }
    assert_eq!(s.entitlements().total_paid, Uint128::zero());
    // The owner's real leaf still works.
    t.claim(&mut s, &owner0).unwrap();
    assert_eq!(s.balance(&owner0), 10);
    s.assert_merkle_invariants();
}

#[test]
fn proofs_of_the_wrong_shape_or_position_are_refused() {
    let mut s = SuiteBuilder::default().merkle().build();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| s.addr(n));
    let t = RoundTree::new(
        &s,
        0,
        vec![idle(&alice, 100), idle(&bob, 200), idle(&carol, 300)],
    );
    s.set_after_round_end(0, 0);
    s.publish_final_root(&t.att);
    let index = t.index(&alice);
    let leaf = t.leaf(&alice).clone();
    let bytes = t.proof(&alice).to_bytes();
    assert_eq!(bytes.len(), 2 * SIBLING_LEN);

    // Empty, a byte or a sibling short or long.
    for len in [0usize, 1, 47, 48, 95, 97, 144] {
        let mut proof = bytes.clone();
        proof.resize(len, 0);
        assert_eq!(
            err(s.claim_cumulative_bytes(&alice, 0, index, &leaf, &proof)),
            ContractError::Merkle(MerkleError::ProofLength {
                expected: 2 * SIBLING_LEN,
                got: len
            })
        );
    }
    // An index at the padding slot or beyond.
    for bad in [3u64, 4, u64::MAX] {
        assert_eq!(
            err(s.claim_cumulative_bytes(&alice, 0, bad, &leaf, &bytes)),
            ContractError::Merkle(MerkleError::IndexOutOfRange {
                index: bad,
                leaf_count: 3
            })
        );
    }
    // The right proof at another index.
    for other in (0..3).filter(|&i| i != index) {
        assert_eq!(
            err(s.claim_cumulative_bytes(&alice, 0, other, &leaf, &bytes)),
            ContractError::InvalidProof { round: 0 }
        );
    }
    // A claim for a round after the latest final root names it.
    assert_eq!(
        err(s.claim_cumulative_bytes(&alice, 1, index, &leaf, &bytes)),
        ContractError::RootNotFinalized {
            round: 1,
            latest: Some(0)
        }
    );
    assert_eq!(s.entitlements().total_paid, Uint128::zero());
    t.claim(&mut s, &alice).unwrap();
    assert_eq!(s.balance(&alice), 100);
    s.assert_merkle_invariants();
}

// ----- random trees, roots and claims -----

/// One root of the random sequence.
#[derive(Debug, Clone)]
struct Step {
    /// Whether a round passes without a root before this one.
    skip: bool,
    /// Each owner's entitlement increase in this root.
    increments: Vec<u128>,
    /// Owners claiming after this root, in order (repeats allowed).
    claims: Vec<usize>,
}

fn step_sequences() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (2usize..40).prop_flat_map(|n| {
        let step = (
            any::<bool>(),
            prop::collection::vec(prop_oneof![1 => Just(0u128), 3 => 1u128..=25_000], n),
            prop::collection::vec(0..n, 0..n + 2),
        )
            .prop_map(|(skip, increments, claims)| Step {
                skip,
                increments,
                claims,
            });
        (Just(n), prop::collection::vec(step, 1..4))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random owners without devices (zero buckets, score 0), several roots with non-decreasing
    /// cumulatives, claims in random order between them: every owner receives exactly its
    /// latest claimed cumulative, Σ paid never exceeds the latest total nor Σ locked, and the
    /// books match the token after every step.
    #[test]
    fn claims_never_pay_more_than_the_attested_entitlements((n, steps) in step_sequences()) {
        let mut s = SuiteBuilder::default().merkle().build();
        let owners: Vec<Addr> = (0..n).map(|i| s.addr(&format!("owner{i}"))).collect();
        let mut cumulative = vec![0u128; n];
        let mut claimed = vec![0u128; n];
        let mut locked_sum = 0u128;
        let mut round = 0u64;
        let mut previous: Option<RoundTree> = None;
        for (k, step) in steps.iter().enumerate() {
            if k > 0 {
                round += 1;
            }
            if step.skip {
                round += 1;
            }
            for (c, inc) in cumulative.iter_mut().zip(&step.increments) {
                *c += inc;
            }
            let leaves: Vec<Leaf> = owners.iter().zip(&cumulative).map(|(o, &c)| idle(o, c)).collect();
            let tree = RoundTree::new(&s, round, leaves);
            s.set_after_round_end(round, 0);
            s.publish_final_root(&tree.att);
            let root = s.merkle_root(None).unwrap();
            prop_assert_eq!(root.round, round);
            locked_sum += root.locked.u128();
            let total: u128 = cumulative.iter().sum();
            prop_assert_eq!(locked_sum, total);
            prop_assert_eq!(s.entitlements(), books(Some(round), total, claimed.iter().sum()));
            s.assert_merkle_invariants();

            if let (Some(prev), Some(&i)) = (&previous, step.claims.first()) {
                prop_assert_eq!(
                    err(prev.claim(&mut s, &owners[i])),
                    ContractError::StaleProof { round: prev.att.round, latest: round }
                );
            }
            for &i in &step.claims {
                let o = owners[i].clone();
                let res = tree.claim(&mut s, &o);
                if cumulative[i] == 0 {
                    prop_assert_eq!(err(res), ContractError::ZeroClaim {});
                } else if claimed[i] == cumulative[i] {
                    prop_assert_eq!(
                        err(res),
                        ContractError::CumulativeAlreadyClaimed {
                            cumulative: Uint128::new(cumulative[i]),
                            claimed: Uint128::new(claimed[i]),
                        }
                    );
                } else {
                    res.unwrap();
                    claimed[i] = cumulative[i];
                }
                prop_assert_eq!(s.balance(&o), claimed[i]);
                prop_assert_eq!(s.claimed(&o), claimed[i]);
                let e = s.entitlements();
                prop_assert_eq!(e.total_paid.u128(), claimed.iter().sum::<u128>());
                prop_assert!(e.total_paid.u128() <= total);
                prop_assert!(e.total_paid.u128() <= locked_sum);
                s.assert_merkle_invariants();
            }
            previous = Some(tree);
        }
        // Everyone claims what is left: Σ paid = the latest total, nothing stays locked.
        let last = previous.unwrap();
        for (i, o) in owners.iter().enumerate() {
            if cumulative[i] > claimed[i] {
                last.claim(&mut s, o).unwrap();
                claimed[i] = cumulative[i];
            }
            prop_assert_eq!(s.balance(o), cumulative[i]);
        }
        let total: u128 = cumulative.iter().sum();
        prop_assert_eq!(s.entitlements(), books(Some(round), total, total));
        prop_assert_eq!(s.funds().locked, Uint128::zero());
        s.assert_merkle_invariants();
    }
}

// ----- golden vectors -----

#[test]
fn the_contracts_proof_check_accepts_the_librarys_golden_vectors() {
    let ctx = LeafContext {
        chain_id: GOLDEN_CHAIN_ID.to_string(),
        contract: GOLDEN_CONTRACT.to_string(),
        round: GOLDEN_ROUND,
    };
    let leaves = golden_leaves();
    let root: [u8; 32] = hex::decode(GOLDEN_ROOT)
        .unwrap()
        .try_into()
        .expect("a 32-byte root");
    let proof = hex::decode(GOLDEN_PROOF).unwrap();
    let index = GOLDEN_PROOF_INDEX;
    let leaf = leaves[usize::try_from(index).unwrap()].clone();
    // The library rebuilds the same tree and proof.
    let tree = Tree::build(&ctx, &leaves).unwrap();
    assert_eq!(tree.root().hash, root);
    assert_eq!(tree.root().sum, GOLDEN_ROOT_SUM);
    assert_eq!(tree.proof(index).unwrap().to_bytes(), proof);
    let leaf_count = u64::try_from(leaves.len()).unwrap();
    let record = RootRecord {
        attestation: Attestation {
            round: GOLDEN_ROUND,
            root: HexBinary::from(root),
            total_entitlement: Uint128::new(tree.root().sum),
            total_score: Uint128::new(leaves.iter().map(|l| l.score).sum()),
            leaf_count,
            depth: depth_for(leaf_count).unwrap(),
            policy_version: 1,
            leaves_digest: HexBinary::from(leaves_digest(&ctx, &leaves).unwrap()),
            input_digest: HexBinary::from(INPUT_DIGEST),
        },
        attestation_hash: HexBinary::from([0u8; 32]),
        accepted_at: 0,
        locked: Uint128::zero(),
        rewards_since_last: Uint128::zero(),
    };
    assert_eq!(verify_leaf(&ctx, &leaf, index, &record, &proof), Ok(()));

    let invalid = Err(ContractError::InvalidProof {
        round: GOLDEN_ROUND,
    });
    // Any one bit of the proof.
    for bit in 0..proof.len() * 8 {
        let mut p = proof.clone();
        p[bit / 8] ^= 1u8 << (bit % 8);
        assert_eq!(
            verify_leaf(&ctx, &leaf, index, &record, &p),
            invalid,
            "proof bit {bit}"
        );
    }
    // One bit of the leaf: cumulative, score, a bucket, the owner.
    let mut changed = leaf.clone();
    changed.cumulative ^= 1;
    assert_eq!(verify_leaf(&ctx, &changed, index, &record, &proof), invalid);
    let mut changed = leaf.clone();
    changed.score ^= 1;
    assert_eq!(verify_leaf(&ctx, &changed, index, &record, &proof), invalid);
    let mut changed = leaf.clone();
    changed.buckets.wh[1][2] ^= 1;
    assert_eq!(verify_leaf(&ctx, &changed, index, &record, &proof), invalid);
    let mut changed = leaf.clone();
    let mut owner = changed.owner.into_bytes();
    let last = owner.len() - 1;
    owner[last] ^= 1;
    changed.owner = String::from_utf8(owner).unwrap();
    assert_eq!(verify_leaf(&ctx, &changed, index, &record, &proof), invalid);
    // One bit of the context: the round, the chain id.
    let mut other = ctx.clone();
    other.round ^= 1;
    assert_eq!(verify_leaf(&other, &leaf, index, &record, &proof), invalid);
    let mut other = ctx.clone();
    other.chain_id = "rewards-local-0".to_string();
    assert_eq!(verify_leaf(&other, &leaf, index, &record, &proof), invalid);
    // One bit of the index (when still inside the tree).
    if index ^ 1 < leaf_count {
        assert_eq!(
            verify_leaf(&ctx, &leaf, index ^ 1, &record, &proof),
            invalid
        );
    }
    // One bit of the attested root or total.
    let mut other = record.clone();
    let mut flipped = root;
    flipped[31] ^= 1;
    other.attestation.root = HexBinary::from(flipped);
    assert_eq!(verify_leaf(&ctx, &leaf, index, &other, &proof), invalid);
    let mut other = record.clone();
    other.attestation.total_entitlement = Uint128::new(tree.root().sum ^ 1);
    assert_eq!(verify_leaf(&ctx, &leaf, index, &other, &proof), invalid);
}

// ----- oracle endpoints -----

fn endpoint(oracle: &Addr, url: &str) -> OracleEndpoint {
    OracleEndpoint {
        oracle: oracle.to_string(),
        url: url.to_string(),
    }
}

fn sorted(mut endpoints: Vec<OracleEndpoint>) -> Vec<OracleEndpoint> {
    endpoints.sort_by(|a, b| a.oracle.cmp(&b.oracle));
    endpoints
}

fn set_endpoints(s: &mut Suite, set: Vec<OracleEndpoint>, remove: Vec<String>) -> Res {
    let owner = s.owner.clone();
    s.exec(&owner, &ExecuteMsg::UpdateOracleEndpoints { set, remove })
}

#[test]
fn the_owner_publishes_oracle_endpoints() {
    // Endpoints serve both modes; direct here, merkle at the end.
    let mut s = SuiteBuilder::default().build();
    let [o0, o1, o2] = [0, 1, 2].map(|i| s.oracles[i].clone());
    assert!(s.oracle_endpoints().is_empty());
    set_endpoints(
        &mut s,
        vec![
            endpoint(&o1, "https://oracle1.example.org/merkle"),
            endpoint(&o0, "http://10.0.0.1:8080"),
        ],
        vec![],
    )
    .unwrap();
    assert_eq!(
        s.oracle_endpoints(),
        sorted(vec![
            endpoint(&o0, "http://10.0.0.1:8080"),
            endpoint(&o1, "https://oracle1.example.org/merkle"),
        ])
    );
    // Replace one and remove another in one call.
    set_endpoints(
        &mut s,
        vec![endpoint(&o0, "https://oracle0.example.org")],
        vec![o1.to_string()],
    )
    .unwrap();
    assert_eq!(
        s.oracle_endpoints(),
        vec![endpoint(&o0, "https://oracle0.example.org")]
    );
    // The longest URL.
    let longest = format!(
        "https://{}",
        "a".repeat(MAX_ENDPOINT_LEN - "https://".len())
    );
    assert_eq!(longest.len(), MAX_ENDPOINT_LEN);
    set_endpoints(&mut s, vec![endpoint(&o2, &longest)], vec![]).unwrap();
    let expected = sorted(vec![
        endpoint(&o0, "https://oracle0.example.org"),
        endpoint(&o2, &longest),
    ]);
    assert_eq!(s.oracle_endpoints(), expected);

    // Only the owner.
    let mallory = s.addr("mallory");
    assert_eq!(
        err(s.exec(
            &mallory,
            &ExecuteMsg::UpdateOracleEndpoints {
                set: vec![endpoint(&o1, "https://oracle1.example.org")],
                remove: vec![],
            }
        )),
        not_owner(&mallory)
    );
    // Only oracles.
    assert_eq!(
        err(set_endpoints(
            &mut s,
            vec![endpoint(&mallory, "https://mallory.example.org")],
            vec![]
        )),
        ContractError::UnknownOracle {
            oracle: mallory.to_string()
        }
    );
    // Only http(s) URLs with a host, no whitespace or control characters, at most 256 bytes.
    let too_long = format!("https://{}", "a".repeat(300 - "https://".len()));
    assert_eq!(too_long.len(), 300);
    let over_by_one = format!("{longest}a");
    let (scheme, host, space, long) = (
        "scheme must be https:// or http://",
        "empty host",
        "whitespace or control character",
        "longer than 256 bytes",
    );
    for (bad, reason) in [
        ("ftp://x", scheme),
        ("oracle.example.org", scheme),
        ("", scheme),
        ("https://", host),
        ("http://", host),
        ("https://:8080", host),
        ("https://user@/path", host),
        ("https://a b", space),
        ("https://a\tb", space),
        ("https://a\nb", space),
        ("https://a\u{7f}b", space),
        (too_long.as_str(), long),
        (over_by_one.as_str(), long),
    ] {
        assert_eq!(
            err(set_endpoints(&mut s, vec![endpoint(&o1, bad)], vec![])),
            ContractError::InvalidEndpoint {
                url: bad.to_string(),
                reason: reason.to_string()
            },
            "{bad:?}"
        );
    }
    assert_eq!(s.oracle_endpoints(), expected);

    // Removing the oracle removes its endpoint; a former oracle gets none.
    remove_oracle(&mut s, &o2);
    assert_eq!(
        s.oracle_endpoints(),
        vec![endpoint(&o0, "https://oracle0.example.org")]
    );
    assert_eq!(
        err(set_endpoints(
            &mut s,
            vec![endpoint(&o2, "https://oracle2.example.org")],
            vec![]
        )),
        ContractError::UnknownOracle {
            oracle: o2.to_string()
        }
    );

    // The same in merkle mode.
    let mut m = SuiteBuilder::default().merkle().build();
    let m0 = m.oracles[0].clone();
    set_endpoints(
        &mut m,
        vec![endpoint(&m0, "https://oracle0.example.org")],
        vec![],
    )
    .unwrap();
    assert_eq!(
        m.oracle_endpoints(),
        vec![endpoint(&m0, "https://oracle0.example.org")]
    );
}

// ----- reserved funds -----

#[test]
fn an_ended_round_without_a_root_keeps_its_reward_reserved() {
    let mut s = SuiteBuilder::default().merkle().build();
    let owner = s.owner.clone();
    // Nothing has ended yet.
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 0));
    // Round 0 ended, inside its window, no root: its reward is reserved.
    s.set_after_round_end(0, 0);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD, 0, ROUND_REWARD)
    );
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::WithdrawUnlocked {
                amount: Uint128::new(9 * ROUND_REWARD + 1),
                recipient: None,
            }
        )),
        ContractError::RewardReserved {
            requested: Uint128::new(9 * ROUND_REWARD + 1),
            unlocked: Uint128::new(10 * ROUND_REWARD),
            reserved: Uint128::new(ROUND_REWARD),
        }
    );
    // Its root accepted: the round's reward is no longer reserved, the pending entitlement
    // increase is (withdrawals cannot take it) until the root is final and locks it.
    s.publish_root(&bare(0, 600_000, 2));
    assert_eq!(s.funds(), Suite::funds_of(10 * ROUND_REWARD, 0, 600_000));
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::WithdrawUnlocked {
                amount: Uint128::new(10 * ROUND_REWARD - 600_000 + 1),
                recipient: None,
            }
        )),
        ContractError::RewardReserved {
            requested: Uint128::new(10 * ROUND_REWARD - 600_000 + 1),
            unlocked: Uint128::new(10 * ROUND_REWARD),
            reserved: Uint128::new(600_000),
        }
    );
    s.finalize();
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, 0)
    );
    // Round 1 ended: reserved until its root or the end of its window.
    s.set_after_round_end(1, 0);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, ROUND_REWARD)
    );
    s.set_after_round_end(1, ATTESTATION_WINDOW - 1);
    assert_eq!(s.funds().reserved, Uint128::new(ROUND_REWARD));
    s.set_after_round_end(1, ATTESTATION_WINDOW);
    assert_eq!(
        s.funds(),
        Suite::funds_of(10 * ROUND_REWARD - 600_000, 600_000, 0)
    );
    // Everything unlocked can be withdrawn; the attested entitlements stay.
    s.exec(
        &owner,
        &ExecuteMsg::WithdrawUnlocked {
            amount: Uint128::new(10 * ROUND_REWARD - 600_000),
            recipient: None,
        },
    )
    .unwrap();
    assert_eq!(s.funds(), Suite::funds_of(0, 600_000, 0));
    assert_eq!(s.balance(&s.contract), 600_000);
    s.assert_merkle_invariants();
}

/// `UpdateConfig` at round `at` (inside it) sets the reward of rounds from `at + 1` on.
fn set_round_reward(s: &mut Suite, at: u64, reward: u128) {
    if at > 0 {
        s.set_after_round_end(at - 1, 0);
    }
    update_config(s, Some(reward), None);
}

#[test]
fn the_budget_adds_each_rounds_pinned_reward_across_reward_changes() {
    let mut s = SuiteBuilder::default().merkle().build();
    // Round 0 pays the instantiation reward; rounds 1.. half of it; rounds 2.. twice it.
    set_round_reward(&mut s, 1, ROUND_REWARD / 2);
    set_round_reward(&mut s, 2, 2 * ROUND_REWARD);
    // Rounds 0..=3 end without a root.
    s.set_after_round_end(3, 0);
    let rewards = ROUND_REWARD + ROUND_REWARD + ROUND_REWARD / 2 + 2 * ROUND_REWARD;
    let over = bare(3, rewards + 1, 2);
    s.attest_root(0, &over).unwrap();
    assert_eq!(
        err(s.attest_root(1, &over)),
        ContractError::EntitlementExceedsBudget {
            increase: Uint128::new(rewards + 1),
            rewards: Uint128::new(rewards),
            unlocked: Uint128::new(10 * ROUND_REWARD),
        }
    );
    s.publish_final_root(&bare(3, rewards, 2));
    let root = s.merkle_root(None).unwrap();
    assert_eq!(
        (root.round, root.locked, root.rewards_since_last),
        (3, Uint128::new(rewards), Uint128::new(rewards))
    );
    // The next root's budget starts after round 3: round 4 pays the latest reward only.
    s.set_after_round_end(4, 0);
    let next = bare(4, rewards + 2 * ROUND_REWARD + 1, 2);
    s.attest_root(0, &next).unwrap();
    assert_eq!(
        err(s.attest_root(1, &next)),
        ContractError::EntitlementExceedsBudget {
            increase: Uint128::new(2 * ROUND_REWARD + 1),
            rewards: Uint128::new(2 * ROUND_REWARD),
            unlocked: Uint128::new(10 * ROUND_REWARD - rewards),
        }
    );
    s.assert_merkle_invariants();
}

#[test]
fn the_rules_history_read_for_a_budget_is_bounded() {
    // A reward change in every round k = 1..=changes pins round k + 1: rounds 2..=changes + 1
    // each start a rules entry of their own (reward ROUND_REWARD + k − 1 for round k). The root
    // of round changes + 1 reads the entry in force at round 0 and `changes` later ones.
    let suite = |changes: u64| {
        let mut s = SuiteBuilder::default().merkle().build();
        for at in 1..=changes {
            set_round_reward(&mut s, at, ROUND_REWARD + u128::from(at));
        }
        s.set_after_round_end(changes + 1, 0);
        s
    };
    // 1,000 later entries: refused.
    let mut s = suite(1000);
    let far = bare(1001, 1, 1);
    s.attest_root(0, &far).unwrap();
    assert_eq!(
        err(s.attest_root(1, &far)),
        ContractError::TooManyRuleChanges {}
    );
    assert_eq!(s.merkle_root(None), None);
    // 999 later entries: accepted, each round at its own pinned reward.
    let mut s = suite(999);
    s.publish_final_root(&bare(1000, 1, 1));
    let expected: u128 =
        2 * ROUND_REWARD + (2..=1000u128).map(|k| ROUND_REWARD + k - 1).sum::<u128>();
    assert_eq!(expected, 1001 * ROUND_REWARD + 499_500);
    let root = s.merkle_root(None).unwrap();
    assert_eq!(
        (root.round, root.locked, root.rewards_since_last),
        (1000, Uint128::new(1), Uint128::new(expected))
    );
    s.assert_merkle_invariants();
}
