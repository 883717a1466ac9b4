#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failed assertion is the point

mod common;

use common::*;
use cosmwasm_std::{Binary, HexBinary};
use cube_scoring::{
    next_registration_challenge, possession_message, RegistrationBlock,
    INITIAL_REGISTRATION_CHALLENGE,
};
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

/// The value of attribute `key` of the `register_device` response.
fn attribute(res: &cw_multi_test::AppResponse, key: &str) -> String {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_else(|| panic!("no attribute {key}"))
}

/// The block the suite's next message executes in, as the challenge derivation binds it
/// (cw-multi-test runs every message as transaction 0).
fn current_block(s: &Suite) -> RegistrationBlock {
    let block = s.app.block_info();
    RegistrationBlock {
        height: block.height,
        time_nanos: block.time.nanos(),
        tx_index: Some(0),
    }
}

/// The possession message of the previous layout (`cube-mining/device-possession/v1`, a
/// predictable `u64_be(nonce)` where the challenge is now), byte for byte: what a seller could
/// have had the device sign for the next nonce before the challenge existed.
fn old_scheme_possession(
    chain_id: &str,
    contract: &str,
    owner: &str,
    pubkey: &[u8; 32],
    nonce: u64,
) -> Vec<u8> {
    let mut buf = Vec::new();
    for field in [
        b"cube-mining/device-possession/v1".as_slice(),
        chain_id.as_bytes(),
        contract.as_bytes(),
        owner.as_bytes(),
        pubkey.as_slice(),
    ] {
        buf.extend_from_slice(&u64::try_from(field.len()).unwrap().to_be_bytes());
        buf.extend_from_slice(field);
    }
    buf.extend_from_slice(&nonce.to_be_bytes());
    buf
}

#[test]
fn a_possession_message_pre_signed_before_a_resale_is_refused() {
    let mut s = SuiteBuilder::default().build();
    let seller = s.addr("seller");
    let buyer = s.addr("buyer");
    let d = Device::new(DeviceModel::CubeV1, "SN-RESALE");
    let (chain, contract, pk) = (s.chain_id(), s.contract.to_string(), d.pubkey());
    s.register(&seller, &d).unwrap();
    s.advance_time(5);

    // Before the sale the seller still holds the device and has it sign possession for
    // himself: (a) over the current challenge; (b) in the old layout for the next nonce;
    // (c) over his best guess of the challenge the buyer's registration will derive (the
    // buyer registering in the current block).
    let before = s.registration_state(&d);
    assert_eq!(before.nonce, 1);
    let current = s.challenge(&d);
    assert_ne!(current, INITIAL_REGISTRATION_CHALLENGE);
    let pre_signed_current = s.registration_signing(
        &d,
        &possession_message(&chain, &contract, seller.as_str(), &pk, &current),
    );
    let pre_signed_old_scheme = s.registration_signing(
        &d,
        &old_scheme_possession(&chain, &contract, seller.as_str(), &pk, before.nonce + 1),
    );
    let guessed = next_registration_challenge(
        &current,
        &chain,
        &contract,
        buyer.as_str(),
        &pk,
        &current_block(&s),
        before.nonce + 1,
    );
    let pre_signed_guess = s.registration_signing(
        &d,
        &possession_message(&chain, &contract, seller.as_str(), &pk, &guessed),
    );

    // The sale: the chain moves on; the buyer queries the challenge, has the device sign it
    // for himself and registers.
    s.advance_time(7);
    assert_eq!(s.challenge(&d), current);
    let sale_block = current_block(&s);
    let res = s.register(&buyer, &d).unwrap();
    let after = s.registration_state(&d);
    assert_eq!(after.nonce, 2);
    let expected = next_registration_challenge(
        &current,
        &chain,
        &contract,
        buyer.as_str(),
        &pk,
        &sale_block,
        2,
    );
    assert_eq!(after.challenge, HexBinary::from(expected));
    assert_eq!(
        attribute(&res, "challenge"),
        HexBinary::from(expected).to_hex()
    );
    assert_ne!(expected, guessed);

    // The chain advances; none of the pre-signed registrations takes the device back.
    s.advance_time(11);
    for msg in [pre_signed_current, pre_signed_old_scheme, pre_signed_guess] {
        assert_eq!(
            err(s.exec(&seller, &msg)),
            ContractError::InvalidPossessionSignature {}
        );
    }
    let dev: DeviceResponse = s.query(&QueryMsg::Device {
        pubkey: Binary::from(pk.to_vec()),
    });
    assert_eq!((dev.owner, dev.nonce), (buyer.to_string(), 2));
    assert_eq!(s.owner_devices(&seller).cube_v1, 0);
    assert_eq!(s.owner_devices(&buyer).cube_v1, 1);
    assert_eq!(s.challenge(&d), expected);
}

