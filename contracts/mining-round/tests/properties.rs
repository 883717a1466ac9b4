mod common;

use common::*;
use cosmwasm_std::{Addr, Uint128};
use cube_scoring::{BatteryClass, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use mining_round::claim::payout;
use mining_round::ContractError;
use proptest::prelude::*;

/// Independent score in micro-points with the seed's multipliers (bp), single product.
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
