//! Token-weighted governance on the real chain, with real signed transactions:
//! `deploy/governance-localnet.toml` deploys cw4-stake over ECT and cw3-flex-multisig over that
//! group, which owns the reward pool and the mining round after the deployer's bootstrap
//! proposal. Then three holders bond ECT, one proposes `UpdatePolicy` (peak 1.35 → 1.5), a
//! holder unbonds and still votes with the proposal's snapshot weight, the proposal passes and
//! is executed; the new policy version scores the next round while the running round keeps the
//! old one (both rounds attested by the two oracles, `Score` compared); a proposal without
//! quorum expires and changes nothing; direct owner calls, from the old owner too, are
//! rejected.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use chain_client::governance::wasm_execute;
use chain_client::mining_round::{update_policy_msg, BatchId};
use chain_client::reward_pool::ConfigUpdate;
use chain_client::{ChainError, TxResult};
use cosmwasm_std::Timestamp;
use cube_scoring::batch_hash;
use cube_types::mining_round::{
    BatteryClass, DeviceModel, PayoutSplit, PolicyResponse, ReceiveMsg, RoundResponse, RoundStatus,
    ScorePolicy, ScoreResponse, TouClass, UsageBuckets, UsageEntry,
};
use e2e::device::TestDevice;
use e2e::gas::GasReport;
use e2e::{assert_contract_error, Env};
use ed25519_dalek::SigningKey;
use mining_round::ContractError;
use upstream_contracts::{Expiration, ProposalResponse, Status, Vote, VoteResponse};

/// Seed of the test-only manufacturer key whose public key is in the parameter file.
const MANUFACTURER_SEED: [u8; 32] = [0x4d; 32];
/// Seconds waited beyond a boundary: the node serves a new block (`/blocks/latest`) before its
/// state is committed, so a query or simulation right after sees the previous block's time.
const SETTLE: u64 = 2;
/// 1 ECT in base units (6 decimals) = 1 point of weight (tokens_per_weight).
const ECT: u128 = 1_000_000;

struct Gov<'a> {
    env: &'a Env,
    stake: String,
    multisig: String,
    round: String,
}

impl Gov<'_> {
    async fn weight(&self, who: &str, at_height: Option<u64>) -> Option<u64> {
        self.env
            .stake("operator")
            .weight(&self.env.addr(who), at_height)
            .await
            .expect("Member")
    }

    async fn total_weight(&self) -> u64 {
        self.env
            .stake("operator")
            .total_weight()
            .await
            .expect("TotalWeight")
    }

    async fn proposal(&self, proposal_id: u64) -> ProposalResponse {
        self.env
            .multisig("operator")
            .proposal(proposal_id)
            .await
            .expect("Proposal")
    }

    async fn ballot(&self, proposal_id: u64, who: &str) -> VoteResponse {
        self.env
            .multisig("operator")
            .ballot(proposal_id, &self.env.addr(who))
            .await
            .expect("Vote")
    }

    async fn policy(&self) -> PolicyResponse {
        self.env
            .mining("operator")
            .policy(None)
            .await
            .expect("Policy")
    }

    async fn bond(&self, who: &str, amount: u128) -> TxResult {
        self.env
            .stake(who)
            .bond(&self.env.contract("ect"), amount)
            .await
            .unwrap_or_else(|e| panic!("{who} bonds: {e}"))
    }

    /// `who` proposes `UpdatePolicy { policy }` on the mining round; returns the proposal id.
    async fn propose_policy(
        &self,
        who: &str,
        policy: &ScorePolicy,
        latest: Option<Expiration>,
    ) -> (u64, TxResult) {
        let update = wasm_execute(&self.round, &update_policy_msg(policy.clone()))
            .expect("proposal message");
        self.env
            .multisig(who)
            .propose(
                &format!("peak multiplier {}", policy.peak_bp),
                "UpdatePolicy of the mining round",
                vec![update],
                latest,
            )
            .await
            .unwrap_or_else(|e| panic!("{who} proposes: {e}"))
    }

    async fn vote(&self, who: &str, proposal_id: u64, vote: Vote) -> Result<TxResult, ChainError> {
        self.env.multisig(who).vote(proposal_id, vote).await
    }
}

