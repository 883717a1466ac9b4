#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{to_json_binary, Uint128};
use cube_scoring::{BatteryClass, TouClass, UsageBuckets};
use cube_types::mining_round::*;
use cw20::{Cw20Coin, Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_multi_test::{ContractWrapper, Executor};
use mining_round::{ContractError, DepositError};

fn offpeak(wh: u64) -> UsageBuckets {
    UsageBuckets::single(BatteryClass::Standard, TouClass::OffPeak, wh)
}

/// fund → rounds → attest → finalize → claim → sweep, balances read from the real cw20.
#[test]
fn full_flow_with_real_token() {
    let mut s = SuiteBuilder::default().funding(0).build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let carol = s.addr("carol");
    for who in [&alice, &bob, &carol] {
        s.give_devices(who, &[DeviceModel::CubeV1]);
    }
    // Funding only through the ECT hook.
    s.fund(2_500_000).unwrap();
    assert_eq!(s.balance(&s.contract.clone()), 2_500_000);
    assert_eq!(s.funds(), Suite::funds_of(2_500_000, 0, 0));

    // Round 0: scores 1 : 1 : 1 → 333_333 each, dust 1.
    s.set_after_round_end(0, 0);
    s.attest(
        0,
        0,
        1,
        &entries(vec![
            (alice.clone(), offpeak(100)),
            (bob.clone(), offpeak(100)),
            (carol.clone(), offpeak(100)),
        ]),
    );
    // Round 1: alice 1, bob 3 → 250_000 and 750_000.
    s.set_after_round_end(1, 0);
    s.attest(
        1,
        0,
        1,
        &entries(vec![
            (alice.clone(), offpeak(100)),
            (bob.clone(), offpeak(300)),
        ]),
    );
    assert_eq!(s.funds(), Suite::funds_of(500_000, 2_000_000, 0));
    s.assert_claimable(&alice, 583_333);
    let c = s.claimable(&alice);
    assert_eq!(
        c.rounds,
        vec![
            ClaimableRound {
                round: 0,
                amount: Uint128::new(333_333)
            },
            ClaimableRound {
                round: 1,
                amount: Uint128::new(250_000)
            }
        ]
    );

    // Alice claims everything (None = oldest first).
    let res = s.claim(&alice, None).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "amount" && a.value == "583333")));
    assert_eq!(s.balance(&alice), 583_333);
    s.assert_claimable(&alice, 0);
    assert!(s.score(0, &alice).claimed);
    // Never twice.
    assert_eq!(
        err(s.claim(&alice, Some(vec![0]))),
        ContractError::AlreadyClaimed { round: 0 }
    );
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
    // Bob claims round 1 explicitly, then round 0.
    s.claim(&bob, Some(vec![1])).unwrap();
    assert_eq!(s.balance(&bob), 750_000);
    s.claim(&bob, Some(vec![0])).unwrap();
    assert_eq!(s.balance(&bob), 1_083_333);
    // Round 1 is fully claimed: paid + dust = reward exactly.
    let r1 = s.round(1).summary;
    assert_eq!(
        (r1.paid, r1.dust, r1.claimed_owners),
        (Uint128::new(1_000_000), Uint128::zero(), 2)
    );
    // Errors on rounds without a score / not finalized.
    let dave = s.addr("dave");
    assert_eq!(
        err(s.claim(&dave, Some(vec![0]))),
        ContractError::NoScore { round: 0 }
    );
    assert_eq!(
        err(s.claim(&dave, Some(vec![5]))),
        ContractError::RoundNotFinalized { round: 5 }
    );

    // Carol never claims. After the claim window, the sweep returns her 333_333 plus the dust.
    let deadline = s.round(0).summary.claim_deadline.unwrap();
    assert_eq!(err(s.sweep(None)), ContractError::NothingToSweep {});
    let now = s.now();
    s.advance_time(deadline - now);
    assert_eq!(
        err(s.claim(&carol, Some(vec![0]))),
        ContractError::ClaimWindowOver { round: 0, deadline }
    );
    s.sweep(None).unwrap();
    let r0 = s.round(0).summary;
    assert_eq!(r0.status, RoundStatus::Swept);
    assert_eq!(r0.swept, Uint128::new(333_334));
    assert_eq!(r0.paid + r0.swept, r0.reward);
    // The round that ended last is still inside its attestation window: its reward stays
    // reserved (nothing withdrawable) until it finalizes or its window ends.
    assert_eq!(s.funds(), Suite::funds_of(833_334, 0, ROUND_REWARD));
    // Token balance of the contract equals its books.
    assert_eq!(s.balance(&s.contract.clone()), 833_334);
    assert_eq!(s.round(1).summary.swept, Uint128::zero());
    assert_eq!(err(s.sweep(None)), ContractError::NothingToSweep {});
    // Carol's stale index entry is cleaned by a claim without error, paying nothing.
    let res = s.claim(&carol, None).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "cleaned" && a.value == "1")));
    assert_eq!(s.balance(&carol), 0);
    assert_eq!(err(s.claim(&carol, None)), ContractError::NothingToClaim {});
}

