//! The mining-round scenario on the real chain, with real signed transactions and real ed25519
//! signatures: owners register Cubes certified by a manufacturer key, two oracles attest a
//! finished round with quorum 2 (one submits the batch, the other votes its hash), the round
//! finalizes, owners claim, and their ECT balances equal floor(round_reward · S_i / ΣS)
//! computed here from the policy's multipliers. Bad transactions are rejected with the
//! contract's error and change nothing. SubmitUsage / VoteBatch gas for 1/10/100/max entries
//! goes to docs/gas.md.

use std::time::Duration;

use chain_client::{ChainError, TxResult};
use cosmwasm_std::{to_json_binary, Binary, HexBinary, Uint128};
use cube_scoring::{batch_hash, certificate_message, possession_message};
use cube_types::mining_round::{
    BatchResponse, BatteryClass, ClaimableResponse, ConfigResponse, CurrentRoundResponse,
    DeviceModel, DeviceResponse, ExecuteMsg, FundsResponse, OwnerDevicesResponse, QueryMsg,
    ReceiveMsg, RoundResponse, RoundStatus, ScoreResponse, TouClass, UsageBuckets, UsageEntry,
};
use e2e::gas::GasReport;
use e2e::{assert_contract_error, Env};
use ed25519_dalek::{Signer as _, SigningKey};
use mining_round::ContractError;

/// Seed of the test-only manufacturer key whose public key is in deploy/localnet.toml.
const MANUFACTURER_SEED: [u8; 32] = [0x4d; 32];

struct Round<'a> {
    env: &'a Env,
    addr: String,
}

impl Round<'_> {
    async fn q<R: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> R {
        self.env
            .client("operator")
            .query(&self.addr, msg)
            .await
            .unwrap_or_else(|e| panic!("{msg:?}: {e}"))
    }

    async fn round(&self, round: u64) -> RoundResponse {
        self.q(&QueryMsg::Round { round }).await
    }

    async fn funds(&self) -> FundsResponse {
        self.q(&QueryMsg::Funds {}).await
    }

    async fn exec(&self, who: &str, msg: &ExecuteMsg) -> Result<TxResult, ChainError> {
        self.env.client(who).execute(&self.addr, msg).await
    }
}

struct Device {
    key: SigningKey,
    model: DeviceModel,
    serial: String,
}

impl Device {
    fn new(seed: u8, model: DeviceModel) -> Self {
        Device {
            key: SigningKey::from_bytes(&[seed; 32]),
            model,
            serial: format!("CUBE-E2E-{seed:04}"),
        }
    }

