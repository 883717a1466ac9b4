//! The simulated Cube fleet: `cube-sim fleet` writes the relayers' device directory and the
//! registration manifest; each owner then registers its own devices on chain with
//! `RegisterDevice` (manufacturer certificate + possession signature, both checked by the
//! contract with the chain's ed25519 verification).

use std::path::{Path, PathBuf};
use std::process::Command;

use chain_client::ChainClient;
use cosmwasm_std::Binary;
use cube_types::mining_round::{DeviceModel, ExecuteMsg};
use serde::Deserialize;

use crate::DemoError;

/// Seed of the demo fleet (keys, owners, energy).
pub const FLEET_SEED: u64 = 7;

/// One device of the manifest.
#[derive(Clone, Debug, Deserialize)]
pub struct Registration {
    /// Owner address.
    pub owner: String,
    /// Device public key, hex.
    pub pubkey: String,
    /// `cube_v1` / `cube_v2`.
    pub model: DeviceModel,
    /// Serial number.
    pub serial: String,
    /// IANA time zone.
    pub timezone: String,
    /// Paired battery id.
    pub battery_id: String,
    /// Manufacturer certificate, hex.
    pub certificate: String,
    /// Device signature proving possession, hex.
    pub possession_signature: String,
}

/// The manifest `cube-sim fleet --registrations-out` writes.
#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
    /// Manufacturer public key, hex.
    pub manufacturer_pubkey: String,
    /// Devices.
    pub devices: Vec<Registration>,
}

impl Manifest {
    /// The manufacturer key as bytes.
    pub fn manufacturer_key(&self) -> Result<[u8; 32], DemoError> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(&self.manufacturer_pubkey, &mut key)
            .map_err(|e| DemoError::format("manufacturer_pubkey", e))?;
        Ok(key)
    }
}

/// The arguments `cube-sim fleet` and `cube-sim stream` share.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    /// The `cube-sim` binary.
    pub cube_sim: PathBuf,
    /// Number of devices.
    pub devices: usize,
    /// File with one owner address per line.
    pub owners_file: PathBuf,
    /// Chain id.
    pub chain_id: String,
    /// Mining-round contract (or a placeholder before deployment).
    pub contract: String,
}

impl FleetSpec {
    /// `--devices .. --seed .. --owners-file .. --chain-id .. --contract ..`.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--devices".into(),
            self.devices.to_string(),
            "--seed".into(),
            FLEET_SEED.to_string(),
            "--owners-file".into(),
            self.owners_file.display().to_string(),
            "--chain-id".into(),
            self.chain_id.clone(),
            "--contract".into(),
            self.contract.clone(),
        ]
    }
}

/// Writes the owners file (one address per line).
pub fn write_owners(path: &Path, owners: &[String]) -> Result<(), DemoError> {
    std::fs::write(path, owners.join("\n") + "\n").map_err(|e| DemoError::io(path, e))
}

/// Runs `cube-sim fleet`, writing `devices_out`, and returns the registration manifest.
pub fn generate(spec: &FleetSpec, devices_out: &Path) -> Result<Manifest, DemoError> {
    let manifest_path = devices_out.with_extension("registrations.json");
    let out = Command::new(&spec.cube_sim)
        .arg("fleet")
        .args(spec.args())
        .arg("--devices-out")
        .arg(devices_out)
        .arg("--registrations-out")
        .arg(&manifest_path)
        .output()
        .map_err(|e| DemoError::Process {
            name: "cube-sim fleet".into(),
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(DemoError::Process {
            name: "cube-sim fleet".into(),
            reason: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    let text =
        std::fs::read_to_string(&manifest_path).map_err(|e| DemoError::io(&manifest_path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| DemoError::format(manifest_path.display().to_string(), e))
}

fn binary(hex_str: &str, what: &str) -> Result<Binary, DemoError> {
    hex::decode(hex_str)
        .map(Binary::from)
        .map_err(|e| DemoError::format(what, e))
}

/// The `RegisterDevice` message of one manifest entry.
pub fn register_msg(r: &Registration) -> Result<ExecuteMsg, DemoError> {
    Ok(ExecuteMsg::RegisterDevice {
        pubkey: binary(&r.pubkey, "pubkey")?,
        model: r.model,
        serial: r.serial.clone(),
        timezone: r.timezone.clone(),
        certificate: binary(&r.certificate, "certificate")?,
        possession_signature: binary(&r.possession_signature, "possession_signature")?,
    })
}

/// Registers `r` on `contract`, signed by its owner's `client`; returns the tx hash.
pub async fn register(
    client: &ChainClient,
    contract: &str,
    r: &Registration,
) -> Result<String, DemoError> {
    if client.address() != r.owner {
        return Err(DemoError::format(
            format!("device {}", r.serial),
            format!(
                "owned by {}, not by the signer {}",
                r.owner,
                client.address()
            ),
        ));
    }
    let tx = client.execute(contract, &register_msg(r)?).await?;
    Ok(tx.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_entries_become_register_messages() {
        let m: Manifest = serde_json::from_str(&format!(
            r#"{{"manufacturer_pubkey":"{}","devices":[{{"owner":"wasm1o","pubkey":"{}",
            "model":"cube_v2","serial":"SN-1","timezone":"UTC","battery_id":"WL-BAT-A",
            "certificate":"{}","possession_signature":"{}"}}]}}"#,
            "0a".repeat(32),
            "01".repeat(32),
            "02".repeat(64),
            "03".repeat(64)
        ))
        .unwrap();
        assert_eq!(m.manufacturer_key().unwrap(), [0x0a; 32]);
        match register_msg(&m.devices[0]).unwrap() {
            ExecuteMsg::RegisterDevice {
                pubkey,
                model,
                serial,
                timezone,
                certificate,
                possession_signature,
            } => {
                assert_eq!(pubkey.as_slice(), &[1u8; 32]);
                assert_eq!(model, DeviceModel::CubeV2);
                assert_eq!(serial, "SN-1");
                assert_eq!(timezone, "UTC");
                assert_eq!(certificate.as_slice(), &[2u8; 64]);
                assert_eq!(possession_signature.as_slice(), &[3u8; 64]);
            }
            other => panic!("unexpected {other:?}"),
        }
        let mut bad = m.devices[0].clone();
        bad.certificate = "zz".into();
        assert!(matches!(
            register_msg(&bad),
            Err(DemoError::Format { what, .. }) if what == "certificate"
        ));
    }
}
