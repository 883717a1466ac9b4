//! Token-weighted governance on the real chain, with real signed transactions:
//! `deploy/governance-localnet.toml` deploys cw4-stake over ECT, cw3-flex-multisig over that
//! group and the timelock, which owns the reward pool and the mining round (and administers
//! every contract holding funds) once the holders' group is active.
//!
//! `holders_govern_the_policy_on_wasmd`: the handover is refused while nobody has bonded, three
//! holders bond, it completes, and the README's role table matches the deployment file; then
//! one proposes `UpdatePolicy` (peak 1.35 → 1.5) through the timelock, a holder unbonds and still
//! votes with the proposal's snapshot weight, the proposal passes, schedules, waits out the
//! delay and executes; the new policy version scores the next round while the running round
//! keeps the old one; a proposal without quorum expires and changes nothing; direct owner
//! calls, from the old owner too, are rejected.
//!
//! The capture attempt has its own test binary (`governance_capture.rs`), so the two run side
//! by side on localnets of their own.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Duration;

use chain_client::mining_round::BatchId;
use chain_client::reward_pool::ConfigUpdate;
use cosmwasm_std::Timestamp;
use cube_scoring::batch_hash;
use cube_types::mining_round::{
    BatteryClass, DeviceModel, PayoutSplit, ReceiveMsg, RoundResponse, RoundStatus, ScorePolicy,
    ScoreResponse, TouClass, UsageBuckets, UsageEntry,
};
use cube_types::timelock::OperationStatus;
use e2e::device::{TestDevice, NEW_DEVICE};
use e2e::gas::GasReport;
use e2e::gov::{Gov, ECT, PARAMS, SETTLE};
use e2e::{assert_contract_error, Env};
use ed25519_dalek::SigningKey;
use mining_round::ContractError;
use upstream_contracts::{Expiration, Status, Vote};

/// Seed of the test-only manufacturer key whose public key is in the parameter file.
const MANUFACTURER_SEED: [u8; 32] = [0x4d; 32];

/// The deployment's roles as `label → holder names` (sorted, joined by ", ").
fn roles_by_label(roles: &[deploy::governance::RoleRecord]) -> BTreeMap<String, String> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in roles {
        by.entry(r.label()).or_default().push(r.name.clone());
    }
    by.into_iter()
        .map(|(label, mut names)| {
            names.sort();
            (label, names.join(", "))
        })
        .collect()
}