/// S = M3 · Σ wh · M1 · M2 in micro-points for a single-product owner (M3 = 1.0).
fn expected_score(b: &UsageBuckets, peak_bp: u128) -> u128 {
    let m1 = [12_000u128, 10_000];
    let m2 = [5_000u128, 10_000, peak_bp];
    let mut sum = 0u128;
    for (bi, row) in b.wh.iter().enumerate() {
        for (ci, wh) in row.iter().enumerate() {
            sum += u128::from(*wh) * m1[bi] * m2[ci];
        }
    }
    sum * 10_000 / 1_000_000
}

/// ECT balances of the named accounts.
async fn balances(env: &Env, names: [&str; 3]) -> [u128; 3] {
    let mut out = [0u128; 3];
    for (i, n) in names.iter().enumerate() {
        out[i] = env.cw20_balance("ect", &env.addr(n)).await;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holders_govern_the_policy_on_wasmd() {
    let started = std::time::Instant::now();
    let env = Env::setup_with("deploy/governance-localnet.toml", "deployment (governance)").await;
    let mut gas = GasReport::new("governance");
    let record = env
        .deployment
        .governance
        .clone()
        .expect("the deployment has a governance record");
    let g = Gov {
        env: &env,
        stake: env.contract("stake"),
        multisig: env.contract("multisig"),
        round: env.contract("mining_round"),
    };
    assert_eq!(
        (record.stake.as_str(), record.multisig.as_str()),
        (g.stake.as_str(), g.multisig.as_str())
    );
    let operator = env.addr("operator");

    // After the deployment: the multisig owns both contracts and the stake's hooks; the
    // deployer unbonded its bootstrap ECT and has no weight left.
    let cfg = env.mining("operator").config().await.expect("Config");
    assert_eq!(
        (cfg.owner.as_str(), cfg.pending_owner.as_deref()),
        (g.multisig.as_str(), None)
    );
    let pool_cfg = env.pool("operator").config().await.expect("pool Config");
    assert_eq!(pool_cfg.owner.as_str(), g.multisig);
    assert_eq!(pool_cfg.pending_owner, None);
    let admin = env.stake("operator").admin().await.expect("Admin");
    assert_eq!(admin.as_deref(), Some(g.multisig.as_str()));
    assert!(record.bootstrap_unbonded);
    assert_eq!(g.weight("operator", None).await, None);
    assert_eq!(g.total_weight().await, 0);
    let acceptance = g.proposal(record.acceptance_proposal_id).await;
    assert_eq!(acceptance.status, Status::Executed);
    assert_eq!(acceptance.proposer.as_str(), operator);
    let mut moved = record.wasm_admin_moved.clone();
    moved.sort();
    assert_eq!(
        moved,
        [
            "ect",
            "mining_round",
            "multisig",
            "reward_pool",
            "stake",
            "tok"
        ]
    );
    // ... and so is the wasm (migration) admin of every contract, on chain.
    for role in &moved {
        let info: serde_json::Value = env
            .client("operator")
            .rest()
            .get(&format!(
                "/cosmwasm/wasm/v1/contract/{}",
                env.contract(role)
            ))
            .await
            .expect("contract info");
        assert_eq!(
            info["contract_info"]["admin"],
            serde_json::json!(g.multisig),
            "wasm admin of {role}"
        );
    }

    // A Cube for user4, whose usage the two oracles attest below. Registered first, so the
    // registry view of every round used below has it.
    let (genesis, d) = (cfg.genesis_time, cfg.round_duration);
    let manufacturer = SigningKey::from_bytes(&MANUFACTURER_SEED);
    let device = TestDevice::new(0x61, DeviceModel::CubeV1, "CUBE-GOV");
    let user4 = env.addr("user4");
    // A new device: registration nonce 0.
    let registration = device.registration(
        &env.info.chain_id,
        &g.round,
        &manufacturer,
        &user4,
        &user4,
        0,
    );
    let tx = env
        .mining("user4")
        .register_device(&registration)
        .await
        .expect("register");
    let registered_round = (tx.block_time_seconds().unwrap() - genesis) / d;
    // Some reward so rounds finalize with money (the scores do not depend on it).
    env.token("ect", "operator")
        .send(&g.round, cfg.round_reward.u128() * 3, &ReceiveMsg::Fund {})
        .await
        .expect("fund");

    // Three holders receive ECT and bond it: weights 40 / 30 / 30 of 100.
    let holders = [("user1", 40u128), ("user2", 30), ("user3", 30)];
    for (who, ects) in holders {
        env.token("ect", "operator")
            .transfer(&env.addr(who), ects * ECT)
            .await
            .expect("transfer");
        let tx = g.bond(who, ects * ECT).await;
        if who == "user1" {
            gas.record("ECT Send{Bond} to cw4-stake", "-", &tx);
        }
        assert_eq!(
            g.weight(who, None).await,
            Some(u64::try_from(ects).unwrap())
        );
    }
    assert_eq!(g.total_weight().await, 100);

    // Nobody owns the contracts directly any more: UpdatePolicy from the old owner (the
    // deployer) or from a holder is rejected with the contract's error, and so is a reward-pool
    // owner call from the old owner.
    let mut new_policy = ScorePolicy::default();
    assert_eq!(new_policy.peak_bp, 13_500);
    new_policy.peak_bp = 15_000;
    for who in ["operator", "user1"] {
        let err = env
            .mining(who)
            .update_policy(new_policy.clone())
            .await
            .unwrap_err();
        let sender = cosmwasm_std::Addr::unchecked(env.addr(who));
        assert_contract_error(
            &err,
            &mining_round::OwnershipError::NotOwner { sender }.to_string(),
        );
    }
    let err = env
        .pool("operator")
        .update_config(ConfigUpdate {
            halving_cooldown: Some(1),
            ..ConfigUpdate::default()
        })
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &reward_pool::OwnershipError::NotOwner {
            sender: cosmwasm_std::Addr::unchecked(&operator),
        }
        .to_string(),
    );
    assert_eq!(g.policy().await.version, 1);

    // Registry changes apply from the next round: open the proposal no earlier
    // than the round after the registration, so the round the policy change lands in (and the
    // one after it) both see the Cube.
    env.client("operator")
        .wait_for_block_time(
            genesis + (registered_round + 1) * d + SETTLE,
            Duration::from_secs(60),
        )
        .await
        .expect("next round");

    // user1 proposes peak 1.35 → 1.5 (its own yes: 40 of 100, below the quorum of 50).
    let (p1, tx) = g.propose_policy("user1", &new_policy, None).await;
    gas.record("Propose (UpdatePolicy)", "-", &tx);
    let start_height = tx.height;
    assert_eq!(g.proposal(p1).await.status, Status::Open);

    // user3 unbonds everything after the proposal opened: its weight is gone now, but its
    // vote on p1 counts with the snapshot of the proposal's start (30).
    let tx = env.stake("user3").unbond(30 * ECT).await.expect("unbond");
    gas.record("Unbond", "-", &tx);
    assert_eq!(g.weight("user3", None).await, None);
    assert_eq!(g.weight("user3", Some(start_height)).await, Some(30));
    assert_eq!(g.total_weight().await, 70);
    let tx = g.vote("user3", p1, Vote::Yes).await.expect("user3 votes");
    gas.record("Vote (passes)", "-", &tx);
    let ballot = g.ballot(p1, "user3").await.vote.expect("user3's ballot");
    assert_eq!((ballot.vote, ballot.weight), (Vote::Yes, 30));
    // 40 + 30 of 100: quorum and threshold met.
    assert_eq!(g.proposal(p1).await.status, Status::Passed);
    // user2 votes too (allowed on a passed proposal until it expires).
    let tx = g.vote("user2", p1, Vote::Yes).await.expect("user2 votes");
    gas.record("Vote", "-", &tx);
    let err = g.vote("user2", p1, Vote::No).await.unwrap_err();
    assert_contract_error(&err, "Already voted on this proposal");

    // Anyone executes it: the multisig (the owner) calls UpdatePolicy.
    let tx = env.multisig("user2").execute(p1).await.expect("execute p1");
    gas.record("Execute (UpdatePolicy)", "-", &tx);
    let running = (tx.block_time_seconds().unwrap() - genesis) / d;
    assert_eq!(g.proposal(p1).await.status, Status::Executed);
    let policy = g.policy().await;
    assert_eq!(policy.version, 2);
    assert_eq!(policy.policy, new_policy);
    assert_eq!(
        policy.effective_from_round,
        running + 1,
        "a policy change applies from the round after the running one"
    );
    let now = env
        .mining("operator")
        .current_round()
        .await
        .expect("CurrentRound");
    assert_eq!(
        now.policy_version,
        if now.round == Some(running) { 1 } else { 2 }
    );
    let err = env.multisig("user2").execute(p1).await.unwrap_err();
    assert_contract_error(&err, "Proposal must have passed and not yet been executed");

    // A proposal without quorum: user2 (30 of 70 now) proposes peak 2.0, nobody else votes,
    // it expires after 6 s and changes nothing. user3, unbonded before it opened, cannot vote.
    let mut rejected_policy = new_policy.clone();
    rejected_policy.peak_bp = 20_000;
    let block = env.client("operator").latest_block().await.expect("block");
    let deadline = block.time_seconds() + 6;
    let (p2, _) = g
        .propose_policy(
            "user2",
            &rejected_policy,
            Some(Expiration::AtTime(Timestamp::from_seconds(deadline))),
        )
        .await;
    assert_eq!(g.proposal(p2).await.status, Status::Open);
    let err = g.vote("user3", p2, Vote::Yes).await.unwrap_err();
    assert_contract_error(&err, "Unauthorized");

    // The running round is attested with version 1 once it ends ...
    let usage = vec![UsageEntry {
        owner: user4.clone(),
        buckets: {
            let mut b = UsageBuckets::default();
            b.add(BatteryClass::Standard, TouClass::Peak, 1_000);
            b.add(BatteryClass::Whitelisted, TouClass::Peak, 200);
            b.add(BatteryClass::Standard, TouClass::OffPeak, 500);
            b
        },
    }];
    let attest = |round: u64, version: u32| {
        let usage = usage.clone();
        let env = &env;
        async move {
            env.client("operator")
                .wait_for_block_time(genesis + (round + 1) * d + SETTLE, Duration::from_secs(60))
                .await
                .expect("round ends");
            let r = env.mining("operator").round(round).await.expect("round");
            assert_eq!(r.summary.policy_version, version, "round {round}");
            let batch = BatchId {
                round,
                batch_index: 0,
                batch_count: 1,
                policy_version: version,
            };
            env.mining("oracle1")
                .submit_usage(batch, usage.clone())
                .await
                .unwrap_or_else(|e| panic!("submit round {round}: {e}"));
            let hash = batch_hash(round, 0, 1, version, &usage).expect("sorted");
            env.mining("oracle2")
                .vote_batch(batch, &hash)
                .await
                .unwrap_or_else(|e| panic!("vote round {round}: {e}"));
            let r = env.mining("operator").round(round).await.expect("round");
            assert_eq!(r.summary.status, RoundStatus::Finalized, "round {round}");
            let s: ScoreResponse = env
                .mining("operator")
                .score(round, &usage[0].owner)
                .await
                .expect("score");
            s
        }
    };
    let old = attest(running, 1).await;
    // ... an oracle cannot score the next round with the old version ...
    env.client("operator")
        .wait_for_block_time(
            genesis + (running + 2) * d + SETTLE,
            Duration::from_secs(60),
        )
        .await
        .expect("next round ends");
    let stale = BatchId {
        round: running + 1,
        batch_index: 0,
        batch_count: 1,
        policy_version: 1,
    };
    let err = env
        .mining("oracle1")
        .submit_usage(stale, usage.clone())
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::WrongPolicyVersion {
            round: running + 1,
            expected: 2,
            got: 1,
        }
        .to_string(),
    );
    // ... and the next round is scored with version 2.
    let new = attest(running + 1, 2).await;
    assert_eq!((old.policy_version, old.peak_bp), (1, 13_500));
    assert_eq!((new.policy_version, new.peak_bp), (2, 15_000));
    assert_eq!(old.buckets, new.buckets);
    assert_eq!(old.score.u128(), expected_score(&usage[0].buckets, 13_500));
    assert_eq!(new.score.u128(), expected_score(&usage[0].buckets, 15_000));
    assert!(new.score > old.score);

    // By now p2 has expired without quorum: rejected, not executable, policy unchanged.
    env.client("operator")
        .wait_for_block_time(deadline + SETTLE, Duration::from_secs(60))
        .await
        .expect("p2 expires");
    assert_eq!(g.proposal(p2).await.status, Status::Rejected);
    let err = env.multisig("user2").execute(p2).await.unwrap_err();
    assert_contract_error(&err, "Proposal must have passed and not yet been executed");
    let policy = g.policy().await;
    assert_eq!((policy.version, policy.policy.peak_bp), (2, 15_000));

    gas.save(&env.info.chain_id);

    // Payout profile: user4 splits its claims 70 % / 30 % between user1 and user2.
    let mut pay_gas = GasReport::new("payout-profile");
    let user1 = env.addr("user1");
    let user2 = env.addr("user2");
    let profile = vec![
        PayoutSplit {
            address: user1.clone(),
            bps: 7_000,
        },
        PayoutSplit {
            address: user2.clone(),
            bps: 3_000,
        },
    ];
    let tx = env
        .mining("user4")
        .set_payout_profile(profile.clone())
        .await
        .expect("set payout profile");
    pay_gas.record("SetPayoutProfile (2 splits)", "-", &tx);
    let stored = env
        .mining("operator")
        .payout_profile(&user4)
        .await
        .expect("PayoutProfile");
    assert_eq!(stored.splits, profile);
    let claimable = env
        .mining("operator")
        .claimable(&user4)
        .await
        .expect("Claimable");
    let reward_of = |r: &RoundResponse| r.summary.reward.u128();
    let r_old = env.mining("operator").round(running).await.expect("Round");
    let r_new = env
        .mining("operator")
        .round(running + 1)
        .await
        .expect("Round");
    // user4 is the only scored owner of both rounds: each pays its whole reward.
    let (a_old, a_new) = (reward_of(&r_old), reward_of(&r_new));
    assert_eq!(claimable.total.u128(), a_old + a_new);
    let before = balances(&env, ["user4", "user1", "user2"]).await;
    let held = env.cw20_balance("ect", &g.round).await;
    let tx = env
        .mining("user4")
        .claim(Some(vec![running]))
        .await
        .expect("claim with a split profile");
    pay_gas.record("Claim (1 round, two-way split)", "-", &tx);
    let after = balances(&env, ["user4", "user1", "user2"]).await;
    let to_user1 = a_old * 7_000 / 10_000;
    let to_user2 = a_old * 3_000 / 10_000;
    assert_eq!(after[1] - before[1], to_user1, "user1's share");
    assert_eq!(after[2] - before[2], to_user2, "user2's share");
    assert_eq!(
        after[0] - before[0],
        a_old - to_user1 - to_user2,
        "user4's remainder"
    );
    assert_eq!(held - env.cw20_balance("ect", &g.round).await, a_old);
    // Cleared: the next claim pays user4 in full (and measures the plain claim).
    env.mining("user4")
        .clear_payout_profile()
        .await
        .expect("clear payout profile");
    let tx = env
        .mining("user4")
        .claim(Some(vec![running + 1]))
        .await
        .expect("claim without a profile");
    pay_gas.record("Claim (1 round, no profile)", "-", &tx);
    let last = balances(&env, ["user4", "user1", "user2"]).await;
    assert_eq!(
        (last[0] - after[0], last[1], last[2]),
        (a_new, after[1], after[2])
    );
    pay_gas.save(&env.info.chain_id);

    eprintln!(
        "[e2e] governance scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
