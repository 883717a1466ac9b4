#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Binary, HexBinary};
use cube_types::mining_round::*;
use ed25519_dalek::SigningKey;
use mining_round::ContractError;
use rand::rngs::OsRng;

#[test]
fn register_and_query() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let d = Device::new(DeviceModel::CubeV1, "SN-1");
    let res = s.register(&alice, &d).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "action" && a.value == "register_device")));
    let dev: DeviceResponse = s.query(&QueryMsg::Device {
        pubkey: Binary::from(d.pubkey().to_vec()),
    });
    assert_eq!(dev.owner, alice.to_string());
    assert_eq!(dev.model, DeviceModel::CubeV1);
    assert_eq!(dev.serial, "SN-1");
    assert_eq!(dev.timezone, "Europe/Berlin");
    assert_eq!(dev.registered_at, s.now());
    let mine = s.owner_devices(&alice);
    assert_eq!(
        (mine.cube_v1, mine.cube_v2, mine.dual_product),
        (1, 0, false)
    );
    // A CubeV2 makes the owner dual-product.
    let d2 = Device::new(DeviceModel::CubeV2, "SN-2");
    s.register(&alice, &d2).unwrap();
    let mine = s.owner_devices(&alice);
    assert_eq!(
        (mine.cube_v1, mine.cube_v2, mine.dual_product),
        (1, 1, true)
    );
    assert_eq!(mine.devices.len(), 2);
}

#[test]
fn forged_registrations_rejected() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let d = Device::new(DeviceModel::CubeV2, "SN-9");
    let chain = s.chain_id();
    let contract = s.contract.to_string();

    // Certificate by an unknown manufacturer.
    let rogue = SigningKey::generate(&mut OsRng);
    let msg = s.registration_with(&alice, &d, &rogue, &chain, &contract);
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidCertificate {}
    );

    // Certificate over other data: a valid certificate for CubeV1 presented as CubeV2, and a
    // valid one with another serial.
    let mut msg = s.registration(&alice, &d);
    if let ExecuteMsg::RegisterDevice { model, .. } = &mut msg {
        *model = DeviceModel::CubeV1;
    }
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidCertificate {}
    );
    let mut msg = s.registration(&alice, &d);
    if let ExecuteMsg::RegisterDevice { serial, .. } = &mut msg {
        *serial = "SN-10".into();
    }
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidCertificate {}
    );

    // Possession signed for another chain id, another contract, another owner.
    let m = s.manufacturer.clone();
    let msg = s.registration_with(&alice, &d, &m, "other-chain", &contract);
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidPossessionSignature {}
    );
    let other_contract = s.addr("other-contract").to_string();
    let msg = s.registration_with(&alice, &d, &m, &chain, &other_contract);
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidPossessionSignature {}
    );
    // Bob replays Alice's message: possession names Alice.
    let msg = s.registration(&alice, &d);
    assert_eq!(
        err(s.exec(&bob, &msg)),
        ContractError::InvalidPossessionSignature {}
    );

    // Malformed inputs.
    let mut msg = s.registration(&alice, &d);
    if let ExecuteMsg::RegisterDevice { pubkey, .. } = &mut msg {
        *pubkey = Binary::from(vec![1u8; 31]);
    }
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidPubkey { len: 31 }
    );
    let mut msg = s.registration(&alice, &d);
    if let ExecuteMsg::RegisterDevice { certificate, .. } = &mut msg {
        *certificate = Binary::from(vec![0u8; 63]);
    }
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidSignatureLength {
            name: "certificate".into(),
            len: 63
        }
    );
    for bad in ["", "Europe//Berlin", "Europe/Berlin;DROP", "/UTC"] {
        let mut msg = s.registration(&alice, &d);
        if let ExecuteMsg::RegisterDevice { timezone, .. } = &mut msg {
            *timezone = bad.into();
        }
        assert_eq!(
            err(s.exec(&alice, &msg)),
            ContractError::InvalidTimezone {
                timezone: bad.into()
            }
        );
    }
    let mut msg = s.registration(&alice, &d);
    if let ExecuteMsg::RegisterDevice { serial, .. } = &mut msg {
        *serial = "has space".into();
    }
    assert_eq!(
        err(s.exec(&alice, &msg)),
        ContractError::InvalidSerial {
            serial: "has space".into()
        }
    );

    // Nothing was registered by any of the above.
    let all: DevicesResponse = s.query(&QueryMsg::Devices {
        start_after: None,
        limit: None,
    });
    assert!(all.devices.is_empty());
    // The genuine registration still works.
    s.register(&alice, &d).unwrap();
    assert_eq!(s.owner_devices(&alice).cube_v2, 1);
}

