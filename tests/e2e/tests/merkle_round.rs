//! Merkle mode on the real chain: a second mining-round contract, instantiated in merkle mode
//! from the mining-round code the deployment stored and funded through the ECT Send hook. After
//! a warm-up root (the oracles' first transactions also store their public keys), two
//! oracles attest a round with a 100-owner cumulative tree and the next round with a
//! 10,000-owner tree: one root per round, whatever the number of owners, so the accepting
//! votes' gas is equal within 5 %. The signer of the trees' first real account claims its
//! cumulative entitlement with a depth-14 proof and receives exactly that much ECT; a second
//! claim is refused. AttestRoot / ClaimCumulative gas goes to docs/gas.md beside a plain CW20
//! transfer from the same account.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use chain_client::mining_round::MiningRoundClient;
use cosmwasm_std::{HexBinary, Uint128};
use cube_merkle::LeafContext;
use cube_types::mining_round::{AttestationMode, ReceiveMsg};
use e2e::gas::GasReport;
use e2e::merkle::{merkle_mode_msg, Owners, RoundTree};
use e2e::{assert_contract_error, Env};
use mining_round::ContractError;

/// Seconds waited past a round boundary before acting on it: the node lists a block before its
/// state is committed, so a simulation right at the boundary can still see the previous block.
const BOUNDARY_MARGIN: u64 = 2;
/// Round length of the merkle-mode contract (as deploy/localnet.toml's mining round).
const ROUND_DURATION: u64 = 10;
/// Genesis of the merkle-mode contract: this many seconds after the latest block before
/// instantiation.
const GENESIS_LEAD: u64 = 3;
/// The account that is a leaf of both trees and claims.
const SIGNER: &str = "user1";
/// Synthetic owners of the trees besides the signer: 99 in round r, 9,999 in round r + 1 (the
/// first 99 again), so the trees hold 100 and 10,000 owners.
const OWNERS_R0: u32 = 99;
const OWNERS_R1: u32 = 9_999;
/// The signer's cumulative entitlement through the warm-up round 0.
const WARM_UP_CUMULATIVE: u128 = 1_000_000;
/// The signer's cumulative entitlement through round r and through round r + 1.
const SIGNER_CUMULATIVE: [u128; 2] = [5_000_000, 7_000_000];
/// A synthetic owner i's cumulative entitlement: base + i (base per round).
const SYNTHETIC_BASE: [u128; 2] = [1_000, 2_000];
/// This scenario's synthetic owners (`e2e::merkle::synthetic_owner`).
const OWNER_TAG: u8 = 0x4e;
/// The input digests of this scenario's attestations: this byte, the round in front.
const DIGEST_FILL: u8 = 0x1d;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merkle_rounds_on_wasmd() {
    let started = std::time::Instant::now();
    let env = Env::setup().await;
    let mut gas = GasReport::new("merkle mode");
    let operator = env.client("operator");
    let chain_id = env.info.chain_id.clone();
    let prefix = operator.config().account_prefix.clone();
    let signer = env.addr(SIGNER);

    // The mining-round code the deployment stored (its direct-mode contract runs it too).
    let code_id = env
        .deployment
        .code_id("mining_round")
        .expect("stored mining_round code");
    assert_eq!(env.deployment.contracts["mining_round"].code_id, code_id);
    let deployed = env.mining("operator").config().await.expect("Config");
    assert_eq!(deployed.attestation_mode, AttestationMode::Direct);
    let rr = deployed.round_reward.u128();

    // A second contract in merkle mode: oracles 1 and 2, quorum 2, rounds of 10 s from a
    // genesis a few seconds ahead.
    let block = operator.latest_block().await.expect("latest block");
    let genesis = block.time_seconds() + GENESIS_LEAD;
    // Final at acceptance (challenge window 0): this scenario measures votes and claims; the
    // challenge window and disputes are tests/merkle_disputes.rs.
    let msg = merkle_mode_msg(&env, &deployed, genesis, ROUND_DURATION, 0);
    let inst = operator
        .instantiate(code_id, "rewards-local-mining-round-merkle", &msg, None)
        .await
        .expect("instantiate the merkle-mode mining round");
    gas.record("Instantiate (merkle mode)", "-", &inst.tx);
    let addr = inst.address;
    let m = |who: &str| MiningRoundClient::new(env.client(who), &addr);
    let q = m("operator");
    let cfg = q.config().await.expect("Config");
    assert_eq!(cfg.attestation_mode, AttestationMode::Merkle);
    assert_eq!(
        (cfg.genesis_time, cfg.round_duration),
        (genesis, ROUND_DURATION)
    );

    // Fund with 10 rounds of reward through the ECT Send hook.
    let tx = env
        .token("ect", "operator")
        .send(&addr, 10 * rr, &ReceiveMsg::Fund {})
        .await
        .expect("fund");
    gas.record("Send{Fund} via ECT", "-", &tx);
    assert_eq!(env.cw20_balance("ect", &addr).await, 10 * rr);

    // A direct-mode message is refused.
    let err = m(SIGNER).claim(None).await.unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::WrongAttestationMode {
            mode: AttestationMode::Merkle,
            required: AttestationMode::Direct,
        }
        .to_string(),
    );

    // Round 0 is a warm-up root over the signer alone: each oracle's first transaction on a
    // fresh chain also stores its account's public key, which must not count as attestation
    // gas. Rounds r = 1 and r + 1 are measured. The totals stay within the budget: each
    // round's increase within one round's reward, all within the unlocked funds.
    let r = 1u64;
    let ctx = |round: u64| LeafContext {
        chain_id: chain_id.clone(),
        contract: addr.clone(),
        round,
    };
    let owners = |signer_cumulative: u128, count: u32, base: u128| Owners {
        prefix: &prefix,
        tag: OWNER_TAG,
        signer: &signer,
        signer_cumulative,
        count,
        base,
    };
    let tree = |round: u64, owners: Owners<'_>| {
        RoundTree::new(ctx(round), &owners, cfg.policy_version, DIGEST_FILL)
    };
    let warm_up = tree(0, owners(WARM_UP_CUMULATIVE, 0, 0));
    let trees = [
        tree(
            r,
            owners(SIGNER_CUMULATIVE[0], OWNERS_R0, SYNTHETIC_BASE[0]),
        ),
        tree(
            r + 1,
            owners(SIGNER_CUMULATIVE[1], OWNERS_R1, SYNTHETIC_BASE[1]),
        ),
    ];
    assert_eq!(
        trees
            .each_ref()
            .map(|t| (t.tree.leaf_count(), t.tree.depth())),
        [(100, 7), (10_000, 14)]
    );
    assert!(warm_up.total() <= rr);
    assert!(trees[0].total() - warm_up.total() <= rr);
    assert!(trees[1].total() >= trees[0].total());
    assert!(trees[1].total() - trees[0].total() <= rr);

    env.client("operator")
        .wait_for_block_time(
            genesis + (r + 2) * ROUND_DURATION + BOUNDARY_MARGIN,
            Duration::from_secs(60),
        )
        .await
        .expect("rounds r and r + 1 end");

    let mut accepting_gas = Vec::new();
    for oracle in ["oracle1", "oracle2"] {
        m(oracle)
            .attest_root(&warm_up.attestation)
            .await
            .unwrap_or_else(|e| panic!("{oracle} attests the warm-up round 0: {e}"));
    }
    let warm = q.merkle_root(Some(0)).await.expect("MerkleRoot").root;
    assert_eq!(
        warm.map(|v| v.total_entitlement.u128()),
        Some(warm_up.total()),
        "the warm-up root is accepted"
    );
    let mut previous_total = warm_up.total();
    for t in &trees {
        let round = t.attestation.round;
        let hash = HexBinary::from(
            t.attestation
                .hash(&chain_id, &addr)
                .expect("attestation hash"),
        );
        let tx = m("oracle1")
            .attest_root(&t.attestation)
            .await
            .unwrap_or_else(|e| panic!("oracle1 attests round {round}: {e}"));
        gas.record("AttestRoot (first vote)", t.label(), &tx);
        assert_eq!(
            q.merkle_root(Some(round)).await.expect("MerkleRoot").root,
            None
        );
        let votes = q.root_votes(round).await.expect("RootVotes");
        assert_eq!(votes.quorum, 2);
        assert_eq!(votes.tallies.len(), 1);
        assert_eq!(
            (votes.tallies[0].votes, &votes.tallies[0].attestation_hash),
            (1, &hash)
        );

        let tx = m("oracle2")
            .attest_root(&t.attestation)
            .await
            .unwrap_or_else(|e| panic!("oracle2 attests round {round}: {e}"));
        gas.record("AttestRoot (accepting vote)", t.label(), &tx);
        accepting_gas.push(tx.gas_used);
        let view = q
            .merkle_root(Some(round))
            .await
            .expect("MerkleRoot")
            .root
            .unwrap_or_else(|| panic!("round {round}: the quorum vote accepted no root"));
        assert_eq!(view.root, HexBinary::from(t.attestation.root));
        assert_eq!(view.attestation_hash, hash);
        assert_eq!(view.total_entitlement.u128(), t.total());
        assert_eq!(
            (view.leaf_count, view.depth),
            (t.attestation.leaf_count, t.attestation.depth)
        );
        assert_eq!(view.locked.u128(), t.total() - previous_total);
        previous_total = t.total();
    }
    let funds = q.funds().await.expect("Funds");
    assert_eq!(
        (funds.unlocked.u128(), funds.locked.u128()),
        (10 * rr - previous_total, previous_total)
    );

    // Attestation gas does not grow with the number of owners: the accepting votes of the
    // 100-owner and the 10,000-owner roots are equal within 5 %.
    let (small, large) = (accepting_gas[0], accepting_gas[1]);
    assert!(
        small.abs_diff(large) * 100 <= 5 * small.min(large),
        "accepting AttestRoot gas differs by more than 5 %: 100 owners {small}, 10,000 owners {large}"
    );

    // The signer claims against the latest root with its depth-14 proof.
    let latest = &trees[1];
    let latest_view = q
        .merkle_root(None)
        .await
        .expect("MerkleRoot")
        .root
        .expect("a latest root");
    assert_eq!(latest_view.round, latest.attestation.round);
    assert!(latest_view.depth >= 14, "{latest_view:?}");
    let position = latest
        .leaves
        .iter()
        .position(|l| l.owner == signer)
        .expect("the signer is a leaf");
    let leaf = &latest.leaves[position];
    let index = u64::try_from(position).unwrap();
    let proof = latest.tree.proof(index).expect("proof").to_bytes();
    assert_eq!(proof.len(), usize::from(latest.attestation.depth) * 48);
    let before = env.cw20_balance("ect", &signer).await;
    let tx = m(SIGNER)
        .claim_cumulative(latest.attestation.round, index, leaf, &proof)
        .await
        .expect("ClaimCumulative");
    gas.record(
        "ClaimCumulative",
        format!(
            "depth {}, proof {} B",
            latest.attestation.depth,
            proof.len()
        ),
        &tx,
    );
    let after = env.cw20_balance("ect", &signer).await;
    assert_eq!(after - before, leaf.cumulative, "ECT paid by the claim");
    assert_eq!(
        q.claimed_cumulative(&signer)
            .await
            .expect("ClaimedCumulative")
            .claimed
            .u128(),
        leaf.cumulative
    );
    let ent = q.entitlements().await.expect("Entitlements");
    assert_eq!(ent.mode, AttestationMode::Merkle);
    assert_eq!(ent.last_round, Some(latest.attestation.round));
    assert_eq!(
        (
            ent.total_entitlement.u128(),
            ent.total_paid.u128(),
            ent.outstanding.u128()
        ),
        (
            latest.total(),
            leaf.cumulative,
            latest.total() - leaf.cumulative
        )
    );

    // Baseline: a plain CW20 transfer of ECT from the same account.
    let recipient = env.addr("user2");
    let recipient_before = env.cw20_balance("ect", &recipient).await;
    let tx = env
        .token("ect", SIGNER)
        .transfer(&recipient, 1_000)
        .await
        .expect("ECT transfer");
    gas.record("Transfer (CW20 ECT, baseline)", "-", &tx);
    assert_eq!(
        env.cw20_balance("ect", &recipient).await - recipient_before,
        1_000
    );

    // A second claim of the same leaf pays nothing more.
    let err = m(SIGNER)
        .claim_cumulative(latest.attestation.round, index, leaf, &proof)
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::CumulativeAlreadyClaimed {
            cumulative: Uint128::new(leaf.cumulative),
            claimed: Uint128::new(leaf.cumulative),
        }
        .to_string(),
    );
    assert_eq!(
        env.cw20_balance("ect", &signer).await,
        after - 1_000,
        "the refused claim moved ECT"
    );

    gas.save(&env.info.chain_id);
    eprintln!(
        "[e2e] merkle-mode scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
