//! Every list query paginates with a `next` cursor; walking the pages yields every item once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Addr, Binary};
use cube_scoring::{BatteryClass, TouClass, UsageBuckets};
use cube_types::mining_round::*;

fn offpeak(wh: u64) -> UsageBuckets {
    UsageBuckets::single(BatteryClass::Standard, TouClass::OffPeak, wh)
}

/// Walks a paginated query with page size 2 and returns all items.
fn walk<C: Clone, T>(mut page: impl FnMut(Option<C>) -> (Vec<T>, Option<C>)) -> Vec<T> {
    let mut all = vec![];
    let mut cursor = None;
    for _ in 0..100 {
        let (items, next) = page(cursor.clone());
        all.extend(items);
        match next {
            Some(n) => cursor = Some(n),
            None => return all,
        }
    }
    panic!("pagination does not end");
}

#[test]
fn queries_paginate_with_next() {
    let mut s = SuiteBuilder::default().oracles(1, 1).build();
    let owners: Vec<Addr> = (0..5).map(|i| s.addr(&format!("owner{i}"))).collect();
    for o in &owners {
        s.give_devices(o, &[DeviceModel::CubeV1]);
    }
    s.give_devices(&owners[0], &[DeviceModel::CubeV2, DeviceModel::CubeV1]);
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateBatteryWhitelist {
            add: vec!["BAT-2".into(), "BAT-3".into(), "BAT-4".into()],
            remove: vec![],
        },
    )
    .unwrap();
    for round in 0..3 {
        s.set_after_round_end(round, 0);
        let items = owners
            .iter()
            .enumerate()
            .map(|(i, o)| (o.clone(), offpeak(10 * (i as u64 + 1))))
            .collect();
        s.attest(round, 0, 1, &entries(items));
    }

    let devices = walk(|start_after: Option<Binary>| {
        let r: DevicesResponse = s.query(&QueryMsg::Devices {
            start_after,
            limit: Some(2),
        });
        (r.devices, r.next)
    });
    assert_eq!(devices.len(), 7);
    let by_owner = walk(|start_after: Option<Binary>| {
        let r: OwnerDevicesResponse = s.query(&QueryMsg::DevicesByOwner {
            owner: owners[0].to_string(),
            start_after,
            limit: Some(2),
        });
        (r.devices, r.next)
    });
    assert_eq!(by_owner.len(), 3);
    let as_of = walk(|start_after: Option<Binary>| {
        let r: DevicesAsOfResponse = s.query(&QueryMsg::DevicesAsOf {
            round: 0,
            start_after,
            limit: Some(2),
        });
        (r.devices, r.next)
    });
    assert_eq!(as_of.len(), 7);
    let owners_as_of = walk(|start_after: Option<String>| {
        let r: OwnersAsOfResponse = s.query(&QueryMsg::OwnersAsOf {
            round: 0,
            start_after,
            limit: Some(2),
        });
        (r.owners, r.next)
    });
    assert_eq!(owners_as_of.len(), 5);
    assert_eq!(
        owners_as_of
            .iter()
            .filter(|o| o.dual_product)
            .map(|o| o.owner.clone())
            .collect::<Vec<_>>(),
        vec![owners[0].to_string()]
    );
    let rounds = walk(|start_after: Option<u64>| {
        let r: RoundsResponse = s.query(&QueryMsg::Rounds {
            start_after,
            limit: Some(2),
        });
        (r.rounds, r.next)
    });
    assert_eq!(
        rounds.iter().map(|r| r.round).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let leaderboard = walk(|start_after: Option<String>| {
        let r: LeaderboardResponse = s.query(&QueryMsg::Leaderboard {
            round: 1,
            start_after,
            limit: Some(2),
        });
        (r.entries, r.next)
    });
    assert_eq!(leaderboard.len(), 5);
    assert!(leaderboard.windows(2).all(|w| w[0].score >= w[1].score));
    for as_of_round in [None, Some(0)] {
        let whitelist = walk(|start_after: Option<String>| {
            let r: BatteryWhitelistResponse = s.query(&QueryMsg::BatteryWhitelist {
                as_of_round,
                start_after,
                limit: Some(2),
            });
            (r.batteries, r.next)
        });
        assert_eq!(whitelist, vec!["BAT-1", "BAT-2", "BAT-3", "BAT-4"]);
    }
    let claimable = walk(|start_after: Option<u64>| {
        let r: ClaimableResponse = s.query(&QueryMsg::Claimable {
            owner: owners[1].to_string(),
            start_after,
            limit: Some(2),
        });
        (r.rounds, r.next)
    });
    assert_eq!(claimable.len(), 3);
    let batches = walk(|start_after: Option<u32>| {
        let r: BatchesResponse = s.query(&QueryMsg::Batches {
            round: 2,
            start_after,
            limit: Some(2),
        });
        (r.batches, r.next)
    });
    assert_eq!(batches.len(), 1);
}