#[test]
fn claims_are_bounded_per_call() {
    let mut s = SuiteBuilder::default()
        .oracles(1, 1)
        .max_claim_rounds(2)
        .build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    for round in 0..5 {
        s.set_after_round_end(round, 0);
        s.attest(round, 0, 1, &entries(vec![(alice.clone(), offpeak(10))]));
    }
    assert_eq!(
        err(s.claim(&alice, Some(vec![0, 1, 2]))),
        ContractError::TooManyClaimRounds { count: 3, max: 2 }
    );
    s.claim(&alice, None).unwrap();
    assert_eq!(s.balance(&alice), 2 * ROUND_REWARD);
    assert!(s.score(0, &alice).claimed && s.score(1, &alice).claimed);
    assert!(!s.score(2, &alice).claimed);
    s.claim(&alice, None).unwrap();
    s.claim(&alice, None).unwrap();
    assert_eq!(s.balance(&alice), 5 * ROUND_REWARD);
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
    // Duplicate round in one explicit list is paid once.
    assert_eq!(
        err(s.claim(&alice, Some(vec![4, 4]))),
        ContractError::AlreadyClaimed { round: 4 }
    );
}

#[test]
fn only_the_reward_token_can_fund() {
    let mut s = SuiteBuilder::default().funding(0).build();
    // Forged Receive sent directly by an account.
    let mallory = s.addr("mallory");
    let forged = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: mallory.to_string(),
        amount: Uint128::new(1_000),
        msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
    });
    assert_eq!(
        err(s.exec(&mallory, &forged)),
        ContractError::Deposit(DepositError::UnauthorizedToken {
            sender: mallory.clone(),
            expected: s.token.clone()
        })
    );
    // A real Send from another CW20.
    let code = s.app.store_code(Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    )));
    let fake = s
        .app
        .instantiate_contract(
            code,
            mallory.clone(),
            &cw20_base::msg::InstantiateMsg {
                name: "Fake".into(),
                symbol: "FAKE".into(),
                decimals: 6,
                initial_balances: vec![Cw20Coin {
                    address: mallory.to_string(),
                    amount: Uint128::new(1_000),
                }],
                mint: None,
                marketing: None,
            },
            &[],
            "fake",
            None,
        )
        .unwrap();
    let res = s.app.execute_contract(
        mallory.clone(),
        fake.clone(),
        &Cw20ExecuteMsg::Send {
            contract: s.contract.to_string(),
            amount: Uint128::new(1_000),
            msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
        },
        &[],
    );
    assert_eq!(
        err(res),
        ContractError::Deposit(DepositError::UnauthorizedToken {
            sender: fake.clone(),
            expected: s.token.clone()
        })
    );
    // A zero amount, even in the token's name: refused.
    let token = s.token.clone();
    let empty = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: mallory.to_string(),
        amount: Uint128::zero(),
        msg: to_json_binary(&ReceiveMsg::Fund {}).unwrap(),
    });
    assert_eq!(
        err(s.exec(&token, &empty)),
        ContractError::Deposit(DepositError::ZeroAmount)
    );
    assert_eq!(s.funds().unlocked, Uint128::zero());
    // Real ECT works and is reflected on the token.
    s.fund(7).unwrap();
    assert_eq!(s.funds().unlocked, Uint128::new(7));
    assert_eq!(s.balance(&s.contract.clone()), 7);
}

/// Alice is scored in batch 0 of 2 of rounds 0..count: those rounds can never finalize.
fn stuck_rounds(s: &mut Suite, alice: &cosmwasm_std::Addr, count: u64) {
    for round in 0..count {
        s.set_after_round_end(round, 0);
        s.submit(
            0,
            round,
            0,
            2,
            1,
            &entries(vec![(alice.clone(), offpeak(10))]),
        )
        .unwrap();
        assert_eq!(s.round(round).summary.accepted_batches, 1);
    }
}