    fn pubkey(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// RegisterDevice certified by `manufacturer`, possession proven for `possession_owner`
    /// (the sender in a valid registration).
    fn register(&self, env: &Env, manufacturer: &SigningKey, possession_owner: &str) -> ExecuteMsg {
        let pubkey = self.pubkey();
        let cert = manufacturer.sign(&certificate_message(&pubkey, self.model, &self.serial));
        let possession = self.key.sign(&possession_message(
            &env.info.chain_id,
            &env.contract("mining_round"),
            possession_owner,
            &pubkey,
            0, // fresh devices: registration nonce 0
        ));
        ExecuteMsg::RegisterDevice {
            pubkey: Binary::from(pubkey.to_vec()),
            model: self.model,
            serial: self.serial.clone(),
            timezone: "Europe/Berlin".to_string(),
            certificate: Binary::from(cert.to_bytes().to_vec()),
            possession_signature: Binary::from(possession.to_bytes().to_vec()),
        }
    }
}

/// The score formula of the product spec, computed independently of the contract:
/// S = M3 · Σ wh[b][c] · M1[b] · M2[c], multipliers in basis points, micro-points.
fn expected_score(b: &UsageBuckets, dual: bool) -> u128 {
    let m1 = [12_000u128, 10_000]; // whitelisted, standard
    let m2 = [5_000u128, 10_000, 13_500]; // valley, off-peak, peak
    let m3 = if dual { 13_000u128 } else { 10_000 };
    let mut sum = 0u128;
    for (bi, row) in b.wh.iter().enumerate() {
        for (ci, wh) in row.iter().enumerate() {
            sum += u128::from(*wh) * m1[bi] * m2[ci];
        }
    }
    sum * m3 / 1_000_000
}

fn buckets(cells: &[(BatteryClass, TouClass, u64)]) -> UsageBuckets {
    let mut b = UsageBuckets::default();
    for (battery, tou, wh) in cells {
        b.add(*battery, *tou, *wh);
    }
    b
}

fn synthetic_owner(i: u32) -> String {
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    bytes[4] = 0x3c;
    cosmrs::AccountId::new("wasm", &bytes)
        .expect("bech32")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mining_round_on_wasmd() {
    let started = std::time::Instant::now();
    let env = Env::setup().await;
    let mut gas = GasReport::new("mining-round");
    let mr = Round {
        env: &env,
        addr: env.contract("mining_round"),
    };
    let ect = env.contract("ect");
    let cfg: ConfigResponse = mr.q(&QueryMsg::Config {}).await;
    let rr = cfg.round_reward.u128();
    let (genesis, d) = (cfg.genesis_time, cfg.round_duration);
    assert_eq!(cfg.quorum, 2);
    assert_eq!(cfg.reward_token, ect);
    let [user1, user2, user3, user4] = ["user1", "user2", "user3", "user4"].map(|n| env.addr(n));
    let (oracle1, oracle3) = (env.addr("oracle1"), env.addr("oracle3"));

    // Fund with 10 rounds of reward through the ECT Send hook.
    let send = cw20::Cw20ExecuteMsg::Send {
        contract: mr.addr.clone(),
        amount: Uint128::new(10 * rr),
        msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
    };
    let tx = env
        .client("operator")
        .execute(&ect, &send)
        .await
        .expect("fund");
    gas.record("Send{Fund} via ECT", "-", &tx);
    assert_eq!(
        mr.funds().await,
        FundsResponse {
            unlocked: Uint128::new(10 * rr),
            locked: Uint128::zero()
        }
    );
    assert_eq!(env.cw20_balance("ect", &mr.addr).await, 10 * rr);

    // Devices: user1 holds a CubeV1 and a CubeV2 (M3 = 1.3), user2 a CubeV1, user3 a CubeV2.
    let manufacturer = SigningKey::from_bytes(&MANUFACTURER_SEED);
    let devices = [
        ("user1", Device::new(1, DeviceModel::CubeV1)),
        ("user1", Device::new(2, DeviceModel::CubeV2)),
        ("user2", Device::new(3, DeviceModel::CubeV1)),
        ("user3", Device::new(4, DeviceModel::CubeV2)),
    ];
    for (i, (owner, device)) in devices.iter().enumerate() {
        let owner_addr = env.addr(owner);
        let tx = mr
            .exec(owner, &device.register(&env, &manufacturer, &owner_addr))
            .await
            .expect("register");
        if i == 0 {
            gas.record("RegisterDevice", "-", &tx);
        }
        let d: DeviceResponse = mr
            .q(&QueryMsg::Device {
                pubkey: Binary::from(device.pubkey().to_vec()),
            })
            .await;
        assert_eq!(
            (d.owner.as_str(), d.model, d.serial.as_str()),
            (owner_addr.as_str(), device.model, device.serial.as_str())
        );
    }
    let by_owner: OwnerDevicesResponse = mr
        .q(&QueryMsg::DevicesByOwner {
            owner: user1.clone(),
            start_after: None,
            limit: None,
        })
        .await;
    assert_eq!(
        (by_owner.cube_v1, by_owner.cube_v2, by_owner.dual_product),
        (1, 1, true)
    );
    assert_eq!(by_owner.devices.len(), 2);

    // Bad registrations: a certificate from an unknown manufacturer; a possession proof made
    // for someone else. Nothing is registered.
    let rogue = SigningKey::from_bytes(&[0x55; 32]);
    let d5 = Device::new(5, DeviceModel::CubeV1);
    let err = mr
        .exec("user4", &d5.register(&env, &rogue, &user4))
        .await
        .unwrap_err();
    assert_contract_error(&err, &ContractError::InvalidCertificate {}.to_string());
    let err = mr
        .exec("user4", &d5.register(&env, &manufacturer, &user1))
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::InvalidPossessionSignature {}.to_string(),
    );
    let none: OwnerDevicesResponse = mr
        .q(&QueryMsg::DevicesByOwner {
            owner: user4.clone(),
            start_after: None,
            limit: None,
        })
        .await;
    assert!(
        none.devices.is_empty() && none.cube_v1 == 0 && none.cube_v2 == 0,
        "{none:?}"
    );

    // Usage of round 0, sorted by owner.
    let mut usage = vec![
        UsageEntry {
            owner: user1.clone(),
            buckets: buckets(&[
                (BatteryClass::Whitelisted, TouClass::Peak, 1_000),
                (BatteryClass::Standard, TouClass::Valley, 500),
            ]),
        },
        UsageEntry {
            owner: user2.clone(),
            buckets: buckets(&[(BatteryClass::Standard, TouClass::OffPeak, 2_000)]),
        },
        UsageEntry {
            owner: user3.clone(),
            buckets: buckets(&[
                (BatteryClass::Whitelisted, TouClass::OffPeak, 700),
                (BatteryClass::Standard, TouClass::Peak, 333),
            ]),
        },
    ];
    usage.sort_by(|a, b| a.owner.cmp(&b.owner));
    let dual = |owner: &str| owner == user1;
    let scores: Vec<u128> = usage
        .iter()
        .map(|e| expected_score(&e.buckets, dual(&e.owner)))
        .collect();
    let total: u128 = scores.iter().sum();
    let payouts: Vec<u128> = scores.iter().map(|s| rr * s / total).collect();

    // A round that has not ended is refused.
    let future = 1_000_000;
    let submit = |round: u64, batch_index: u32, batch_count: u32, entries: Vec<UsageEntry>| {
        ExecuteMsg::SubmitUsage {
            round,
            batch_index,
            batch_count,
            policy_version: 1,
            entries,
        }
    };
    let err = mr
        .exec("oracle1", &submit(future, 0, 1, usage.clone()))
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::RoundNotEnded {
            round: future,
            ends_at: genesis + (future + 1) * d,
        }
        .to_string(),
    );

