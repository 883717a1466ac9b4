//! The `cube-sim fleet` files: the device directory the relayer reads and the fleet manifest
//! the demo and `register` use, both typed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

use std::process::Command;

use chain_client::mining_round::FleetManifest;
use cube_sim::{Fleet, FleetSpec};

#[test]
fn fleet_writes_the_directory_and_a_verifiable_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (devices, manifest) = (dir.path().join("d.json"), dir.path().join("m.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_cube-sim"))
        .args(["fleet", "--devices", "7", "--seed", "11"])
        .args(["--chain-id", "cube-test", "--contract", "wasm1round"])
        .arg("--devices-out")
        .arg(&devices)
        .arg("--registrations-out")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fleet = Fleet::generate(&FleetSpec {
        devices: 7,
        seed: 11,
        owner_prefix: "wasm1simowner".into(),
    });
    assert_eq!(
        cube_telemetry::read_device_file(&devices).unwrap(),
        fleet.records()
    );
    let m: FleetManifest = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert_eq!(
        m.manufacturer_pubkey,
        fleet.manufacturer.verifying_key().to_bytes()
    );
    assert_eq!(m.devices.len(), 7);
    for (reg, dev) in m.devices.iter().zip(&fleet.devices) {
        assert_eq!(*reg, cube_sim::registration(dev, "cube-test", "wasm1round"));
        let msg = cube_scoring::possession_message(
            "cube-test",
            "wasm1round",
            &reg.owner,
            &reg.pubkey,
            &reg.challenge,
        );
        assert_eq!(
            (reg.nonce, reg.challenge),
            (0, cube_scoring::INITIAL_REGISTRATION_CHALLENGE)
        );
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&reg.pubkey).unwrap();
        let sig = ed25519_dalek::Signature::from_bytes(&reg.possession_signature);
        assert!(vk.verify_strict(&msg, &sig).is_ok());
    }
}
