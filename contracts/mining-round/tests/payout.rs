//! Payout profiles over cw-multi-test with the real cw20-base ECT (and the real cw4-stake for
//! the reason profiles have no bond share).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point
mod common;

use common::*;
use cosmwasm_std::{to_json_binary, Addr, Uint128};
use cube_scoring::{BatteryClass, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use cw20::Cw20ExecuteMsg;
use cw_multi_test::{ContractWrapper, Executor};
use mining_round::ContractError;

fn offpeak(wh: u64) -> UsageBuckets {
    UsageBuckets::single(BatteryClass::Standard, TouClass::OffPeak, wh)
}

fn splits(items: &[(&Addr, u32)]) -> Vec<PayoutSplit> {
    items
        .iter()
        .map(|(a, bps)| PayoutSplit {
            address: a.to_string(),
            bps: *bps,
        })
        .collect()
}

fn profile(s: &Suite, owner: &Addr) -> PayoutProfileResponse {
    s.query(&QueryMsg::PayoutProfile {
        owner: owner.to_string(),
    })
}

fn set_profile(s: &mut Suite, owner: &Addr, items: &[(&Addr, u32)]) -> Res {
    s.exec(
        owner,
        &ExecuteMsg::SetPayoutProfile {
            splits: splits(items),
        },
    )
}

/// Alice alone scores in `rounds`, so each round pays her the whole round reward.
fn suite_with_alice_rounds(round_reward: u128, rounds: u64) -> (Suite, Addr) {
    let mut s = SuiteBuilder::default().round_reward(round_reward).build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    for round in 0..rounds {
        s.set_after_round_end(round, 0);
        s.attest(round, 0, 1, &entries(vec![(alice.clone(), offpeak(100))]));
    }
    (s, alice)
}

#[test]
fn profiles_are_validated_and_queryable() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let [b, c, d, e, f] = ["b", "c", "d", "e", "f"].map(|n| s.addr(n));
    assert_eq!(
        profile(&s, &alice),
        PayoutProfileResponse {
            owner: alice.to_string(),
            splits: vec![]
        }
    );

    let cases: Vec<(Vec<PayoutSplit>, ContractError)> = vec![
        (vec![], ContractError::EmptyPayoutProfile {}),
        (
            splits(&[
                (&b, 2_000),
                (&c, 2_000),
                (&d, 2_000),
                (&e, 2_000),
                (&f, 1_000),
                (&alice, 1_000),
            ]),
            ContractError::TooManyPayoutSplits {
                count: 6,
                max: MAX_PAYOUT_SPLITS,
            },
        ),
        (
            splits(&[(&b, 5_000), (&c, 4_999)]),
            ContractError::PayoutSharesSum {
                sum: 9_999,
                expected: PAYOUT_BPS_TOTAL,
            },
        ),
        (
            splits(&[(&b, 5_000), (&c, 5_001)]),
            ContractError::PayoutSharesSum {
                sum: 10_001,
                expected: 10_000,
            },
        ),
        (
            splits(&[(&b, u32::MAX), (&c, 1)]),
            ContractError::PayoutSharesSum {
                sum: u64::from(u32::MAX) + 1,
                expected: 10_000,
            },
        ),
        (
            splits(&[(&b, 10_000), (&c, 0)]),
            ContractError::ZeroPayoutShare {
                address: c.to_string(),
            },
        ),
        (
            splits(&[(&b, 5_000), (&b, 5_000)]),
            ContractError::DuplicatePayoutRecipient {
                address: b.to_string(),
            },
        ),
        (
            vec![PayoutSplit {
                address: "not-an-address".into(),
                bps: 10_000,
            }],
            ContractError::InvalidPayoutAddress {
                address: "not-an-address".into(),
            },
        ),
    ];
    for (bad, expected) in cases {
        let e = err(s.exec(
            &alice,
            &ExecuteMsg::SetPayoutProfile {
                splits: bad.clone(),
            },
        ));
        assert_eq!(e, expected, "{bad:?}");
        assert!(
            profile(&s, &alice).splits.is_empty(),
            "nothing stored for {bad:?}"
        );
    }

    // Five splits, the owner among them: stored in order, readable by anyone.
    let good = [
        (&b, 1),
        (&c, 2_999),
        (&alice, 3_000),
        (&d, 2_000),
        (&e, 2_000),
    ];
    set_profile(&mut s, &alice, &good).unwrap();
    assert_eq!(profile(&s, &alice).splits, splits(&good));
    assert!(profile(&s, &b).splits.is_empty());
    // A new profile replaces the old one.
    set_profile(&mut s, &alice, &[(&f, 10_000)]).unwrap();
    assert_eq!(profile(&s, &alice).splits, splits(&[(&f, 10_000)]));
    // Clearing: once; the second time there is nothing to clear.
    s.exec(&alice, &ExecuteMsg::ClearPayoutProfile {}).unwrap();
    assert!(profile(&s, &alice).splits.is_empty());
    assert_eq!(
        err(s.exec(&alice, &ExecuteMsg::ClearPayoutProfile {})),
        ContractError::NoPayoutProfile {}
    );
}