#[test]
fn claim_pays_a_finalized_round_behind_three_times_max_claim_rounds_void_rounds() {
    let mut s = SuiteBuilder::default()
        .oracles(1, 1)
        .max_claim_rounds(2)
        .build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    // 3 × max_claim_rounds = 6 rounds stuck at 1 of 2 batches, then round 6 finalized and
    // round 7 still attesting.
    stuck_rounds(&mut s, &alice, 6);
    s.set_after_round_end(6, 0);
    s.attest(6, 0, 1, &entries(vec![(alice.clone(), offpeak(10))]));
    s.set_after_round_end(7, 0);
    s.submit(0, 7, 0, 2, 1, &entries(vec![(alice.clone(), offpeak(10))]))
        .unwrap();
    // Claimable pages through the index and finds round 6 behind the stuck rounds.
    let page: ClaimableResponse = s.query(&QueryMsg::Claimable {
        owner: alice.to_string(),
        start_after: None,
        limit: Some(4),
    });
    assert!(page.rounds.is_empty());
    assert_eq!(page.next, Some(3));
    let page: ClaimableResponse = s.query(&QueryMsg::Claimable {
        owner: alice.to_string(),
        start_after: page.next,
        limit: Some(4),
    });
    assert_eq!(
        page.rounds,
        vec![ClaimableRound {
            round: 6,
            amount: Uint128::new(ROUND_REWARD)
        }]
    );
    assert_eq!(page.next, Some(7));
    // One Claim {} pays it: the expired rounds are closed as void and cleaned, round 7 (still
    // inside its window) is skipped, not cleaned.
    let res = s.claim(&alice, None).unwrap();
    let attr = |k: &str| {
        res.events
            .iter()
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
            .unwrap()
    };
    assert_eq!(attr("rounds"), "6");
    assert_eq!(attr("cleaned"), "6");
    assert_eq!(s.balance(&alice), ROUND_REWARD);
    for round in 0..6 {
        assert_eq!(s.round(round).summary.status, RoundStatus::Void);
    }
    assert_eq!(s.round(7).summary.status, RoundStatus::Attesting);
    // Only the pending round is left: nothing to claim, nothing cleaned.
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
    // Once round 7 expires, a claim cleans it.
    s.set_after_round_end(8, 0);
    let res = s.claim(&alice, None).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "cleaned" && a.value == "1")));
    assert_eq!(s.round(7).summary.status, RoundStatus::Void);
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
}

#[test]
fn claim_progresses_over_more_void_rounds_than_one_scan_budget() {
    let mut s = SuiteBuilder::default()
        .oracles(1, 1)
        .max_claim_rounds(1)
        .build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    // Budget 4 × 1 = 4 entries; 6 stuck rounds in front of the finalized one.
    stuck_rounds(&mut s, &alice, 6);
    s.set_after_round_end(6, 0);
    s.attest(6, 0, 1, &entries(vec![(alice.clone(), offpeak(10))]));
    s.set_after_round_end(7, ATTESTATION_WINDOW);
    // First call cleans 4, pays nothing but succeeds; the second pays round 6.
    let res = s.claim(&alice, None).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "cleaned" && a.value == "4")));
    assert_eq!(s.balance(&alice), 0);
    s.claim(&alice, None).unwrap();
    assert_eq!(s.balance(&alice), ROUND_REWARD);
}

#[test]
fn claimable_paginates_with_next() {
    let mut s = SuiteBuilder::default().oracles(1, 1).build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    for round in 0..5 {
        s.set_after_round_end(round, 0);
        s.attest(round, 0, 1, &entries(vec![(alice.clone(), offpeak(10))]));
    }
    let mut seen = vec![];
    let mut start_after = None;
    loop {
        let page: ClaimableResponse = s.query(&QueryMsg::Claimable {
            owner: alice.to_string(),
            start_after,
            limit: Some(2),
        });
        assert_eq!(
            page.total,
            Uint128::new(ROUND_REWARD) * Uint128::new(page.rounds.len() as u128)
        );
        seen.extend(page.rounds.iter().map(|r| r.round));
        match page.next {
            Some(n) => start_after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, vec![0, 1, 2, 3, 4]);
}

#[test]
fn claim_skips_a_round_until_its_attestation_deadline_then_closes_it() {
    let mut s = SuiteBuilder::default().oracles(1, 1).build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    stuck_rounds(&mut s, &alice, 1);
    // One second before the deadline the round may still finalize: skipped, not cleaned.
    s.set_after_round_end(0, ATTESTATION_WINDOW - 1);
    assert_eq!(err(s.claim(&alice, None)), ContractError::NothingToClaim {});
    assert_eq!(s.round(0).summary.status, RoundStatus::Attesting);
    // At the deadline attestations stop, so the claim closes it as void.
    s.set_after_round_end(0, ATTESTATION_WINDOW);
    let res = s.claim(&alice, None).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "cleaned" && a.value == "1")));
    assert_eq!(s.round(0).summary.status, RoundStatus::Void);
    assert_eq!(
        err(s.claim(&alice, Some(vec![0]))),
        ContractError::RoundNotFinalized { round: 0 }
    );
}

#[test]
fn claim_after_the_claim_window_pays_nothing_even_before_the_sweep() {
    let mut s = SuiteBuilder::default().oracles(1, 1).build();
    let alice = s.addr("alice");
    s.give_devices(&alice, &[DeviceModel::CubeV1]);
    s.set_after_round_end(0, 0);
    s.attest(0, 0, 1, &entries(vec![(alice.clone(), offpeak(10))]));
    let deadline = s.round(0).summary.claim_deadline.unwrap();
    let now = s.now();
    s.advance_time(deadline - now);
    // Not swept yet: the round is still `finalized` in storage, but its window is over.
    assert!(s.claimable(&alice).rounds.is_empty());
    let res = s.claim(&alice, None).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "cleaned" && a.value == "1")));
    assert_eq!(s.balance(&alice), 0);
    assert_eq!(s.funds().locked, Uint128::new(ROUND_REWARD));
    s.sweep(None).unwrap();
    assert_eq!(s.funds().locked, Uint128::zero());
}
