//! The mining-round scenario on the real chain, with real signed transactions and real ed25519
//! signatures: owners register Cubes certified by a manufacturer key, two oracles attest a
//! finished round with quorum 2 (one submits the batch, the other votes its hash), the round
//! finalizes, owners claim, and their ECT balances equal floor(round_reward · S_i / ΣS)
//! computed here from the policy's multipliers. Bad transactions are rejected with the
//! contract's error and change nothing. SubmitUsage / VoteBatch gas for 1/10/100/max entries
//! goes to docs/gas.md.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use chain_client::mining_round::{BatchId, DeviceRegistration, MiningRoundClient};
use cosmwasm_std::{HexBinary, Uint128};
use cube_scoring::batch_hash;
use cube_types::mining_round::{
    BatteryClass, DeviceModel, FundsResponse, ReceiveMsg, RoundResponse, RoundStatus, TouClass,
    UsageBuckets, UsageEntry, VoteResponse,
};
use e2e::device::{TestDevice, NEW_DEVICE};
use e2e::gas::GasReport;
use e2e::{assert_contract_error, Env};
use ed25519_dalek::SigningKey;
use mining_round::ContractError;

/// Seconds waited past a round boundary before acting on it: the node lists a block before its
/// state is committed, so a simulation right at the boundary can still see the previous block.
const BOUNDARY_MARGIN: u64 = 2;

/// Seed of the test-only manufacturer key whose public key is in deploy/localnet.toml.
const MANUFACTURER_SEED: [u8; 32] = [0x4d; 32];

struct Round<'a> {
    env: &'a Env,
    addr: String,
}

impl Round<'_> {
    /// The contract as seen by account `who` (its transactions are signed by `who`).
    fn by(&self, who: &str) -> MiningRoundClient<'_> {
        MiningRoundClient::new(self.env.client(who), &self.addr)
    }

    /// The contract for queries.
    fn q(&self) -> MiningRoundClient<'_> {
        self.by("operator")
    }

    async fn round(&self, round: u64) -> RoundResponse {
        self.q().round(round).await.expect("Round")
    }

    async fn funds(&self) -> FundsResponse {
        self.q().funds().await.expect("Funds")
    }
}

/// A batch of policy version 1.
fn batch(round: u64, batch_index: u32, batch_count: u32) -> BatchId {
    BatchId {
        round,
        batch_index,
        batch_count,
        policy_version: 1,
    }
}

struct Device(TestDevice);

impl Device {
    fn new(seed: u8, model: DeviceModel) -> Self {
        Device(TestDevice::new(seed, model, "CUBE-E2E"))
    }

    fn pubkey(&self) -> [u8; 32] {
        self.0.pubkey()
    }

    /// RegisterDevice certified by `manufacturer`, possession proven for `possession_owner`
    /// (the sender in a valid registration).
    fn register(
        &self,
        env: &Env,
        manufacturer: &SigningKey,
        possession_owner: &str,
    ) -> DeviceRegistration {
        self.register_at(env, manufacturer, possession_owner, NEW_DEVICE)
    }

    /// As `register`, signing the possession message over the registration challenge of `at` =
    /// (nonce, challenge), the `RegistrationNonce` of the device ([`NEW_DEVICE`] when new).
    fn register_at(
        &self,
        env: &Env,
        manufacturer: &SigningKey,
        possession_owner: &str,
        at: (u64, [u8; 32]),
    ) -> DeviceRegistration {
        let contract = env.contract("mining_round");
        self.0.registration(
            &env.info.chain_id,
            &contract,
            manufacturer,
            possession_owner,
            possession_owner,
            at,
        )
    }
}