#[test]
fn duplicate_move_and_deregister() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let d = Device::new(DeviceModel::CubeV1, "SN-1");
    let alice_first = s.registration(&alice, &d);
    s.exec(&alice, &alice_first).unwrap();
    assert_eq!(s.nonce(&d), 1);

    // Re-registration by the same owner with a fresh signature (new nonce) is allowed and
    // changes nothing in the counts; the first signature cannot be replayed.
    s.register(&alice, &d).unwrap();
    assert_eq!(s.nonce(&d), 2);
    assert_eq!(s.owner_devices(&alice).cube_v1, 1);
    assert_eq!(
        err(s.exec(&alice, &alice_first)),
        ContractError::InvalidPossessionSignature {}
    );

    // Bob holds the device now and signs for himself: the device moves.
    let res = s.register(&bob, &d).unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "previous_owner" && a.value == alice.as_str())));
    let dev: DeviceResponse = s.query(&QueryMsg::Device {
        pubkey: Binary::from(d.pubkey().to_vec()),
    });
    assert_eq!(dev.owner, bob.to_string());
    let a = s.owner_devices(&alice);
    assert_eq!((a.cube_v1, a.devices.len()), (0, 0));
    let b = s.owner_devices(&bob);
    assert_eq!((b.cube_v1, b.devices.len()), (1, 1));

    // Alice cannot replay her old registration to take it back.
    assert_eq!(
        err(s.exec(&alice, &alice_first)),
        ContractError::InvalidPossessionSignature {}
    );

    // Deregistration: only the owner, only existing devices.
    let pk = Binary::from(d.pubkey().to_vec());
    assert_eq!(
        err(s.exec(&alice, &ExecuteMsg::DeregisterDevice { pubkey: pk.clone() })),
        ContractError::NotDeviceOwner {
            pubkey: HexBinary::from(d.pubkey())
        }
    );
    s.exec(&bob, &ExecuteMsg::DeregisterDevice { pubkey: pk.clone() })
        .unwrap();
    assert_eq!(s.owner_devices(&bob).cube_v1, 0);
    assert_eq!(
        err(s.exec(&bob, &ExecuteMsg::DeregisterDevice { pubkey: pk })),
        ContractError::DeviceNotFound {
            pubkey: HexBinary::from(d.pubkey())
        }
    );
}

#[test]
fn device_pagination() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    s.give_devices(
        &alice,
        &[
            DeviceModel::CubeV1,
            DeviceModel::CubeV2,
            DeviceModel::CubeV1,
        ],
    );
    s.give_devices(&bob, &[DeviceModel::CubeV2, DeviceModel::CubeV2]);
    let mut seen = vec![];
    let mut start_after = None;
    loop {
        let page: DevicesResponse = s.query(&QueryMsg::Devices {
            start_after: start_after.clone(),
            limit: Some(2),
        });
        if page.devices.is_empty() {
            break;
        }
        assert!(page.devices.len() <= 2);
        start_after = page.devices.last().map(|d| d.pubkey.clone());
        seen.extend(page.devices);
    }
    assert_eq!(seen.len(), 5);
    let mut keys: Vec<_> = seen.iter().map(|d| d.pubkey.to_vec()).collect();
    let sorted = {
        let mut k = keys.clone();
        k.sort();
        k
    };
    assert_eq!(keys, sorted);
    keys.dedup();
    assert_eq!(keys.len(), 5);

    let first: OwnerDevicesResponse = s.query(&QueryMsg::DevicesByOwner {
        owner: alice.to_string(),
        start_after: None,
        limit: Some(2),
    });
    assert_eq!(first.devices.len(), 2);
    assert_eq!((first.cube_v1, first.cube_v2), (2, 1));
    let rest: OwnerDevicesResponse = s.query(&QueryMsg::DevicesByOwner {
        owner: alice.to_string(),
        start_after: first.devices.last().map(|d| d.pubkey.clone()),
        limit: Some(2),
    });
    assert_eq!(rest.devices.len(), 1);
    assert!(rest.devices.iter().all(|d| d.owner == alice.to_string()));
}
