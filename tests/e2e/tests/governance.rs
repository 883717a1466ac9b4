//! Token-weighted governance on the real chain (issue 12), with real signed transactions:
//! `deploy/governance-localnet.toml` deploys cw4-stake over ECT and cw3-flex-multisig over that
//! group, which owns the reward pool and the mining round after the deployer's bootstrap
//! proposal. Then three holders bond ECT, one proposes `UpdatePolicy` (peak 1.35 → 1.5), a
//! holder unbonds and still votes with the proposal's snapshot weight, the proposal passes and
//! is executed; the new policy version scores the next round while the running round keeps the
//! old one (both rounds attested by the two oracles, `Score` compared); a proposal without
//! quorum expires and changes nothing; direct owner calls, from the old owner too, are
//! rejected.

use std::time::Duration;

use chain_client::{ChainError, TxResult};
use cosmwasm_std::{to_json_binary, Binary, CosmosMsg, HexBinary, Timestamp, Uint128, WasmMsg};
use cube_scoring::{batch_hash, certificate_message, possession_message};
use cube_types::mining_round::{
    BatteryClass, ClaimableResponse, ConfigResponse, CurrentRoundResponse, DeviceModel, ExecuteMsg,
    PayoutProfileResponse, PayoutSplit, PolicyResponse, QueryMsg, ReceiveMsg, RoundResponse,
    RoundStatus, ScorePolicy, ScoreResponse, TouClass, UsageBuckets, UsageEntry,
};
use upstream_contracts::multisig::ExecuteMsg as MultisigExecute;
use upstream_contracts::multisig::QueryMsg as MultisigQuery;
use upstream_contracts::stake::{
    ExecuteMsg as StakeExecute, QueryMsg as StakeQuery, ReceiveMsg as StakeReceive,
};
use upstream_contracts::{
    Expiration, MemberResponse, ProposalResponse, Status, TotalWeightResponse, Vote, VoteResponse,
};
use e2e::gas::GasReport;
use e2e::{assert_contract_error, Env};
use ed25519_dalek::{Signer as _, SigningKey};
use mining_round::ContractError;

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
    async fn q<R: serde::de::DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl serde::Serialize,
    ) -> R {
        self.env
            .client("operator")
            .query(contract, msg)
            .await
            .unwrap_or_else(|e| panic!("query {contract}: {e}"))
    }

    async fn weight(&self, who: &str, at_height: Option<u64>) -> Option<u64> {
        let r: MemberResponse = self
            .q(
                &self.stake,
                &StakeQuery::Member {
                    addr: self.env.addr(who),
                    at_height,
                },
            )
            .await;
        r.weight
    }

    async fn total_weight(&self) -> u64 {
        let r: TotalWeightResponse = self.q(&self.stake, &StakeQuery::TotalWeight {}).await;
        r.weight
    }

    async fn proposal(&self, proposal_id: u64) -> ProposalResponse {
        self.q(&self.multisig, &MultisigQuery::Proposal { proposal_id })
            .await
    }

    async fn ballot(&self, proposal_id: u64, who: &str) -> VoteResponse {
        self.q(
            &self.multisig,
            &MultisigQuery::Vote {
                proposal_id,
                voter: self.env.addr(who),
            },
        )
        .await
    }

    async fn policy(&self) -> PolicyResponse {
        self.q(&self.round, &QueryMsg::Policy { version: None })
            .await
    }

    async fn bond(&self, who: &str, amount: u128) -> TxResult {
        let send = cw20::Cw20ExecuteMsg::Send {
            contract: self.stake.clone(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&StakeReceive::Bond {}).unwrap(),
        };
        self.env
            .client(who)
            .execute(&self.env.contract("ect"), &send)
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
        let msg = MultisigExecute::Propose {
            title: format!("peak multiplier {}", policy.peak_bp),
            description: "UpdatePolicy of the mining round".into(),
            msgs: vec![CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: self.round.clone(),
                msg: to_json_binary(&ExecuteMsg::UpdatePolicy {
                    policy: policy.clone(),
                })
                .unwrap(),
                funds: vec![],
            })],
            latest,
        };
        let tx = self
            .env
            .client(who)
            .execute(&self.multisig, &msg)
            .await
            .unwrap_or_else(|e| panic!("{who} proposes: {e}"));
        let id = tx
            .attribute("wasm", "proposal_id")
            .and_then(|v| v.parse().ok())
            .expect("proposal_id attribute");
        (id, tx)
    }

    async fn vote(&self, who: &str, proposal_id: u64, vote: Vote) -> Result<TxResult, ChainError> {
        self.env
            .client(who)
            .execute(&self.multisig, &MultisigExecute::Vote { proposal_id, vote })
            .await
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
    let ect = env.contract("ect");

    // After the deployment: the multisig owns both contracts and the stake's hooks; the
    // deployer unbonded its bootstrap ECT and has no weight left.
    let cfg: ConfigResponse = g.q(&g.round, &QueryMsg::Config {}).await;
    assert_eq!(
        (cfg.owner.as_str(), cfg.pending_owner.as_deref()),
        (g.multisig.as_str(), None)
    );
    let pool_cfg: cube_types::reward_pool::ConfigResponse = g
        .q(
            &env.contract("reward_pool"),
            &cube_types::reward_pool::QueryMsg::Config {},
        )
        .await;
    assert_eq!(pool_cfg.owner.as_str(), g.multisig);
    assert_eq!(pool_cfg.pending_owner, None);
    let admin: serde_json::Value = g.q(&g.stake, &StakeQuery::Admin {}).await;
    assert_eq!(admin["admin"], serde_json::json!(g.multisig));
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
    let device = SigningKey::from_bytes(&[0x61; 32]);
    let pubkey = device.verifying_key().to_bytes();
    let serial = "CUBE-GOV-0001";
    let user4 = env.addr("user4");
    let register = ExecuteMsg::RegisterDevice {
        pubkey: Binary::from(pubkey.to_vec()),
        model: DeviceModel::CubeV1,
        serial: serial.to_string(),
        timezone: "Europe/Berlin".into(),
        certificate: Binary::from(
            manufacturer
                .sign(&certificate_message(&pubkey, DeviceModel::CubeV1, serial))
                .to_bytes()
                .to_vec(),
        ),
        possession_signature: Binary::from(
            device
                .sign(&possession_message(
                    &env.info.chain_id,
                    &g.round,
                    &user4,
                    &pubkey,
                    0, // a new device: registration nonce 0
                ))
                .to_bytes()
                .to_vec(),
        ),
    };
    let tx = env
        .client("user4")
        .execute(&g.round, &register)
        .await
        .expect("register");
    let registered_round = (tx.block_time_seconds().unwrap() - genesis) / d;
    // Some reward so rounds finalize with money (the scores do not depend on it).
    let fund = cw20::Cw20ExecuteMsg::Send {
        contract: g.round.clone(),
        amount: cfg.round_reward * Uint128::new(3),
        msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
    };
    env.client("operator")
        .execute(&ect, &fund)
        .await
        .expect("fund");

    // Three holders receive ECT and bond it: weights 40 / 30 / 30 of 100.
    let holders = [("user1", 40u128), ("user2", 30), ("user3", 30)];
    for (who, ects) in holders {
        let transfer = cw20::Cw20ExecuteMsg::Transfer {
            recipient: env.addr(who),
            amount: Uint128::new(ects * ECT),
        };
        env.client("operator")
            .execute(&ect, &transfer)
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
    let direct = ExecuteMsg::UpdatePolicy {
        policy: new_policy.clone(),
    };
    for who in ["operator", "user1"] {
        let err = env
            .client(who)
            .execute(&g.round, &direct)
            .await
            .unwrap_err();
        let sender = cosmwasm_std::Addr::unchecked(env.addr(who));
        assert_contract_error(
            &err,
            &mining_round::OwnershipError::NotOwner { sender }.to_string(),
        );
    }
    let err = env
        .client("operator")
        .execute(
            &env.contract("reward_pool"),
            &cube_types::reward_pool::ExecuteMsg::UpdateConfig {
                halving_cooldown: Some(1),
                hysteresis_bps: None,
                max_batch_size: None,
            },
        )
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

    // Under issue 9 registry changes apply from the next round: open the proposal no earlier
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
    let tx = env
        .client("user3")
        .execute(
            &g.stake,
            &StakeExecute::Unbond {
                tokens: Uint128::new(30 * ECT),
            },
        )
        .await
        .expect("unbond");
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
    let tx = env
        .client("user2")
        .execute(&g.multisig, &MultisigExecute::Execute { proposal_id: p1 })
        .await
        .expect("execute p1");
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
    let now: CurrentRoundResponse = g.q(&g.round, &QueryMsg::CurrentRound {}).await;
    assert_eq!(
        now.policy_version,
        if now.round == Some(running) { 1 } else { 2 }
    );
    let err = env
        .client("user2")
        .execute(&g.multisig, &MultisigExecute::Execute { proposal_id: p1 })
        .await
        .unwrap_err();
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
        let addr = g.round.clone();
        async move {
            env.client("operator")
                .wait_for_block_time(genesis + (round + 1) * d + SETTLE, Duration::from_secs(60))
                .await
                .expect("round ends");
            let r: RoundResponse = env
                .client("operator")
                .query(&addr, &QueryMsg::Round { round })
                .await
                .expect("round");
            assert_eq!(r.summary.policy_version, version, "round {round}");
            let submit = ExecuteMsg::SubmitUsage {
                round,
                batch_index: 0,
                batch_count: 1,
                policy_version: version,
                entries: usage.clone(),
            };
            env.client("oracle1")
                .execute(&addr, &submit)
                .await
                .unwrap_or_else(|e| panic!("submit round {round}: {e}"));
            let hash = batch_hash(round, 0, 1, version, &usage).expect("sorted");
            let vote = ExecuteMsg::VoteBatch {
                round,
                batch_index: 0,
                batch_count: 1,
                policy_version: version,
                batch_hash: HexBinary::from(hash.to_vec()),
            };
            env.client("oracle2")
                .execute(&addr, &vote)
                .await
                .unwrap_or_else(|e| panic!("vote round {round}: {e}"));
            let r: RoundResponse = env
                .client("operator")
                .query(&addr, &QueryMsg::Round { round })
                .await
                .expect("round");
            assert_eq!(r.summary.status, RoundStatus::Finalized, "round {round}");
            let s: ScoreResponse = env
                .client("operator")
                .query(
                    &addr,
                    &QueryMsg::Score {
                        round,
                        owner: usage[0].owner.clone(),
                    },
                )
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
    let stale = ExecuteMsg::SubmitUsage {
        round: running + 1,
        batch_index: 0,
        batch_count: 1,
        policy_version: 1,
        entries: usage.clone(),
    };
    let err = env
        .client("oracle1")
        .execute(&g.round, &stale)
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
    let err = env
        .client("user2")
        .execute(&g.multisig, &MultisigExecute::Execute { proposal_id: p2 })
        .await
        .unwrap_err();
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
        .client("user4")
        .execute(
            &g.round,
            &ExecuteMsg::SetPayoutProfile {
                splits: profile.clone(),
            },
        )
        .await
        .expect("set payout profile");
    pay_gas.record("SetPayoutProfile (2 splits)", "-", &tx);
    let stored: PayoutProfileResponse = g
        .q(
            &g.round,
            &QueryMsg::PayoutProfile {
                owner: user4.clone(),
            },
        )
        .await;
    assert_eq!(stored.splits, profile);
    let claimable: ClaimableResponse = g
        .q(
            &g.round,
            &QueryMsg::Claimable {
                owner: user4.clone(),
                start_after: None,
                limit: None,
            },
        )
        .await;
    let reward_of = |r: &RoundResponse| r.summary.reward.u128();
    let r_old: RoundResponse = g.q(&g.round, &QueryMsg::Round { round: running }).await;
    let r_new: RoundResponse = g.q(&g.round, &QueryMsg::Round { round: running + 1 }).await;
    // user4 is the only scored owner of both rounds: each pays its whole reward.
    let (a_old, a_new) = (reward_of(&r_old), reward_of(&r_new));
    assert_eq!(claimable.total.u128(), a_old + a_new);
    let before = balances(&env, ["user4", "user1", "user2"]).await;
    let held = env.cw20_balance("ect", &g.round).await;
    let tx = env
        .client("user4")
        .execute(
            &g.round,
            &ExecuteMsg::Claim {
                rounds: Some(vec![running]),
            },
        )
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
    env.client("user4")
        .execute(&g.round, &ExecuteMsg::ClearPayoutProfile {})
        .await
        .expect("clear payout profile");
    let tx = env
        .client("user4")
        .execute(
            &g.round,
            &ExecuteMsg::Claim {
                rounds: Some(vec![running + 1]),
            },
        )
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