    // Wait (on block time) for round 0 to end.
    env.client("operator")
        .wait_for_block_time(genesis + d, Duration::from_secs(60))
        .await
        .expect("round 0 ends");
    let before = mr.round(0).await;
    assert_eq!(before.summary.status, RoundStatus::Attesting);
    assert_eq!(before.summary.policy_version, 1);

    // Oracle 1 submits the batch: one vote, not accepted.
    let hash = batch_hash(0, 0, 1, 1, &usage).expect("sorted batch");
    let tx = mr
        .exec("oracle1", &submit(0, 0, 1, usage.clone()))
        .await
        .expect("submit");
    gas.record("SubmitUsage (first vote)", usage.len(), &tx);
    let r = mr.round(0).await;
    assert_eq!(r.summary.accepted_batches, 0);
    assert_eq!(r.batches_with_votes, 1);
    let b: BatchResponse = mr
        .q(&QueryMsg::Batch {
            round: 0,
            batch_index: 0,
        })
        .await;
    assert_eq!(b.accepted_hash, None);
    assert_eq!(b.tallies.len(), 1);
    assert_eq!(b.tallies[0].votes, 1);
    assert_eq!(b.tallies[0].batch_hash, HexBinary::from(hash.to_vec()));

    // Bad votes: oracle 1 again; a non-oracle. Nothing changes.
    let vote = ExecuteMsg::VoteBatch {
        round: 0,
        batch_index: 0,
        batch_count: 1,
        policy_version: 1,
        batch_hash: HexBinary::from(hash.to_vec()),
    };
    let err = mr.exec("oracle1", &vote).await.unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::AlreadyVoted {
            oracle: oracle1.clone(),
            round: 0,
            batch_index: 0,
        }
        .to_string(),
    );
    let err = mr.exec("oracle3", &vote).await.unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::NotOracle {
            sender: oracle3.clone(),
        }
        .to_string(),
    );
    assert_eq!(mr.round(0).await, r, "a rejected vote changed the round");

    // Oracle 2 votes the hash: quorum 2, the only batch is accepted, the round finalizes.
    let tx = mr.exec("oracle2", &vote).await.expect("vote");
    gas.record("VoteBatch (hash vote, accepts)", usage.len(), &tx);
    let r = mr.round(0).await;
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.accepted_batches, 1);
    assert_eq!(r.summary.total_score.u128(), total);
    assert_eq!(r.summary.reward.u128(), rr);
    assert_eq!(
        mr.funds().await,
        FundsResponse {
            unlocked: Uint128::new(9 * rr),
            locked: Uint128::new(rr)
        }
    );
    for (entry, score) in usage.iter().zip(&scores) {
        let s: ScoreResponse = mr
            .q(&QueryMsg::Score {
                round: 0,
                owner: entry.owner.clone(),
            })
            .await;
        assert_eq!(s.score.u128(), *score, "score of {}", entry.owner);
        assert_eq!(s.dual_product, dual(&entry.owner));
        assert_eq!(
            s.product_mix_bp,
            if dual(&entry.owner) { 13_000 } else { 10_000 }
        );
    }

    // Owners claim: ECT balances equal floor(round_reward · S_i / ΣS).
    for (i, (entry, payout)) in usage.iter().zip(&payouts).enumerate() {
        let name = ["user1", "user2", "user3"]
            .into_iter()
            .find(|n| env.addr(n) == entry.owner)
            .unwrap();
        let c: ClaimableResponse = mr
            .q(&QueryMsg::Claimable {
                owner: entry.owner.clone(),
                start_after: None,
                limit: None,
            })
            .await;
        assert_eq!(c.total.u128(), *payout);
        let tx = mr
            .exec(name, &ExecuteMsg::Claim { rounds: None })
            .await
            .expect("claim");
        if i == 0 {
            gas.record("Claim (1 round)", 1, &tx);
        }
        assert_eq!(
            env.cw20_balance("ect", &entry.owner).await,
            *payout,
            "ECT of {name}"
        );
    }
    let paid: u128 = payouts.iter().sum();
    assert!(paid <= rr);
    let r = mr.round(0).await;
    assert_eq!(r.summary.paid.u128(), paid);
    assert_eq!(r.summary.claimed_owners, 3);
    assert_eq!(
        r.summary.dust.u128(),
        rr - paid,
        "dust is exact once every owner claimed"
    );
    assert_eq!(
        mr.funds().await,
        FundsResponse {
            unlocked: Uint128::new(9 * rr),
            locked: Uint128::new(rr - paid)
        }
    );
    assert_eq!(env.cw20_balance("ect", &mr.addr).await, 10 * rr - paid);
    // A second claim has nothing to pay.
    let err = mr
        .exec("user1", &ExecuteMsg::Claim { rounds: None })
        .await
        .unwrap_err();
    assert_contract_error(&err, &ContractError::NothingToClaim {}.to_string());
    assert_eq!(
        env.cw20_balance("ect", &user1).await,
        payouts[usage.iter().position(|e| e.owner == user1).unwrap()]
    );

    // Gas per batch size: one round with 4 batches of 1 / 10 / 100 / max entries. The first
    // batch scores user2's real usage, the others owners without devices (0 Wh, the only
    // plausible figure for them), so every entry is validated, stored and scored.
    let now: CurrentRoundResponse = mr.q(&QueryMsg::CurrentRound {}).await;
    let g = now.round.expect("after genesis");
    env.client("operator")
        .wait_for_block_time(genesis + (g + 1) * d, Duration::from_secs(60))
        .await
        .expect("round ends");
    let max = cfg.max_entries_per_batch;
    let sizes = [1u32, 10, 100, max];
    let mut next = 0u32;
    for (index, size) in sizes.iter().enumerate() {
        let index = u32::try_from(index).unwrap();
        let mut entries: Vec<UsageEntry> = if index == 0 {
            vec![UsageEntry {
                owner: user2.clone(),
                buckets: buckets(&[(BatteryClass::Standard, TouClass::Peak, 100)]),
            }]
        } else {
            (next..next + size)
                .map(|i| UsageEntry {
                    owner: synthetic_owner(i),
                    buckets: UsageBuckets::default(),
                })
                .collect()
        };
        if index > 0 {
            next += size;
        }
        entries.sort_by(|a, b| a.owner.cmp(&b.owner));
        let h = batch_hash(g, index, 4, 1, &entries).expect("sorted");
        let tx = mr
            .exec("oracle1", &submit(g, index, 4, entries))
            .await
            .unwrap_or_else(|e| panic!("submit {size}: {e}"));
        gas.record("SubmitUsage (first vote)", size, &tx);
        let vote = ExecuteMsg::VoteBatch {
            round: g,
            batch_index: index,
            batch_count: 4,
            policy_version: 1,
            batch_hash: HexBinary::from(h.to_vec()),
        };
        let tx = mr
            .exec("oracle2", &vote)
            .await
            .unwrap_or_else(|e| panic!("vote {size}: {e}"));
        gas.record("VoteBatch (hash vote, accepts)", size, &tx);
        assert_eq!(mr.round(g).await.summary.accepted_batches, index + 1);
    }
    let r = mr.round(g).await;
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.scored_owners, 1 + 10 + 100 + u64::from(max));

    gas.save(&env.info.chain_id);
    eprintln!(
        "[e2e] mining-round scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