#[test]
fn a_claim_is_split_with_the_rounding_remainder_to_the_owner() {
    // Round reward 1,000,001 all to alice: bob 33.33 %, carol 66.67 %.
    let (mut s, alice) = suite_with_alice_rounds(1_000_001, 1);
    let (bob, carol) = (s.addr("bob"), s.addr("carol"));
    set_profile(&mut s, &alice, &[(&bob, 3_333), (&carol, 6_667)]).unwrap();
    let contract = s.contract.clone();
    let before = s.balance(&contract);
    let res = s.claim(&alice, None).unwrap();
    // floor(1,000,001 · 3333 / 10^4) = 333,300; floor(1,000,001 · 6667 / 10^4) = 666,700;
    // the remainder 1 to alice. Exactly the claim leaves the contract.
    assert_eq!(s.balance(&bob), 333_300);
    assert_eq!(s.balance(&carol), 666_700);
    assert_eq!(s.balance(&alice), 1);
    assert_eq!(before - s.balance(&contract), 1_000_001);
    assert_eq!(s.round(0).summary.paid.u128(), 1_000_001);
    let payout = res
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "payout")
        .map(|a| a.value.clone())
        .unwrap();
    assert_eq!(payout, format!("{alice}:1,{bob}:333300,{carol}:666700"));

    // The owner as a split: its share and the remainder arrive in one transfer.
    let (mut s, alice) = suite_with_alice_rounds(1_000_001, 1);
    let bob = s.addr("bob");
    set_profile(&mut s, &alice, &[(&bob, 5_000), (&alice, 5_000)]).unwrap();
    s.claim(&alice, None).unwrap();
    assert_eq!(s.balance(&bob), 500_000);
    assert_eq!(s.balance(&alice), 500_001);
}

#[test]
fn a_profile_change_applies_to_later_claims_only() {
    let (mut s, alice) = suite_with_alice_rounds(ROUND_REWARD, 3);
    let (bob, carol) = (s.addr("bob"), s.addr("carol"));

    set_profile(&mut s, &alice, &[(&bob, 10_000)]).unwrap();
    s.claim(&alice, Some(vec![0])).unwrap();
    assert_eq!(
        (s.balance(&alice), s.balance(&bob), s.balance(&carol)),
        (0, ROUND_REWARD, 0)
    );

    // Changed between two claims: the paid claim stays where it went, the next follows the
    // new profile.
    set_profile(&mut s, &alice, &[(&carol, 2_500), (&alice, 7_500)]).unwrap();
    assert_eq!(s.balance(&bob), ROUND_REWARD);
    s.claim(&alice, Some(vec![1])).unwrap();
    assert_eq!(
        (s.balance(&alice), s.balance(&bob), s.balance(&carol)),
        (750_000, ROUND_REWARD, 250_000)
    );

    // Cleared: the owner is paid in full again.
    s.exec(&alice, &ExecuteMsg::ClearPayoutProfile {}).unwrap();
    s.claim(&alice, None).unwrap();
    assert_eq!(
        (s.balance(&alice), s.balance(&bob), s.balance(&carol)),
        (750_000 + ROUND_REWARD, ROUND_REWARD, 250_000)
    );
    // A profile never creates a claim: nothing left.
    set_profile(&mut s, &alice, &[(&bob, 10_000)]).unwrap();
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
    assert_eq!(s.balance(&bob), ROUND_REWARD);
}

/// Why a profile has no "bond share": cw4-stake 2.0 bonds a CW20 `Send` for the sender the
/// token reports, which cw20-base sets to the account executing the `Send`. Sent by the
/// mining-round contract, the ECT becomes the contract's weight, not the owner's.
#[test]
fn cw4_stake_bonds_a_contract_send_for_the_contract_not_the_owner() {
    let (mut s, alice) = suite_with_alice_rounds(ROUND_REWARD, 1);
    let stake_code = s.app.store_code(Box::new(ContractWrapper::new(
        cw4_stake::contract::execute,
        cw4_stake::contract::instantiate,
        cw4_stake::contract::query,
    )));
    let stake = s
        .app
        .instantiate_contract(
            stake_code,
            s.owner.clone(),
            &cw4_stake::msg::InstantiateMsg {
                denom: cw20::Denom::Cw20(s.token.clone()),
                tokens_per_weight: Uint128::new(1_000),
                min_bond: Uint128::new(1_000),
                unbonding_period: cw_utils::Duration::Time(60),
                admin: None,
            },
            &[],
            "stake",
            None,
        )
        .unwrap();
    // What a bond share would be: the mining-round contract sends ECT to the stake with
    // `Bond {}` on alice's behalf.
    let contract = s.contract.clone();
    s.app
        .execute_contract(
            contract.clone(),
            s.token.clone(),
            &Cw20ExecuteMsg::Send {
                contract: stake.to_string(),
                amount: Uint128::new(10_000),
                msg: to_json_binary(&cw4_stake::msg::ReceiveMsg::Bond {}).unwrap(),
            },
            &[],
        )
        .unwrap();
    let weight = |who: &Addr| -> Option<u64> {
        let r: cw4::MemberResponse = s
            .app
            .wrap()
            .query_wasm_smart(
                stake.clone(),
                &cw4_stake::msg::QueryMsg::Member {
                    addr: who.to_string(),
                    at_height: None,
                },
            )
            .unwrap();
        r.weight
    };
    assert_eq!(weight(&contract), Some(10));
    assert_eq!(weight(&alice), None);
}