/// The score formula (`docs/spec.md` §2.4), computed independently of the contract:
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
    let cfg = mr.q().config().await.expect("Config");
    let rr = cfg.round_reward.u128();
    let (genesis, d) = (cfg.genesis_time, cfg.round_duration);
    assert_eq!(cfg.quorum, 2);
    assert_eq!(cfg.reward_token, ect);
    let [user1, user2, user3, user4] = ["user1", "user2", "user3", "user4"].map(|n| env.addr(n));
    let (oracle1, oracle3) = (env.addr("oracle1"), env.addr("oracle3"));

    // Fund with 10 rounds of reward through the ECT Send hook.
    let tx = env
        .token("ect", "operator")
        .send(&mr.addr, 10 * rr, &ReceiveMsg::Fund {})
        .await
        .expect("fund");
    gas.record("Send{Fund} via ECT", "-", &tx);
    assert_eq!(
        books(mr.funds().await),
        (Uint128::new(10 * rr), Uint128::zero())
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
            .by(owner)
            .register_device(&device.register(&env, &manufacturer, &owner_addr))
            .await
            .expect("register");
        if i == 0 {
            gas.record("RegisterDevice", "-", &tx);
        }
        let d = mr.q().device(&device.pubkey()).await.expect("Device");
        assert_eq!(
            (d.owner.as_str(), d.model, d.serial.as_str()),
            (
                owner_addr.as_str(),
                device.0.model,
                device.0.serial.as_str()
            )
        );
    }
    let by_owner = mr
        .q()
        .devices_by_owner(&user1, None, None)
        .await
        .expect("DevicesByOwner");
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
        .by("user4")
        .execute(&d5.register(&env, &rogue, &user4).to_msg())
        .await
        .unwrap_err();
    assert_contract_error(&err, &ContractError::InvalidCertificate {}.to_string());
    let err = mr
        .by("user4")
        .execute(&d5.register(&env, &manufacturer, &user1).to_msg())
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::InvalidPossessionSignature {}.to_string(),
    );
    let none = mr
        .q()
        .devices_by_owner(&user4, None, None)
        .await
        .expect("DevicesByOwner");
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
    let err = mr
        .by("oracle1")
        .submit_usage(batch(future, 0, 1), usage.clone())
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

    // Registrations take effect from the round after the one they were made in: the first
    // round scored with these devices is r0. Wait (on block time) for it to end.
    let now = mr.q().current_round().await.expect("CurrentRound");
    let r0 = now.round.map_or(0, |c| c + 1);
    env.client("operator")
        .wait_for_block_time(
            genesis + (r0 + 1) * d + BOUNDARY_MARGIN,
            Duration::from_secs(60),
        )
        .await
        .expect("round r0 ends");
    let before = mr.round(r0).await;
    assert_eq!(before.summary.status, RoundStatus::Attesting);
    assert_eq!(before.summary.policy_version, 1);

    // Oracle 1 submits the batch: one vote, not accepted.
    let hash = batch_hash(r0, 0, 1, 1, &usage).expect("sorted batch");
    let tx = mr
        .by("oracle1")
        .submit_usage(batch(r0, 0, 1), usage.clone())
        .await
        .expect("submit");
    gas.record("SubmitUsage (first vote)", usage.len(), &tx);
    let r = mr.round(r0).await;
    assert_eq!(r.summary.accepted_batches, 0);
    assert_eq!(r.batches_with_votes, 1);
    let b = mr.q().batch(r0, 0).await.expect("Batch");
    assert_eq!(b.accepted_hash, None);
    assert_eq!(b.tallies.len(), 1);
    assert_eq!(b.tallies[0].votes, 1);
    assert_eq!(b.tallies[0].batch_hash, HexBinary::from(hash.to_vec()));

    // Bad votes: oracle 1 again; a non-oracle. Nothing changes.
    let vote = |who: &str| mr.by(who).vote_batch(batch(r0, 0, 1), &hash);
    let err = vote("oracle1").await.unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::AlreadyVoted {
            oracle: oracle1.clone(),
            round: r0,
            batch_index: 0,
        }
        .to_string(),
    );
    let err = vote("oracle3").await.unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::NotOracle {
            sender: oracle3.clone(),
        }
        .to_string(),
    );
    assert_eq!(mr.round(r0).await, r, "a rejected vote changed the round");

    // The deregistration race: after the first submission, user1 deregisters its CubeV2. The
    // round is still scored with its own registry view (user1 dual), so oracle 2's vote for
    // the same hash is accepted.
    mr.by("user1")
        .deregister_device(&devices[1].1.pubkey())
        .await
        .expect("deregister after the first submission");

    // Oracle 2 votes the hash: quorum 2, the only batch is accepted, the round finalizes.
    let tx = vote("oracle2").await.expect("vote");
    gas.record("VoteBatch (hash vote, accepts)", usage.len(), &tx);
    let r = mr.round(r0).await;
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.accepted_batches, 1);
    assert_eq!(r.summary.total_score.u128(), total);
    assert_eq!(r.summary.reward.u128(), rr);
    assert_eq!(
        books(mr.funds().await),
        (Uint128::new(9 * rr), Uint128::new(rr))
    );
    for (entry, score) in usage.iter().zip(&scores) {
        let s = mr.q().score(r0, &entry.owner).await.expect("Score");
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
        let c = mr.q().claimable(&entry.owner).await.expect("Claimable");
        assert_eq!(c.total.u128(), *payout);
        let tx = mr.by(name).claim(None).await.expect("claim");
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
    let r = mr.round(r0).await;
    assert_eq!(r.summary.paid.u128(), paid);
    assert_eq!(r.summary.claimed_owners, 3);
    assert_eq!(
        r.summary.dust.u128(),
        rr - paid,
        "dust is exact once every owner claimed"
    );
    assert_eq!(
        books(mr.funds().await),
        (Uint128::new(9 * rr), Uint128::new(rr - paid))
    );
    assert_eq!(env.cw20_balance("ect", &mr.addr).await, 10 * rr - paid);
    // A second claim has nothing to pay.
    let err = mr.by("user1").claim(None).await.unwrap_err();
    assert_contract_error(&err, &ContractError::NothingToClaim {}.to_string());
    assert_eq!(
        env.cw20_balance("ect", &user1).await,
        payouts[usage.iter().position(|e| e.owner == user1).unwrap()]
    );

    // Gas per batch size: one round with 4 batches of 1 / 10 / 100 / max entries. The first
    // batch scores user2's real usage, the others owners without devices (0 Wh, the only
    // plausible figure for them), so every entry is validated, stored and scored.
    let now = mr.q().current_round().await.expect("CurrentRound");
    let g = now.round.expect("after genesis");
    env.client("operator")
        .wait_for_block_time(
            genesis + (g + 1) * d + BOUNDARY_MARGIN,
            Duration::from_secs(60),
        )
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
            .by("oracle1")
            .submit_usage(batch(g, index, 4), entries)
            .await
            .unwrap_or_else(|e| panic!("submit {size}: {e}"));
        gas.record("SubmitUsage (first vote)", size, &tx);
        let tx = mr
            .by("oracle2")
            .vote_batch(batch(g, index, 4), &h)
            .await
            .unwrap_or_else(|e| panic!("vote {size}: {e}"));
        gas.record("VoteBatch (hash vote, accepts)", size, &tx);
        assert_eq!(mr.round(g).await.summary.accepted_batches, index + 1);
    }
    let r = mr.round(g).await;
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.scored_owners, 1 + 10 + 100 + u64::from(max));

    deregistration_race(&env, &mr, &manufacturer, rr, &mut gas).await;

    gas.save(&env.info.chain_id);
    eprintln!(
        "[e2e] mining-round scenario passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// The deregistration race with two real oracles: after oracle 1 has submitted a
/// round's batch, its owner deregisters one device and sells the other. The registry view of
/// the finished round does not move, so oracle 2's vote still accepts the batch, the round
/// finalizes and the owner is scored with the round's own view (both models: M3 = 1.3). The
/// buyer's re-registration signs the device's current registration challenge; the seller's
/// old signature is dead.
async fn deregistration_race(
    env: &Env,
    mr: &Round<'_>,
    manufacturer: &SigningKey,
    rr: u128,
    gas: &mut GasReport,
) {
    let cfg = mr.q().config().await.expect("Config");
    let (genesis, d) = (cfg.genesis_time, cfg.round_duration);
    let (user3, user4) = (env.addr("user3"), env.addr("user4"));
    let v1 = Device::new(6, DeviceModel::CubeV1);
    let v2 = Device::new(7, DeviceModel::CubeV2);
    let mut effective = 0u64;
    for device in [&v1, &v2] {
        mr.by("user4")
            .register_device(&device.register(env, manufacturer, &user4))
            .await
            .expect("user4 registers");
        let dr = mr.q().device(&device.pubkey()).await.expect("Device");
        effective = effective.max(dr.effective_from_round);
    }
    let e = effective;
    env.client("operator")
        .wait_for_block_time(
            genesis + (e + 1) * d + BOUNDARY_MARGIN,
            Duration::from_secs(60),
        )
        .await
        .expect("round e ends");
    let view = mr.q().owner_as_of(e, &user4).await.expect("OwnerAsOf");
    assert_eq!(
        (view.cube_v1, view.cube_v2, view.dual_product),
        (1, 1, true),
        "{view:?}"
    );

    let entries = vec![UsageEntry {
        owner: user4.clone(),
        buckets: buckets(&[(BatteryClass::Whitelisted, TouClass::Peak, 1_000)]),
    }];
    let hash = batch_hash(e, 0, 1, 1, &entries).expect("one entry");
    mr.by("oracle1")
        .submit_usage(batch(e, 0, 1), entries.clone())
        .await
        .expect("oracle1 submits");
    let vote1 = mr.q().vote(e, 0, &env.addr("oracle1")).await.expect("Vote");
    assert_eq!(
        vote1,
        VoteResponse {
            batch_hash: Some(HexBinary::from(hash.to_vec())),
            counts: true
        }
    );

    // The race: user4 deregisters the CubeV2 and sells the CubeV1 to user3 before oracle 2.
    mr.by("user4")
        .deregister_device(&v2.pubkey())
        .await
        .expect("deregister");
    let at = mr
        .q()
        .registration_challenge(&v1.pubkey())
        .await
        .expect("RegistrationNonce");
    assert_eq!(at.0, 1);
    assert_ne!(
        at.1, NEW_DEVICE.1,
        "the first registration replaced the zero challenge"
    );
    let tx = mr
        .by("user3")
        .register_device(&v1.register_at(env, manufacturer, &user3, at))
        .await
        .expect("user3 buys the CubeV1");
    gas.record("RegisterDevice (move to a new owner)", "-", &tx);
    // The seller's old registration (the zero challenge) can never take the device back.
    let err = mr
        .by("user4")
        .execute(&v1.register(env, manufacturer, &user4).to_msg())
        .await
        .unwrap_err();
    assert_contract_error(
        &err,
        &ContractError::InvalidPossessionSignature {}.to_string(),
    );
    let moved = mr.q().device(&v1.pubkey()).await.expect("Device");
    assert_eq!((moved.owner.as_str(), moved.nonce), (user3.as_str(), 2));
    assert!(moved.effective_from_round > e, "{moved:?}");
    // Round e's view is unchanged; the next rounds see user4 without devices.
    let still = mr.q().owner_as_of(e, &user4).await.expect("OwnerAsOf");
    assert_eq!(still, view);
    let later = mr
        .q()
        .owner_as_of(moved.effective_from_round, &user4)
        .await
        .expect("OwnerAsOf");
    assert_eq!(
        (
            later.cube_v1,
            later.cube_v2,
            later.dual_product,
            later.plausibility_cap_wh
        ),
        (0, 0, false, 0)
    );

    // Oracle 2 votes the same hash: accepted, finalized, scored with round e's view.
    let tx = mr
        .by("oracle2")
        .vote_batch(batch(e, 0, 1), &hash)
        .await
        .expect("oracle2 votes after the race");
    gas.record("VoteBatch (accepts after a deregistration)", 1, &tx);
    let r = mr.round(e).await;
    assert_eq!(r.summary.status, RoundStatus::Finalized);
    assert_eq!(r.summary.reward.u128(), rr);
    let b = mr.q().batch(e, 0).await.expect("Batch");
    assert_eq!(b.accepted_hash, Some(HexBinary::from(hash.to_vec())));
    let s = mr.q().score(e, &user4).await.expect("Score");
    assert!(s.dual_product, "{s:?}");
    assert_eq!(s.score.u128(), expected_score(&entries[0].buckets, true));
    // The only owner of the round is paid the whole reward.
    mr.by("user4")
        .claim(Some(vec![e]))
        .await
        .expect("user4 claims");
    assert_eq!(env.cw20_balance("ect", &user4).await, rr);
}

/// Unlocked and locked funds of a `Funds` answer (its reserve depends on the block time).
fn books(f: FundsResponse) -> (Uint128, Uint128) {
    assert_eq!(f.withdrawable, f.unlocked.saturating_sub(f.reserved));
    (f.unlocked, f.locked)
}
