#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Addr, Uint128};
use cube_scoring::{BatteryClass, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use mining_round::claim::payout;
use mining_round::ContractError;
use proptest::prelude::*;

/// Independent score in micro-points with the default multipliers (bp), single product.
fn expected_score(battery: usize, tou: usize, wh: u64) -> u128 {
    let m1 = [12_000u128, 10_000][battery];
    let m2 = [5_000u128, 10_000, 13_500][tou];
    u128::from(wh) * m1 * m2 * 10_000 / 1_000_000
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Pure payout: Σ floor + Σ remainders / total = reward, exactly, for any split.
    #[test]
    fn payout_conserves(reward in 0u128..=u128::from(u64::MAX), scores in prop::collection::vec(0u128..=u128::from(u64::MAX), 1..20)) {
        let total: u128 = scores.iter().sum();
        let mut paid = 0u128;
        let mut rem = cosmwasm_std::Uint256::zero();
        for s in &scores {
            let (p, r) = payout(Uint128::new(reward), Uint128::new(*s), Uint128::new(total)).unwrap();
            prop_assert!(r < cosmwasm_std::Uint256::from(total.max(1)));
            paid += p.u128();
            rem += r;
        }
        if total == 0 {
            prop_assert_eq!(paid, 0);
        } else {
            prop_assert!(paid <= reward);
            let dust = rem / cosmwasm_std::Uint256::from(total);
            prop_assert_eq!(cosmwasm_std::Uint256::from(paid) + dust, cosmwasm_std::Uint256::from(reward));
            prop_assert!(reward - paid < scores.len() as u128);
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    usage: Vec<(usize, usize, u64)>,
    reward: u128,
    order: Vec<usize>,
    claimers: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..7)
        .prop_flat_map(|n| {
            (
                prop::collection::vec((0usize..2, 0usize..3, 0u64..=48_000), n),
                1u128..=1_000_000_000_000u128,
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                0usize..=n,
            )
        })
        .prop_map(|(usage, reward, order, claimers)| Case {
            usage,
            reward,
            order,
            claimers,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Full contract: random owners, scores, rewards, claim orders. Payouts match the formula,
    /// nobody is paid twice, Σ paid + dust = locked reward, and the sweep returns exactly the
    /// unclaimed amount.
    #[test]
    fn claims_conserve_money(c in case()) {
        let mut s = SuiteBuilder::default()
            .oracles(1, 1)
            .round_reward(c.reward)
            .funding(c.reward)
            .build();
        let owners: Vec<Addr> = (0..c.usage.len()).map(|i| s.addr(&format!("owner{i}"))).collect();
        for o in &owners {
            s.give_devices(o, &[DeviceModel::CubeV1]);
        }
        let items: Vec<(Addr, UsageBuckets)> = owners
            .iter()
            .zip(&c.usage)
            .map(|(o, &(b, t, wh))| {
                (o.clone(), UsageBuckets::single(BatteryClass::ALL[b], TouClass::ALL[t], wh))
            })
            .collect();
        s.set_after_round_end(0, 0);
        s.attest(0, 0, 1, &entries(items));

        let scores: Vec<u128> = c.usage.iter().map(|&(b, t, wh)| expected_score(b, t, wh)).collect();
        let total: u128 = scores.iter().sum();
        let r = s.round(0).summary;
        prop_assert_eq!(r.total_score.u128(), total);
        let locked = if total == 0 { 0 } else { c.reward };
        prop_assert_eq!(r.reward.u128(), locked);
        let expected: Vec<u128> = scores
            .iter()
            .map(|&sc| (c.reward * sc).checked_div(total).unwrap_or(0))
            .collect();
        for (i, o) in owners.iter().enumerate() {
            prop_assert_eq!(s.score(0, o).score.u128(), scores[i]);
        }

        let mut paid = 0u128;
        for &i in c.order.iter().take(c.claimers) {
            let o = owners[i].clone();
            if expected[i] == 0 && scores[i] == 0 {
                prop_assert_eq!(err(s.claim(&o, Some(vec![0]))), ContractError::NoScore { round: 0 });
                continue;
            }
            s.claim(&o, Some(vec![0])).unwrap();
            prop_assert_eq!(s.balance(&o), expected[i]);
            paid += expected[i];
            // Never twice.
            prop_assert_eq!(err(s.claim(&o, Some(vec![0]))), ContractError::AlreadyClaimed { round: 0 });
            prop_assert_eq!(s.balance(&o), expected[i]);
        }
        let r = s.round(0).summary;
        prop_assert_eq!(r.paid.u128(), paid);
        let all_dust = locked - expected.iter().sum::<u128>();
        let everyone_claimed = c.order.iter().take(c.claimers).count() == owners.len();
        if everyone_claimed {
            prop_assert_eq!(r.paid.u128() + r.dust.u128(), locked);
            prop_assert_eq!(r.dust.u128(), all_dust);
        }
        prop_assert!(r.paid.u128() <= locked);

        // Sweep after the claim window returns exactly the unclaimed amount (incl. dust).
        if locked > 0 {
            let deadline = r.claim_deadline.unwrap();
            let now = s.now();
            s.advance_time(deadline - now);
            s.sweep(None).unwrap();
            let r = s.round(0).summary;
            prop_assert_eq!(r.swept.u128(), locked - paid);
            let f = s.funds();
            prop_assert_eq!(f.locked.u128(), 0);
            prop_assert_eq!(f.unlocked.u128(), locked - paid);
            prop_assert_eq!(s.balance(&s.contract.clone()), locked - paid);
        }
    }
}

/// One step of a random interleaving inside round 0's attestation window.
#[derive(Debug, Clone)]
enum Op {
    /// Owner `i`: 0 deregisters its first device, 1 moves it to owner i + 1, 2 adds a CubeV2.
    Registry(usize, u8),
    /// 0 removes oracle `j`, 1 adds oracle `j`, 2 sets the quorum to `j + 1`.
    Oracles(u8, usize),
    /// Oracle `j` submits or votes the good (true) or the bad batch.
    Vote(usize, bool),
    /// Anyone calls `AcceptBatch` for the good or the bad batch.
    Accept(bool),
    /// Owner `i` claims everything claimable.
    Claim(usize),
    /// One minute passes.
    Wait,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..4, 0u8..3).prop_map(|(i, k)| Op::Registry(i, k)),
        (0u8..3, 0usize..4).prop_map(|(k, j)| Op::Oracles(k, j)),
        (0usize..4, any::<bool>()).prop_map(|(j, g)| Op::Vote(j, g)),
        any::<bool>().prop_map(Op::Accept),
        (0usize..4).prop_map(Op::Claim),
        Just(Op::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Registry changes, oracle changes, votes, acceptances and claims in any order: the round
    /// is scored with round 0's registry, finalizes once the current oracles agree, and the ECT
    /// paid never exceeds the locked reward.
    #[test]
    fn churn_never_blocks_a_round_nor_overpays(ops in prop::collection::vec(op(), 0..30)) {
        let mut s = SuiteBuilder::default().oracles(3, 2).build();
        let owners: Vec<Addr> = (0..4).map(|i| s.addr(&format!("owner{i}"))).collect();
        let oracle_pool: Vec<Addr> = (0..4).map(|i| s.addr(&format!("oracle{i}"))).collect();
        let mut devices: Vec<(Device, Addr)> = vec![];
        for (i, o) in owners.iter().enumerate() {
            let models: &[DeviceModel] = if i == 0 {
                &[DeviceModel::CubeV1, DeviceModel::CubeV2]
            } else {
                &[DeviceModel::CubeV1]
            };
            for d in s.give_devices(o, models) {
                devices.push((d, o.clone()));
            }
        }
        let items = |extra: u64| -> Vec<UsageEntry> {
            entries(
                owners
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let wh = 100 * (i as u64 + 1) + if i == 0 { extra } else { 0 };
                        (o.clone(), UsageBuckets::single(BatteryClass::Standard, TouClass::Peak, wh))
                    })
                    .collect(),
            )
        };
        let good = items(0);
        let bad = items(7);
        let good_hash = cube_scoring::batch_hash(0, 0, 1, 1, &good).unwrap();
        let bad_hash = cube_scoring::batch_hash(0, 0, 1, 1, &bad).unwrap();
        s.set_after_round_end(0, 0);
        let owner = s.owner.clone();
        let anyone = s.addr("anyone");
        let vote = |s: &mut Suite, oracle: &Addr, good_batch: bool| {
            let (batch, hash) = if good_batch { (&good, good_hash) } else { (&bad, bad_hash) };
            let submitted = s
                .batch(0, 0)
                .tallies
                .iter()
                .any(|t| t.batch_hash.as_slice() == hash && t.submitted);
            let msg = if submitted {
                ExecuteMsg::VoteBatch {
                    round: 0,
                    batch_index: 0,
                    batch_count: 1,
                    policy_version: 1,
                    batch_hash: cosmwasm_std::HexBinary::from(hash),
                }
            } else {
                ExecuteMsg::SubmitUsage {
                    round: 0,
                    batch_index: 0,
                    batch_count: 1,
                    policy_version: 1,
                    entries: batch.clone(),
                }
            };
            s.exec(oracle, &msg)
        };
        for op in ops {
            match op {
                Op::Registry(i, 0) => {
                    if let Some((d, _)) = devices.iter().find(|(_, o)| *o == owners[i]) {
                        let pk = cosmwasm_std::Binary::from(d.pubkey().to_vec());
                        let _ = s.exec(&owners[i], &ExecuteMsg::DeregisterDevice { pubkey: pk });
                    }
                }
                Op::Registry(i, 1) => {
                    let to = owners[(i + 1) % owners.len()].clone();
                    if let Some(k) = devices.iter().position(|(_, o)| *o == owners[i]) {
                        s.register(&to, &devices[k].0).unwrap();
                        devices[k].1 = to;
                    }
                }
                Op::Registry(i, _) => {
                    for d in s.give_devices(&owners[i], &[DeviceModel::CubeV2]) {
                        devices.push((d, owners[i].clone()));
                    }
                }
                Op::Oracles(0, j) => {
                    let _ = s.exec(&owner, &ExecuteMsg::UpdateOracles { add: vec![], remove: vec![oracle_pool[j].to_string()] });
                }
                Op::Oracles(1, j) => {
                    let _ = s.exec(&owner, &ExecuteMsg::UpdateOracles { add: vec![oracle_pool[j].to_string()], remove: vec![] });
                }
                Op::Oracles(_, j) => {
                    let _ = s.exec(&owner, &ExecuteMsg::UpdateConfig {
                        round_reward: None,
                        attestation_window: None,
                        claim_window: None,
                        quorum: Some(u32::try_from(j).unwrap() + 1),
                        rated_power: None,
                        max_entries_per_batch: None,
                        max_claim_rounds: None,
                        challenge_window: None,
                        dispute_bond_bps: None,
                    });
                }
                Op::Vote(j, g) => {
                    let _ = vote(&mut s, &oracle_pool[j], g);
                }
                Op::Accept(g) => {
                    let hash = if g { good_hash } else { bad_hash };
                    let _ = s.exec(&anyone, &ExecuteMsg::AcceptBatch {
                        round: 0,
                        batch_index: 0,
                        batch_hash: cosmwasm_std::HexBinary::from(hash),
                    });
                }
                Op::Claim(i) => {
                    let _ = s.claim(&owners[i], None);
                }
                Op::Wait => s.advance_time(60),
            }
        }
        // The current oracles eventually agree on the good batch.
        for oracle in s.query_oracles().oracles {
            let _ = vote(&mut s, &Addr::unchecked(oracle), true);
        }
        let _ = s.exec(&anyone, &ExecuteMsg::AcceptBatch {
            round: 0,
            batch_index: 0,
            batch_hash: cosmwasm_std::HexBinary::from(good_hash),
        });
        let r = s.round(0).summary;
        prop_assert_eq!(r.status, RoundStatus::Finalized);
        // Scored with round 0's registry: owner0 dual (M3 1.3), the others single.
        let accepted = s.batch(0, 0).accepted_hash.unwrap();
        let scored = if accepted.as_slice() == good_hash { &good } else { &bad };
        for (i, entry) in scored.iter().enumerate() {
            let who = Addr::unchecked(entry.owner.clone());
            let dual = who == owners[0];
            let expected = cube_scoring::ScorePolicy::default().score(&entry.buckets, dual).unwrap();
            let sc = s.score(0, &who);
            prop_assert_eq!((sc.score.u128(), sc.dual_product), (expected, dual), "entry {}", i);
        }
        // Everybody claims: Σ paid ≤ locked reward, books equal the token balances.
        for o in &owners {
            let _ = s.claim(o, None);
        }
        let r = s.round(0).summary;
        let balances: u128 = owners.iter().map(|o| s.balance(o)).sum();
        prop_assert_eq!(balances, r.paid.u128());
        prop_assert!(r.paid <= r.reward);
        prop_assert_eq!(r.reward.u128(), ROUND_REWARD);
        prop_assert!(r.reward.u128() - r.paid.u128() < owners.len() as u128);
        let f = s.funds();
        prop_assert_eq!(f.locked, r.reward - r.paid);
        prop_assert_eq!(s.balance(&s.contract.clone()), (f.locked + f.unlocked).u128());
    }
}
