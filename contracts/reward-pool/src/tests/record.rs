//! `RecordActions` across entries of one batch.

use super::suite::{attr, SuiteBuilder, S};

#[test]
fn threshold_crossed_by_one_entry_changes_the_rate_for_the_next_entries() {
    let mut suite = SuiteBuilder::new().funded(S).build();
    let (alice, bob, carol) = (suite.addr("alice"), suite.addr("bob"), suite.addr("carol"));
    let res = suite
        .record(&[(&alice, 5_000), (&bob, 1), (&carol, 2), (&bob, 1)])
        .unwrap();
    assert_eq!(attr(&res, &suite.pool, "entries"), "4");
    assert_eq!(attr(&res, &suite.pool, "actions"), "5004");
    assert_eq!(attr(&res, &suite.pool, "paid"), (500_100 + 150).to_string());
    assert_eq!(attr(&res, &suite.pool, "unpaid"), "0");
    assert_eq!(attr(&res, &suite.pool, "batch_id"), "1");
    suite.assert_claimable(&alice, 500_000);
    suite.assert_claimable(&bob, 150);
    suite.assert_claimable(&carol, 100);
    suite.assert_state(S - 500_250, 500_250, 1);
    let state = suite.state();
    assert_eq!(state.total_rewarded.u128(), 500_250);
}

#[test]
fn full_batch_of_distinct_users() {
    let mut suite = SuiteBuilder::new().max_batch_size(50).funded(S).build();
    let users: Vec<_> = (0..50).map(|i| suite.addr(&format!("user-{i}"))).collect();
    let entries: Vec<_> = users.iter().map(|u| (u, 2u64)).collect();
    suite.record(&entries).unwrap();
    for user in &users {
        suite.assert_claimable(user, 200);
    }
    suite.assert_state(S - 10_000, 10_000, 0);
}