/// The README's role table (between its `roles:begin` and `roles:end` markers) as
/// `label → holder names`.
fn readme_role_table() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(e2e::repo_root().join("README.md")).expect("README");
    let start = readme
        .find("<!-- roles:begin -->")
        .expect("roles:begin marker");
    let end = readme.find("<!-- roles:end -->").expect("roles:end marker");
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| role "))
        .map(|l| {
            let cells: Vec<String> = l
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .filter(|c| !c.is_empty())
                .collect();
            (cells[0].clone(), cells[1].clone())
        })
        .collect()
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
    let mut env = Env::setup_with(PARAMS, "deployment (governance)").await;
    let mut gas = GasReport::new("governance");
    let operator = env.addr("operator");

    // Nobody has bonded: the deploy command left the handover for later and the deployer
    // still owns both contracts; asked again, it refuses again and moves nothing.
    let record = env
        .deployment
        .governance
        .clone()
        .expect("governance record");
    assert!(!record.handover_complete);
    assert!(!env.handover(PARAMS).await.expect("handover"), "refused");
    let cfg = env.mining("operator").config().await.expect("Config");
    assert_eq!(
        (cfg.owner.as_str(), cfg.pending_owner),
        (operator.as_str(), None)
    );
    let holders = [("user1", 40u128), ("user2", 30), ("user3", 30)];
    {
        let g = Gov::new(&env);
        // Three holders receive ECT and bond it: weights 40 / 30 / 30 of 100.
        for (who, ects) in holders {
            env.token("ect", "operator")
                .transfer(&env.addr(who), ects * ECT)
                .await
                .expect("transfer");
            let tx = g.bond(who, ects * ECT).await;
            if who == "user1" {
                gas.record("ECT Send{Bond} to cw4-stake (+ timelock hook)", "-", &tx);
            }
            assert_eq!(
                g.weight(who, None).await,
                Some(u64::try_from(ects).unwrap())
            );
        }
        assert_eq!(g.total_weight().await, 100);
        let active = env
            .timelock("operator")
            .is_active()
            .await
            .expect("IsActive");
        assert_eq!(
            (active.active, active.total_weight, active.members),
            (true, 100, 3)
        );
    }
    assert!(env.handover(PARAMS).await.expect("handover"), "complete");

    let g = Gov::new(&env);
    let record = env
        .deployment
        .governance
        .clone()
        .expect("governance record");
    assert_eq!(
        (
            record.stake.as_str(),
            record.multisig.as_str(),
            record.timelock.as_str()
        ),
        (g.stake.as_str(), g.multisig.as_str(), g.timelock.as_str())
    );
    assert!(record.handover_complete);
    assert_eq!(
        record
            .activated_with
            .as_ref()
            .map(|a| (a.total_weight, a.members)),
        Some((100, 3))
    );

    // After the handover: the timelock owns both contracts and the stake's hooks, its only
    // proposer is the multisig and its vetoer the guardian council.
    let cfg = env.mining("operator").config().await.expect("Config");
    assert_eq!(
        (cfg.owner.as_str(), cfg.pending_owner.as_deref()),
        (g.timelock.as_str(), None)
    );
    let pool_cfg = env.pool("operator").config().await.expect("pool Config");
    assert_eq!(pool_cfg.owner.as_str(), g.timelock);
    assert_eq!(pool_cfg.pending_owner, None);
    let admin = env.stake("operator").admin().await.expect("Admin");
    assert_eq!(admin.as_deref(), Some(g.timelock.as_str()));
    let tl = env
        .timelock("operator")
        .config()
        .await
        .expect("timelock Config");
    assert_eq!(tl.proposer.as_str(), g.multisig);
    assert_eq!(
        tl.vetoer.map(|a| a.into_string()),
        Some(env.addr("guardian"))
    );
    // ... the wasm (migration) admin of every contract holding funds or governing is the
    // timelock, and the tokens have none, on chain.
    for (role, expected) in [
        ("reward_pool", Some(g.timelock.as_str())),
        ("mining_round", Some(g.timelock.as_str())),
        ("stake", Some(g.timelock.as_str())),
        ("multisig", Some(g.timelock.as_str())),
        ("timelock", Some(g.timelock.as_str())),
        ("tok", None),
        ("ect", None),
    ] {
        let admin = env
            .client("operator")
            .contract_admin(&env.contract(role))
            .await
            .expect("contract info");
        assert_eq!(admin.as_deref(), expected, "wasm admin of {role}");
    }
    // The README's role table is what the deployment file says, holder by holder.
    let file = deploy::Deployment::load(&env.deployment_file()).expect("deployment file");
    let recorded = file.governance.clone().expect("governance record").roles;
    assert_eq!(roles_by_label(&recorded), readme_role_table());
    assert_eq!(
        deploy::governance::warnings(&file, &recorded),
        Vec::<String>::new(),
        "no role stays with the deploying key"
    );

    // A Cube for user4, whose usage the two oracles attest below. Registered first, so the
    // registry view of every round used below has it.
    let (genesis, d) = (cfg.genesis_time, cfg.round_duration);
    let manufacturer = SigningKey::from_bytes(&MANUFACTURER_SEED);
    let device = TestDevice::new(0x61, DeviceModel::CubeV1, "CUBE-GOV");
    let user4 = env.addr("user4");
    // A new device: registration nonce 0, the zero challenge.
    let registration = device.registration(
        &env.info.chain_id,
        &g.round,
        &manufacturer,
        &user4,
        &user4,
        NEW_DEVICE,
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

    // Anyone executes it: the multisig schedules UpdatePolicy on the timelock (the owner),
    // which refuses to run it before the delay, then runs it for anyone.
    let (op, tx) = g.schedule("user2", p1).await;
    gas.record("Execute (schedules UpdatePolicy)", "-", &tx);
    assert_eq!(g.proposal(p1).await.status, Status::Executed);
    assert_eq!(g.operation_status(op).await, OperationStatus::Pending);
    let eta = g.operation(op).await.eta;
    let err = env.timelock("user2").execute(op).await.unwrap_err();
    assert_contract_error(
        &err,
        &timelock::ContractError::NotReady { id: op, eta }.to_string(),
    );
    assert_eq!(
        g.policy().await.version,
        1,
        "nothing changed before the delay"
    );
    g.wait_until_ready(op).await;
    let tx = env.timelock("user2").execute(op).await.expect("execute op");
    gas.record("Timelock Execute (UpdatePolicy)", "-", &tx);
    assert_eq!(g.operation_status(op).await, OperationStatus::Done);
    let err = env.timelock("user2").execute(op).await.unwrap_err();
    assert_contract_error(
        &err,
        &timelock::ContractError::AlreadyExecuted { id: op }.to_string(),
    );
    let running = (tx.block_time_seconds().unwrap() - genesis) / d;
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
