//! Funds and emergencies: `Pause` / `Unpause` / guardian, `WithdrawUnlocked`, `Reconcile`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{HexBinary, Uint128};
use cube_scoring::batch_hash;
use cube_types::mining_round::*;
use cw20::Cw20ExecuteMsg;
use cw_multi_test::Executor;
use mining_round::ContractError;

#[test]
fn pause_blocks_attestations_and_claims_and_locked_rewards_stay_claimable_after_unpause() {
    let (mut s, alice, bob) = finalized_round();
    let owner = s.owner.clone();
    let guardian = s.addr("guardian");
    let mallory = s.addr("mallory");
    // Only the owner sets the guardian.
    assert_eq!(
        err(s.exec(
            &mallory,
            &ExecuteMsg::UpdateGuardian {
                guardian: Some(mallory.to_string())
            }
        )),
        not_owner(&mallory)
    );
    s.exec(
        &owner,
        &ExecuteMsg::UpdateGuardian {
            guardian: Some(guardian.to_string()),
        },
    )
    .unwrap();
    assert_eq!(config(&s).guardian, Some(guardian.to_string()));
    assert_eq!(
        err(s.exec(&mallory, &ExecuteMsg::Pause {})),
        ContractError::NotOwnerOrGuardian {
            sender: mallory.clone()
        }
    );
    let res = s.exec(&guardian, &ExecuteMsg::Pause {}).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "role" && a.value == "guardian")));
    assert!(config(&s).paused);
    let funds_before = s.funds();

    // Round 1 attestations and every claim fail while paused.
    s.set_after_round_end(1, 0);
    let batch = entries(vec![(alice.clone(), offpeak(10))]);
    let hash = batch_hash(1, 0, 1, 1, &batch).unwrap();
    assert_eq!(
        err(s.submit(0, 1, 0, 1, 1, &batch)),
        ContractError::Paused {}
    );
    assert_eq!(err(s.vote(1, 1, 0, 1, 1, hash)), ContractError::Paused {});
    let anyone = s.addr("anyone");
    assert_eq!(
        err(s.exec(
            &anyone,
            &ExecuteMsg::AcceptBatch {
                round: 1,
                batch_index: 0,
                batch_hash: HexBinary::from(hash)
            }
        )),
        ContractError::Paused {}
    );
    assert_eq!(err(s.claim(&alice, None)), ContractError::Paused {});
    assert_eq!(err(s.claim(&bob, Some(vec![0]))), ContractError::Paused {});
    // The books did not move; round 1 has ended, so its reward is now reserved.
    let funds = s.funds();
    assert_eq!(
        (funds.unlocked, funds.locked),
        (funds_before.unlocked, funds_before.locked)
    );
    assert_eq!(funds.reserved, Uint128::new(ROUND_REWARD));

    // The guardian cannot unpause; the owner can.
    assert_eq!(
        err(s.exec(&guardian, &ExecuteMsg::Unpause {})),
        not_owner(&guardian)
    );
    s.exec(&owner, &ExecuteMsg::Unpause {}).unwrap();
    assert!(!config(&s).paused);
    s.claim(&alice, None).unwrap();
    s.claim(&bob, Some(vec![0])).unwrap();
    assert_eq!((s.balance(&alice), s.balance(&bob)), (250_000, 750_000));
    assert_eq!(s.funds().locked, Uint128::zero());
    // Attestations work again.
    s.attest(1, 0, 1, &batch);
    assert_eq!(s.round(1).summary.status, RoundStatus::Finalized);
    // The owner may pause too, and clear the guardian.
    s.exec(&owner, &ExecuteMsg::Pause {}).unwrap();
    s.exec(&owner, &ExecuteMsg::UpdateGuardian { guardian: None })
        .unwrap();
    assert_eq!(config(&s).guardian, None);
    assert_eq!(
        err(s.exec(&guardian, &ExecuteMsg::Pause {})),
        ContractError::NotOwnerOrGuardian {
            sender: guardian.clone()
        }
    );
}

#[test]
fn withdraw_never_touches_locked_funds() {
    let (mut s, alice, bob) = finalized_round();
    let owner = s.owner.clone();
    let treasury = s.addr("treasury");
    let funds = s.funds();
    assert_eq!(funds.locked, Uint128::new(ROUND_REWARD));
    let unlocked = funds.unlocked;
    assert_eq!(
        err(s.exec(
            &alice,
            &ExecuteMsg::WithdrawUnlocked {
                amount: Uint128::new(1),
                recipient: None
            }
        )),
        not_owner(&alice)
    );
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::WithdrawUnlocked {
                amount: unlocked + Uint128::new(1),
                recipient: None
            }
        )),
        ContractError::InsufficientUnlocked {
            requested: unlocked + Uint128::new(1),
            unlocked
        }
    );
    s.exec(
        &owner,
        &ExecuteMsg::WithdrawUnlocked {
            amount: unlocked,
            recipient: Some(treasury.to_string()),
        },
    )
    .unwrap();
    assert_eq!(s.balance(&treasury), unlocked.u128());
    assert_eq!(s.funds(), Suite::funds_of(0, ROUND_REWARD, 0));
    // Nothing unlocked is left; locked rewards are still paid in full.
    assert_eq!(
        err(s.exec(
            &owner,
            &ExecuteMsg::WithdrawUnlocked {
                amount: Uint128::new(1),
                recipient: None
            }
        )),
        ContractError::InsufficientUnlocked {
            requested: Uint128::new(1),
            unlocked: Uint128::zero()
        }
    );
    s.claim(&alice, None).unwrap();
    s.claim(&bob, None).unwrap();
    assert_eq!((s.balance(&alice), s.balance(&bob)), (250_000, 750_000));
    assert_eq!(s.balance(&s.contract.clone()), 0);
}

#[test]
fn reconcile_adopts_plain_transfers_into_unlocked() {
    let (mut s, _alice, _bob) = finalized_round();
    let owner = s.owner.clone();
    let before = s.funds();
    assert_eq!(
        err(s.exec(&owner, &ExecuteMsg::Reconcile {})),
        ContractError::NothingToReconcile {
            balance: before.unlocked + before.locked,
            accounted: before.unlocked + before.locked
        }
    );
    let funder = s.funder.clone();
    let token = s.token.clone();
    let contract = s.contract.to_string();
    s.app
        .execute_contract(
            funder,
            token,
            &Cw20ExecuteMsg::Transfer {
                recipient: contract,
                amount: Uint128::new(500),
            },
            &[],
        )
        .unwrap();
    assert_eq!(s.funds(), before);
    let mallory = s.addr("mallory");
    assert_eq!(
        err(s.exec(&mallory, &ExecuteMsg::Reconcile {})),
        not_owner(&mallory)
    );
    s.exec(&owner, &ExecuteMsg::Reconcile {}).unwrap();
    assert_eq!(
        s.funds(),
        Suite::funds_of(
            before.unlocked.u128() + 500,
            before.locked.u128(),
            before.reserved.u128()
        )
    );
    assert_eq!(
        s.balance(&s.contract.clone()),
        (before.unlocked + before.locked).u128() + 500
    );
}