#[test]
fn the_registration_nonce_query_returns_the_challenge_the_next_registration_signs() {
    let mut s = SuiteBuilder::default().build();
    let alice = s.addr("alice");
    let bob = s.addr("bob");
    let d = Device::new(DeviceModel::CubeV2, "SN-CHALLENGE");
    let (chain, contract, pk) = (s.chain_id(), s.contract.to_string(), d.pubkey());

    // Never registered: nonce 0 and the zero challenge.
    let fresh = s.registration_state(&d);
    assert_eq!(fresh.pubkey, Binary::from(pk.to_vec()));
    assert_eq!(fresh.nonce, 0);
    assert_eq!(fresh.challenge, HexBinary::from([0u8; 32]));

    // A possession signature over any other challenge is refused; over the queried one it
    // registers, and the query then answers the challenge the registration derived.
    let wrong = s.registration_signing(
        &d,
        &possession_message(&chain, &contract, alice.as_str(), &pk, &[1u8; 32]),
    );
    assert_eq!(
        err(s.exec(&alice, &wrong)),
        ContractError::InvalidPossessionSignature {}
    );
    let first = s.registration_signing(
        &d,
        &possession_message(
            &chain,
            &contract,
            alice.as_str(),
            &pk,
            &INITIAL_REGISTRATION_CHALLENGE,
        ),
    );
    let block = current_block(&s);
    let res = s.exec(&alice, &first).unwrap();
    let c1 = s.challenge(&d);
    assert_eq!(
        c1,
        next_registration_challenge(
            &INITIAL_REGISTRATION_CHALLENGE,
            &chain,
            &contract,
            alice.as_str(),
            &pk,
            &block,
            1,
        )
    );
    assert_eq!(attribute(&res, "challenge"), HexBinary::from(c1).to_hex());
    assert_eq!(attribute(&res, "nonce"), "1");
    assert_eq!(s.nonce(&d), 1);
    // The first signature is spent.
    assert_eq!(
        err(s.exec(&alice, &first)),
        ContractError::InvalidPossessionSignature {}
    );

    // Every registration replaces the challenge, even a second one in the same block.
    let again = s.registration_signing(
        &d,
        &possession_message(&chain, &contract, alice.as_str(), &pk, &c1),
    );
    s.exec(&alice, &again).unwrap();
    let c2 = s.challenge(&d);
    assert_ne!(c2, c1);
    assert_eq!(
        c2,
        next_registration_challenge(&c1, &chain, &contract, alice.as_str(), &pk, &block, 2)
    );
    assert_eq!(
        err(s.exec(&alice, &again)),
        ContractError::InvalidPossessionSignature {}
    );

    // Later, Bob holds the device and registers over the queried challenge: it moves again.
    s.advance_time(60);
    let res = s.register(&bob, &d).unwrap();
    let c3 = s.challenge(&d);
    assert!(c3 != c2 && c3 != c1 && c3 != INITIAL_REGISTRATION_CHALLENGE);
    assert_eq!(attribute(&res, "challenge"), HexBinary::from(c3).to_hex());
    assert_eq!(s.nonce(&d), 3);

    // Deregistration keeps the nonce and the challenge: registering again signs the current
    // challenge, never the zero one of a new device.
    s.exec(
        &bob,
        &ExecuteMsg::DeregisterDevice {
            pubkey: Binary::from(pk.to_vec()),
        },
    )
    .unwrap();
    let gone = s.registration_state(&d);
    assert_eq!((gone.nonce, gone.challenge), (3, HexBinary::from(c3)));
    let as_new = s.registration_signing(
        &d,
        &possession_message(
            &chain,
            &contract,
            bob.as_str(),
            &pk,
            &INITIAL_REGISTRATION_CHALLENGE,
        ),
    );
    assert_eq!(
        err(s.exec(&bob, &as_new)),
        ContractError::InvalidPossessionSignature {}
    );
    s.register(&bob, &d).unwrap();
    assert_eq!(s.nonce(&d), 4);
    assert_ne!(s.challenge(&d), c3);
}
