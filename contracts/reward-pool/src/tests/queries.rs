//! Paginated queries and query validation.

use cosmwasm_std::{StdError, Uint128};
use cube_types::reward_pool::QueryMsg;

use super::suite::{SuiteBuilder, S};
use crate::helpers::PAGE;
use crate::ContractError;

#[test]
fn rate_history_pages_with_start_after_and_limit() {
    // Cooldown 0, and a pool funded far below S: one halving before each action.
    let mut suite = SuiteBuilder::new()
        .reference_pool(1u128 << 60)
        .base_reward(1u128 << 40)
        .cooldown(0)
        .funded(1)
        .build();
    let alice = suite.addr("alice");
    suite.record(&[(&alice, 35)]).unwrap();
    let all_levels = suite.state().level;
    assert_eq!(all_levels, 35);

    let first = suite.history(None, None);
    assert_eq!(first.len(), PAGE.page(None));
    assert_eq!(first.first().unwrap().seq, 1);
    let page = suite.history(Some(3), Some(4));
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![4, 5, 6, 7]
    );
    assert_eq!((page[0].from_level, page[0].to_level), (3, 4));
    assert_eq!(page[0].reward, Uint128::new(1u128 << 36));
    let capped = suite.history(None, Some(1_000));
    assert_eq!(capped.len(), PAGE.max_page());
    let tail = suite.history(Some(30), Some(30));
    assert_eq!(
        tail.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![31, 32, 33, 34, 35]
    );
    assert!(suite.history(Some(35), None).is_empty());
}

#[test]
fn reporters_page_in_address_order() {
    let names = ["r-a", "r-b", "r-c", "r-d", "r-e"];
    let suite = SuiteBuilder::new().reporters(&names).funded(S).build();
    let mut expected: Vec<_> = names.iter().map(|n| suite.addr(n)).collect();
    expected.sort();
    let first = suite.reporters(None, Some(2));
    assert_eq!(
        first.iter().map(|r| r.address.clone()).collect::<Vec<_>>(),
        expected[..2].to_vec()
    );
    let rest = suite.reporters(Some(first[1].address.to_string()), Some(10));
    assert_eq!(
        rest.iter().map(|r| r.address.clone()).collect::<Vec<_>>(),
        expected[2..].to_vec()
    );
    assert!(rest.iter().all(|r| r.last_batch_id.is_none()));
}

#[test]
fn state_reports_thresholds_and_totals() {
    let suite = SuiteBuilder::new().funded(S).build();
    let state = suite.state();
    assert_eq!(state.level, 0);
    assert_eq!(state.current_reward, Uint128::new(100));
    assert_eq!(state.next_halving_threshold, Some(Uint128::new(S / 2)));
    assert_eq!(state.reversal_threshold, None);
    assert_eq!(state.last_halving, None);
    assert_eq!(state.cooldown_end, None);
    assert!(!state.cooldown_active);
    assert!(!state.halving_pending);
    assert_eq!(state.total_funded, Uint128::new(S));
    assert_eq!(state.total_rewarded, Uint128::zero());
}

#[test]
fn queries_validate_addresses() {
    let suite = SuiteBuilder::new().build();
    let upper = suite.addr("alice").to_string().to_uppercase();
    let err = suite
        .app
        .wrap()
        .query_wasm_smart::<cube_types::reward_pool::ClaimableResponse>(
            suite.pool.clone(),
            &QueryMsg::Claimable {
                user: upper.clone(),
            },
        )
        .unwrap_err();
    let expected = ContractError::InvalidAddress {
        address: upper.clone(),
    }
    .to_string();
    assert!(
        matches!(err, StdError::GenericErr { ref msg, .. } if msg.contains(&expected)),
        "{err:?}"
    );
}
